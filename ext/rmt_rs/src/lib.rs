//! Ruby binding of rmt_rs_core, which answers RMT's connect API over a
//! system's whole life (announce, activations and the product tree, keepalives,
//! service refreshes, migrations, deregistration, product listings, the
//! public-cloud engines' authentication): converts arguments, releases the
//! GVL, calls the core, converts back. Keyword arguments, defaults, type checks
//! and the response object live in Ruby (`lib/rmt_rs`); this exposes
//! `RmtRs::Native`. What crosses is named (`seam`): an `RmtRs::Caller` read by
//! member, answers as records that `RmtRs::Seam` decodes.

mod call;
mod convert;
mod errors;
mod gvl;
mod health;
mod seam;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use magnus::{function, method, prelude::*, Error, RHash, Ruby, TryConvert};
use rmt_rs_core::answer::{LogLevel, Rendering};
use rmt_rs_core::auth::outcome::{Finishing, Outcome, Ticket};
use rmt_rs_core::endpoints::activations;
use rmt_rs_core::endpoints::announce::PaygInstance;
use rmt_rs_core::endpoints::auth_check::{self, PathCheck};
use rmt_rs_core::endpoints::listings::{self, ListingRequest};
use rmt_rs_core::endpoints::products;
use rmt_rs_core::endpoints::services::{self, ServiceRequest};
use rmt_rs_core::endpoints::systems::{self, SystemUpdate};
use rmt_rs_core::rmt::instance_cache::Probe;
use rmt_rs_core::rmt::migration_paths;
use rmt_rs_core::rmt::release::Release;
use rmt_rs_core::runtime::engine::ProcessEngine;
use rmt_rs_core::{
    announce_system, AnnounceRequest, Answer, Caller, Cancel, ConnectRequest, DatabaseConfig, Engine, Flavor, Value,
};

/// The engine (tokio runtime + sqlx pool) of this process.
static ENGINE: ProcessEngine = ProcessEngine::new();

/// Raises ArgumentError for settings that cannot reach a server (no socket to
/// be found, an encoding RMT does not use), so RMT fails at boot, not per request.
#[allow(clippy::too_many_arguments)]
fn configure(
    ruby: &Ruby,
    host: Option<String>,
    port: Option<u16>,
    socket: Option<String>,
    username: Option<String>,
    password: Option<String>,
    database: String,
    encoding: String,
    pool: u32,
    timeout_ms: u64,
    deadline_ms: u64,
    patience_ms: u64,
    shed_announces_ms: Option<u64>,
    health_when_saturated_ms: Option<u64>,
) -> Result<(), Error> {
    let config = DatabaseConfig {
        host,
        port,
        socket,
        username,
        password,
        database,
        encoding,
        pool,
        timeout: Duration::from_millis(timeout_ms),
        deadline: Duration::from_millis(deadline_ms),
        patience: Duration::from_millis(patience_ms),
        shed_announces: shed_announces_ms.map(Duration::from_millis),
        health_when_saturated: health_when_saturated_ms.map(Duration::from_millis),
    };
    config.validate().map_err(|message| Error::new(ruby.exception_arg_error(), message))?;
    ENGINE.configure(config);
    Ok(())
}

/// The running RMT's behaviour where releases differ (`RmtRs::Ownership::Release`).
fn set_release(repositories_required: bool) {
    ENGINE.set_release(Release { repositories_required });
}

fn is_configured() -> bool {
    ENGINE.is_configured()
}

fn after_fork() {
    ENGINE.after_fork();
}

/// The announced system's record (`RmtRs::Seam::Announced`): `id`, `login`,
/// `password`, `clear_profiles_cache`. `payg` is nil, or for a PAYG instance
/// announced with the public-cloud engines a record of `identifier` and
/// `instance_data` (each may be nil).
fn announce(
    ruby: &Ruby,
    hostname: Option<String>,
    hwinfo: magnus::Value,
    system_profiles: magnus::Value,
    payg: Option<magnus::Value>,
) -> Result<RHash, Error> {
    let mut allowance = convert::Allowance::default();
    let payg = match payg {
        Some(payg) => Some(PaygInstance {
            identifier: seam::field(payg, "identifier")?,
            instance_data: seam::field(payg, "instance_data")?,
        }),
        None => None,
    };
    let request = AnnounceRequest {
        hostname,
        hwinfo: convert::optional_hash(ruby, hwinfo, "hwinfo", &mut allowance)?,
        system_profiles: convert::hash_pairs(ruby, system_profiles, "system_profiles", &mut allowance)?,
        payg,
    };
    let announced = released(ruby, |engine, call| call.run_opening(announce_system(engine.pool(), &request)))?;
    seam::record(
        ruby,
        [
            ("id", ruby.into_value(announced.id)),
            ("login", ruby.into_value(announced.login)),
            ("password", ruby.into_value(announced.password)),
            ("clear_profiles_cache", ruby.into_value(announced.clear_profiles_cache)),
        ],
    )
}

