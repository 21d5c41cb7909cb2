//! API v4's product listings against a real MariaDB: the test catalog with a
//! product class for its base product, a subscription for it, and an
//! installer-update repository.

mod support;

use rmt_rs_core::endpoints::listings::{self, ListingRequest};
use rmt_rs_core::rmt::catalog_cache::CatalogCache;
use rmt_rs_core::Value;
use sqlx::mysql::MySqlPool;

const LISTINGS: &str = "
UPDATE products SET product_class = 'BASE-OS' WHERE id = 1;
UPDATE repositories SET installer_updates = 1 WHERE id = 10;
INSERT INTO subscriptions (id, regcode, name, kind, status, system_limit, systems_count, created_at, updated_at)
  VALUES (1, 'GOOD-CODE', 'Base OS', 'full', 'ACTIVE', 10, 0, NOW(), NOW()),
         (2, 'NEW-CODE', 'Base OS', 'full', 'NOTACTIVATED', 10, 0, NOW(), NOW());
INSERT INTO subscription_product_classes (subscription_id, product_class) VALUES (1, 'BASE-OS'), (2, 'BASE-OS');
";

async fn catalog(name: &str) -> MySqlPool {
    let pool = support::pool(&support::fresh_database(name).await).await;
    sqlx::raw_sql(support::CATALOG).execute(&pool).await.expect("catalog");
    sqlx::raw_sql(LISTINGS).execute(&pool).await.expect("listings");
    pool
}

fn request(fields: &[(&str, &str)]) -> ListingRequest {
    ListingRequest {
        params: fields.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect(),
        base_url: "http://rmt.test".into(),
        ..ListingRequest::default()
    }
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).expect("JSON body")
}

#[tokio::test]
async fn lists_a_codes_products_and_refuses_codes_rmt_refuses_without_logging_them() {
    let pool = catalog("listings_subscription").await;
    let cache = CatalogCache::default();
    let listed = listings::subscription_products(&pool, &cache, "GOOD-CODE", &request(&[])).await.unwrap();
    assert_eq!(listed.status, 200);
    let body = json(&listed.body);
    assert_eq!(body.as_array().map(|list| list.len()), Some(1));
    assert_eq!(body[0]["identifier"], "base-os");
    assert_eq!(body[0]["extensions"][0]["identifier"], "tools");
    let narrowed = request(&[("identifier", "tools")]);
    let none = listings::subscription_products(&pool, &cache, "GOOD-CODE", &narrowed).await.unwrap();
    assert_eq!(none.body, "[]");

    for (code, message) in [
        ("BAD-CODE", "Unknown Registration Code."),
        ("NEW-CODE", "Not yet activated Registration Code. Visit https://scc.suse.com to activate it."),
    ] {
        let refused = listings::subscription_products(&pool, &cache, code, &request(&[])).await.unwrap();
        assert_eq!((refused.status, json(&refused.body)["error"].as_str()), (401, Some(message)));
        assert!(refused.log.iter().all(|(_, line)| !line.contains(code)), "{:?}", refused.log);
    }
}

#[tokio::test]
async fn lists_installer_updates_and_names_an_unknown_product_as_rmt_does() {
    let pool = catalog("listings_installer").await;
    let found = request(&[("identifier", "base-os"), ("version", "15.6-0"), ("arch", "x86_64")]);
    let answer = listings::installer_repositories(&pool, &found).await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(json(&answer.body)[0]["url"], "http://rmt.test/repo/base/");

    let unknown = request(&[("identifier", "nope"), ("version", "15-0"), ("arch", "x86_64")]);
    let answer = listings::installer_repositories(&pool, &unknown).await.unwrap();
    assert_eq!(json(&answer.body)["error"], "No product found on RMT for: nope 15-0 15 x86_64");
    let answer = listings::installer_repositories(&pool, &request(&[("arch", "x86_64")])).await.unwrap();
    assert_eq!(json(&answer.body)["error"], "Required parameters are missing or empty: identifier, version");
}
