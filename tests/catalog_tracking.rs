//! Catalog tracking (db/catalog_tracking.sql) against a real MariaDB: RMT's
//! catalog writers (sync, mirror) touching disjoint rows must not wait on each
//! other because of it, and a cached product tree must still never be served
//! after a catalog change has committed.

mod support;

use std::time::Duration;

use rmt_rs_core::endpoints::products;
use rmt_rs_core::rmt::catalog_cache::{self, CatalogCache};
use rmt_rs_core::{announce_system, AnnounceRequest, Caller, ConnectRequest, DatabaseConfig};
use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::{Connection, Executor};

/// The old design's install (one shared counter row), as deployed before.
const OLD_INSTALL: &str = include_str!("fixtures/catalog_tracking_v1.sql");

async fn tracked_catalog(name: &str) -> (DatabaseConfig, MySqlPool) {
    let config = support::fresh_database(name).await;
    let pool = support::pool(&config).await;
    sqlx::raw_sql(support::CATALOG).execute(&pool).await.expect("catalog");
    catalog_cache::install_tracking(&pool).await.expect("install tracking");
    (config, pool)
}

/// A connection as RMT's own: MariaDB's default REPEATABLE READ (Rails keeps
/// it), with a short lock wait so a blocked statement shows as error 1205.
async fn rmt_connection(config: &DatabaseConfig) -> MySqlConnection {
    let mut conn = MySqlConnection::connect_with(&config.connect_options()).await.expect("connect");
    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    conn.execute("SET SESSION innodb_lock_wait_timeout = 2").await.unwrap();
    conn
}

async fn exec(conn: &mut MySqlConnection, sql: &str) -> Result<(), Option<u16>> {
    conn.execute(sql).await.map(|_| ()).map_err(|e| rmt_rs_core::Error::mariadb_code(&e))
}

async fn system(pool: &MySqlPool) -> Caller {
    let announced = announce_system(pool, &AnnounceRequest::default()).await.unwrap();
    Caller { login: announced.login, password: Some(announced.password), ..Caller::default() }
}

fn request(caller: &Caller) -> ConnectRequest {
    support::product_request(caller, "base-os")
}

fn module_name(answer: &rmt_rs_core::Answer) -> String {
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    body["extensions"][0]["name"].as_str().unwrap().to_string()
}

