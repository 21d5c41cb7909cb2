//! The Ruby-free core of RmtRs: RMT's connect API (a system's whole life: announce,
//! activation, the product tree, keepalive, deregistration, migrations, the
//! service indexes and nginx's auth check) on sqlx/MariaDB.
//!
//! Nothing in this crate knows about Ruby. The binding crate under `ext/rmt_rs`
//! converts Ruby values into [`Value`]s and requests, releases the GVL and calls
//! [`Engine::run`] with one of the endpoints' async functions.
//!
//! The layers, each a folder, each using only those listed before it:
//! - [`rails`]: byte-for-byte what Rails and Ruby produce (JSON, floats, URLs, times).
//! - [`db`]: transactions with the call handshake, retries after deadlocks.
//! - [`rmt`]: RMT's domain: the catalog and its cache, profiles, credentials, migration paths.
//! - [`auth`]: the authentication pipeline every authenticated endpoint runs through.
//! - [`endpoints`]: one module per endpoint family.
//! - [`runtime`]: the process's tokio runtime and pool, and the fork rule.
//!
//! [`error`] and [`answer`] are the one error enum and the one answer type;
//! [`stats`] the per-process counters operators' metrics are made of.

pub mod answer;
pub mod auth;
pub mod client;
pub mod db;
pub mod endpoints;
pub mod error;
pub mod rails;
pub mod rmt;
pub mod runtime;
pub mod stats;

pub use answer::Answer;
pub use auth::outcome::Outcome;
pub use auth::pipeline::ConnectRequest;
pub use auth::system_auth::Caller;
pub use client::Client;
pub use endpoints::announce::{announce_system, AnnounceRequest, Announced};
pub use error::{Error, Result};
pub use rails::value::Value;
pub use rmt::flavor::Flavor;
pub use runtime::arrival::Arrival;
pub use runtime::config::DatabaseConfig;
pub use runtime::engine::{Cancel, Engine};
