//! RMT's domain as its models and services have it: the product catalog and the
//! cache of its trees, system profiles, credentials and login claims, the
//! public-cloud modes and flavors, and the migration engine.

pub mod byos_mode;
pub mod catalog;
pub mod catalog_cache;
pub mod credentials;
pub mod flavor;
pub mod instance_cache;
pub mod login_claims;
pub mod migration_paths;
pub mod profiles;
pub mod release;
pub mod system_information;
pub mod urls;
