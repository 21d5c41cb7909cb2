//! The one way RmtRs writes: a unit of work run in a transaction and
//! committed, run whole again when MariaDB picks it as a deadlock victim (or
//! Galera refuses its COMMIT as a certification conflict, which it reports as
//! a deadlock), and, when the answer to a COMMIT is lost, settled by reading
//! back what was written before anything is answered.

use sqlx::{MySqlConnection, MySqlPool};

use super::{call, CommitFailed};
use crate::db::retry::{self, MAX_ATTEMPTS};
use crate::error::{Cause, Error, Result};
use crate::stats;

/// How one attempt of a unit of work ended.
pub enum Attempt<T> {
    /// Commit what it wrote, and answer this.
    Commit(T),
    /// Roll back and run again at once, without a wait (a drawn login was
    /// taken by another system): counted against the attempts, not a deadlock.
    Again,
}

/// A unit of work for [`run`]. Its futures run on the engine's own runtime
/// (`Engine::run` blocks on them), never spawned: they need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Work {
    type Output;

    /// One attempt, on the open transaction. Everything it writes must be
    /// found written when run again (or after a lost COMMIT), so that nothing
    /// is done twice.
    async fn attempt(&mut self, conn: &mut MySqlConnection) -> Result<Attempt<Self::Output>>;

    /// After a COMMIT whose answer was lost (`lost`, the commit's error):
    /// `Some(output)` when what the attempt wrote is there (the client must
    /// get that answer), `None` to run it again: the default, right for work
    /// whose writes are the same when run again. Runs
    /// [`unabandoned`](call::unabandoned); [`call::read_back`] asks while
    /// MariaDB is away.
    async fn settle(&mut self, _pool: &MySqlPool, _output: Self::Output, _lost: Error) -> Result<Option<Self::Output>> {
        Ok(None)
    }
}

/// Runs `work` until an attempt commits, at most [`MAX_ATTEMPTS`] times,
/// waiting longer before each retry after a deadlock ([`retry::back_off`]).
pub async fn run<W: Work>(pool: &MySqlPool, work: &mut W) -> Result<W::Output> {
    let mut deadlocks = 0;
    for _ in 0..MAX_ATTEMPTS {
        if deadlocks > 0 {
            stats::deadlock_retried();
            retry::back_off(deadlocks).await;
        }
        let mut tx = call::begin(pool).await?;
        let output = match work.attempt(&mut tx).await {
            Ok(Attempt::Commit(output)) => output,
            Ok(Attempt::Again) => {
                tx.rollback().await?;
                continue;
            }
            // Dropping `tx` rolls back.
            Err(Error::Deadlock) => {
                deadlocks += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        match call::commit(tx).await {
            Ok(()) => return Ok(output),
            Err(CommitFailed::Refused(Error::Deadlock)) => deadlocks += 1,
            Err(CommitFailed::Refused(e)) => return Err(e),
            Err(CommitFailed::Uncertain(lost)) => {
                // Not written: MariaDB is back and the work simply runs again.
                if let Some(output) = call::unabandoned(work.settle(pool, output, lost)).await? {
                    return Ok(output);
                }
            }
        }
    }
    Err(Error::Unavailable(
        Cause::Deadlock,
        format!("The database is busy ({deadlocks} deadlocks in {MAX_ATTEMPTS} attempts); try again later"),
    ))
}
