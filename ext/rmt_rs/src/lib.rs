//! Ruby binding of rmt_rs_core: converts arguments, releases the GVL, calls the
//! core, converts back. Keyword arguments, defaults, type checks and the response
//! object live in Ruby (`lib/rmt_rs`); this exposes `RmtRs::Native`.

mod convert;
mod errors;
mod fast_lane;
mod gvl;

use std::sync::Arc;
use std::time::Duration;

use magnus::{function, prelude::*, Error, RArray, Ruby};
use rmt_rs_core::answer::{LogLevel, Rendering};
use rmt_rs_core::auth::outcome::{Finishing, Outcome, Ticket};
use rmt_rs_core::endpoints::activations;
use rmt_rs_core::endpoints::announce::PaygInstance;
use rmt_rs_core::endpoints::auth_check::{self, PathCheck};
use rmt_rs_core::endpoints::listings::{self, ListingRequest};
use rmt_rs_core::endpoints::products;
use rmt_rs_core::endpoints::services::{self, ServiceRequest};
use rmt_rs_core::endpoints::systems::{self, SystemUpdate};
use rmt_rs_core::rmt::migration_paths;
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
    };
    config.validate().map_err(|message| Error::new(ruby.exception_arg_error(), message))?;
    ENGINE.configure(config);
    Ok(())
}

fn is_configured() -> bool {
    ENGINE.is_configured()
}

fn after_fork() {
    ENGINE.after_fork();
}

/// `[id, login, password, clear_profiles_cache]` of the announced system.
/// `payg` is nil, or `[instance_identifier, instance_data]` (each may be nil)
/// for a PAYG instance announced with the public-cloud engines.
fn announce(
    ruby: &Ruby,
    hostname: Option<String>,
    hwinfo: magnus::Value,
    system_profiles: magnus::Value,
    payg: Option<(Option<String>, Option<String>)>,
) -> Result<RArray, Error> {
    let mut allowance = convert::Allowance::default();
    let request = AnnounceRequest {
        hostname,
        hwinfo: convert::optional_hash(ruby, hwinfo, "hwinfo", &mut allowance)?,
        system_profiles: convert::hash_pairs(ruby, system_profiles, "system_profiles", &mut allowance)?,
        payg: payg.map(|(identifier, instance_data)| PaygInstance { identifier, instance_data }),
    };
    let announced = released(ruby, |engine, cancel| engine.run(cancel, announce_system(engine.pool(), &request)))?;
    Ok(ruby.ary_new_from_values(&[
        ruby.into_value(announced.id),
        ruby.into_value(announced.login),
        ruby.into_value(announced.password),
        ruby.into_value(announced.clear_profiles_cache),
    ]))
}

/// `[[system_id, instance_identifier_or_nil], ...]`.
type Identifiers = Vec<(u64, Option<String>)>;

/// Who calls, as Ruby hands it over (`RmtRs::Products.caller`):
/// `[login, password_or_nil, system_token_or_nil, user_agent_or_nil, tokens_disabled]`.
type CallerArgs = (String, Option<String>, Option<String>, Option<String>, bool);

