//! Per-process counters of what the core did that a caller's answer does not
//! show: why calls ended in a 503, how often a deadlock was retried, how many
//! calls wait for a connection.
//!
//! Plain atomics, process-wide: the core knows nothing of who reads them (the
//! Ruby side turns their growth into RMT's Prometheus counters). They are
//! cumulative and never reset; a forked child inherits the parent's values,
//! so a reader takes its first [`snapshot`] in a process as its baseline.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::error::{Cause, Error};

static UNAVAILABLE: [AtomicU64; Cause::ALL.len()] = [const { AtomicU64::new(0) }; Cause::ALL.len()];
static DEADLOCK_RETRIES: AtomicU64 = AtomicU64::new(0);
static WAITING: AtomicI64 = AtomicI64::new(0);

/// Counts a call's final outcome: a 503 by its cause. Called once per call
/// (`Engine::run`), so a 503 met and recovered from inside a call (a lost
/// COMMIT settled, a deadlock retried) is not counted as one.
pub fn finished<T>(outcome: &Result<T, Error>) {
    if let Some(cause) = outcome.as_ref().err().and_then(Error::cause) {
        UNAVAILABLE[cause as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// A call refused before it ran (past its client's patience or deadline, or
/// shed while saturated): counted as [`finished`] counts it, and returned.
pub fn refused<T>(refusal: Error) -> Result<T, Error> {
    let outcome = Err(refusal);
    finished::<T>(&outcome);
    outcome
}

/// A transaction run again after MariaDB chose it as a deadlock victim.
pub fn deadlock_retried() {
    DEADLOCK_RETRIES.fetch_add(1, Ordering::Relaxed);
}

/// Marks a call waiting for a pooled connection until the guard drops (the
/// connection came, the wait failed, or the call was abandoned meanwhile).
pub fn waiting() -> Waiting {
    WAITING.fetch_add(1, Ordering::Relaxed);
    Waiting(())
}

pub struct Waiting(());

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// 503s by cause, every cause listed ([`Cause::label`]).
    pub unavailable: Vec<(&'static str, u64)>,
    pub deadlock_retries: u64,
    /// Calls waiting for a connection now.
    pub waiting: u64,
}

pub fn snapshot() -> Snapshot {
    Snapshot {
        unavailable: Cause::ALL.iter().map(|c| (c.label(), UNAVAILABLE[*c as usize].load(Ordering::Relaxed))).collect(),
        deadlock_retries: DEADLOCK_RETRIES.load(Ordering::Relaxed),
        waiting: WAITING.load(Ordering::Relaxed).max(0) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(cause: &str) -> u64 {
        snapshot().unavailable.iter().find(|(c, _)| *c == cause).map(|(_, n)| *n).unwrap_or(0)
    }

    #[test]
    fn counts_503s_by_cause_and_nothing_else() {
        let before = (count("deadline"), count("lock_wait"), count("server_gone"));
        finished::<()>(&Err(Error::Unavailable(Cause::Deadline, "late".into())));
        finished::<()>(&Err(Error::Unavailable(Cause::LockWait, "busy".into())));
        finished::<()>(&Err(Error::Internal("boom".into())));
        finished(&Ok(1));
        // Other tests of this process may count too: at least ours went in.
        assert!(count("deadline") > before.0);
        assert!(count("lock_wait") > before.1);
        assert_eq!(snapshot().unavailable.len(), Cause::ALL.len());
    }

    #[test]
    fn counts_waits_while_guarded() {
        let guard = waiting();
        assert!(snapshot().waiting >= 1);
        drop(guard);
    }
}
