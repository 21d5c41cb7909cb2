//! Product activation and the product tree against a real MariaDB: a small
//! catalog (a base product, a module under it, a product without repositories).

mod support;

use rmt_rs_core::db::faults::{with_commit_faults, CommitFault};
use rmt_rs_core::endpoints::products;
use rmt_rs_core::rmt::catalog_cache::CatalogCache;
use std::sync::Arc;
use std::time::Duration;

use rmt_rs_core::{announce_system, AnnounceRequest, Caller, Cancel, ConnectRequest, Engine, Error};
use sqlx::mysql::MySqlPool;
use sqlx::Connection;

async fn catalog(name: &str) -> MySqlPool {
    let config = support::fresh_database(name).await;
    catalog_in(&config).await
}

async fn catalog_in(config: &rmt_rs_core::DatabaseConfig) -> MySqlPool {
    let pool = support::pool(config).await;
    sqlx::raw_sql(support::CATALOG).execute(&pool).await.expect("catalog");
    pool
}

async fn system(pool: &MySqlPool) -> Caller {
    let announced = announce_system(pool, &AnnounceRequest::default()).await.unwrap();
    Caller { login: announced.login, password: Some(announced.password), ..Caller::default() }
}

/// A system whose client uses tokens (sends `System-Token`, empty at first).
async fn token_client(pool: &MySqlPool) -> Caller {
    Caller { system_token: Some(String::new()), ..system(pool).await }
}

fn request(caller: &Caller, identifier: &str) -> ConnectRequest {
    support::product_request(caller, identifier)
}

/// Each call with its own empty cache (see the cache test for a shared one).
async fn activate(pool: &MySqlPool, request: &ConnectRequest) -> rmt_rs_core::Result<rmt_rs_core::Answer> {
    products::activate(pool, &CatalogCache::default(), request).await.map(answer)
}

async fn show(pool: &MySqlPool, request: &ConnectRequest) -> rmt_rs_core::Result<rmt_rs_core::Answer> {
    products::show(pool, &CatalogCache::default(), request).await.map(answer)
}

fn answer(outcome: rmt_rs_core::Outcome) -> rmt_rs_core::Answer {
    outcome.into_answer().expect("an answer")
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
    let mut caller = token_client(&pool).await;
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
    products::activate(&pool, &cache, &request(&caller, "base-os")).await.unwrap().into_answer().unwrap();
    assert_eq!(cache.stats(), (0, 0));

    rmt_rs_core::rmt::catalog_cache::install_tracking(&pool).await.unwrap();
    let first = products::show(&pool, &cache, &request(&caller, "base-os")).await.unwrap().into_answer().unwrap();
    let second = products::show(&pool, &cache, &request(&caller, "base-os")).await.unwrap().into_answer().unwrap();
    assert_eq!(first, second);
    assert_eq!(cache.stats(), (1, 1));

    // A sync renames the module and disables mirroring of its repository: the
    // very next answer shows both.
    sqlx::query("UPDATE products SET name = 'Renamed Module' WHERE id = 2").execute(&pool).await.unwrap();
    let renamed = products::show(&pool, &cache, &request(&caller, "base-os")).await.unwrap().into_answer().unwrap();
    assert_eq!(tools_name(renamed), "Renamed Module");
    sqlx::query("UPDATE repositories SET mirroring_enabled = 0 WHERE id = 20").execute(&pool).await.unwrap();
    let unmirrored = products::show(&pool, &cache, &request(&caller, "base-os")).await.unwrap().into_answer().unwrap();
    assert_eq!(json(&unmirrored.body)["extensions"][0]["available"], false);
    assert_eq!(cache.stats(), (1, 3));

    // Installing twice is harmless.
    rmt_rs_core::rmt::catalog_cache::install_tracking(&pool).await.unwrap();
}

async fn stored_token(pool: &MySqlPool, login: &str) -> Option<String> {
    let (token,): (Option<String>,) =
        sqlx::query_as("SELECT system_token FROM systems WHERE login = ? ORDER BY id LIMIT 1")
            .bind(login)
            .fetch_one(pool)
            .await
            .unwrap();
    token
}

