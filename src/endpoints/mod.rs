//! RMT's connect API, one module per endpoint family.

pub mod activations;
pub mod announce;
pub mod auth_check;
pub mod listings;
mod params;
pub mod products;
pub mod services;
pub mod systems;
