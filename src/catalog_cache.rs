//! Product trees cached per process, keyed by the catalog version
//! (`db/catalog_tracking.sql`).
//!
//! Why a cached tree is never stale: every change to the tables a tree is built
//! from bumps the version in the same transaction (triggers), and versions only
//! grow. A request reads the version *before* it reads the tree, so a tree
//! stored under version V holds data at least as new as V; a request that reads
//! V after a change has committed reads V+1 or later and misses. Without the
//! version table (tracking not installed) every request reads the tree.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::MySqlConnection;

use crate::catalog::{Product, Tree};
use crate::error::{Error, Result};

const NO_SUCH_TABLE: u16 = 1146;

#[derive(Default)]
pub struct CatalogCache {
    trees: Mutex<HashMap<u64, (u64, Arc<Tree>)>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CatalogCache {
    /// The tree under `root`, from the cache when the catalog has not changed
    /// since it was read.
    pub async fn tree(&self, conn: &mut MySqlConnection, root: &Product) -> Result<Arc<Tree>> {
        let Some(version) = catalog_version(conn).await? else {
            return Ok(Arc::new(Tree::load(conn, root).await?));
        };
        let cached = self.lock().get(&root.id).filter(|(v, _)| *v == version).map(|(_, tree)| tree.clone());
        if let Some(tree) = cached {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(tree);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let tree = Arc::new(Tree::load(conn, root).await?);
        let mut trees = self.lock();
        // Keep the newest: a slower request may come back with an older version.
        if !matches!(trees.get(&root.id), Some((newer, _)) if *newer > version) {
            trees.insert(root.id, (version, tree.clone()));
        }
        Ok(tree)
    }

    /// (hits, misses) so far, for tests and diagnostics.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (u64, Arc<Tree>)>> {
        self.trees.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The catalog version, or `None` when tracking is not installed.
async fn catalog_version(conn: &mut MySqlConnection) -> Result<Option<u64>> {
    let row: std::result::Result<Option<(u64,)>, sqlx::Error> =
        sqlx::query_as("SELECT version FROM rmt_rs_catalog_versions WHERE id = 1").fetch_optional(&mut *conn).await;
    match row {
        Ok(row) => Ok(row.map(|(v,)| v)),
        Err(e) if Error::mariadb_code(&e) == Some(NO_SUCH_TABLE) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Installs catalog tracking (`db/catalog_tracking.sql`) in the pool's database.
pub async fn install_tracking(pool: &sqlx::MySqlPool) -> Result<()> {
    sqlx::raw_sql(include_str!("../db/catalog_tracking.sql")).execute(pool).await?;
    Ok(())
}
