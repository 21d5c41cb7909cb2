//! RMT with its public-cloud engines against a real MariaDB: scc_proxy's PAYG
//! announce and authentication, the two-step activation the engines' checks
//! sit in, and zypper_auth's URLs.

mod support;

use rmt_rs_core::auth::outcome::{Finishing, Outcome, Pending, Ticket};
use rmt_rs_core::endpoints::announce::PaygInstance;
use rmt_rs_core::endpoints::auth_check::{self, PathCheck};
use rmt_rs_core::endpoints::products;
use rmt_rs_core::endpoints::services;
use rmt_rs_core::endpoints::systems::{self, SystemUpdate};
use rmt_rs_core::rmt::catalog_cache::CatalogCache;
use rmt_rs_core::rmt::instance_cache::Probe;
use rmt_rs_core::{announce_system, AnnounceRequest, Answer, Caller, ConnectRequest, Flavor, Value};
use sqlx::mysql::MySqlPool;

async fn catalog(name: &str) -> MySqlPool {
    let config = support::fresh_database(name).await;
    let pool = support::pool(&config).await;
    sqlx::raw_sql(support::CATALOG).execute(&pool).await.expect("catalog");
    // An extension that is not free, as LTSS is in the cloud.
    sqlx::raw_sql(
        "INSERT INTO products (id, name, identifier, version, arch, product_type, free, friendly_version) \
         VALUES (4, 'LTSS', 'ltss', '15.6', 'x86_64', 'extension', 0, '15 SP6'); \
         INSERT INTO products_extensions (product_id, extension_id, recommended, root_product_id) VALUES (1, 4, 0, 1);",
    )
    .execute(&pool)
    .await
    .expect("extension");
    pool
}

async fn payg(pool: &MySqlPool, identifier: Option<&str>) -> Caller {
    let request = AnnounceRequest {
        hostname: Some("instance".into()),
        payg: Some(PaygInstance {
            identifier: identifier.map(str::to_string),
            instance_data: Some("<document>i-1</document>".into()),
        }),
        ..AnnounceRequest::default()
    };
    let announced = announce_system(pool, &request).await.unwrap();
    Caller { login: announced.login, password: Some(announced.password), ..Caller::default() }
}

fn request(caller: &Caller, identifier: &str) -> ConnectRequest {
    ConnectRequest { flavor: Flavor::Pubcloud, ..support::product_request(caller, identifier) }
}

async fn checked(pool: &MySqlPool, request: &ConnectRequest) -> Pending {
    match products::activate(pool, &CatalogCache::default(), request).await.unwrap() {
        Outcome::Pending(checked) => *checked,
        other => panic!("not checked: {other:?}"),
    }
}

/// `ticket`'s action finished with the engines' checks passed.
async fn finish(pool: &MySqlPool, ticket: &Ticket) -> Answer {
    products::finish(pool, &CatalogCache::default(), ticket, "http://rmt.test", Flavor::Pubcloud).await.unwrap()
}

/// `product` activated on `caller`'s system, both steps.
async fn activated(pool: &MySqlPool, caller: &Caller, product: &str) -> Pending {
    let checked = checked(pool, &request(caller, product)).await;
    finish(pool, &checked.ticket).await;
    checked
}

fn column<'a>(columns: &'a [(String, Value)], name: &str) -> &'a Value {
    &columns.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no column {name}")).1
}

#[tokio::test]
async fn a_payg_instance_is_announced_under_its_instance_identifier() {
    let pool = catalog("cloud_announce").await;
    let first = payg(&pool, Some("i-0abc")).await;
    assert_eq!(first.login, "i-0abc");
    let (token, data, mode): (Option<String>, Option<String>, i32) = sqlx::query_as(
        "SELECT system_token, instance_data, proxy_byos_mode FROM systems WHERE login = 'i-0abc' AND password = ?",
    )
    .bind(first.password.as_deref())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((token.as_deref(), data.as_deref(), mode), (Some("i-0abc"), Some("<document>i-1</document>"), 1));

    // Announced again (a reinstalled instance): another system with the same login, as in RMT.
    let again = payg(&pool, Some("i-0abc")).await;
    assert_eq!(again.login, "i-0abc");
    assert_ne!(again.password, first.password);
    assert_eq!(support::count(&pool, "systems").await, 2);

    // A provider without identifiers: a drawn login and no token.
    let drawn = payg(&pool, None).await;
    assert!(drawn.login.starts_with("SCC_"), "{}", drawn.login);
}