async fn triggers(pool: &MySqlPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn tables(pool: &MySqlPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_NAME LIKE 'rmt\\_rs\\_%' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

// The mirror stamps repository 10 in one transaction (held open) while a sync
// updates repository 20 and product 2 in another: disjoint rows, so the second
// must not wait for the first. With one shared version row it waited until
// its lock wait timeout (1205).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_changing_disjoint_catalog_rows_do_not_wait_on_each_other() {
    let (config, _pool) = tracked_catalog("tracking_disjoint").await;
    // The sync connects first, so its row (new) goes into the gap before the
    // mirror's (already there, locked): the case a gap lock would block.
    let mut sync = rmt_connection(&config).await;
    let mut mirror = rmt_connection(&config).await;
    exec(&mut mirror, "UPDATE repositories SET last_mirrored_at = NOW() WHERE id = 10").await.unwrap();

    exec(&mut mirror, "BEGIN").await.unwrap();
    exec(&mut mirror, "UPDATE repositories SET last_mirrored_at = NOW() + INTERVAL 1 SECOND WHERE id = 10")
        .await
        .unwrap();

    exec(&mut sync, "BEGIN").await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(exec(&mut sync, "UPDATE repositories SET name = 'tools-pool-2' WHERE id = 20").await, Ok(()));
    assert_eq!(exec(&mut sync, "UPDATE products SET name = 'Tools 2' WHERE id = 2").await, Ok(()));
    let new_product =
        "INSERT INTO products (id, name, identifier, version, arch, product_type, free, friendly_version) \
                       VALUES (4, 'New', 'new', '15.6', 'x86_64', 'module', 1, '15 SP6')";
    assert_eq!(exec(&mut sync, new_product).await, Ok(()));
    assert!(started.elapsed() < Duration::from_secs(1), "the sync waited {:?}", started.elapsed());
    assert_eq!(exec(&mut sync, "COMMIT").await, Ok(()));
    assert_eq!(exec(&mut mirror, "COMMIT").await, Ok(()));
}

// Each transaction changes its own catalog row and then the other's system
// row (not catalog): without tracking the second simply waits for the first.
// With one shared version row the first change of each already queued them
// on that row, and the crossing made a deadlock (1213).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossing_transactions_on_disjoint_catalog_rows_do_not_deadlock() {
    let (config, pool) = tracked_catalog("tracking_deadlock").await;
    let first_system = system(&pool).await;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM systems WHERE login = ?")
        .bind(&first_system.login)
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut one = rmt_connection(&config).await;
    let mut two = rmt_connection(&config).await;

    exec(&mut one, "BEGIN").await.unwrap();
    exec(&mut one, "UPDATE repositories SET last_mirrored_at = NOW() + INTERVAL 1 SECOND WHERE id = 10").await.unwrap();
    exec(&mut two, "BEGIN").await.unwrap();
    exec(&mut two, &format!("UPDATE systems SET hostname = 'two' WHERE id = {id}")).await.unwrap();
    let second = tokio::spawn(async move {
        let changed = exec(&mut two, "UPDATE repositories SET name = 'tools-pool-2' WHERE id = 20").await;
        let committed = exec(&mut two, "COMMIT").await;
        (changed, committed)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Waits for `two` to commit, which it can now.
    let crossed = exec(&mut one, &format!("UPDATE systems SET hostname = 'one' WHERE id = {id}")).await;
    let committed = exec(&mut one, "COMMIT").await;
    assert_eq!(second.await.unwrap(), (Ok(()), Ok(())));
    assert_eq!((crossed, committed), (Ok(()), Ok(())));
}

// The staleness guarantee with changes from several connections: every
// commit is seen by the very next request, whichever connection made it, and
// folding the rows of closed connections into one keeps the cached tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_change_is_seen_at_once_whichever_connection_made_it() {
    let (config, pool) = tracked_catalog("tracking_stale").await;
    let caller = system(&pool).await;
    let cache = CatalogCache::default();
    let request = request(&caller);
    products::activate(&pool, &CatalogCache::default(), &request).await.unwrap().into_answer().unwrap();
    let show = || products::show(&pool, &cache, &request);

    assert_eq!(module_name(&show().await.unwrap().into_answer().unwrap()), "Tools Module");
    for round in 0..3 {
        let mut writer = rmt_connection(&config).await;
        let name = format!("Tools {round}");
        sqlx::query("UPDATE products SET name = ? WHERE id = 2").bind(&name).execute(&mut writer).await.unwrap();
        assert_eq!(module_name(&show().await.unwrap().into_answer().unwrap()), name, "round {round}");
        // A change in an open transaction is not seen, nor is it cached over.
        exec(&mut writer, "BEGIN").await.unwrap();
        exec(&mut writer, "UPDATE products SET name = 'Uncommitted' WHERE id = 2").await.unwrap();
        assert_eq!(module_name(&show().await.unwrap().into_answer().unwrap()), name);
        exec(&mut writer, "COMMIT").await.unwrap();
        assert_eq!(module_name(&show().await.unwrap().into_answer().unwrap()), "Uncommitted");
        writer.close().await.unwrap();
    }
    let (hits, misses) = cache.stats();
    assert_eq!(misses, 7, "one miss for the first read and for each commit");

    // Folding closed connections' rows keeps the version, so the tree stays cached.
    catalog_cache::install_tracking(&pool).await.unwrap();
    assert_eq!(module_name(&show().await.unwrap().into_answer().unwrap()), "Uncommitted");
    assert_eq!(cache.stats(), (hits + 1, misses));
    sqlx::query("UPDATE products SET name = 'After compaction' WHERE id = 2").execute(&pool).await.unwrap();
    assert_eq!(module_name(&show().await.unwrap().into_answer().unwrap()), "After compaction");
}

// Rows of closed connections are folded into the base row, by the install
// and by RmtRs itself once a request found too many; the version is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_connections_rows_are_folded_away_keeping_the_version() {
    let (config, pool) = tracked_catalog("tracking_compact").await;
    let caller = system(&pool).await;
    let request = request(&caller);
    products::activate(&pool, &CatalogCache::default(), &request).await.unwrap().into_answer().unwrap();
    for round in 0..70 {
        let mut writer = rmt_connection(&config).await;
        sqlx::query("UPDATE repositories SET name = ? WHERE id = 20")
            .bind(format!("r{round}"))
            .execute(&mut writer)
            .await
            .unwrap();
        writer.close().await.unwrap();
    }
    let rows = || async { support::count(&pool, "rmt_rs_catalog_changes").await };
    let version = || async {
        let (v,): (u64,) = sqlx::query_as("SELECT CAST(SUM(changes) AS UNSIGNED) FROM rmt_rs_catalog_changes")
            .fetch_one(&pool)
            .await
            .unwrap();
        v
    };
    assert!(rows().await > 70);
    let before = version().await;

    let cache = CatalogCache::default();
    products::show(&pool, &cache, &request).await.unwrap().into_answer().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while rows().await > 10 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(rows().await <= 10, "{} rows left", rows().await);
    assert_eq!(version().await, before);
    products::show(&pool, &cache, &request).await.unwrap().into_answer().unwrap();
    assert_eq!(cache.stats(), (1, 1), "the tree read before the compaction is still current");
    assert_eq!(catalog_cache::compact(&pool).await, Ok(0));
}