/// The system deregistered while its activation runs (between authentication
/// and the activation's insert): RMT's `handle_invalid_foreign_key` answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_activation_of_a_system_deleted_meanwhile_answers_as_rmt() {
    let config = support::fresh_database("products_fk").await;
    let pool = catalog_in(&config).await;
    let caller = system(&pool).await;
    // A recent `last_seen_at`: authentication then writes nothing, so the
    // system row stays free for the delete.
    activate(&pool, &request(&caller, "nope")).await.unwrap();
    let (system_id,): (i64,) = sqlx::query_as("SELECT id FROM systems").fetch_one(&pool).await.unwrap();

    // Holding the end of `activations` stops the activation at its insert.
    let mut gate = support::hold_end_of(&config, "activations").await;
    let activating = {
        let (pool, request) = (pool.clone(), request(&caller, "base-os"));
        tokio::spawn(async move { activate(&pool, &request).await })
    };
    support::until_blocked(&pool, &config.database, 1).await;
    sqlx::query("DELETE FROM systems WHERE id = ?").bind(system_id).execute(&pool).await.unwrap();
    sqlx::query("ROLLBACK").execute(&mut gate).await.unwrap();

    let answer = activating.await.unwrap().expect("an answer, not an error");
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (422, r#"{"errors":"The system is not valid or no longer exists"}"#)
    );
    assert_eq!(support::count(&pool, "activations").await, 0);
}

/// MariaDB's answer to the activation's COMMIT is lost although it was
/// written: the client gets the token that was stored, so its next request
/// authenticates instead of registering a duplicate.
#[tokio::test]
async fn an_activation_whose_commit_answer_is_lost_is_answered_with_the_stored_token() {
    let pool = catalog("products_lost_commit").await;
    let mut caller = token_client(&pool).await;
    let answer = with_commit_faults([CommitFault::LostAfterWriting], activate(&pool, &request(&caller, "base-os")))
        .await
        .expect("written: answered as written");
    assert_eq!(answer.status, 201);
    let token = answer.system_token.expect("the new token");
    assert_eq!(stored_token(&pool, &caller.login).await.as_deref(), Some(token.as_str()));
    assert_eq!(support::count(&pool, "activations").await, 1);

    caller.system_token = Some(token);
    assert_eq!(activate(&pool, &request(&caller, "tools")).await.unwrap().status, 201);
    assert_eq!(support::count(&pool, "systems").await, 1, "no duplicate system");
}

/// Lost before it was carried out: run again, rotating the token once.
#[tokio::test]
async fn an_activation_whose_commit_is_lost_unwritten_runs_again() {
    let pool = catalog("products_lost_unwritten").await;
    let mut caller = token_client(&pool).await;
    let faults = [CommitFault::LostBeforeWriting, CommitFault::LostBeforeWriting];
    let answer = with_commit_faults(faults, activate(&pool, &request(&caller, "base-os"))).await.unwrap();
    assert_eq!(answer.status, 201);
    assert_eq!(stored_token(&pool, &caller.login).await, answer.system_token);
    assert_eq!(support::count(&pool, "activations").await, 1);
    assert_eq!(support::count(&pool, "systems").await, 1);

    // A client without tokens: run again too, the activation written once.
    caller.system_token = None;
    let answer =
        with_commit_faults([CommitFault::LostAfterWriting], activate(&pool, &request(&caller, "tools"))).await.unwrap();
    assert_eq!((answer.status, answer.system_token), (201, None));
    assert_eq!(support::count(&pool, "activations").await, 2);
}

/// A deadlock reported at COMMIT (Galera's certification conflict) is run
/// again whole, as one reported by a statement is.
#[tokio::test]
async fn a_deadlock_at_commit_is_retried() {
    let pool = catalog("products_commit_deadlock").await;
    let caller = token_client(&pool).await;
    let faults = [CommitFault::Deadlock, CommitFault::Deadlock];
    let answer = with_commit_faults(faults, activate(&pool, &request(&caller, "base-os"))).await.expect("retried");
    assert_eq!(answer.status, 201);
    assert_eq!(stored_token(&pool, &caller.login).await, answer.system_token);
    assert_eq!(support::count(&pool, "activations").await, 1);
}

