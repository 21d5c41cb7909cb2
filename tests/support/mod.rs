//! Test databases on the project's private MariaDB (script/mariadb), one fresh
//! database per test so tests run in parallel without seeing each other's rows.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rmt_rs_core::{Caller, ConnectRequest, DatabaseConfig, Value};
use sqlx::mysql::MySqlPool;
use sqlx::Executor;

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The private server's socket, starting the server if it is not running.
pub fn socket() -> &'static str {
    static SOCKET: OnceLock<String> = OnceLock::new();
    SOCKET.get_or_init(|| {
        if let Ok(socket) = std::env::var("RMT_RS_DB_SOCKET") {
            return socket;
        }
        let status = Command::new(repo_root().join("script/mariadb")).arg("start").status().expect("script/mariadb");
        assert!(status.success(), "script/mariadb start failed");
        let dir = std::env::var("RMT_RS_DB_DIR").map(PathBuf::from).unwrap_or_else(|_| repo_root().join("tmp/mariadb"));
        dir.join("mysqld.sock").to_string_lossy().into_owned()
    })
}

pub fn config(database: &str) -> DatabaseConfig {
    let mut config = DatabaseConfig::new(database);
    config.socket = Some(socket().to_string());
    config.username = Some("root".into());
    config
}

/// Creates (or re-creates) `rmt_rs_test_<name>` with the shipped schema.
pub async fn fresh_database(name: &str) -> DatabaseConfig {
    let admin = MySqlPool::connect_with(config("mysql").connect_options()).await.expect("connect as root");
    let database = format!("rmt_rs_test_{name}");
    admin.execute(format!("DROP DATABASE IF EXISTS {database}").as_str()).await.unwrap();
    admin.execute(format!("CREATE DATABASE {database}").as_str()).await.unwrap();
    admin.close().await;
    let config = config(&database);
    let pool = MySqlPool::connect_with(config.connect_options()).await.unwrap();
    let schema = std::fs::read_to_string(repo_root().join("db/schema.sql")).unwrap();
    sqlx::raw_sql(&schema).execute(&pool).await.expect("load db/schema.sql");
    pool.close().await;
    config
}

/// A pool configured exactly as RmtRs configures its own.
pub async fn pool(config: &DatabaseConfig) -> MySqlPool {
    config.pool_options().connect_with(config.connect_options()).await.expect("pool")
}

/// A stored profile, as an earlier registration left it.
pub async fn insert_profile<'c>(db: impl sqlx::MySqlExecutor<'c>, profile_type: &str, identifier: &str, data: &str) {
    sqlx::query(
        "INSERT INTO profiles (profile_type, identifier, data, created_at, updated_at) VALUES (?, ?, ?, NOW(6), NOW(6))",
    )
    .bind(profile_type)
    .bind(identifier)
    .bind(data)
    .execute(db)
    .await
    .unwrap();
}

pub async fn count(pool: &MySqlPool, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(pool).await.unwrap();
    n
}

/// How many statements other sessions run on `database` right now.
pub async fn running_statements(pool: &MySqlPool, database: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND IN ('Query', 'Execute') AND ID <> CONNECTION_ID()",
    )
    .bind(database)
    .fetch_one(pool)
    .await
    .unwrap();
    n
}

/// Waits (10 s at most) until `n` statements run on `database`: blocked ones,
/// when the test holds what they need.
pub async fn until_blocked(pool: &MySqlPool, database: &str, n: i64) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while running_statements(pool, database).await < n {
        assert!(std::time::Instant::now() < until, "{n} blocked statements never came");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A session holding the end of `table` (REPEATABLE READ takes the gap after
/// its last row): inserts into it wait until the session ends its
/// transaction (`ROLLBACK`).
pub async fn hold_end_of(config: &DatabaseConfig, table: &str) -> sqlx::MySqlConnection {
    use sqlx::Connection;
    let mut gate = sqlx::MySqlConnection::connect_with(&config.connect_options()).await.unwrap();
    sqlx::query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut gate).await.unwrap();
    sqlx::query("BEGIN").execute(&mut gate).await.unwrap();
    sqlx::query(&format!("SELECT id FROM {table} WHERE id > 0 FOR UPDATE")).execute(&mut gate).await.unwrap();
    gate
}

/// A small catalog: a base product, a module under it (both with a mirrored
/// repository), a product without repositories.
pub const CATALOG: &str = "
INSERT INTO products (id, name, identifier, version, arch, product_type, free, friendly_version) VALUES
  (1, 'Base OS', 'base-os', '15.6', 'x86_64', 'base', 0, '15 SP6'),
  (2, 'Tools Module', 'tools', '15.6', 'x86_64', 'module', 1, '15 SP6'),
  (3, 'Bare', 'bare', '15.6', 'x86_64', 'module', 1, '15 SP6');
INSERT INTO products_extensions (product_id, extension_id, recommended, root_product_id) VALUES (1, 2, 1, 1);
INSERT INTO services (id, product_id, created_at, updated_at) VALUES (1, 1, NOW(), NOW()), (2, 2, NOW(), NOW());
INSERT INTO repositories (id, scc_id, name, enabled, external_url, mirroring_enabled, local_path, last_mirrored_at)
  VALUES (10, 110, 'base-pool', 1, 'https://x/base', 1, '/base/', NOW()),
         (20, 120, 'tools-pool', 1, 'https://x/tools', 1, '/tools/', NOW());
INSERT INTO repositories_services (repository_id, service_id) VALUES (10, 1), (20, 2);
";

/// A products request of `caller` for `identifier` 15.6 x86_64, as SUSEConnect sends it.
pub fn product_request(caller: &Caller, identifier: &str) -> ConnectRequest {
    let text = |s: &str| Value::String(s.into());
    ConnectRequest {
        caller: caller.clone(),
        params: vec![
            ("identifier".into(), text(identifier)),
            ("version".into(), text("15.6")),
            ("arch".into(), text("x86_64")),
        ],
        base_url: "http://rmt.test".into(),
        ..ConnectRequest::default()
    }
}
