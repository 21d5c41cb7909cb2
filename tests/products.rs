//! Product activation and the product tree against a real MariaDB: a small
//! catalog (a base product, a module under it, a product without repositories).

mod support;

use rmt_rs_core::catalog_cache::CatalogCache;
use rmt_rs_core::products;
use rmt_rs_core::{announce_system, AnnounceRequest, Caller, ProductRequest, Value};
use sqlx::mysql::MySqlPool;

async fn catalog(name: &str) -> MySqlPool {
    let config = support::fresh_database(name).await;
    let pool = support::pool(&config).await;
    sqlx::raw_sql(support::CATALOG).execute(&pool).await.expect("catalog");
    pool
}

async fn system(pool: &MySqlPool) -> Caller {
    let announced = announce_system(pool, &AnnounceRequest::default()).await.unwrap();
    Caller { login: announced.login, password: Some(announced.password), ..Caller::default() }
}

fn request(caller: &Caller, identifier: &str) -> ProductRequest {
    let text = |s: &str| Value::String(s.into());
    ProductRequest {
        caller: caller.clone(),
        params: vec![
            ("identifier".into(), text(identifier)),
            ("version".into(), text("15.6")),
            ("arch".into(), text("x86_64")),
        ],
        base_url: "http://rmt.test".into(),
    }
}

/// Each call with its own empty cache (see the cache test for a shared one).
async fn activate(pool: &MySqlPool, request: &ProductRequest) -> rmt_rs_core::Result<rmt_rs_core::Answer> {
    products::activate(pool, &CatalogCache::default(), request).await
}

async fn show(pool: &MySqlPool, request: &ProductRequest) -> rmt_rs_core::Result<rmt_rs_core::Answer> {
    products::show(pool, &CatalogCache::default(), request).await
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).expect("JSON body")
}

#[tokio::test]
async fn activates_the_base_product_then_its_module() {
    let pool = catalog("products_activate").await;
    let caller = system(&pool).await;
    let answer = activate(&pool, &request(&caller, "base-os")).await.unwrap();
    assert_eq!(answer.status, 201);
    let body = json(&answer.body);
    assert_eq!(body["name"], "Base_OS_x86_64");
    assert_eq!(body["url"], "http://rmt.test/services/1?credentials=Base_OS_x86_64");
    assert_eq!(body["product"]["repositories"][0]["url"], "http://rmt.test/repo/base/");
    assert_eq!(body["product"]["extensions"][0]["identifier"], "tools");
    assert_eq!(body["product"]["extensions"][0]["recommended"], true);
    assert_eq!(answer.system_token, None, "no token for a client that sent none");

    assert_eq!(activate(&pool, &request(&caller, "tools")).await.unwrap().status, 201);
    assert_eq!(support::count(&pool, "activations").await, 2);
    let shown = show(&pool, &request(&caller, "base-os")).await.unwrap();
    assert_eq!((shown.status, json(&shown.body)["identifier"].clone()), (200, "base-os".into()));
}

#[tokio::test]
async fn refuses_with_rmts_statuses_and_keeps_nothing_of_the_refused_activation() {
    let pool = catalog("products_refuse").await;
    let caller = system(&pool).await;
    let error =
        |answer: rmt_rs_core::Answer| (answer.status, json(&answer.body)["error"].as_str().unwrap().to_string());

    let stranger = Caller { login: "SCC_x".into(), password: Some("y".into()), ..Caller::default() };
    assert_eq!(
        error(activate(&pool, &request(&stranger, "base-os")).await.unwrap()),
        (401, "Invalid system credentials".into())
    );
    assert_eq!(error(activate(&pool, &request(&caller, "nope")).await.unwrap()), (422, "No product found".into()));
    assert_eq!(
        error(activate(&pool, &request(&caller, "bare")).await.unwrap()),
        (422, "No repositories found for product: Bare 15 SP6 x86_64".into())
    );
    assert_eq!(
        error(activate(&pool, &request(&caller, "tools")).await.unwrap()),
        (422, "The product you are attempting to activate (Tools Module 15 SP6 x86_64) requires one of these products to be activated first: Base OS 15 SP6 x86_64".into())
    );
    assert_eq!(support::count(&pool, "activations").await, 0);
}

