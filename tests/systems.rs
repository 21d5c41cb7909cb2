//! The keepalive (`PUT /connect/systems`) against a real MariaDB: uptimes,
//! profiles, hwinfo and the token, in one transaction, settled when the
//! answer to its COMMIT is lost.

mod support;

use rmt_rs_core::answer::Answer;
use rmt_rs_core::db::faults::{with_commit_faults, CommitFault};
use rmt_rs_core::endpoints::announce::AnnounceRequest;
use rmt_rs_core::endpoints::systems::{self, SystemUpdate};
use rmt_rs_core::rmt::catalog_cache::CatalogCache;
use rmt_rs_core::ConnectRequest;
use rmt_rs_core::{announce_system, Caller, Value};
use sqlx::mysql::MySqlPool;

async fn pool(name: &str) -> MySqlPool {
    support::pool(&support::fresh_database(name).await).await
}

fn profile(identifier: &str, data: Option<&str>) -> Value {
    let mut pairs = vec![("identifier".to_string(), Value::String(identifier.into()))];
    pairs.extend(data.map(|d| ("data".to_string(), Value::String(d.into()))));
    Value::Object(pairs)
}

/// A system announced with two profiles, its client sending `System-Token`.
async fn registered(pool: &MySqlPool) -> Caller {
    let request = AnnounceRequest {
        hwinfo: Some(Value::Object(vec![("cpus".into(), Value::Integer("2".into()))])),
        system_profiles: vec![
            ("mod_list".into(), profile("m1", Some("kernel"))),
            ("pci".into(), profile("p1", Some("8086"))),
        ],
        ..AnnounceRequest::default()
    };
    let announced = announce_system(pool, &request).await.unwrap();
    Caller {
        login: announced.login,
        password: Some(announced.password),
        system_token: Some(String::new()),
        ..Caller::default()
    }
}

/// SUSEConnect's keepalive: hostname, hwinfo, profiles (one by its
/// identifier only) and the day's uptime.
fn keepalive() -> SystemUpdate {
    SystemUpdate {
        hostname: Some("vm2".into()),
        hwinfo: Some(vec![("cpus".into(), Value::Integer("4".into())), ("mem".into(), Value::Integer("8".into()))]),
        system_profiles: Some(vec![("mod_list".into(), profile("m1", None)), ("cpu".into(), profile("c1", Some("4")))]),
        online_at: Some(Value::Array(vec![Value::String("2026-11-24:000000000000111111111111".into())])),
    }
}

/// The update `caller` sends, as RMT (without the public-cloud engines) answers it.
async fn update(pool: &MySqlPool, caller: &Caller, update: &SystemUpdate) -> Answer {
    let request = ConnectRequest { caller: caller.clone(), ..ConnectRequest::default() };
    let outcome = systems::update(pool, &CatalogCache::default(), &request, update).await.unwrap();
    outcome.into_answer().expect("an answer")
}

/// The deregistration `caller` sends, as RMT (without the engines) answers it.
async fn deregister(pool: &MySqlPool, caller: &Caller) -> Answer {
    let request = ConnectRequest { caller: caller.clone(), ..ConnectRequest::default() };
    let outcome = systems::deregister(pool, &CatalogCache::default(), &request).await.unwrap();
    outcome.into_answer().expect("an answer")
}

