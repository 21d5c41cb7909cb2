//! Test-only COMMIT fault injection (cargo feature `commit-faults`, which the
//! crate's own tests enable through their dev-dependency on it): the outcomes
//! no single MariaDB produces on demand. Without the feature nothing of it is
//! built, and no COMMIT looks for it.

use std::future::Future;
use std::sync::Mutex;

use sqlx::{MySql, Transaction};

use super::CommitFailed;
use crate::error::{Cause, Error};

/// What a COMMIT does instead, for tests of the outcomes no single MariaDB
/// produces on demand ([`with_commit_faults`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitFault {
    /// Refused as a deadlock, as Galera refuses a certification conflict:
    /// rolled back.
    Deadlock,
    /// Written, but the answer is lost with the connection.
    LostAfterWriting,
    /// Lost with the connection before it was carried out: rolled back.
    LostBeforeWriting,
}

tokio::task_local! {
    static COMMIT_FAULTS: Mutex<std::collections::VecDeque<CommitFault>>;
}

/// The fault the next COMMIT of this task meets, if any.
pub(crate) fn next() -> Option<CommitFault> {
    COMMIT_FAULTS.try_with(|faults| faults.lock().ok()?.pop_front()).ok().flatten()
}

/// Runs `work` with its COMMITs replaced, in turn, by `faults`; the COMMITs
/// after them run normally.
#[doc(hidden)]
pub async fn with_commit_faults<F: Future>(faults: impl IntoIterator<Item = CommitFault>, work: F) -> F::Output {
    COMMIT_FAULTS.scope(Mutex::new(faults.into_iter().collect()), work).await
}

pub(crate) async fn inject(
    fault: CommitFault,
    tx: Transaction<'static, MySql>,
) -> std::result::Result<(), CommitFailed> {
    let lost = || Error::Unavailable(Cause::ServerGone, "The database connection was lost (injected)".into());
    match fault {
        CommitFault::Deadlock => {
            tx.rollback().await.map_err(|e| CommitFailed::Refused(e.into()))?;
            Err(CommitFailed::Refused(Error::Deadlock))
        }
        CommitFault::LostAfterWriting => {
            tx.commit().await.map_err(|e| CommitFailed::Refused(e.into()))?;
            Err(CommitFailed::Uncertain(lost()))
        }
        CommitFault::LostBeforeWriting => {
            tx.rollback().await.map_err(|e| CommitFailed::Refused(e.into()))?;
            Err(CommitFailed::Uncertain(lost()))
        }
    }
}