#[tokio::test]
async fn activation_stops_for_the_engines_checks_and_finishes_with_susecloud_urls() {
    let pool = catalog("cloud_activate").await;
    let caller = payg(&pool, Some("i-1")).await;
    let checked = checked(&pool, &request(&caller, "base-os")).await;
    assert_eq!(column(&checked.system, "login"), &Value::String("i-1".into()));
    assert_eq!(column(&checked.system, "proxy_byos_mode"), &Value::Integer("1".into()));
    assert_eq!(column(&checked.product, "product_type"), &Value::String("base".into()));
    assert_eq!(support::count(&pool, "activations").await, 0, "nothing written before the engines' checks");

    let answer = finish(&pool, &checked.ticket).await;
    assert_eq!((answer.status, answer.activations_changed), (201, true));
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["url"], "plugin:/susecloud?credentials=Base_OS_x86_64&path=/services/1");
    assert_eq!(body["product"]["repositories"][0]["url"], "plugin:/susecloud?credentials=&path=/repo/base/");
    // scc_proxy loaded: an extension answers its own `free`, a module stays free.
    let extensions = body["product"]["extensions"].as_array().unwrap();
    let free = |id: &str| extensions.iter().find(|e| e["identifier"] == id).unwrap()["free"].clone();
    assert_eq!((free("tools"), free("ltss")), (true.into(), false.into()));

    let again = finish(&pool, &checked.ticket).await;
    assert_eq!((again.status, again.activations_changed), (201, false), "found, not created again");
    assert_eq!(support::count(&pool, "activations").await, 1);
}

#[tokio::test]
async fn a_system_without_token_gets_its_instance_identifier_as_token() {
    let pool = catalog("cloud_identify").await;
    let caller = payg(&pool, None).await;
    let mut request = request(&caller, "base-os");
    let wanted = match products::show(&pool, &CatalogCache::default(), &request).await.unwrap() {
        Outcome::Identify(wanted) => wanted,
        other => panic!("no identifiers asked for: {other:?}"),
    };
    assert_eq!(wanted.len(), 1);
    assert_eq!(wanted[0].1.as_deref(), Some("<document>i-1</document>"));

    request.identifiers = Some(vec![(wanted[0].0, Some("i-found".into()))]);
    request.caller.system_token = Some(String::new());
    let checked = checked(&pool, &request).await;
    assert_eq!((checked.token_header, checked.system_token.as_deref()), (true, Some("i-found")));
    let (token,): (Option<String>,) =
        sqlx::query_as("SELECT system_token FROM systems").fetch_one(&pool).await.unwrap();
    assert_eq!(token.as_deref(), Some("i-found"));

    // The provider refused every system: the first one, its token unchanged.
    let other = payg(&pool, None).await;
    let mut refused = self::request(&other, "base-os");
    refused.identifiers = Some(vec![]);
    assert!(matches!(
        products::activate(&pool, &CatalogCache::default(), &refused).await.unwrap(),
        Outcome::Pending(_)
    ));
}

#[tokio::test]
async fn refusals_come_before_the_engines_checks_as_in_rmt() {
    let pool = catalog("cloud_refuse").await;
    let caller = payg(&pool, Some("i-2")).await;
    let answer = |outcome: Outcome| outcome.into_answer().expect("an answer");
    let stranger = Caller { login: "i-2".into(), password: Some("wrong".into()), ..Caller::default() };
    let refused =
        answer(products::activate(&pool, &CatalogCache::default(), &request(&stranger, "base-os")).await.unwrap());
    assert_eq!(refused.status, 401);
    let refused =
        answer(products::activate(&pool, &CatalogCache::default(), &request(&caller, "tools")).await.unwrap());
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("requires one of these products to be activated first"), "{}", refused.body);
}

