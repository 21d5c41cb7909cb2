//! Product trees cached per process, keyed by the catalog version
//! (`db/catalog_tracking.sql`).
//!
//! Why a cached tree is never stale: every change to the tables a tree is built
//! from adds one to its connection's row in the same transaction (triggers),
//! the version is the sum of the rows, and rows only grow (compaction moves
//! counts between rows in one transaction, keeping the sum). So every committed
//! change makes the version grow. A request reads the version *before* it reads
//! the tree (each statement at READ COMMITTED sees all that committed before
//! it), so a tree stored under version V holds data at least as new as V; a
//! request that reads V after a change has committed reads more and misses.
//! Without the table or its base row (tracking not installed, or being
//! installed or removed) every request reads the tree.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::MySqlConnection;

use crate::error::{Error, Result};
use crate::rmt::catalog::{Product, Tree};

const NO_SUCH_TABLE: u16 = 1146;

/// Rows past which a request asks for the closed connections' rows to be
/// folded into the base row: each `rmt-cli sync` or mirror run adds a row or
/// two, and every request sums them all.
const COMPACT_ABOVE: i64 = 64;

/// Rows folded per compaction, so its statements stay small.
const COMPACT_AT_MOST: usize = 1000;

#[derive(Default)]
pub struct CatalogCache {
    trees: Mutex<HashMap<u64, (u64, Arc<Tree>)>>,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Trees read without catalog tracking installed (nothing to cache by).
    untracked: AtomicU64,
    compaction_due: AtomicBool,
    compacting: Arc<AtomicBool>,
}

impl CatalogCache {
    /// The tree under `root`, from the cache when the catalog has not changed
    /// since it was read.
    pub async fn tree(&self, conn: &mut MySqlConnection, root: &Product) -> Result<Arc<Tree>> {
        let Some(Version { version, rows }) = catalog_version(conn).await? else {
            self.untracked.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::new(Tree::load(conn, root).await?));
        };
        if rows > COMPACT_ABOVE {
            self.compaction_due.store(true, Ordering::Relaxed);
        }
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