/// `[[system_id, instance_identifier_or_nil], ...]`: what `RmtRs::Caller#identify`
/// found, nil before it was asked.
type Identifiers = Vec<(u64, Option<String>)>;

/// Who calls, read by member from an `RmtRs::Caller` (lib/rmt_rs/caller.rb).
struct CallerArg {
    caller: Caller,
    /// With RMT's public-cloud engines (the Caller's `cloud`, nil outside
    /// them): whether scc_proxy waits for registration sharing's peers.
    wait_for_peers: Option<bool>,
    /// With the engines, [remote_ip, PAYG cache directory] when the host can
    /// take zypper_auth's cache-hit branch (`RmtRs::InstanceCache.probe`).
    instance_cache: Option<Probe>,
}

impl TryConvert for CallerArg {
    fn try_convert(value: magnus::Value) -> Result<Self, Error> {
        let cloud: Option<magnus::Value> = seam::field(value, "cloud")?;
        let caller = Caller {
            login: seam::field(value, "login")?,
            password: seam::field(value, "password")?,
            system_token: seam::field(value, "system_token")?,
            user_agent: seam::field(value, "user_agent")?,
            tokens_disabled: !seam::field::<bool>(value, "system_tokens")?,
        };
        let (wait_for_peers, instance_cache) = match cloud {
            Some(cloud) => {
                let probe: Option<(String, String)> = seam::field(cloud, "instance_cache")?;
                let probe = probe.map(|(remote_ip, dir)| Probe { remote_ip, payg_dir: dir.into() });
                (Some(seam::field(cloud, "wait_for_peers")?), probe)
            }
            None => (None, None),
        };
        Ok(CallerArg { caller, wait_for_peers, instance_cache })
    }
}

/// The products endpoints' actions, as Ruby names them.
enum Action {
    Activate,
    Show,
    Deactivate,
    Upgrade,
    Synchronize,
    Migrations(migration_paths::Kind),
    Activations,
}

/// A products request; `action` is "activate", "show", "destroy", "upgrade", "synchronize",
/// "migrations", "offline_migrations" or "activations". Answers an outcome
/// record (`outcome_record`).
fn product_request(
    ruby: &Ruby,
    action: String,
    caller: CallerArg,
    identifiers: Option<Identifiers>,
    params: magnus::Value,
    base_url: String,
) -> Result<RHash, Error> {
    let action = match action.as_str() {
        "activate" => Action::Activate,
        "show" => Action::Show,
        "destroy" => Action::Deactivate,
        "upgrade" => Action::Upgrade,
        "synchronize" => Action::Synchronize,
        "migrations" => Action::Migrations(migration_paths::Kind::Online),
        "offline_migrations" => Action::Migrations(migration_paths::Kind::Offline),
        "activations" => Action::Activations,
        other => {
            return Err(Error::new(
                ruby.exception_arg_error(),
                format!(
                    "unknown products action {other:?}: activate, show, destroy, upgrade, synchronize, \
                     migrations, offline_migrations or activations"
                ),
            ))
        }
    };
    let params = convert::hash_pairs(ruby, params, "params", &mut convert::Allowance::default())?;
    let request = connect_request(caller, identifiers, params, base_url);
    let outcome = released(ruby, |engine, call| {
        call.run(async {
            match action {
                Action::Activate => products::activate(engine.pool(), engine.catalog_cache(), &request).await,
                Action::Show => products::show(engine.pool(), engine.catalog_cache(), &request).await,
                Action::Deactivate => products::deactivate(engine.pool(), engine.catalog_cache(), &request).await,
                Action::Upgrade => products::upgrade(engine.pool(), engine.catalog_cache(), &request).await,
                Action::Synchronize => products::synchronize(engine.pool(), engine.catalog_cache(), &request).await,
                Action::Activations => activations::activations(engine.pool(), engine.catalog_cache(), &request).await,
                Action::Migrations(kind) => {
                    products::migrations(engine.pool(), engine.catalog_cache(), &request, kind).await
                }
            }
        })
    })?;
    outcome_record(ruby, outcome)
}