#[tokio::test]
async fn an_update_authenticates_as_scc_proxy_does_and_stores_no_user_agent() {
    let pool = catalog("cloud_update").await;
    let caller = Caller { user_agent: Some("SUSEConnect/1.14".into()), ..payg(&pool, None).await };
    let update = SystemUpdate { hostname: Some("renamed".into()), hwinfo: Some(vec![]), ..SystemUpdate::default() };
    let mut request = request(&caller, "base-os");
    let cache = CatalogCache::default();
    let wanted = match systems::update(&pool, &cache, &request, &update).await.unwrap() {
        Outcome::Identify(wanted) => wanted,
        other => panic!("no identifiers asked for: {other:?}"),
    };
    request.identifiers = Some(vec![(wanted[0].0, Some("i-found".into()))]);
    let answer = systems::update(&pool, &cache, &request, &update).await.unwrap().into_answer().expect("answered");
    assert_eq!((answer.status, answer.system_id), (204, Some(wanted[0].0)));
    let (token, hostname, information): (Option<String>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT system_token, hostname, CONVERT(system_information USING utf8mb4) FROM systems")
            .fetch_one(&pool)
            .await
            .unwrap();
    // scc_proxy's authentication stores no user agent (RMT's does).
    assert_eq!(
        (token.as_deref(), hostname.as_deref(), information.as_deref()),
        (Some("i-found"), Some("renamed"), Some("{}"))
    );
}

#[tokio::test]
async fn a_service_refresh_is_verified_on_the_system_that_activated_it() {
    let pool = catalog("cloud_service").await;
    let caller = payg(&pool, Some("i-1")).await;
    let cache = CatalogCache::default();
    let checked = activated(&pool, &caller, "base-os").await;
    let service = checked.ticket.service_id.to_string();
    let request = request(&caller, "base-os");

    let (answer, system) = match services::cloud_repoindex(&pool, &cache, &request, &service).await.unwrap() {
        Outcome::Verify(verification) => (verification.answer, verification.system),
        other => panic!("not for verification: {other:?}"),
    };
    assert_eq!(column(&system, "login"), &Value::String("i-1".into()));
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains(r#"url="plugin:/susecloud?credentials=Base_OS_x86_64&amp;path=/repo/base/""#),
        "{}",
        answer.body
    );

    // Another product's service, or none: strict_authentication's plain 403.
    for id in [(checked.ticket.service_id + 1).to_string(), "nope".to_string()] {
        let outcome = services::cloud_repoindex(&pool, &cache, &request, &id).await.unwrap();
        let answer = outcome.into_answer().expect("refused");
        assert_eq!((answer.status, answer.body.as_str()), (403, "Product is not registered"));
    }
}

#[tokio::test]
async fn a_deregistration_leaves_the_system_to_the_engines_checks_then_destroys_it() {
    let pool = catalog("cloud_deregister").await;
    let caller = payg(&pool, Some("i-1")).await;
    let cache = CatalogCache::default();
    let checked = activated(&pool, &caller, "base-os").await;

    let (answer, system) = match systems::deregister(&pool, &cache, &request(&caller, "base-os")).await.unwrap() {
        Outcome::Verify(verification) => (verification.answer, verification.system),
        other => panic!("not for the engines' checks: {other:?}"),
    };
    assert_eq!(column(&system, "login"), &Value::String("i-1".into()));
    assert_eq!(answer.system_id, Some(checked.ticket.system_id));
    assert_eq!(support::count(&pool, "activations").await, 1, "nothing destroyed before the checks");

    let destroyed = systems::destroy(&pool, checked.ticket.system_id).await.unwrap();
    assert_eq!(destroyed.status, 204);
    assert_eq!((support::count(&pool, "systems").await, support::count(&pool, "activations").await), (0, 0));
    // A racing deregistration took it first: RMT's 204, nothing written.
    assert_eq!(systems::destroy(&pool, checked.ticket.system_id).await.unwrap().status, 204);
    let refused = systems::deregister(&pool, &cache, &request(&caller, "base-os")).await.unwrap();
    assert_eq!(refused.into_answer().map(|answer| answer.status), Some(401));
}

#[tokio::test]
async fn a_deactivation_leaves_the_product_to_the_engines_check_then_removes_it() {
    let pool = catalog("cloud_deactivate").await;
    let caller = payg(&pool, Some("i-1")).await;
    let cache = CatalogCache::default();
    for product in ["base-os", "tools"] {
        activated(&pool, &caller, product).await;
    }

    let checked = match products::deactivate(&pool, &cache, &request(&caller, "tools")).await.unwrap() {
        Outcome::Pending(checked) => *checked,
        other => panic!("not for the engines' check: {other:?}"),
    };
    assert_eq!(checked.ticket.finishes, Finishing::Deactivation);
    assert_eq!(column(&checked.product, "identifier"), &Value::String("tools".into()));
    assert_eq!(support::count(&pool, "activations").await, 2, "nothing removed before the engines' check");

    let answer = finish(&pool, &checked.ticket).await;
    assert_eq!((answer.status, answer.activations_changed), (200, true), "{}", answer.body);
    assert!(answer.body.contains("plugin:/susecloud?"), "{}", answer.body);
    assert_eq!(support::count(&pool, "activations").await, 1);
    // Removed by a racing request meanwhile: RMT's refusal.
    let again = finish(&pool, &checked.ticket).await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("is not yet activated on the system."), "{}", again.body);
}