    /// Folds closed connections' rows into the base row in the background when
    /// a read found too many; call after the request's transaction ended (the
    /// compaction takes a connection of its own). One at a time per process;
    /// a failed one is tried again after a later read.
    pub fn compact_if_due(&self, pool: &sqlx::MySqlPool) {
        if !self.compaction_due.swap(false, Ordering::Relaxed) || self.compacting.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, compacting) = (pool.clone(), Arc::clone(&self.compacting));
        tokio::spawn(async move {
            // Best effort: the version stays right whether it runs or not.
            let _ = compact(&pool).await;
            compacting.store(false, Ordering::Release);
        });
    }

    /// (hits, misses) so far, for tests and diagnostics.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Trees read without catalog tracking so far, for operators' metrics.
    pub fn untracked(&self) -> u64 {
        self.untracked.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (u64, Arc<Tree>)>> {
        self.trees.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Version {
    version: u64,
    rows: i64,
}

/// The catalog version, or `None` when tracking is not installed: no table, or
/// no base row (connection_id 0), which the install adds only once every
/// trigger is in place and the removal deletes before the first one goes.
async fn catalog_version(conn: &mut MySqlConnection) -> Result<Option<Version>> {
    // A plain (consistent, lockless) read: it never waits for RMT's writers.
    let row: std::result::Result<(Option<u64>, i64, Option<u64>), sqlx::Error> = sqlx::query_as(
        "SELECT CAST(SUM(changes) AS UNSIGNED), COUNT(*), MIN(connection_id) FROM rmt_rs_catalog_changes",
    )
    .fetch_one(&mut *conn)
    .await;
    match row {
        Ok((Some(version), rows, Some(0))) => Ok(Some(Version { version, rows })),
        Ok(_) => Ok(None),
        Err(e) if Error::mariadb_code(&e) == Some(NO_SUCH_TABLE) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Installs catalog tracking (`db/catalog_tracking.sql`) in the pool's database,
/// or moves an older install to the current design, and compacts. Idempotent.
pub async fn install_tracking(pool: &sqlx::MySqlPool) -> Result<()> {
    sqlx::raw_sql(include_str!("../../db/catalog_tracking.sql")).execute(pool).await?;
    compact(pool).await?;
    Ok(())
}

/// This server's number in the rows' keys (db/catalog_tracking.sql) with
/// each of its connections.
const LIVE_CONNECTIONS: &str = "SELECT CAST(CRC32(CONCAT(@@hostname, ':', @@port)) AS UNSIGNED), \
    CAST(ID AS UNSIGNED) FROM information_schema.PROCESSLIST";

/// Whether the row keyed `row` is of a connection of this server (`server`)
/// that is gone, or of an earlier install's (keyed by the connection alone)
/// whose connection is gone. Other nodes' rows are theirs to fold.
fn closed_here(row: u64, server: u64, live: &[u64]) -> bool {
    let (owner, connection) = (row >> 32, row & 0xffff_ffff);
    (owner == server || owner == 0) && !live.contains(&connection)
}

/// Folds the rows of connections that are gone into the base row, in one
/// transaction that keeps the sum, so readers see the same version before and
/// after. Only rows of closed connections are taken, so no RMT writer waits for
/// it (a connection id is not reused while the server runs; after a restart a
/// new connection with an old id waits at most for this short transaction, and
/// the sum is right either way since the rows are locked while moved). Returns
/// the rows folded.
pub async fn compact(pool: &sqlx::MySqlPool) -> Result<usize> {
    // Connections of other users are visible only with the PROCESS privilege;
    // taking a live row is harmless (see above), just not useful.
    // The server's number and its live connections in one statement: through
    // a balancer, two statements could reach two nodes.
    let listed: Vec<(u64, u64)> = sqlx::query_as(LIVE_CONNECTIONS).fetch_all(pool).await?;
    let server = listed.first().map_or(0, |(server, _)| *server);
    let live: Vec<u64> = listed.into_iter().map(|(_, id)| id).collect();
    let rows: std::result::Result<Vec<u64>, sqlx::Error> =
        sqlx::query_scalar("SELECT connection_id FROM rmt_rs_catalog_changes WHERE connection_id > 0")
            .fetch_all(pool)
            .await;
    let gone: Vec<u64> = match rows {
        Ok(rows) => rows.into_iter().filter(|row| closed_here(*row, server, &live)).take(COMPACT_AT_MOST).collect(),
        Err(e) if Error::mariadb_code(&e) == Some(NO_SUCH_TABLE) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    if gone.is_empty() {
        return Ok(0);
    }
    let select = format!(
        "SELECT connection_id, changes FROM rmt_rs_catalog_changes WHERE connection_id IN ({}) FOR UPDATE",
        crate::rmt::catalog::placeholders(gone.len())
    );
    let mut tx = crate::db::call::begin(pool).await?;
    // Locked by primary key only: record locks, nothing else waits.
    let mut locked = sqlx::query_as::<_, (u64, u64)>(&select);
    for id in &gone {
        locked = locked.bind(id);
    }
    let locked = locked.fetch_all(&mut *tx).await?;
    let moved: u64 = locked.iter().map(|(_, changes)| changes).sum();
    let base = sqlx::query("UPDATE rmt_rs_catalog_changes SET changes = changes + ? WHERE connection_id = 0")
        .bind(moved)
        .execute(&mut *tx)
        .await?;
    if base.rows_affected() != 1 {
        return Ok(0); // not installed (being removed): dropping `tx` rolls back
    }
    let delete_sql = format!(
        "DELETE FROM rmt_rs_catalog_changes WHERE connection_id IN ({})",
        crate::rmt::catalog::placeholders(locked.len())
    );
    let mut delete = sqlx::query(&delete_sql);
    for (id, _) in &locked {
        delete = delete.bind(id);
    }
    // Only the rows whose counts were moved (a row may have gone meanwhile).
    if !locked.is_empty() {
        delete.execute(&mut *tx).await?;
    }
    crate::db::call::commit(tx).await?;
    Ok(locked.len())
}

#[cfg(test)]
mod tests {
    use super::closed_here;

    #[test]
    fn a_node_folds_its_own_closed_rows_and_an_earlier_installs_never_another_nodes() {
        let (here, there) = (0xabcd_u64, 0x1234_u64);
        let live = [7_u64];
        assert!(closed_here((here << 32) | 8, here, &live), "this node's, closed");
        assert!(!closed_here((here << 32) | 7, here, &live), "this node's, live");
        assert!(!closed_here((there << 32) | 8, here, &live), "another node's");
        assert!(closed_here(8, here, &live), "an earlier install's, closed");
        assert!(!closed_here(7, here, &live), "an earlier install's, live");
    }
}
