//! How RMT (and, with the public-cloud engines, scc_proxy) finds the system a
//! request is from, and the pipeline every authenticated endpoint runs through.

pub mod outcome;
pub mod pipeline;
pub mod system_auth;
