//! Migration paths against a real MariaDB: the test catalog (base-os 15.6
//! with its tools module) plus their 15.5 predecessors, online.

mod support;

use rmt_rs_core::endpoints::products;
use rmt_rs_core::rmt::catalog_cache::CatalogCache;
use rmt_rs_core::rmt::migration_paths::Kind;
use rmt_rs_core::{announce_system, AnnounceRequest, Caller, ConnectRequest, Value};
use sqlx::mysql::MySqlPool;

const SERVICE_PACK_5: &str = "
INSERT INTO products (id, name, identifier, version, arch, product_type, free, friendly_version) VALUES
  (4, 'Base OS', 'base-os', '15.5', 'x86_64', 'base', 0, '15 SP5'),
  (5, 'Tools Module', 'tools', '15.5', 'x86_64', 'module', 1, '15 SP5');
INSERT INTO products_extensions (product_id, extension_id, recommended, root_product_id) VALUES (4, 5, 1, 4);
INSERT INTO product_predecessors (product_id, predecessor_id, kind) VALUES (1, 4, 0), (2, 5, 0);
INSERT INTO services (id, product_id, created_at, updated_at) VALUES (4, 4, NOW(), NOW()), (5, 5, NOW(), NOW());
INSERT INTO repositories (id, scc_id, name, enabled, external_url, mirroring_enabled, local_path, last_mirrored_at)
  VALUES (40, 140, 'base-pool-sp5', 1, 'https://x/base5', 1, '/base5/', NOW()),
         (50, 150, 'tools-pool-sp5', 1, 'https://x/tools5', 1, '/tools5/', NOW());
INSERT INTO repositories_services (repository_id, service_id) VALUES (40, 4), (50, 5);
";

async fn catalog(name: &str) -> MySqlPool {
    let pool = support::pool(&support::fresh_database(name).await).await;
    sqlx::raw_sql(support::CATALOG).execute(&pool).await.expect("catalog");
    sqlx::raw_sql(SERVICE_PACK_5).execute(&pool).await.expect("service pack 5");
    pool
}

fn listed(identifier: &str, version: &str) -> Value {
    let text = |s: &str| Value::String(s.into());
    Value::object([
        ("identifier".to_string(), text(identifier)),
        ("version".to_string(), text(version)),
        ("arch".to_string(), text("x86_64")),
    ])
}

/// A system with base-os and tools 15.5 activated.
async fn service_pack_5_system(pool: &MySqlPool) -> Caller {
    let announced = announce_system(pool, &AnnounceRequest::default()).await.unwrap();
    let caller = Caller { login: announced.login, password: Some(announced.password), ..Caller::default() };
    for identifier in ["base-os", "tools"] {
        let mut request = support::product_request(&caller, identifier);
        request.params[1].1 = Value::String("15.5".into());
        let answer = products::activate(pool, &CatalogCache::default(), &request).await.unwrap().into_answer();
        assert_eq!(answer.map(|a| a.status), Some(201));
    }
    caller
}

async fn migrations(pool: &MySqlPool, caller: &Caller, installed: Vec<Value>) -> (u16, serde_json::Value) {
    let request = ConnectRequest {
        caller: caller.clone(),
        params: vec![("installed_products".into(), Value::Array(installed))],
        ..ConnectRequest::default()
    };
    let outcome = products::migrations(pool, &CatalogCache::default(), &request, Kind::Online).await.unwrap();
    let answer = outcome.into_answer().expect("an answer");
    (answer.status, serde_json::from_str(&answer.body).expect("JSON"))
}

#[tokio::test]
async fn offers_the_next_service_pack_with_the_modules_successors_and_writes_no_activation() {
    let pool = catalog("migrations_online").await;
    let caller = service_pack_5_system(&pool).await;
    let (status, body) = migrations(&pool, &caller, vec![listed("base-os", "15.5"), listed("tools", "15.5-0")]).await;
    assert_eq!(status, 200);
    let names: Vec<Vec<String>> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|path| path.as_array().unwrap().iter().map(|p| format!("{}/{}", p["identifier"], p["version"])).collect())
        .collect();
    assert_eq!(names, vec![vec![r#""base-os"/"15.6""#, r#""tools"/"15.6""#]]);
    assert_eq!(body[0][0]["base"], true);
    assert_eq!(body[0][1]["available"], true);
    assert_eq!(support::count(&pool, "activations").await, 2);
}

#[tokio::test]
async fn refuses_products_the_system_has_not_activated() {
    let pool = catalog("migrations_refused").await;
    let caller = service_pack_5_system(&pool).await;
    let (status, body) = migrations(&pool, &caller, vec![listed("base-os", "15.6")]).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "The requested products 'Base OS 15 SP6 x86_64' are not activated on the system.");
    let (status, body) = migrations(&pool, &caller, vec![listed("tools", "15.5")]).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("No base product found.")));
}
