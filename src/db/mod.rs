//! Transactions of the registration path: begun and committed in step with the
//! call that runs them (so an abandoned call never commits), retried after a
//! deadlock, and a lost COMMIT's outcome read back.

pub mod call;
#[cfg(feature = "commit-faults")]
pub mod faults;
pub mod retry;
pub mod transaction;

use crate::error::Error;

/// How a COMMIT failed.
#[derive(Debug)]
pub enum CommitFailed {
    /// MariaDB answered with an error: nothing was written. A deadlock here
    /// (how Galera reports a certification conflict) is retried like one met
    /// by a statement.
    Refused(Error),
    /// The connection failed after the COMMIT went out (MariaDB stopped, the
    /// connection was killed): it may or may not have been written.
    Uncertain(Error),
}

impl From<CommitFailed> for Error {
    fn from(failed: CommitFailed) -> Error {
        match failed {
            CommitFailed::Refused(e) | CommitFailed::Uncertain(e) => e,
        }
    }
}
