//! The shipped schema must be RMT 2.28's for every table the registration path
//! touches: compared as MariaDB itself reports both.

mod support;

use std::collections::BTreeMap;

const REGISTRATION_TABLES: [&str; 14] = [
    "systems",
    "deregistered_systems",
    "profiles",
    "system_profiles",
    "system_uptimes",
    "activations",
    "products",
    "services",
    "repositories",
    "repositories_services",
    "products_extensions",
    "product_predecessors",
    "subscriptions",
    "subscription_product_classes",
];

/// `CREATE TABLE` statements of the reference dump, by table name.
fn reference_tables() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(support::repo_root().join("tests/fixtures/rmt-2.28-schema.reference.sql")).unwrap();
    text.split(";\n")
        .filter_map(|stmt| {
            let stmt = stmt.trim();
            let rest = stmt.strip_prefix("CREATE TABLE `")?;
            let name = rest.split('`').next()?.to_string();
            Some((name, stmt.to_string()))
        })
        .collect()
}

#[tokio::test]
async fn shipped_schema_matches_rmt_for_registration_tables() {
    let config = support::fresh_database("schema_parity").await;
    let pool = support::pool(&config).await;
    let reference = reference_tables();
    let mut mismatches = Vec::new();
    for table in REGISTRATION_TABLES {
        let (_, ours): (String, String) =
            sqlx::query_as(&format!("SHOW CREATE TABLE {table}")).fetch_one(&pool).await.unwrap();
        let theirs = reference.get(table).unwrap_or_else(|| panic!("{table} missing from the reference"));
        if ours.trim() != theirs.trim() {
            mismatches.push(format!("--- {table}: ours\n{ours}\n--- RMT 2.28\n{theirs}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