#[tokio::test]
async fn the_legacy_index_is_verified_on_the_authenticated_system() {
    let pool = catalog("cloud_legacy").await;
    let caller = payg(&pool, Some("i-1")).await;
    let cache = CatalogCache::default();
    activated(&pool, &caller, "base-os").await;
    let request = ConnectRequest { base_url: "https://rmt.test:8443".into(), ..request(&caller, "base-os") };

    let (answer, system) = match services::legacy_repoindex(&pool, &cache, &request).await.unwrap() {
        Outcome::Verify(verification) => (verification.answer, verification.system),
        other => panic!("not for verification: {other:?}"),
    };
    assert_eq!(column(&system, "login"), &Value::String("i-1".into()));
    assert!(
        answer.body.contains(r#"url="plugin:/susecloud?credentials=SMT-http_rmt_test:8443&amp;path=/repo/base/""#),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn nginx_may_serve_a_payg_instance_the_repositories_of_its_products_only() {
    let pool = catalog("cloud_auth_check").await;
    let caller = payg(&pool, Some("i-1")).await;
    activated(&pool, &caller, "base-os").await;
    let cache = CatalogCache::default();
    let request = request(&caller, "base-os");
    let mut verdicts = Vec::new();
    for uri in ["/repo/base/repodata/repomd.xml", "/repo/ltss/repodata/repomd.xml", "/repo/x/product.license/y", " "] {
        let check = PathCheck { uri: Some(uri.into()), ..PathCheck::default() };
        match auth_check::check(&pool, &cache, &request, &check).await.unwrap() {
            Outcome::Verify(verification) => {
                assert_eq!(column(&verification.system, "login"), &Value::String("i-1".into()));
                assert!(!verification.cached, "no cache asked about");
                verdicts.push(verification.answer.status);
            }
            other => panic!("not for verification: {other:?}"),
        }
    }
    assert_eq!(verdicts, [200, 403, 200, 403]);
}

/// zypper_auth's cache hit, found by the core when the request asks: the
/// first entry holding `ip-login-base product` and not inactive.
#[tokio::test]
async fn the_auth_check_and_the_service_refresh_find_a_payg_instance_in_zypper_auths_cache() {
    let pool = catalog("cloud_auth_cache").await;
    let caller = payg(&pool, Some("i-1")).await;
    activated(&pool, &caller, "base-os").await;
    let (base,): (i64,) =
        sqlx::query_as("SELECT id FROM products WHERE identifier = 'base-os'").fetch_one(&pool).await.unwrap();
    let dir = std::env::temp_dir().join(format!("rmt_rs_auth_cache_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cache = CatalogCache::default();
    let probe = Probe { remote_ip: "10.0.0.9".into(), payg_dir: dir.clone() };
    let asking = ConnectRequest { instance_cache: Some(probe), ..request(&caller, "base-os") };
    let check = PathCheck { uri: Some("/repo/base/repodata/repomd.xml".into()), ..PathCheck::default() };
    let cached = |outcome: Outcome| match outcome {
        Outcome::Verify(verification) => verification.cached,
        other => panic!("not for verification: {other:?}"),
    };
    assert!(!cached(auth_check::check(&pool, &cache, &asking, &check).await.unwrap()), "empty cache");
    let entry = dir.join(format!("10.0.0.9-i-1-{base}"));
    std::fs::write(&entry, b"").unwrap();
    assert!(cached(auth_check::check(&pool, &cache, &asking, &check).await.unwrap()));
    let not_asking = request(&caller, "base-os");
    assert!(!cached(auth_check::check(&pool, &cache, &not_asking, &check).await.unwrap()), "not asked");
    // zypper's service refresh asks the same.
    let (service,): (i64,) = sqlx::query_as("SELECT service_id FROM activations").fetch_one(&pool).await.unwrap();
    assert!(cached(services::cloud_repoindex(&pool, &cache, &asking, &service.to_string()).await.unwrap()));
    std::fs::rename(&entry, dir.join(format!("10.0.0.9-i-1-{base}-inactive"))).unwrap();
    assert!(!cached(auth_check::check(&pool, &cache, &asking, &check).await.unwrap()), "marked inactive");
    std::fs::remove_dir_all(&dir).unwrap();
}
