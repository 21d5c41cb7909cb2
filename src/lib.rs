//! The Ruby-free core of RmtRs: RMT's registration path (announce, product activation and the
//! product tree) on sqlx/MariaDB.
//!
//! Nothing in this crate knows about Ruby. The binding crate under `ext/rmt_rs`
//! converts Ruby values into [`Value`]s and [`AnnounceRequest`]s, releases the GVL
//! and calls [`Engine::run`] with one of the async functions here.

pub mod activations;
pub mod announce;
pub mod answer;
pub mod auth_check;
pub mod byos_mode;
pub mod catalog;
pub mod catalog_cache;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod engine;
pub mod error;
pub mod fast_lane;
pub mod flavor;
pub mod fork;
pub mod login_claims;
pub mod migrations;
pub mod product_listings;
pub mod products;
pub mod profiles;
pub mod rails_json;
pub mod rails_params;
pub mod retry;
pub mod ruby_inspect;
pub mod services;
pub mod system_auth;
pub mod systems;
pub mod transaction;
pub mod urls;
pub mod value;

pub use announce::{announce_system, AnnounceRequest, Announced};
pub use answer::Answer;
pub use config::DatabaseConfig;
pub use engine::{Cancel, Engine};
pub use error::{Error, Result};
pub use flavor::Flavor;
pub use products::{Outcome, ProductRequest};
pub use system_auth::Caller;
pub use value::Value;
