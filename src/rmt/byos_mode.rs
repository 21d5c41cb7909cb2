//! RMT's `System.proxy_byos_mode` (an ActiveRecord enum column): how a system
//! pays in the public cloud, which decides what the engines check.

/// Neither: RMT without the engines, or a system registered with a code.
pub const NOT_APPLICABLE: i32 = 0;
/// Pay as you go: the cloud bills the instance (no registration code).
pub const PAYG: i32 = 1;
/// Bring your own subscription: registered with SCC through scc_proxy.
pub const BYOS: i32 = 2;
/// A PAYG instance with extensions bought on SCC.
pub const HYBRID: i32 = 3;
