//! Ruby binding of rmt_rs_core: converts arguments, releases the GVL, calls the
//! core, converts back. Keyword arguments, defaults, type checks and the response
//! object live in Ruby (`lib/rmt_rs`); this exposes `RmtRs::Native`.

mod convert;
mod errors;
mod gvl;

use std::sync::Arc;
use std::time::Duration;

use magnus::{function, prelude::*, Error, RArray, Ruby};
use rmt_rs_core::engine::ProcessEngine;
use rmt_rs_core::{announce_system, products, AnnounceRequest, Caller, Cancel, DatabaseConfig, Engine, ProductRequest};

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
fn announce(
    ruby: &Ruby,
    hostname: Option<String>,
    hwinfo: magnus::Value,
    system_profiles: magnus::Value,
) -> Result<RArray, Error> {
    let mut allowance = convert::Allowance::default();
    let request = AnnounceRequest {
        hostname,
        hwinfo: convert::optional_hash(ruby, hwinfo, "hwinfo", &mut allowance)?,
        system_profiles: convert::hash_pairs(ruby, system_profiles, "system_profiles", &mut allowance)?,
    };
    let announced = released(ruby, |engine, cancel| engine.run(cancel, announce_system(engine.pool(), &request)))?;
    Ok(ruby.ary_new_from_values(&[
        ruby.into_value(announced.id),
        ruby.into_value(announced.login),
        ruby.into_value(announced.password),
        ruby.into_value(announced.clear_profiles_cache),
    ]))
}

/// `[status, json_body, system_token_or_nil]` of a products request; `action`
/// is "activate" or "show".
#[allow(clippy::too_many_arguments)]
fn product_request(
    ruby: &Ruby,
    action: String,
    login: String,
    password: Option<String>,
    system_token: Option<String>,
    user_agent: Option<String>,
    tokens_disabled: bool,
    params: magnus::Value,
    base_url: String,
) -> Result<RArray, Error> {
    let request = ProductRequest {
        caller: Caller { login, password, system_token, user_agent, tokens_disabled },
        params: convert::hash_pairs(ruby, params, "params", &mut convert::Allowance::default())?,
        base_url,
    };
    let answer = released(ruby, |engine, cancel| {
        engine.run(cancel, async {
            match action.as_str() {
                "activate" => products::activate(engine.pool(), engine.catalog_cache(), &request).await,
                _ => products::show(engine.pool(), engine.catalog_cache(), &request).await,
            }
        })
    })?;
    Ok(ruby.ary_new_from_values(&[
        ruby.into_value(answer.status),
        ruby.into_value(answer.body),
        ruby.into_value(answer.system_token),
    ]))
}

/// Installs catalog tracking (`db/catalog_tracking.sql`), which lets RmtRs
/// cache product trees.
fn install_catalog_tracking(ruby: &Ruby) -> Result<(), Error> {
    released(ruby, |engine, cancel| engine.run(cancel, rmt_rs_core::catalog_cache::install_tracking(engine.pool())))
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
    native.define_singleton_method("announce_system", function!(announce, 3))?;
    native.define_singleton_method("product_request", function!(product_request, 8))?;
    native.define_singleton_method("install_catalog_tracking", function!(install_catalog_tracking, 0))?;
    // The input limits, for the Ruby side's documentation and specs.
    native.const_set("MAX_ENTRIES", convert::MAX_ENTRIES)?;
    native.const_set("MAX_BYTES", convert::MAX_BYTES)?;
    native.const_set("MAX_DEPTH", convert::MAX_DEPTH)?;
    native.define_singleton_method("__engine_strong_count", function!(engine_strong_count, 0))?;
    Ok(())
}
