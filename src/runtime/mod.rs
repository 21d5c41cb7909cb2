//! One tokio runtime and one sqlx pool per process, the calls that run on them,
//! and what a fork does to them.

pub mod arrival;
pub mod config;
pub mod engine;
pub mod fork;
pub mod saturation;