#[tokio::test]
async fn a_token_client_gets_a_fresh_token_and_a_copied_machine_becomes_a_second_system() {
    let pool = catalog("products_tokens").await;
    let mut caller = system(&pool).await;
    caller.system_token = Some(String::new());
    let first = activate(&pool, &request(&caller, "base-os")).await.unwrap();
    let token = first.system_token.expect("a new token");
    assert_eq!(token.len(), 36);

    caller.system_token = Some(token);
    activate(&pool, &request(&caller, "tools")).await.unwrap();
    assert_eq!(support::count(&pool, "systems").await, 1);

    caller.system_token = Some("another-machine".into());
    assert_eq!(activate(&pool, &request(&caller, "tools")).await.unwrap().status, 201);
    assert_eq!(support::count(&pool, "systems").await, 2);
    assert_eq!(support::count(&pool, "activations").await, 4, "the copy takes the activations along");
}

async fn open_connections(pool: &MySqlPool) -> Vec<sqlx::pool::PoolConnection<sqlx::MySql>> {
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            tokio::spawn({
                let pool = pool.clone();
                async move { pool.acquire().await.unwrap() }
            })
        })
        .collect();
    let mut held = Vec::new();
    for task in tasks {
        held.push(task.await.unwrap());
    }
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_activations_of_one_product_leave_one_row_and_all_succeed() {
    let pool = catalog("products_race").await;
    let caller = system(&pool).await;
    // A recent `last_seen_at` means no request locks the system row, so the
    // activations really race to the insert.
    activate(&pool, &request(&caller, "nope")).await.unwrap();
    // Open the pool's connections first, so no task gets a head start while
    // the others are still connecting.
    drop(open_connections(&pool).await);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (pool, request) = (pool.clone(), request(&caller, "base-os"));
            tokio::spawn(async move { activate(&pool, &request).await.map(|a| a.status) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Ok(201));
    }
    assert_eq!(support::count(&pool, "activations").await, 1);
}

#[tokio::test]
async fn cached_trees_are_never_served_after_the_catalog_changes() {
    let pool = catalog("products_cache").await;
    let caller = system(&pool).await;
    let cache = CatalogCache::default();
    let tools_name =
        |answer: rmt_rs_core::Answer| json(&answer.body)["extensions"][0]["name"].as_str().unwrap().to_string();

    // Without tracking installed nothing is cached.
    products::activate(&pool, &cache, &request(&caller, "base-os")).await.unwrap();
    assert_eq!(cache.stats(), (0, 0));

    rmt_rs_core::catalog_cache::install_tracking(&pool).await.unwrap();
    let first = products::show(&pool, &cache, &request(&caller, "base-os")).await.unwrap();
    let second = products::show(&pool, &cache, &request(&caller, "base-os")).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(cache.stats(), (1, 1));

    // A sync renames the module and disables mirroring of its repository: the
    // very next answer shows both.
    sqlx::query("UPDATE products SET name = 'Renamed Module' WHERE id = 2").execute(&pool).await.unwrap();
    let renamed = products::show(&pool, &cache, &request(&caller, "base-os")).await.unwrap();
    assert_eq!(tools_name(renamed), "Renamed Module");
    sqlx::query("UPDATE repositories SET mirroring_enabled = 0 WHERE id = 20").execute(&pool).await.unwrap();
    let unmirrored = products::show(&pool, &cache, &request(&caller, "base-os")).await.unwrap();
    assert_eq!(json(&unmirrored.body)["extensions"][0]["available"], false);
    assert_eq!(cache.stats(), (1, 3));

    // Installing twice is harmless.
    rmt_rs_core::catalog_cache::install_tracking(&pool).await.unwrap();
}