/// The user agent write changes the value of `user_agent` and no other byte
/// of the stored hwinfo; stored text that is not an object is left alone.
#[tokio::test]
async fn the_user_agent_write_keeps_every_other_stored_byte() {
    let pool = catalog("products_user_agent").await;
    let mut caller = system(&pool).await;
    caller.user_agent = Some("SUSEConnect/1.14.0".into());
    let stored = r#"{"cpus":2,"huge":340282366920938463463374607431768211456,"neg":-18446744073709551617,"f":1.50,"e":1e3,"user_agent":"old","s":"\u00e9"}"#;
    sqlx::query("UPDATE systems SET system_information = ?").bind(stored).execute(&pool).await.unwrap();
    assert_eq!(activate(&pool, &request(&caller, "base-os")).await.unwrap().status, 201);
    let (now,): (String,) =
        sqlx::query_as("SELECT CONVERT(system_information USING utf8mb4) FROM systems").fetch_one(&pool).await.unwrap();
    assert_eq!(now, stored.replace(r#""user_agent":"old""#, r#""user_agent":"SUSEConnect/1.14.0""#));

    // The schema's CHECK keeps such text out; older or foreign data may hold it.
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET SESSION check_constraint_checks = 0").execute(&mut *conn).await.unwrap();
    let broken = r#"{"cpus":2,"huge":340282366920938463463374607431768211456"#;
    sqlx::query("UPDATE systems SET system_information = ?").bind(broken).execute(&mut *conn).await.unwrap();
    drop(conn);
    let err = activate(&pool, &request(&caller, "base-os")).await.unwrap_err();
    assert_eq!(err.status(), 500);
    assert!(err.to_string().contains("not a JSON object"), "{err}");
    let (now,): (String,) =
        sqlx::query_as("SELECT CONVERT(system_information USING utf8mb4) FROM systems").fetch_one(&pool).await.unwrap();
    assert_eq!(now, broken, "left as stored");
}

/// Calls cancelled (or past their deadline) while their statement waits for a
/// row lock give back their pool slots and locks at once: their statements
/// are killed, not left to wait out `innodb_lock_wait_timeout` (50 s) while
/// holding the slots. Here every slot of the pool is taken by such a call,
/// and the lock stays held: the next calls must still be served.
#[test]
fn cancelled_calls_free_their_pool_slots_while_the_lock_is_still_held() {
    abandon_every_slot_on_a_locked_row("products_cancel_kill", None);
}

#[test]
fn calls_past_their_deadline_free_their_pool_slots_while_the_lock_is_still_held() {
    abandon_every_slot_on_a_locked_row("products_deadline_kill", Some(Duration::from_secs(1)));
}

/// Fills every slot of an engine's pool with activations waiting for a row
/// lock, abandons them (cancelled, or past `deadline` when given), and checks
/// the next calls are served while the lock is still held.
fn abandon_every_slot_on_a_locked_row(name: &str, deadline: Option<Duration>) {
    const SLOTS: usize = 2;
    let setup = tokio::runtime::Runtime::new().unwrap();
    let mut config = setup.block_on(support::fresh_database(name));
    config.pool = SLOTS as u32;
    config.deadline = deadline.unwrap_or(config.deadline);
    let (pool, caller) = setup.block_on(async {
        let pool = catalog_in(&config).await;
        let caller = system(&pool).await;
        (pool, caller)
    });
    let (system_id,): (i64,) = setup.block_on(sqlx::query_as("SELECT id FROM systems").fetch_one(&pool)).unwrap();
    // Another session holds the system's row: authentication's update waits on it.
    let mut locker = setup.block_on(async {
        let mut locker = sqlx::MySqlConnection::connect_with(&config.connect_options()).await.unwrap();
        sqlx::query("BEGIN").execute(&mut locker).await.unwrap();
        sqlx::query("SELECT id FROM systems WHERE id = ? FOR UPDATE")
            .bind(system_id)
            .execute(&mut locker)
            .await
            .unwrap();
        locker
    });

    let engine = Arc::new(Engine::new(&config).unwrap());
    let cancels: Vec<Arc<Cancel>> = (0..SLOTS).map(|_| Arc::new(Cancel::new())).collect();
    let blocked: Vec<_> = cancels
        .iter()
        .map(|cancel| {
            let (engine, cancel, request) = (Arc::clone(&engine), Arc::clone(cancel), request(&caller, "base-os"));
            std::thread::spawn(move || {
                engine.run(&cancel, products::activate(engine.pool(), engine.catalog_cache(), &request)).map(answer)
            })
        })
        .collect();
    setup.block_on(support::until_blocked(&pool, &config.database, SLOTS as i64));
    if deadline.is_none() {
        cancels.iter().for_each(|cancel| cancel.cancel());
    }
    for call in blocked {
        match (call.join().unwrap().unwrap_err(), deadline) {
            (Error::Interrupted, None) | (Error::Unavailable(..), Some(_)) => {}
            (err, _) => panic!("abandoned with {err:?}"),
        }
    }

    // The lock is still held; calls that do not need the row are served by
    // the same pool (before, they timed out waiting for a connection).
    let next: Vec<_> = (0..SLOTS)
        .map(|_| {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || {
                engine.run(&Cancel::new(), announce_system(engine.pool(), &AnnounceRequest::default()))
            })
        })
        .collect();
    for call in next {
        call.join().unwrap().expect("served while the lock is held");
    }

    setup.block_on(sqlx::query("ROLLBACK").execute(&mut locker)).unwrap();
    let (last_seen, information): (Option<String>, String) = setup
        .block_on(
            sqlx::query_as(
                "SELECT CAST(last_seen_at AS CHAR), CONVERT(system_information USING utf8mb4) FROM systems WHERE id = ?",
            )
            .bind(system_id)
            .fetch_one(&pool),
        )
        .unwrap();
    assert_eq!((last_seen, information.as_str()), (None, "null"), "the killed calls wrote nothing");
    assert_eq!(setup.block_on(support::count(&pool, "activations")), 0);
    let answer = engine
        .run(&Cancel::new(), products::activate(engine.pool(), engine.catalog_cache(), &request(&caller, "base-os")))
        .map(answer)
        .unwrap();
    assert_eq!(answer.status, 201, "the system itself is served once the lock is gone");
}

#[tokio::test]
async fn an_upgrade_replaces_the_predecessors_activation_and_names_its_service() {
    let pool = catalog("products_upgrade").await;
    sqlx::raw_sql(
        "INSERT INTO products (id, name, identifier, version, arch, product_type, free, friendly_version) \
         VALUES (5, 'Base OS', 'base-os', '15.5', 'x86_64', 'base', 0, '15 SP5'); \
         INSERT INTO product_predecessors (product_id, predecessor_id, kind) VALUES (1, 5, 0); \
         INSERT INTO services (id, product_id, created_at, updated_at) VALUES (5, 5, NOW(), NOW()); \
         INSERT INTO repositories_services (repository_id, service_id) VALUES (10, 5);",
    )
    .execute(&pool)
    .await
    .expect("predecessor");
    let caller = system(&pool).await;
    let mut old = request(&caller, "base-os");
    old.params[1].1 = rmt_rs_core::Value::String("15.5".into());
    assert_eq!(activate(&pool, &old).await.unwrap().status, 201);

    let upgraded =
        answer(products::upgrade(&pool, &CatalogCache::default(), &request(&caller, "base-os")).await.unwrap());
    assert_eq!(upgraded.status, 201, "{}", upgraded.body);
    assert_eq!(json(&upgraded.body)["obsoleted_service_name"], "Base_OS_x86_64");
    let services: Vec<(i64,)> = sqlx::query_as("SELECT service_id FROM activations").fetch_all(&pool).await.unwrap();
    assert_eq!(services, [(1,)]);

    // A successor without a service (RMT: a 500, its transaction undone): refused, nothing removed.
    sqlx::raw_sql(
        "INSERT INTO products (id, name, identifier, version, arch, product_type, free, friendly_version) \
         VALUES (6, 'Base OS', 'base-os', '15.7', 'x86_64', 'base', 0, '15 SP7'); \
         INSERT INTO product_predecessors (product_id, predecessor_id, kind) VALUES (6, 1, 0);",
    )
    .execute(&pool)
    .await
    .expect("successor");
    let mut next = request(&caller, "base-os");
    next.params[1].1 = rmt_rs_core::Value::String("15.7".into());
    let refused = answer(products::upgrade(&pool, &CatalogCache::default(), &next).await.unwrap());
    assert_eq!(refused.status, 422, "{}", refused.body);
    let services: Vec<(i64,)> = sqlx::query_as("SELECT service_id FROM activations").fetch_all(&pool).await.unwrap();
    assert_eq!(services, [(1,)], "the predecessor's activation stays");
}