/// Who calls and from which app flavor, for the endpoints that authenticate
/// a system; `identifiers` count with the public-cloud engines only.
fn connect_request(
    caller: CallerArg,
    identifiers: Option<Identifiers>,
    params: Vec<(String, Value)>,
    base_url: String,
) -> ConnectRequest {
    let (flavor, identifiers, wait_for_peers) = match caller.wait_for_peers {
        Some(wait) => (Flavor::Pubcloud, identifiers, wait),
        None => (Flavor::Rmt, None, false),
    };
    ConnectRequest {
        caller: caller.caller,
        params,
        base_url,
        flavor,
        identifiers,
        wait_for_peers,
        instance_cache: caller.instance_cache,
        release: ENGINE.release(),
    }
}

/// An outcome as a record for `RmtRs::Seam.outcome`, its `kind:` one of
/// - `:answer` (`answer_record`);
/// - `:identify`: `wanted`, `[[system_id, instance_data_or_nil], ...]` for
///   `RmtRs::Caller#identify`, whose identifiers the call is made again with;
/// - `:verify`: the `answer` record to send once the engines' checks passed on
///   the `system` (its columns);
/// - `:pending`: the `system`'s and `product`'s columns, the `headers` set so
///   far (`System-Token`), and the `ticket` (`RbTicket`) `finish` takes.
fn outcome_record(ruby: &Ruby, outcome: Outcome) -> Result<RHash, Error> {
    match outcome {
        Outcome::Answer(answer) => answer_record(ruby, answer),
        Outcome::Identify(wanted) => {
            seam::record(ruby, [("kind", seam::kind(ruby, "identify")), ("wanted", ruby.into_value(wanted))])
        }
        Outcome::Verify(verification) => seam::record(
            ruby,
            [
                ("kind", seam::kind(ruby, "verify")),
                ("system", convert::attributes(ruby, &verification.system)?.as_value()),
                ("cached", ruby.into_value(verification.cached)),
                ("answer", answer_record(ruby, verification.answer)?.as_value()),
            ],
        ),
        Outcome::Pending(pending) => seam::record(
            ruby,
            [
                ("kind", seam::kind(ruby, "pending")),
                ("system", convert::attributes(ruby, &pending.system)?.as_value()),
                ("product", convert::attributes(ruby, &pending.product)?.as_value()),
                ("headers", ruby.into_value(Vec::from_iter(token_header(pending.token_header, pending.system_token)))),
                ("ticket", ruby.into_value(RbTicket(pending.ticket))),
                ("log", ruby.into_value(pending.log)),
            ],
        ),
    }
}

/// A pending activation's (deactivation's, upgrade's) ticket: Ruby holds it
/// as it is while the engines' checks run, and hands it back to `finish`.
#[magnus::wrap(class = "RmtRs::Native::Ticket", free_immediately, size)]
struct RbTicket(Ticket);

impl RbTicket {
    /// "activation", "deactivation" or "upgrade": what `finish` writes, and so
    /// which of the engines' checks come first (`RmtRs::Pubcloud::CHECKS`).
    fn finishes(&self) -> &'static str {
        match self.0.finishes {
            Finishing::Activation => "activation",
            Finishing::Deactivation => "deactivation",
            Finishing::Upgrade => "upgrade",
        }
    }
}