fn from_args((login, password, system_token, user_agent, tokens_disabled): CallerArgs) -> Caller {
    Caller { login, password, system_token, user_agent, tokens_disabled }
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
/// "migrations", "offline_migrations" or "activations", `cloud` nil outside
/// the public cloud, else `[identifiers, wait_for_peers]` (identifiers nil or
/// `[[system_id, identifier_or_nil], ...]`). Answers one of
/// `["answer", status, json_body, token_header, activations_changed, [[level, line], ...], serializer_or_nil,
/// [[header, value], ...], system_id_or_nil]` (other headers than `System-Token`; the system
/// the request authenticated as),
/// `["identify", [[system_id, instance_data_or_nil], ...]]` or
/// `["checked", system_attributes, product_attributes, token_header, ticket]`;
/// `token_header` is nil when RMT sets no `System-Token` header, else `[token_or_nil]`.
fn product_request(
    ruby: &Ruby,
    action: String,
    caller: CallerArgs,
    params: magnus::Value,
    base_url: String,
    cloud: Option<(Option<Identifiers>, bool)>,
) -> Result<RArray, Error> {
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
    let request = connect_request(caller, params, base_url, cloud);
    let outcome = released(ruby, |engine, cancel| {
        engine.run(cancel, async {
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
    outcome_array(ruby, outcome)
}

/// Who calls and from which app flavor, for the endpoints that authenticate
/// a system: `cloud` nil outside the public cloud, else `[identifiers, wait_for_peers]`.
fn connect_request(
    caller: CallerArgs,
    params: Vec<(String, Value)>,
    base_url: String,
    cloud: Option<(Option<Identifiers>, bool)>,
) -> ConnectRequest {
    let (flavor, identifiers, wait_for_peers) = match cloud {
        Some((identifiers, wait)) => (Flavor::Pubcloud, identifiers, wait),
        None => (Flavor::Rmt, None, false),
    };
    ConnectRequest { caller: from_args(caller), params, base_url, flavor, identifiers, wait_for_peers }
}

/// An outcome as `product_request` answers it.
fn outcome_array(ruby: &Ruby, outcome: Outcome) -> Result<RArray, Error> {
    match outcome {
        Outcome::Answer(answer) => Ok(answer_array(ruby, answer)),
        Outcome::Identify(wanted) => {
            Ok(ruby.ary_new_from_values(&[ruby.into_value("identify"), ruby.into_value(wanted)]))
        }
        Outcome::Verify(answer, system) => Ok(ruby.ary_new_from_values(&[
            ruby.into_value("verify"),
            answer_array(ruby, *answer).as_value(),
            convert::attributes(ruby, &system)?.as_value(),
        ])),
        Outcome::Pending(checked) => {
            let t = checked.ticket;
            let finishes = match t.finishes {
                Finishing::Activation => "activation",
                Finishing::Deactivation => "deactivation",
                Finishing::Upgrade => "upgrade",
            };
            let ticket = (t.system_id, t.product_id, t.service_id, t.subscription_id, t.refresh_token, finishes);
            Ok(ruby.ary_new_from_values(&[
                ruby.into_value("checked"),
                convert::attributes(ruby, &checked.system)?.as_value(),
                convert::attributes(ruby, &checked.product)?.as_value(),
                token_header(ruby, checked.token_header, checked.system_token),
                ruby.into_value(ticket),
            ]))
        }
    }
}

/// RMT's `PUT /connect/systems`. `input` holds `"hwinfo"` (a Hash or nil),
/// `"online_at"` as sent, and `"system_profiles"` only when it was sent.
/// `cloud` and the answer as for `product_request`.
fn system_update(
    ruby: &Ruby,
    caller: CallerArgs,
    hostname: Option<String>,
    input: magnus::Value,
    cloud: Option<(Option<Identifiers>, bool)>,
) -> Result<RArray, Error> {
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
    let request = connect_request(caller, Vec::new(), String::new(), cloud);
    let outcome = released(ruby, |engine, cancel| {
        engine.run(cancel, systems::update(engine.pool(), engine.catalog_cache(), &request, &update))
    })?;
    outcome_array(ruby, outcome)
}

/// RMT's legacy `GET /repo/repoindex.xml`. Answers as `service_index` does
/// (`cloud` too).
fn legacy_repoindex(
    ruby: &Ruby,
    caller: CallerArgs,
    base_url: String,
    cloud: Option<(Option<Identifiers>, bool)>,
) -> Result<RArray, Error> {
    let request = connect_request(caller, Vec::new(), base_url, cloud);
    let outcome = released(ruby, |engine, cancel| {
        engine.run(cancel, services::legacy_repoindex(engine.pool(), engine.catalog_cache(), &request))
    })?;
    outcome_array(ruby, outcome)
}

/// strict_authentication's `GET /api/auth/check` with the engines: `check`
/// is `[X-Original-URI, X-Instance-Identifier, X-Instance-Version]` (each nil
/// when absent). Answers as `product_request` does; once authenticated,
/// `["verify", answer, system_attributes]` with the database's verdict as the
/// answer's status (200 or 403).
fn auth_check(
    ruby: &Ruby,
    caller: CallerArgs,
    check: (Option<String>, Option<String>, Option<String>),
    cloud: Option<(Option<Identifiers>, bool)>,
) -> Result<RArray, Error> {
    let (uri, instance_identifier, instance_version) = check;
    let check = PathCheck { uri, instance_identifier, instance_version };
    let request = connect_request(caller, Vec::new(), String::new(), cloud);
    let outcome = released(ruby, |engine, cancel| {
        engine.run(cancel, auth_check::check(engine.pool(), engine.catalog_cache(), &request, &check))
    })?;
    outcome_array(ruby, outcome)
}

/// RMT's `DELETE /connect/systems`. `cloud` and the answer as for
/// `product_request`; with the engines `["verify", answer, system_attributes]`:
/// their checks on the system come next, then `destroy_system`.
fn deregister(ruby: &Ruby, caller: CallerArgs, cloud: Option<(Option<Identifiers>, bool)>) -> Result<RArray, Error> {
    let request = connect_request(caller, Vec::new(), String::new(), cloud);
    let outcome = released(ruby, |engine, cancel| {
        engine.run(cancel, systems::deregister(engine.pool(), engine.catalog_cache(), &request))
    })?;
    outcome_array(ruby, outcome)
}

/// A public-cloud deregistration's second step: the system `id` destroyed.
fn destroy_system(ruby: &Ruby, id: u64) -> Result<RArray, Error> {
    let answer = released(ruby, |engine, cancel| engine.run(cancel, systems::destroy(engine.pool(), id)))?;
    Ok(answer_array(ruby, answer))
}

/// RMT's `GET /services/:id`: `id` as routed, `caller` nil unless RMT
/// authenticates the request (zypper's; with the engines every request).
/// Answers as `product_request` does, the body the XML RMT renders (or RMT's
/// JSON refusal); with the engines (`cloud` as for `product_request`) also
/// `["verify", answer, system_attributes]`: the answer once zypper_auth's
/// instance verification of the system passed.
fn service_index(
    ruby: &Ruby,
    caller: Option<CallerArgs>,
    base_url: String,
    id: String,
    cloud: Option<(Option<Identifiers>, bool)>,
) -> Result<RArray, Error> {
    if let (Some(caller), Some(cloud)) = (caller.clone(), cloud) {
        let request = connect_request(caller, Vec::new(), base_url, Some(cloud));
        let outcome = released(ruby, |engine, cancel| {
            engine.run(cancel, services::cloud_repoindex(engine.pool(), engine.catalog_cache(), &request, &id))
        })?;
        return outcome_array(ruby, outcome);
    }
    let request = ServiceRequest { id, caller: caller.map(from_args), base_url };
    let answer = released(ruby, |engine, cancel| engine.run(cancel, services::repoindex(engine.pool(), &request)))?;
    Ok(answer_array(ruby, answer))
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
) -> Result<RArray, Error> {
    let request = ListingRequest {
        params: convert::hash_pairs(ruby, params, "params", &mut convert::Allowance::default())?,
        base_url,
        flavor: if pubcloud { Flavor::Pubcloud } else { Flavor::Rmt },
    };
    let answer = match (listing.as_str(), regcode) {
        ("subscription_products", Some(regcode)) => released(ruby, |engine, cancel| {
            let listed = listings::subscription_products(engine.pool(), engine.catalog_cache(), &regcode, &request);
            engine.run(cancel, listed)
        })?,
        ("installer_repositories", None) => released(ruby, |engine, cancel| {
            engine.run(cancel, listings::installer_repositories(engine.pool(), &request))
        })?,
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
    Ok(answer_array(ruby, answer))
}

/// The second step of a public-cloud activation, deactivation or upgrade:
/// the ticket of its "checked" outcome (its last element "activation",
/// "deactivation" or "upgrade"); answers as `product_request` does.
fn finish(ruby: &Ruby, ticket: (u64, u64, u64, Option<i64>, bool, String), base_url: String) -> Result<RArray, Error> {
    let (system_id, product_id, service_id, subscription_id, refresh_token, finishes) = ticket;
    let finishes = match finishes.as_str() {
        "activation" => Finishing::Activation,
        "deactivation" => Finishing::Deactivation,
        "upgrade" => Finishing::Upgrade,
        other => {
            return Err(Error::new(ruby.exception_arg_error(), format!("unknown ticket {other:?}")));
        }
    };
    let ticket = Ticket { finishes, system_id, product_id, service_id, subscription_id, refresh_token };
    let answer = released(ruby, |engine, cancel| {
        engine
            .run(cancel, products::finish(engine.pool(), engine.catalog_cache(), &ticket, &base_url, Flavor::Pubcloud))
    })?;
    Ok(answer_array(ruby, answer))
}

/// nil without a `System-Token` header, else `[token_or_nil]`.
fn token_header(ruby: &Ruby, sent: bool, token: Option<String>) -> magnus::Value {
    match sent {
        true => ruby.ary_new_from_values(&[ruby.into_value(token)]).as_value(),
        false => ruby.qnil().as_value(),
    }
}

fn answer_array(ruby: &Ruby, answer: Answer) -> RArray {
    ruby.ary_new_from_values(&[
        ruby.into_value("answer"),
        ruby.into_value(answer.status),
        ruby.into_value(answer.body),
        token_header(ruby, answer.token_header, answer.system_token),
        ruby.into_value(answer.activations_changed),
        ruby.into_value(log_lines(answer.log)),
        rendering(ruby, answer.rendering),
        ruby.into_value(answer.headers.into_iter().map(|(name, value)| (name.to_string(), value)).collect::<Vec<_>>()),
        ruby.into_value(answer.system_id),
    ])
}

/// How RMT renders the body, as Ruby's `Rendering.serialized` takes it: the
/// serializer's name, nil for a Hash rendered as is, `["text", serializer, times]`
/// for JSON text built from `times` serialized collections, `["prebuilt", serializer]` for a
/// serializer RMT builds itself.
pub(crate) fn rendering(ruby: &Ruby, rendering: Rendering) -> magnus::Value {
    match rendering {
        Rendering::Serializer(name) => ruby.into_value(name),
        Rendering::AsIs => ruby.qnil().as_value(),
        Rendering::Text { serializer, times } => ruby.into_value(("text", serializer, times)),
        Rendering::Prebuilt(serializer) => ruby.into_value(("prebuilt", serializer)),
        Rendering::Plain => ruby.into_value(("plain",)),
    }
}

/// `[[level, line], ...]`: the logger's method name and the line.
pub(crate) fn log_lines(log: Vec<(LogLevel, String)>) -> Vec<(&'static str, String)> {
    log.into_iter().map(|(level, line)| (level.name(), line)).collect()
}

/// Installs catalog tracking (`db/catalog_tracking.sql`), which lets RmtRs
/// cache product trees.
fn install_catalog_tracking(ruby: &Ruby) -> Result<(), Error> {
    released(ruby, |engine, cancel| {
        engine.run(cancel, rmt_rs_core::rmt::catalog_cache::install_tracking(engine.pool()))
    })
}

/// Internal, for specs only: the references to this process's engine that are
/// alive, its own included (one more per call in flight). A call that leaked
/// its reference would leave this above 1 for good.
fn engine_strong_count(ruby: &Ruby) -> Result<usize, Error> {
    let engine = ENGINE.get().map_err(|e| errors::raise(ruby, e))?;
    Ok(Arc::strong_count(&engine) - 1)
}

/// Runs `work` on this process's engine with the GVL released, and turns its
/// error into the Ruby exception.
fn released<T: Send>(
    ruby: &Ruby,
    work: impl FnOnce(&Engine, &Cancel) -> rmt_rs_core::Result<T> + Send,
) -> Result<T, Error> {
    let engine = ENGINE.get().map_err(|e| errors::raise(ruby, e))?;
    let cancel = Cancel::new();
    // What interrupted the call (`?`) is raised by magnus after this returns,
    // with `engine` and everything else of the call dropped.
    let outcome = gvl::without_gvl(&cancel, || work(&engine, &cancel))?;
    outcome.map_err(|e| errors::raise(ruby, e))
}

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let native = ruby.define_module("RmtRs")?.define_module("Native")?;
    native.define_singleton_method("configure", function!(configure, 10))?;
    native.define_singleton_method("configured?", function!(is_configured, 0))?;
    native.define_singleton_method("after_fork", function!(after_fork, 0))?;
    native.define_singleton_method("announce_system", function!(announce, 4))?;
    native.define_singleton_method("product_request", function!(product_request, 5))?;
    native.define_singleton_method("finish", function!(finish, 2))?;
    native.define_singleton_method("system_update", function!(system_update, 4))?;
    native.define_singleton_method("service_index", function!(service_index, 4))?;
    native.define_singleton_method("deregister", function!(deregister, 2))?;
    native.define_singleton_method("destroy_system", function!(destroy_system, 1))?;
    native.define_singleton_method("auth_check", function!(auth_check, 3))?;
    native.define_singleton_method("legacy_repoindex", function!(legacy_repoindex, 3))?;
    native.define_singleton_method("product_listing", function!(product_listing, 5))?;
    native.define_singleton_method("install_catalog_tracking", function!(install_catalog_tracking, 0))?;
    // The input limits, for the Ruby side's documentation and specs.
    native.const_set("MAX_ENTRIES", convert::MAX_ENTRIES)?;
    native.const_set("MAX_BYTES", convert::MAX_BYTES)?;
    native.const_set("MAX_DEPTH", convert::MAX_DEPTH)?;
    native.define_singleton_method("__engine_strong_count", function!(engine_strong_count, 0))?;
    fast_lane::define(ruby, native)?;
    Ok(())
}