async fn text(pool: &MySqlPool, sql: &str) -> String {
    let (text,): (String,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap();
    text
}

#[tokio::test]
async fn a_keepalive_writes_what_rmt_writes_and_hands_out_a_new_token() {
    let pool = pool("systems_keepalive").await;
    let caller = registered(&pool).await;
    let answer = update(&pool, &caller, &keepalive()).await;
    assert_eq!((answer.status, answer.body.as_str()), (204, ""));
    let token = answer.system_token.clone().expect("a new token");
    assert_eq!(text(&pool, "SELECT system_token FROM systems").await, token);
    assert_eq!(text(&pool, "SELECT hostname FROM systems").await, "vm2");
    assert_eq!(
        text(&pool, "SELECT CONVERT(system_information USING utf8mb4) FROM systems").await,
        r#"{"cpus":4,"user_agent":null,"mem":8}"#
    );
    let linked = text(
        &pool,
        "SELECT GROUP_CONCAT(p.profile_type ORDER BY sp.id) FROM system_profiles sp JOIN profiles p ON p.id = sp.profile_id",
    )
    .await;
    assert_eq!(linked, "mod_list,cpu", "the pci link dropped, mod_list found by its identifier, cpu created");
    assert_eq!(support::count(&pool, "profiles").await, 3, "the unlinked profile stays, as in RMT");
    assert_eq!(support::count(&pool, "system_uptimes").await, 1);
    assert!(answer.log.iter().any(|(_, line)| line == "Updated system information for host 'vm2'"));

    // The next keepalive with the token it got: the same system, the day's hours updated.
    let mut next = keepalive();
    next.online_at = Some(Value::Array(vec![Value::String("2026-11-24:111111111111111111111111".into())]));
    assert_eq!(update(&pool, &Caller { system_token: Some(token), ..caller }, &next).await.status, 204);
    assert_eq!((support::count(&pool, "systems").await, support::count(&pool, "system_uptimes").await), (1, 1));
    assert_eq!(
        text(&pool, "SELECT CAST(online_at_hours AS CHAR) FROM system_uptimes").await,
        "111111111111111111111111"
    );
}

#[tokio::test]
async fn refusals_write_nothing_of_the_update() {
    let pool = pool("systems_refusals").await;
    let caller = registered(&pool).await;
    let unknown = Caller { password: Some("wrong".into()), ..caller.clone() };
    let answer = update(&pool, &unknown, &keepalive()).await;
    assert_eq!(answer.status, 401);
    assert!(answer.log.iter().any(|(_, line)| line.ends_with(r#"and password \"[FILTERED]\""#)));
    let answer = update(&pool, &caller, &SystemUpdate { hwinfo: None, ..keepalive() }).await;
    assert_eq!(answer.status, 422);
    assert_eq!(support::count(&pool, "system_uptimes").await, 0);
    assert_eq!(text(&pool, "SELECT COALESCE(hostname, '') FROM systems").await, "");
}

/// The answer to the COMMIT is lost after it was written: answered as
/// written (the stored token), not run again (which would merge the hwinfo twice).
#[tokio::test]
async fn a_keepalive_whose_commit_answer_is_lost_is_settled_by_what_is_stored() {
    let pool = pool("systems_lost_commit").await;
    let caller = registered(&pool).await;
    // Answered as written: `update` unwraps the Result.
    let answer = with_commit_faults([CommitFault::LostAfterWriting], update(&pool, &caller, &keepalive())).await;
    assert_eq!(answer.status, 204);
    assert_eq!(Some(text(&pool, "SELECT system_token FROM systems").await), answer.system_token);
    assert_eq!(support::count(&pool, "systems").await, 1, "run again, the old token would have made a duplicate");

    let caller = Caller { system_token: answer.system_token.clone(), ..caller };
    // Not written: run again.
    let answer = with_commit_faults([CommitFault::LostBeforeWriting], update(&pool, &caller, &keepalive())).await;
    assert_eq!(answer.status, 204);
    assert_eq!(Some(text(&pool, "SELECT system_token FROM systems").await), answer.system_token);
    assert_eq!(support::count(&pool, "systems").await, 1);
}

#[tokio::test]
async fn a_deregistration_destroys_the_system_and_only_profiles_no_system_links() {
    let pool = pool("systems_deregister").await;
    let caller = registered(&pool).await;
    let other = AnnounceRequest {
        system_profiles: vec![("mod_list".into(), profile("m1", Some("kernel")))],
        ..AnnounceRequest::default()
    };
    announce_system(&pool, &other).await.unwrap();
    sqlx::query("UPDATE systems SET scc_system_id = 7 WHERE login = ?")
        .bind(&caller.login)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(update(&pool, &Caller { system_token: None, ..caller.clone() }, &keepalive()).await.status, 204);

    let answer = deregister(&pool, &Caller { system_token: None, ..caller.clone() }).await;
    assert_eq!(answer.status, 204);
    assert_eq!(support::count(&pool, "systems").await, 1, "the other system stays");
    assert_eq!(support::count(&pool, "system_uptimes").await, 0);
    // cpu (linked by the keepalive) went with the system; mod_list is still
    // the other's; pci was left unlinked by the keepalive, as RMT leaves it.
    assert_eq!(
        text(&pool, "SELECT GROUP_CONCAT(profile_type ORDER BY profile_type) FROM profiles").await,
        "mod_list,pci"
    );
    assert_eq!(text(&pool, "SELECT CAST(scc_system_id AS CHAR) FROM deregistered_systems").await, "7");
    assert_eq!(deregister(&pool, &caller).await.status, 401, "gone");
}

#[tokio::test]
async fn an_update_refused_after_its_first_writes_keeps_none_of_them() {
    let pool = pool("systems_update_refused").await;
    let caller = registered(&pool).await;
    let refused = SystemUpdate {
        // A profile RMT's validation refuses ("Data can't be blank") once the
        // uptime is recorded.
        system_profiles: Some(vec![("blank".into(), profile("b1", Some(" ")))]),
        ..keepalive()
    };
    let answer = update(&pool, &Caller { system_token: None, ..caller.clone() }, &refused).await;
    assert_eq!((answer.status, answer.body.contains("Data can't be blank")), (422, true), "{}", answer.body);
    assert_eq!(support::count(&pool, "system_uptimes").await, 0, "the uptime is undone with the update");
    assert_eq!(text(&pool, "SELECT COALESCE(hostname, '') FROM systems").await, "", "nor the hostname");
}