/// RMT's `PUT /connect/systems`. `input` holds `"hwinfo"` (a Hash or nil),
/// `"online_at"` as sent, and `"system_profiles"` only when it was sent.
/// Answers as `product_request` does.
fn system_update(
    ruby: &Ruby,
    caller: CallerArg,
    identifiers: Option<Identifiers>,
    hostname: Option<String>,
    input: magnus::Value,
) -> Result<RHash, Error> {
    let mut pairs = convert::hash_pairs(ruby, input, "params", &mut convert::Allowance::default())?;
    let mut take = |key: &str| pairs.iter().position(|(k, _)| k == key).map(|at| pairs.remove(at).1);
    let as_pairs = |value: Option<Value>| match value {
        Some(Value::Object(pairs)) => Some(pairs),
        _ => None,
    };
    let hwinfo = as_pairs(take("hwinfo"));
    // Sent but not a hash: RMT's `permit` drops it and it updates no profile.
    let system_profiles = take("system_profiles").map(|value| as_pairs(Some(value)).unwrap_or_default());
    let online_at = take("online_at");
    let update = SystemUpdate { hostname, hwinfo, system_profiles, online_at };
    let request = connect_request(caller, identifiers, Vec::new(), String::new());
    let outcome = released(ruby, |engine, call| {
        call.run(systems::update(engine.pool(), engine.catalog_cache(), &request, &update))
    })?;
    outcome_record(ruby, outcome)
}

/// RMT's legacy `GET /repo/repoindex.xml`. Answers as `service_index` does.
fn legacy_repoindex(
    ruby: &Ruby,
    caller: CallerArg,
    identifiers: Option<Identifiers>,
    base_url: String,
) -> Result<RHash, Error> {
    let request = connect_request(caller, identifiers, Vec::new(), base_url);
    let outcome = released(ruby, |engine, call| {
        call.run(services::legacy_repoindex(engine.pool(), engine.catalog_cache(), &request))
    })?;
    outcome_record(ruby, outcome)
}

/// strict_authentication's `GET /api/auth/check` with the engines: `uri`
/// (X-Original-URI), `instance_identifier` and `instance_version` (their
/// headers; each nil when absent). Answers as `product_request` does; once
/// authenticated, a `:verify` record with the database's verdict as the
/// answer's status (200 or 403).
fn auth_check(
    ruby: &Ruby,
    caller: CallerArg,
    identifiers: Option<Identifiers>,
    uri: Option<String>,
    instance_identifier: Option<String>,
    instance_version: Option<String>,
) -> Result<RHash, Error> {
    let check = PathCheck { uri, instance_identifier, instance_version };
    let request = connect_request(caller, identifiers, Vec::new(), String::new());
    let outcome = released(ruby, |engine, call| {
        call.run(auth_check::check(engine.pool(), engine.catalog_cache(), &request, &check))
    })?;
    outcome_record(ruby, outcome)
}

/// RMT's `DELETE /connect/systems`. Answers as `product_request` does; with
/// the engines a `:verify` record: their checks on the system come next, then
/// `destroy_system`.
fn deregister(ruby: &Ruby, caller: CallerArg, identifiers: Option<Identifiers>) -> Result<RHash, Error> {
    let request = connect_request(caller, identifiers, Vec::new(), String::new());
    let outcome =
        released(ruby, |engine, call| call.run(systems::deregister(engine.pool(), engine.catalog_cache(), &request)))?;
    outcome_record(ruby, outcome)
}

/// A public-cloud deregistration's second step: the system `id` destroyed.
fn destroy_system(ruby: &Ruby, id: u64) -> Result<RHash, Error> {
    let answer = released(ruby, |engine, call| call.run(systems::destroy(engine.pool(), id)))?;
    answer_record(ruby, answer)
}

/// RMT's `GET /services/:id`: `id` as routed, `caller` nil unless RMT
/// authenticates the request (zypper's; with the engines every request).
/// Answers as `product_request` does, the body the XML RMT renders (or RMT's
/// JSON refusal); with the engines (the Caller's `cloud`) also a `:verify`
/// record: the answer once zypper_auth's instance verification of the system
/// passed.
fn service_index(
    ruby: &Ruby,
    caller: Option<CallerArg>,
    identifiers: Option<Identifiers>,
    base_url: String,
    id: String,
) -> Result<RHash, Error> {
    let caller = match caller {
        Some(caller) if caller.wait_for_peers.is_some() => {
            let request = connect_request(caller, identifiers, Vec::new(), base_url);
            let outcome = released(ruby, |engine, call| {
                call.run(services::cloud_repoindex(engine.pool(), engine.catalog_cache(), &request, &id))
            })?;
            return outcome_record(ruby, outcome);
        }
        caller => caller.map(|caller| caller.caller),
    };
    let request = ServiceRequest { id, caller, base_url };
    let answer = released(ruby, |engine, call| call.run(services::repoindex(engine.pool(), &request)))?;
    answer_record(ruby, answer)
}