// A database with the old design installed: installing again moves it to the
// new one (the old counter table goes, so processes still running the old code
// read every tree instead of a counter nobody bumps), twice is harmless, and
// uninstalling leaves neither tables nor triggers, with RMT's writes working.
#[tokio::test]
async fn install_migrates_the_old_counter_and_uninstall_removes_everything() {
    let config = support::fresh_database("tracking_migrate").await;
    let pool = support::pool(&config).await;
    sqlx::raw_sql(support::CATALOG).execute(&pool).await.unwrap();
    sqlx::raw_sql(OLD_INSTALL).execute(&pool).await.unwrap();
    sqlx::query("UPDATE products SET name = 'Old' WHERE id = 2").execute(&pool).await.unwrap();

    catalog_cache::install_tracking(&pool).await.unwrap();
    catalog_cache::install_tracking(&pool).await.unwrap();
    assert_eq!(tables(&pool).await, vec!["rmt_rs_catalog_changes".to_string()]);
    let installed = triggers(&pool).await;
    assert_eq!(installed.len(), 15);
    assert!(installed.iter().all(|name| name.starts_with("rmt_rs_catalog_")), "{installed:?}");

    let caller = system(&pool).await;
    products::activate(&pool, &CatalogCache::default(), &request(&caller)).await.unwrap().into_answer().unwrap();
    let cache = CatalogCache::default();
    assert_eq!(
        module_name(&products::show(&pool, &cache, &request(&caller)).await.unwrap().into_answer().unwrap()),
        "Old"
    );
    sqlx::query("UPDATE products SET name = 'New' WHERE id = 2").execute(&pool).await.unwrap();
    assert_eq!(
        module_name(&products::show(&pool, &cache, &request(&caller)).await.unwrap().into_answer().unwrap()),
        "New"
    );
    assert_eq!(cache.stats(), (0, 2));

    sqlx::raw_sql(include_str!("../db/catalog_tracking_uninstall.sql")).execute(&pool).await.unwrap();
    sqlx::raw_sql(include_str!("../db/catalog_tracking_uninstall.sql")).execute(&pool).await.unwrap();
    assert!(tables(&pool).await.is_empty());
    assert!(triggers(&pool).await.is_empty());
    sqlx::query("UPDATE products SET name = 'Untracked' WHERE id = 2").execute(&pool).await.unwrap();
    assert_eq!(
        module_name(&products::show(&pool, &cache, &request(&caller)).await.unwrap().into_answer().unwrap()),
        "Untracked"
    );

    // A new install counts on from above every version the cache may hold.
    catalog_cache::install_tracking(&pool).await.unwrap();
    assert_eq!(
        module_name(&products::show(&pool, &cache, &request(&caller)).await.unwrap().into_answer().unwrap()),
        "Untracked"
    );
    sqlx::query("UPDATE products SET name = 'Reinstalled' WHERE id = 2").execute(&pool).await.unwrap();
    assert_eq!(
        module_name(&products::show(&pool, &cache, &request(&caller)).await.unwrap().into_answer().unwrap()),
        "Reinstalled"
    );
}
