//! announce_system against the private MariaDB: the rows it leaves, credentials,
//! races and rollback.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmt_rs_core::db::faults::{with_commit_faults, CommitFault};
use rmt_rs_core::endpoints::announce::{announce_system_with_logins, written_as};
use rmt_rs_core::{announce_system, AnnounceRequest, Cancel, Engine, Error, Value};
use sqlx::{Connection, MySqlPool};

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn profile(identifier: &str, data: Option<&str>) -> Value {
    let mut pairs = vec![("identifier", s(identifier))];
    if let Some(data) = data {
        pairs.push(("data", s(data)));
    }
    obj(&pairs)
}

type SystemRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<i32>,
    Option<String>,
);

async fn system_row(pool: &MySqlPool, id: u64) -> SystemRow {
    sqlx::query_as(
        "SELECT login, password, hostname, CONVERT(system_information USING utf8mb4), CAST(registered_at AS CHAR), \
         CAST(last_seen_at AS CHAR), CAST(created_at AS CHAR), CAST(updated_at AS CHAR), proxy_byos_mode, system_token \
         FROM systems WHERE id = ?",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn writes_the_system_row_as_rmt_does() {
    let pool = support::pool(&support::fresh_database("row").await).await;
    let hwinfo = obj(&[
        ("cpus", Value::Integer("2".into())),
        ("arch", s("x86_64")),
        ("hypervisor", s("<KVM & co>")),
        ("mem_total", Value::Float(15.5)),
        ("tags", Value::Array(vec![s("a\u{2028}b"), Value::Null, Value::Bool(true)])),
    ]);
    let request =
        AnnounceRequest { hostname: Some("host-1".into()), hwinfo: Some(hwinfo), system_profiles: vec![], payg: None };
    let before = chrono_like_now(&pool).await;
    let announced = announce_system(&pool, &request).await.unwrap();
    let row = system_row(&pool, announced.id).await;

    assert_eq!(row.0, announced.login);
    assert_eq!(row.1, announced.password);
    assert!(announced.login.starts_with("SCC_") && announced.login.len() == 36);
    assert_eq!(announced.password.len(), 16);
    assert_eq!(row.2.as_deref(), Some("host-1"));
    assert_eq!(
        row.3.as_deref(),
        Some(
            r#"{"cpus":2,"arch":"x86_64","hypervisor":"\u003cKVM \u0026 co\u003e","mem_total":15.5,"tags":["a\u2028b",null,true]}"#
        )
    );
    let registered_at = row.4.unwrap();
    assert_eq!(registered_at.len(), 19, "whole seconds: {registered_at}");
    assert!(registered_at >= before, "{registered_at} >= {before}");
    assert_eq!(row.5, None, "last_seen_at");
    assert_eq!(row.6, registered_at);
    assert_eq!(row.7, registered_at);
    assert_eq!(row.8, Some(0), "proxy_byos_mode not_applicable");
    assert_eq!(row.9, None, "system_token");
    assert!(!announced.clear_profiles_cache);
}

/// `n` rows in each table a registration writes.
async fn assert_registration_rows(pool: &MySqlPool, n: i64) {
    for table in ["systems", "profiles", "system_profiles"] {
        assert_eq!(support::count(pool, table).await, n, "{table}");
    }
}

/// The server's UTC time in the format of a `datetime` column.
async fn chrono_like_now(pool: &MySqlPool) -> String {
    let (now,): (String,) = sqlx::query_as("SELECT CAST(UTC_TIMESTAMP() AS CHAR)").fetch_one(pool).await.unwrap();
    now
}

#[tokio::test]
async fn absent_hwinfo_and_hostname_are_stored_as_rmt_stores_them() {
    let pool = support::pool(&support::fresh_database("absent").await).await;
    let announced = announce_system(&pool, &AnnounceRequest::default()).await.unwrap();
    let row = system_row(&pool, announced.id).await;
    assert_eq!(row.2, None);
    assert_eq!(row.3.as_deref(), Some("null"));
}

#[tokio::test]
async fn complete_profiles_are_found_or_created_and_linked() {
    let pool = support::pool(&support::fresh_database("profiles").await).await;
    support::insert_profile(&pool, "cpu", "c1", "old data").await;
    let request = AnnounceRequest {
        system_profiles: vec![
            ("cpu".into(), profile("c1", Some("new data is ignored for a known profile"))),
            ("pci".into(), profile("p1", Some("pci data"))),
            ("mem".into(), profile("m1", None)),
            ("bad".into(), profile("", Some("x"))),
        ],
        ..Default::default()
    };
    let announced = announce_system(&pool, &request).await.unwrap();
    assert!(announced.clear_profiles_cache, "incomplete and invalid profiles ask for a cache clear");

    let linked: Vec<(String, String, String, usize)> = sqlx::query_as(
        "SELECT p.profile_type, p.identifier, p.data, LENGTH(CAST(sp.created_at AS CHAR)) FROM system_profiles sp \
         JOIN profiles p ON p.id = sp.profile_id WHERE sp.system_id = ? ORDER BY sp.id",
    )
    .bind(announced.id)
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(t, i, d, len): (String, String, String, i64)| (t, i, d, len as usize))
    .collect();
    assert_eq!(
        linked,
        [("cpu".into(), "c1".into(), "old data".into(), 26), ("pci".into(), "p1".into(), "pci data".into(), 26)]
    );
    assert_eq!(support::count(&pool, "profiles").await, 2, "only complete profiles are stored");
}

#[tokio::test]
async fn a_taken_login_is_drawn_again() {
    let pool = support::pool(&support::fresh_database("taken_login").await).await;
    let taken = "SCC_0123456789abcdef0123456789abcdef".to_string();
    sqlx::query("INSERT INTO systems (login, password, created_at, updated_at) VALUES (?, 'pw', NOW(), NOW())")
        .bind(&taken)
        .execute(&pool)
        .await
        .unwrap();
    let mut candidates = vec!["SCC_fresh".to_string(), taken.clone()];
    let mut next = || candidates.pop().unwrap();
    let announced = announce_system_with_logins(&pool, &AnnounceRequest::default(), &mut next).await.unwrap();
    assert_eq!(announced.login, "SCC_fresh");
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM systems WHERE login = ?").bind(&taken).fetch_one(&pool).await.unwrap();
    assert_eq!(n, 1);
}

/// Runs `contenders` registrations at once (released together by a barrier),
/// each with the request and login candidates `contender(i)` gives it.
async fn race<F>(pool: &MySqlPool, contenders: usize, contender: F)
where
    F: Fn(usize) -> (AnnounceRequest, Vec<String>),
{
    let barrier = Arc::new(tokio::sync::Barrier::new(contenders));
    let tasks: Vec<_> = (0..contenders)
        .map(|i| {
            let (pool, barrier) = (pool.clone(), Arc::clone(&barrier));
            let (request, mut logins) = contender(i);
            tokio::spawn(async move {
                // Candidates are drawn from the end; random ones after they run out.
                let mut next = || logins.pop().unwrap_or_else(rmt_rs_core::rmt::credentials::generate_login);
                barrier.wait().await;
                announce_system_with_logins(&pool, &request, &mut next).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

/// Two registrations drawing the same login at the same moment, in separate
/// transactions: only one may keep it, whichever commits first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_never_share_a_login() {
    let pool = support::pool(&support::fresh_database("login_race").await).await;
    for round in 0..20 {
        race(&pool, 2, |i| {
            let logins =
                vec![format!("SCC_alt{round}_{i}_b"), format!("SCC_alt{round}_{i}_a"), format!("SCC_race{round}")];
            (AnnounceRequest::default(), logins)
        })
        .await;
    }
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT login) FROM systems").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, 40);
    assert_eq!(distinct, 40);
}

/// Registrations racing to create the same new profile: one row, everyone linked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creators_of_one_profile_share_one_row() {
    let pool = support::pool(&support::fresh_database("profile_race").await).await;
    for round in 0..10 {
        race(&pool, 4, |_| {
            let request = AnnounceRequest {
                system_profiles: vec![("pci".into(), profile(&format!("shared-{round}"), Some("data")))],
                ..Default::default()
            };
            (request, Vec::new())
        })
        .await;
    }
    assert_eq!(support::count(&pool, "profiles").await, 10);
    assert_eq!(support::count(&pool, "system_profiles").await, 40);
    assert_eq!(support::count(&pool, "systems").await, 40);
}

#[tokio::test]
async fn a_failure_late_in_the_registration_writes_nothing() {
    let pool = support::pool(&support::fresh_database("rollback").await).await;
    // The first profile is created before the second one fails validation.
    let request = AnnounceRequest {
        hostname: Some("rolled-back".into()),
        system_profiles: vec![
            ("cpu".into(), profile("new-cpu", Some("cpu data"))),
            ("pci".into(), obj(&[("identifier", s("new-pci")), ("data", Value::Null)])),
        ],
        ..Default::default()
    };
    let err = announce_system(&pool, &request).await.unwrap_err();
    assert_eq!(err, Error::InvalidInput("Validation failed: Data can't be blank".into()));
    assert_registration_rows(&pool, 0).await;
}

#[tokio::test]
async fn a_hostname_the_column_cannot_hold_is_refused_and_nothing_written() {
    let pool = support::pool(&support::fresh_database("bad_hostname").await).await;
    let request = AnnounceRequest {
        hostname: Some("host-😀".into()),
        system_profiles: vec![("cpu".into(), profile("c", Some("d")))],
        ..Default::default()
    };
    let err = announce_system(&pool, &request).await.unwrap_err();
    assert_eq!(err, Error::InvalidInput("Incorrect string value for systems.hostname".into()));
    let long = AnnounceRequest { hostname: Some("h".repeat(256)), ..Default::default() };
    assert_eq!(announce_system(&pool, &long).await.unwrap_err().status(), 422);
    assert_registration_rows(&pool, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_announces_give_as_many_rows_with_distinct_logins() {
    let config = support::fresh_database("herd").await;
    let pool = support::pool(&config).await;
    let tasks: Vec<_> = (0..400)
        .map(|i| {
            let pool = pool.clone();
            let request = AnnounceRequest {
                hostname: Some(format!("herd-{i}")),
                hwinfo: Some(obj(&[("cpus", Value::Integer("2".into()))])),
                system_profiles: vec![("cpu".into(), profile(&format!("cpu-{}", i % 7), Some("d")))],
                payg: None,
            };
            tokio::spawn(async move { announce_system(&pool, &request).await })
        })
        .collect();
    let mut logins = HashSet::new();
    for task in tasks {
        logins.insert(task.await.unwrap().unwrap().login);
    }
    assert_eq!(logins.len(), 400);
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT login) FROM systems").fetch_one(&pool).await.unwrap();
    assert_eq!((rows, distinct), (400, 400));
    assert_eq!(support::count(&pool, "profiles").await, 7);
    assert_eq!(support::count(&pool, "system_profiles").await, 400);
}

/// A call stuck behind a table lock returns promptly when cancelled, rolls back,
/// and leaves the engine's pool usable.
#[test]
fn cancelling_a_blocked_call_returns_promptly_and_the_pool_recovers() {
    let setup = tokio::runtime::Runtime::new().unwrap();
    let config = setup.block_on(support::fresh_database("cancel"));
    let locker = setup.block_on(async {
        let mut conn = sqlx::Connection::connect_with(&config.connect_options()).await.unwrap();
        sqlx::Executor::execute(&mut conn, "LOCK TABLES systems WRITE").await.unwrap();
        conn
    });
    let mut small = config.clone();
    small.pool = 1;
    let engine = Engine::new(&small).unwrap();
    let cancel = Arc::new(Cancel::new());
    let canceller = {
        let cancel = Arc::clone(&cancel);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            cancel.cancel();
        })
    };
    let started = Instant::now();
    let result = engine.run(&cancel, announce_system(engine.pool(), &AnnounceRequest::default()));
    assert_eq!(result.unwrap_err(), Error::Interrupted);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    canceller.join().unwrap();

    setup.block_on(async move {
        let mut locker = locker;
        sqlx::Executor::execute(&mut locker, "UNLOCK TABLES").await.unwrap();
    });
    let announced = engine.run(&Cancel::new(), announce_system(engine.pool(), &AnnounceRequest::default())).unwrap();
    let count = engine.run(&Cancel::new(), async { Ok(support::count(engine.pool(), "systems").await) });
    assert_eq!(count.unwrap(), 1, "the cancelled registration left no row");
    assert!(announced.id > 0);
}

#[test]
fn cancel_fired_before_the_run_still_interrupts_it() {
    let engine = Engine::new(&support::config("mysql")).unwrap();
    let cancel = Cancel::new();
    cancel.cancel();
    let result = engine.run(&cancel, std::future::pending::<rmt_rs_core::Result<()>>());
    assert_eq!(result.unwrap_err(), Error::Interrupted);
}

async fn deadlocks(pool: &MySqlPool) -> u64 {
    let (_, value): (String, String) =
        sqlx::query_as("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'").fetch_one(pool).await.unwrap();
    value.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_victim_is_retried_whole_and_registers_once() {
    let config = support::fresh_database("announce_deadlock").await;
    let pool = support::pool(&config).await;
    let before = deadlocks(&pool).await;

    // Another transaction holds the profile RmtRs will need. It has written many
    // rows, so InnoDB picks RmtRs's lighter transaction as the deadlock victim.
    let mut other = pool.begin().await.unwrap();
    for i in 0..200 {
        support::insert_profile(&mut *other, "filler", &i.to_string(), "x").await;
    }
    support::insert_profile(&mut *other, "pci_data", "shared", "x").await;

    let request = AnnounceRequest {
        hostname: Some("victim".into()),
        hwinfo: None,
        system_profiles: vec![("pci_data".into(), profile("shared", Some("x")))],
        payg: None,
    };
    let announcing = {
        let pool = pool.clone();
        tokio::spawn(async move { announce_system(&pool, &request).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await; // RmtRs now waits on 'shared'

    // Asking for the system RmtRs has inserted closes the cycle; InnoDB breaks it.
    let seen: Vec<(i64,)> = sqlx::query_as("SELECT id FROM systems WHERE hostname = 'victim' FOR UPDATE")
        .fetch_all(&mut *other)
        .await
        .expect("the heavier transaction survives");
    assert!(seen.is_empty(), "the victim's row was rolled back");
    other.rollback().await.unwrap();

    let announced = announcing.await.unwrap().expect("the retried registration succeeds");
    assert!(deadlocks(&pool).await > before, "a deadlock happened");
    assert_eq!(support::count(&pool, "systems").await, 1);
    let (hostname,): (String,) =
        sqlx::query_as("SELECT hostname FROM systems WHERE id = ?").bind(announced.id).fetch_one(&pool).await.unwrap();
    assert_eq!(hostname, "victim");
    assert_eq!(support::count(&pool, "profiles").await, 1, "the other transaction's profiles were rolled back");
}

/// The herd's deadlock (`script/herd faults`): while registrations keep
/// coming, a long transaction again and again waits for their systems rows
/// while they wait for it. A victim that runs again at once meets the same
/// transaction again, so retries must wait (`retry::back_off`); without the
/// wait, registrations here ran out of attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_victim_of_a_long_deadlocking_transaction_registers() {
    const CLIENTS: usize = 10;
    const EACH: usize = 15;
    let mut config = support::fresh_database("announce_deadlock_many").await;
    config.pool = CLIENTS as u32;
    let pool = support::pool(&config).await;
    let before = deadlocks(&pool).await;

    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for i in 0..EACH {
                    let request = AnnounceRequest {
                        hostname: Some(format!("c{c}-{i}")),
                        hwinfo: None,
                        system_profiles: vec![("pci_data".into(), profile("shared", Some("x")))],
                        payg: None,
                    };
                    announce_system(&pool, &request).await?;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok::<_, Error>(())
            })
        })
        .collect();

    let mut other = sqlx::MySqlConnection::connect_with(&config.connect_options()).await.unwrap();
    sqlx::query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut other).await.unwrap();
    for _ in 0..4 {
        sqlx::query("BEGIN").execute(&mut other).await.unwrap();
        // Heavier than any registration, so InnoDB rolls the registrations back.
        let fillers = vec!["('filler', UUID(), 'x', NOW(), NOW())"; 200].join(", ");
        sqlx::query(&format!(
            "INSERT INTO profiles (profile_type, identifier, data, created_at, updated_at) VALUES {fillers}"
        ))
        .execute(&mut other)
        .await
        .unwrap();
        let (last_system,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM systems").fetch_one(&mut other).await.unwrap();
        let (last_link,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM system_profiles").fetch_one(&mut other).await.unwrap();
        // The gap where new profile links go: registrations stop there holding their system row.
        sqlx::query("SELECT id FROM system_profiles WHERE id > ? FOR UPDATE")
            .bind(last_link)
            .fetch_all(&mut other)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        // Asking for their systems rows closes a cycle with each of them.
        sqlx::query("SELECT id FROM systems WHERE id > ? FOR UPDATE")
            .bind(last_system)
            .fetch_all(&mut other)
            .await
            .expect("the heavier side survives");
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for client in clients {
        client.await.unwrap().expect("every victim registers in the end");
    }
    let lost = deadlocks(&pool).await - before;
    assert!(lost > 0, "registrations lost deadlocks");
    assert_eq!(support::count(&pool, "systems").await, (CLIENTS * EACH) as i64);
    assert_eq!(support::count(&pool, "system_profiles").await, (CLIENTS * EACH) as i64);
    assert_eq!(support::count(&pool, "profiles").await, 1, "the fillers were rolled back");
}

/// What a registration does when MariaDB's answer to its COMMIT is lost (the
/// server stopped, the connection was killed): it looks the system up by login.
#[tokio::test]
async fn an_uncertain_commit_is_settled_by_the_login() {
    let config = support::fresh_database("announce_uncertain_commit").await;
    let pool = support::pool(&config).await;
    let announced = announce_system(&pool, &AnnounceRequest::default()).await.unwrap();
    let window = Duration::from_secs(2);
    let lost = || Error::Unavailable(rmt_rs_core::error::Cause::ServerGone, "lost".into());

    let written = written_as(&pool, &announced.login, &announced.password, lost(), window).await.unwrap();
    assert_eq!(written, Some(announced.id), "written: answered as registered");
    let written = written_as(&pool, "SCC_never_written", &announced.password, lost(), window).await.unwrap();
    assert_eq!(written, None, "not written: run again");

    let mut unreachable = support::config("mysql");
    unreachable.socket = Some("/nonexistent/mysqld.sock".into());
    let unreachable = unreachable.pool_options().connect_lazy_with(unreachable.connect_options());
    let started = Instant::now();
    let outcome =
        written_as(&unreachable, &announced.login, &announced.password, lost(), Duration::from_millis(300)).await;
    assert_eq!(outcome.unwrap_err(), lost(), "MariaDB never answered: the commit's own error");
    assert!(started.elapsed() >= Duration::from_millis(300), "asked until the window closed");
}

/// The announce's side of the uncertain commit, through a lost answer: written
/// is answered as registered, not written is registered again; one row each.
#[tokio::test]
async fn a_lost_commit_answer_registers_the_system_once() {
    let pool = support::pool(&support::fresh_database("announce_lost_commit").await).await;
    for fault in [CommitFault::LostAfterWriting, CommitFault::LostBeforeWriting] {
        let announced = with_commit_faults([fault], announce_system(&pool, &AnnounceRequest::default())).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM systems WHERE login = ?")
            .bind(&announced.login)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 1, "{fault:?}");
    }
    assert_eq!(support::count(&pool, "systems").await, 2);
}

/// A deadlock reported at COMMIT (how Galera reports a certification
/// conflict) is run again whole, as one reported by a statement is.
#[tokio::test]
async fn a_deadlock_at_commit_is_retried() {
    let pool = support::pool(&support::fresh_database("announce_commit_deadlock").await).await;
    let request =
        AnnounceRequest { system_profiles: vec![("pci_data".into(), profile("p", Some("x")))], ..Default::default() };
    let faults = [CommitFault::Deadlock, CommitFault::Deadlock];
    with_commit_faults(faults, announce_system(&pool, &request)).await.expect("retried");
    assert_registration_rows(&pool, 1).await;
}

/// RMT's orphan cleanup (`SystemProfile#destroy_orphaned_profile`: lock the
/// profile, delete it when nothing links it) racing an announce that found the
/// profile and has not linked it yet: the announce's link must not fail
/// (error 1452), and the cleanup must then keep the profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmts_orphan_cleanup_cannot_delete_a_profile_an_announce_is_linking() {
    let config = support::fresh_database("announce_orphan_race").await;
    let pool = support::pool(&config).await;
    support::insert_profile(&pool, "pci_data", "orphan", "x").await;

    // Holding the end of `system_profiles` stops the announce at its link.
    let mut gate = support::hold_end_of(&config, "system_profiles").await;
    let request = AnnounceRequest {
        system_profiles: vec![("pci_data".into(), profile("orphan", Some("x")))],
        ..Default::default()
    };
    let announcing = {
        let pool = pool.clone();
        tokio::spawn(async move { announce_system(&pool, &request).await })
    };
    support::until_blocked(&pool, &config.database, 1).await;

    // The cleanup as RMT runs it (Rails' REPEATABLE READ, `with_lock`).
    let cleanup = {
        let options = config.connect_options();
        tokio::spawn(async move {
            let mut conn = sqlx::MySqlConnection::connect_with(&options).await.unwrap();
            sqlx::query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut conn).await.unwrap();
            sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
            let (id,): (i64,) = sqlx::query_as("SELECT id FROM profiles WHERE identifier = 'orphan' FOR UPDATE")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let (links,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM system_profiles WHERE profile_id = ?")
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            if links == 0 {
                sqlx::query("DELETE FROM profiles WHERE id = ?").bind(id).execute(&mut conn).await.unwrap();
            }
            sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
        })
    };
    // The cleanup either finishes or waits for the announce.
    let until = Instant::now() + Duration::from_secs(10);
    while !cleanup.is_finished() && support::running_statements(&pool, &config.database).await < 2 {
        assert!(Instant::now() < until, "the cleanup neither finished nor waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::query("ROLLBACK").execute(&mut gate).await.unwrap();

    let announced = announcing.await.unwrap().expect("the announce links the profile");
    cleanup.await.unwrap();
    let (linked,): (String,) = sqlx::query_as(
        "SELECT p.identifier FROM system_profiles sp JOIN profiles p ON p.id = sp.profile_id WHERE sp.system_id = ?",
    )
    .bind(announced.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(linked, "orphan");
}