/// One of API v4's product listings: "subscription_products" (the
/// registration code's, `regcode` from the `Authorization: Token` header) or
/// "installer_repositories" (`regcode` nil); `pubcloud` with RMT's
/// public-cloud engines. Answers as `product_request` does.
fn product_listing(
    ruby: &Ruby,
    listing: String,
    regcode: Option<String>,
    params: magnus::Value,
    base_url: String,
    pubcloud: bool,
) -> Result<RHash, Error> {
    let request = ListingRequest {
        params: convert::hash_pairs(ruby, params, "params", &mut convert::Allowance::default())?,
        base_url,
        flavor: if pubcloud { Flavor::Pubcloud } else { Flavor::Rmt },
    };
    let answer = match (listing.as_str(), regcode) {
        ("subscription_products", Some(regcode)) => released(ruby, |engine, call| {
            let listed = listings::subscription_products(engine.pool(), engine.catalog_cache(), &regcode, &request);
            call.run(listed)
        })?,
        ("installer_repositories", None) => {
            released(ruby, |engine, call| call.run(listings::installer_repositories(engine.pool(), &request)))?
        }
        (other, _) => {
            return Err(Error::new(
                ruby.exception_arg_error(),
                format!(
                    "unknown product listing {other:?} (or a registration code where it takes none): \
                     subscription_products with one, installer_repositories without"
                ),
            ))
        }
    };
    answer_record(ruby, answer)
}

/// The second step of a public-cloud activation, deactivation or upgrade:
/// the ticket of its `:pending` outcome; answers as `product_request` does.
fn finish(ruby: &Ruby, ticket: &RbTicket, base_url: String) -> Result<RHash, Error> {
    let ticket = ticket.0;
    let answer = released(ruby, |engine, call| {
        call.run(products::finish(engine.pool(), engine.catalog_cache(), &ticket, &base_url, Flavor::Pubcloud))
    })?;
    answer_record(ruby, answer)
}

/// The `System-Token` header when RMT sets one: the system's token, nil when
/// it has none.
fn token_header(sent: bool, token: Option<String>) -> Option<(String, Option<String>)> {
    sent.then(|| ("System-Token".to_owned(), token))
}

/// An answer as a record for `RmtRs::Seam.response` (`kind: :answer`):
/// `status`, `body` (JSON or XML text), `headers` (`[[name, value_or_nil], ...]`,
/// `System-Token` last), `activations_changed`, `log` (`[[level, line], ...]`:
/// the logger's method name and the line), `serializer` (`rendering`) and
/// `system_id` (the system the request authenticated as, or nil).
fn answer_record(ruby: &Ruby, answer: Answer) -> Result<RHash, Error> {
    let mut headers: Vec<(String, Option<String>)> =
        answer.headers.into_iter().map(|(name, value)| (name.to_string(), Some(value))).collect();
    headers.extend(token_header(answer.token_header, answer.system_token));
    seam::record(
        ruby,
        [
            ("kind", seam::kind(ruby, "answer")),
            ("status", ruby.into_value(answer.status)),
            ("body", ruby.into_value(answer.body)),
            ("headers", ruby.into_value(headers)),
            ("activations_changed", ruby.into_value(answer.activations_changed)),
            ("log", ruby.into_value(log_lines(answer.log))),
            ("serializer", rendering(ruby, answer.rendering)?),
            ("system_id", ruby.into_value(answer.system_id)),
        ],
    )
}

/// `[[level, line], ...]`: the logger's method name and the line.
fn log_lines(log: Vec<(LogLevel, String)>) -> Vec<(&'static str, String)> {
    log.into_iter().map(|(level, line)| (level.name(), line)).collect()
}

