//! The call handshake: a transaction of the registration path begins and
//! commits in step with the call ([`Engine::run`](crate::runtime::engine::Engine::run))
//! that runs it, so a call abandoned at its deadline or by an interrupt never
//! starts a COMMIT, and one whose COMMIT is in flight is always finished; and
//! what an uncertain COMMIT did, read back.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{MySql, MySqlConnection, MySqlPool, Transaction};

use super::CommitFailed;
use crate::client::{self, Client};
use crate::error::{code, Error, Result};
use crate::stats;

/// What [`Engine::run`](crate::runtime::engine::Engine::run) needs to know about the call it runs.
#[derive(Default)]
pub(crate) struct Call {
    /// Set while the call's COMMIT is in flight.
    pub(crate) committing: AtomicBool,
    /// Set once the call is abandoned: no COMMIT may start after it.
    pub(crate) cancelled: AtomicBool,
    /// The server's id (`CONNECTION_ID()`) of the connection of the call's open
    /// transaction; 0 when it has none.
    pub(crate) connection: AtomicU64,
    /// The request's connection, looked at once more before COMMIT: a client
    /// that left meanwhile gets nothing written.
    pub(crate) client: Option<Client>,
}

impl Call {
    /// Abandons the call unless its COMMIT is in flight. With [`Call::may_commit`]
    /// this is a handshake on two flags (sequentially consistent): either the
    /// COMMIT sees `cancelled` and does not start, or this sees `committing`
    /// and waits for it.
    pub(crate) fn abandon(&self) -> bool {
        self.cancelled.store(true, Ordering::SeqCst);
        if self.committing.load(Ordering::SeqCst) {
            self.cancelled.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Marks a COMMIT in flight, unless the call was abandoned.
    fn may_commit(&self) -> bool {
        self.committing.store(true, Ordering::SeqCst);
        if self.cancelled.load(Ordering::SeqCst) {
            self.committing.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }
}

tokio::task_local! {
    static CALL: Arc<Call>;
}

/// Runs `work` as the call `call`: its transactions report to it.
pub(crate) async fn scoped<F: Future>(call: Arc<Call>, work: F) -> F::Output {
    CALL.scope(call, work).await
}

/// A transaction of the registration path, begun with [`begin`] and ended by
/// [`commit`], by [`Tx::rollback`] or by dropping it (which rolls back).
pub struct Tx {
    inner: Option<Transaction<'static, MySql>>,
    /// The call whose transaction this is, when it runs under [`Engine::run`](crate::runtime::engine::Engine::run).
    call: Option<Arc<Call>>,
}

/// Begins a transaction, unless the call was abandoned (a retry after a
/// deadlock, say). Under [`Engine::run`](crate::runtime::engine::Engine::run) it also records which server
/// connection runs it, so an abandoned call can have its statement killed:
/// one round trip, on a connection already held.
pub async fn begin(pool: &MySqlPool) -> Result<Tx> {
    let call = CALL.try_with(Arc::clone).ok();
    if call.as_ref().is_some_and(|c| c.cancelled.load(Ordering::SeqCst)) {
        return Err(Error::Interrupted);
    }
    let waiting = stats::waiting();
    let mut inner = pool.begin().await?;
    drop(waiting);
    if let Some(call) = &call {
        let (connection,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()").fetch_one(&mut *inner).await?;
        call.connection.store(connection, Ordering::SeqCst);
    }
    Ok(Tx { inner: Some(inner), call })
}

impl Tx {
    pub async fn rollback(mut self) -> Result<()> {
        self.release();
        match self.inner.take() {
            Some(inner) => Ok(inner.rollback().await?),
            None => Ok(()),
        }
    }

    /// Forgets the connection: once the transaction ends it goes back to the
    /// pool, and another call's statement may run on it.
    fn release(&self) {
        if let Some(call) = &self.call {
            call.connection.store(0, Ordering::SeqCst);
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        self.release();
    }
}

impl std::ops::Deref for Tx {
    type Target = MySqlConnection;
    fn deref(&self) -> &MySqlConnection {
        self.inner.as_deref().expect("an open transaction")
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut MySqlConnection {
        self.inner.as_deref_mut().expect("an open transaction")
    }
}

/// Commits `tx`, telling [`Engine::run`](crate::runtime::engine::Engine::run) not to abandon the call meanwhile.
pub async fn commit(mut tx: Tx) -> std::result::Result<(), CommitFailed> {
    tx.release();
    if tx.call.as_ref().is_some_and(|call| call.client.is_some_and(Client::gone)) {
        return Err(CommitFailed::Refused(client::left())); // dropping `tx` rolls back
    }
    if tx.call.as_ref().is_some_and(|call| !call.may_commit()) {
        return Err(CommitFailed::Refused(Error::Interrupted)); // dropping `tx` rolls back
    }
    let Some(inner) = tx.inner.take() else {
        return Err(CommitFailed::Refused(Error::Internal("Commit of a finished transaction".into())));
    };
    #[cfg(feature = "commit-faults")]
    if let Some(fault) = super::faults::next() {
        return unabandoned(super::faults::inject(fault, inner)).await;
    }
    match unabandoned(inner.commit()).await {
        Ok(()) => Ok(()),
        // The server going away answers with an error too, but whether the
        // COMMIT was carried out before is unknown.
        Err(e) if Error::mariadb_code(&e).is_some_and(code::connection_lost) => Err(CommitFailed::Uncertain(e.into())),
        Err(e @ sqlx::Error::Database(_)) => Err(CommitFailed::Refused(e.into())),
        Err(e) => Err(CommitFailed::Uncertain(e.into())),
    }
}

/// How long to keep asking what an uncertain COMMIT did (MariaDB restarting
/// takes a second or two).
pub const READ_BACK_WINDOW: Duration = Duration::from_secs(10);

/// After a COMMIT whose answer was lost: `probe`'s answer (whether the write
/// is there), asked again while MariaDB is away or going away, for up to
/// `window`; then `lost`, the commit's own error. Run it [`unabandoned`].
pub async fn read_back<T, F, Fut>(window: Duration, lost: Error, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, sqlx::Error>>,
{
    let until = Instant::now() + window;
    loop {
        match probe().await {
            Ok(answer) => return Ok(answer),
            Err(e) if unreachable(&e) && Instant::now() < until => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) if unreachable(&e) => return Err(lost),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Only a server that is away or going away is worth asking again.
fn unreachable(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
        || Error::mariadb_code(err).is_some_and(code::connection_lost)
}

/// Runs `work`, telling [`Engine::run`](crate::runtime::engine::Engine::run) not to abandon the call meanwhile: for
/// a COMMIT, and for finding out what an uncertain one did.
pub async fn unabandoned<F: Future>(work: F) -> F::Output {
    let call = CALL.try_with(Arc::clone).ok();
    let mark = |on: bool| call.iter().for_each(|c| c.committing.store(on, Ordering::SeqCst));
    mark(true);
    let outcome = work.await;
    mark(false);
    outcome
}
