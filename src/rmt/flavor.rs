//! Which RMT RmtRs answers for: RMT as the rmt-server package installs it, or RMT
//! with the public-cloud engines of rmt-server-pubcloud (`scc_proxy`,
//! `instance_verification`, `zypper_auth`, ...). The engines change what RMT
//! writes and answers on the registration path; this names each change once.

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flavor {
    #[default]
    Rmt,
    /// RMT with its public-cloud engines.
    Pubcloud,
}

impl Flavor {
    /// `V3::ProductSerializer#free`: RMT answers every product free (or SUSEConnect
    /// and YaST would ask for a registration code); with `scc_proxy` loaded an
    /// extension answers its own value (LTSS is not free in the cloud).
    pub fn free(self, is_extension: bool, own: Option<bool>) -> Option<bool> {
        match self {
            Flavor::Pubcloud if is_extension => own,
            _ => Some(true),
        }
    }
}