/// How RMT renders the body, as `RmtRs::Rendering.serialized` takes it once
/// `RmtRs::Seam` decoded it: the serializer's name, nil for a Hash rendered as
/// is, or a record of its `kind:` — `:text` (JSON text built from `times`
/// collections the `serializer` serialized), `:prebuilt` (a `serializer` RMT
/// builds itself) or `:plain` (plain text).
fn rendering(ruby: &Ruby, rendering: Rendering) -> Result<magnus::Value, Error> {
    let record = match rendering {
        Rendering::Serializer(name) => return Ok(ruby.into_value(name)),
        Rendering::AsIs => return Ok(ruby.qnil().as_value()),
        Rendering::Text { serializer, times } => seam::record(
            ruby,
            [
                ("kind", seam::kind(ruby, "text")),
                ("serializer", ruby.into_value(serializer)),
                ("times", ruby.into_value(times)),
            ],
        ),
        Rendering::Prebuilt(serializer) => {
            seam::record(ruby, [("kind", seam::kind(ruby, "prebuilt")), ("serializer", ruby.into_value(serializer))])
        }
        Rendering::Plain => seam::record(ruby, [("kind", seam::kind(ruby, "plain"))]),
    };
    Ok(record?.as_value())
}

/// Installs catalog tracking (`db/catalog_tracking.sql`), which lets RmtRs
/// cache product trees.
fn install_catalog_tracking(ruby: &Ruby) -> Result<(), Error> {
    released(ruby, |engine, call| call.run(rmt_rs_core::rmt::catalog_cache::install_tracking(engine.pool())))
}

/// Internal, for specs only: the references to this process's engine that are
/// alive, its own included (one more per call in flight). A call that leaked
/// its reference would leave this above 1 for good.
fn engine_strong_count(ruby: &Ruby) -> Result<usize, Error> {
    let engine = ENGINE.get().map_err(|e| errors::raise(ruby, e))?;
    Ok(Arc::strong_count(&engine) - 1)
}

/// Runs `work` on this process's engine with the GVL released, for the
/// request this thread works on (`call::set_arrival`), and turns its error
/// into the Ruby exception.
fn released<T: Send>(
    ruby: &Ruby,
    work: impl FnOnce(&Engine, &call::Call) -> rmt_rs_core::Result<T> + Send,
) -> Result<T, Error> {
    let engine = ENGINE.get().map_err(|e| errors::raise(ruby, e))?;
    let cancel = Cancel::new();
    let arrival = call::Call::current_arrival();
    // What interrupted the call (`?`) is raised by magnus after this returns,
    // with `engine` and everything else of the call dropped.
    let outcome =
        gvl::without_gvl(&cancel, || work(&engine, &call::Call { engine: &engine, cancel: &cancel, arrival }))?;
    outcome.map_err(|e| errors::raise(ruby, e))
}

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let rmt_rs = ruby.define_module("RmtRs")?;
    errors::look_up(rmt_rs)?;
    let native = rmt_rs.define_module("Native")?;
    native.define_singleton_method("configure", function!(configure, 13))?;
    native.define_singleton_method("arrival", function!(call::set_arrival, 3))?;
    native.define_singleton_method("configured?", function!(is_configured, 0))?;
    native.define_singleton_method("release=", function!(set_release, 1))?;
    native.define_singleton_method("after_fork", function!(after_fork, 0))?;
    native.define_singleton_method("announce_system", function!(announce, 4))?;
    native.define_singleton_method("product_request", function!(product_request, 5))?;
    native.define_singleton_method("finish", function!(finish, 2))?;
    native.define_class("Ticket", ruby.class_object())?.define_method("finishes", method!(RbTicket::finishes, 0))?;
    native.define_singleton_method("system_update", function!(system_update, 4))?;
    native.define_singleton_method("service_index", function!(service_index, 4))?;
    native.define_singleton_method("deregister", function!(deregister, 2))?;
    native.define_singleton_method("destroy_system", function!(destroy_system, 1))?;
    native.define_singleton_method("auth_check", function!(auth_check, 5))?;
    native.define_singleton_method("legacy_repoindex", function!(legacy_repoindex, 3))?;
    native.define_singleton_method("product_listing", function!(product_listing, 5))?;
    native.define_singleton_method("install_catalog_tracking", function!(install_catalog_tracking, 0))?;
    // The input limits, for the Ruby side's documentation and specs.
    native.const_set("MAX_ENTRIES", convert::MAX_ENTRIES)?;
    native.const_set("MAX_BYTES", convert::MAX_BYTES)?;
    native.const_set("MAX_DEPTH", convert::MAX_DEPTH)?;
    native.define_singleton_method("__engine_strong_count", function!(engine_strong_count, 0))?;
    stats::define(native)?;
    health::define(native)?;
    Ok(())
}
