//! One tokio runtime and one sqlx pool per process, and the fork rule that goes
//! with them.
//!
//! sqlx binds a pool to the runtime that drives it, and a forked child inherits
//! neither the runtime's threads nor a usable share of the parent's sockets. So an
//! [`Engine`] remembers the pid that built it; [`ProcessEngine`] builds a new one in
//! a child and *leaks* the inherited one: dropping it would join threads that do
//! not exist in the child and close connections the parent still uses. Only the
//! child's copies of their sockets are closed (see [`crate::runtime::fork`]).

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use sqlx::mysql::MySqlPoolOptions;
use sqlx::MySqlPool;
use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::client::{self, Client};
use crate::db::call::{self, Call};
use crate::error::{Cause, Error, Result};
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::release::Release;
use crate::runtime::arrival::{Arrival, Budget};
use crate::runtime::config::DatabaseConfig;
use crate::runtime::fork::RuntimeSockets;
use crate::runtime::saturation::Saturation;
use crate::stats;

pub struct Engine {
    runtime: Runtime,
    pool: MySqlPool,
    /// One connection, opened when first needed, that ends the statements of
    /// abandoned calls ([`Engine::run`]): it must not queue behind the pool
    /// whose slots those very statements hold.
    killer: MySqlPool,
    catalog_cache: CatalogCache,
    budget: Budget,
    saturation: Saturation,
    /// The waits at which this process counts as saturated: for new
    /// announces (`shed_announces`) and for the health check.
    shed_announces: Option<Duration>,
    health_when_saturated: Option<Duration>,
    pid: u32,
    sockets: Option<RuntimeSockets>,
}

impl Engine {
    /// A runtime with two workers (the pool's I/O is all it drives) and a lazy pool:
    /// nothing connects until the first call, so building one in a Puma master
    /// before it forks opens no connection.
    pub fn new(config: &DatabaseConfig) -> Result<Engine> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rmt-rs")
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("Cannot start the async runtime: {e}")))?;
        let (pool, killer, sockets) = {
            let _context = runtime.enter();
            let pool = config.pool_options().connect_lazy_with(config.connect_options());
            let killer = MySqlPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(KILL_WAIT)
                .connect_lazy_with(config.connect_options());
            (pool, killer, RuntimeSockets::mark())
        };
        Ok(Engine {
            runtime,
            pool,
            killer,
            catalog_cache: CatalogCache::default(),
            budget: Budget { deadline: config.deadline, patience: config.patience },
            saturation: Saturation::new(
                config.shed_announces.is_some() || config.health_when_saturated.is_some(),
                Instant::now(),
            ),
            shed_announces: config.shed_announces,
            health_when_saturated: config.health_when_saturated,
            pid: std::process::id(),
            sockets,
        })
    }

    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }

    pub fn catalog_cache(&self) -> &CatalogCache {
        &self.catalog_cache
    }

    /// The pool now: (its configured size, connections open, of them idle).
    pub fn pool_state(&self) -> (u32, u32, u32) {
        (self.pool.options().get_max_connections(), self.pool.size(), self.pool.num_idle() as u32)
    }

    /// True in a child forked after this engine was built.
    pub fn is_inherited(&self) -> bool {
        self.pid != std::process::id()
    }

    /// Runs `work` to completion on this engine's runtime, from a thread outside
    /// it, unless `cancel` fires or the deadline passes first. Then the call is
    /// abandoned: no COMMIT may start any more ([`call::commit`] and [`call::begin`] refuse),
    /// the statement it waits on is ended with `KILL QUERY`, and `work` is
    /// polled on until it returns that error, so its transaction rolls back and
    /// its connection goes back to the pool at once and in a clean state.
    /// (Dropping the future mid-statement instead leaves sqlx waiting for the
    /// statement, `innodb_lock_wait_timeout` for a lock wait, and dropping it
    /// right after a KILL left pool slots that sqlx never got back.) Only a call
    /// still running [`ABANDON_GRACE`] later is dropped as it is. Once `work`
    /// has sent its COMMIT it is always finished: abandoning it then could
    /// leave a registration written whose client was told it failed.
    pub fn run<T>(&self, cancel: &Cancel, work: impl Future<Output = Result<T>>) -> Result<T> {
        self.run_from(None, cancel, work)
    }

    /// [`Engine::run`] for a request that arrived at `arrival` (`None`: now).
    /// The deadline counts from the arrival, and a request already past it, or
    /// past its client's patience, is refused with a 503 before `work` is
    /// polled at all, so it writes nothing ([`Budget::remaining`]); so is one
    /// whose connection is closed already, and its COMMIT is not made if the
    /// connection closes meanwhile ([`Client::gone`]).
    pub fn run_from<T>(
        &self,
        arrival: Option<Arrival>,
        cancel: &Cancel,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let arrival = self.taken(arrival);
        let remaining = match self.budget.remaining(arrival, SystemTime::now()) {
            Ok(remaining) => remaining,
            Err(refused) => return stats::refused(refused),
        };
        if arrival.client().is_some_and(Client::gone) {
            return stats::refused(client::left());
        }
        let call = Arc::new(Call { client: arrival.client(), ..Call::default() });
        let work = call::scoped(call.clone(), work);
        let outcome = self.runtime.block_on(async {
            tokio::pin!(work);
            let deadline = tokio::time::sleep(remaining);
            tokio::pin!(deadline);
            let mut stopping: Option<Error> = None;
            let mut abandoned: Option<Instant> = None;
            loop {
                tokio::select! {
                    biased;
                    _ = cancel.0.notified(), if stopping.is_none() => stopping = Some(Error::Interrupted),
                    _ = &mut deadline, if stopping.is_none() => stopping = Some(self.budget.missed()),
                    result = &mut work => return match (abandoned, stopping) {
                        (Some(_), Some(reason)) => Err(reason),
                        _ => result,
                    },
                    // Stopping: look again shortly (a COMMIT may be in flight, or
                    // the abandoned work is ending its killed statement).
                    _ = tokio::time::sleep(Duration::from_millis(20)), if stopping.is_some() => {}
                }
                if stopping.is_some() && abandoned.is_none() && call.abandon() {
                    abandoned = Some(Instant::now());
                }
                if let Some(since) = abandoned {
                    if since.elapsed() > ABANDON_GRACE {
                        return Err(stopping.take().unwrap_or(Error::Interrupted));
                    }
                    self.end_statement(&call).await;
                }
            }
        });
        stats::finished(&outcome);
        outcome
    }

    /// [`Engine::run_from`] for a call that opens a registration (an
    /// announce): while this process is saturated (with `shed_announces` set)
    /// it is refused with a 503 before anything of it runs, so that the
    /// registrations under way are served first.
    pub fn run_opening<T>(
        &self,
        arrival: Option<Arrival>,
        cancel: &Cancel,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        if self.saturation.saturated(self.shed_announces, Instant::now()) {
            self.taken(arrival);
            return stats::refused(Error::Unavailable(
                Cause::Shed,
                "The server is busy with the registrations under way and takes no new ones for now; try again later"
                    .into(),
            ));
        }
        self.run_from(arrival, cancel, work)
    }

    /// Whether the health check of a request that arrived at `arrival`
    /// (`None`: now) should say this process is saturated
    /// (`health_when_saturated`; false when that is off). The health
    /// request's own wait is recorded like any other's: it waited in the same
    /// queues, so it is as true a sample of them, and while clients stay away
    /// it is often the only one, which lets the verdict end once the queue is
    /// gone rather than when an interval passes with no request at all.
    pub fn health_saturated(&self, arrival: Option<Arrival>) -> bool {
        if self.health_when_saturated.is_none() {
            return false;
        }
        self.taken(arrival);
        self.saturation.saturated(self.health_when_saturated, Instant::now())
    }

    /// The request's arrival (`None`: now), its wait recorded for the
    /// saturation's verdict.
    fn taken(&self, arrival: Option<Arrival>) -> Arrival {
        let now = SystemTime::now();
        let arrival = arrival.unwrap_or(Arrival::at(now));
        self.saturation.observe(arrival.age(now), Instant::now());
        arrival
    }

    /// Ends the statement of the abandoned call's open transaction with `KILL
    /// QUERY` from a connection of its own. `work` is not polled meanwhile, so
    /// the connection is still the call's; a connection whose statement had
    /// just finished is idle, and KILL QUERY then does nothing, not even to its
    /// next statement. Best effort: a KILL that does not get through in time is
    /// tried again while the grace lasts.
    async fn end_statement(&self, call: &Call) {
        let connection = call.connection.load(Ordering::SeqCst);
        if connection == 0 {
            return;
        }
        let _ =
            tokio::time::timeout(KILL_WAIT, sqlx::query("KILL QUERY ?").bind(connection).execute(&self.killer)).await;
    }
}

/// The longest an abandoned call waits to have its statement killed.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// How long an abandoned call is polled on to end cleanly before it is
/// dropped as it is.
pub const ABANDON_GRACE: Duration = Duration::from_secs(3);

/// Cancels one [`Engine::run`]. Firing it before the run starts waiting still
/// counts, so an interrupt cannot slip between releasing the GVL and blocking.
#[derive(Default)]
pub struct Cancel(Notify);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Thread-safe and non-blocking: callable from Ruby's unblocking function.
    pub fn cancel(&self) {
        self.0.notify_one();
    }
}

/// The engine of this process, built on first use from the last configuration
/// and rebuilt after a fork.
pub struct ProcessEngine {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    config: Option<DatabaseConfig>,
    engine: Option<Arc<Engine>>,
    release: Release,
}

impl ProcessEngine {
    pub const fn new() -> ProcessEngine {
        ProcessEngine {
            state: Mutex::new(State { config: None, engine: None, release: Release { repositories_required: false } }),
        }
    }

    /// Takes a new configuration; the next call builds an engine from it. Calls
    /// already running finish on the engine they started with.
    pub fn configure(&self, config: DatabaseConfig) {
        let mut state = self.lock();
        Self::forget_if_inherited(&mut state);
        state.engine = None;
        state.config = Some(config);
    }

    /// The running RMT's behaviour where releases differ, as the host found it.
    pub fn set_release(&self, release: Release) {
        self.lock().release = release;
    }

    pub fn release(&self) -> Release {
        self.lock().release
    }

    pub fn is_configured(&self) -> bool {
        self.lock().config.is_some()
    }

    /// The engine for this process: the existing one, or a new one when there is
    /// none yet or the existing one was inherited through fork.
    pub fn get(&self) -> Result<Arc<Engine>> {
        let mut state = self.lock();
        Self::forget_if_inherited(&mut state);
        if let Some(engine) = &state.engine {
            return Ok(Arc::clone(engine));
        }
        let config = state
            .config
            .as_ref()
            .ok_or_else(|| Error::Internal("RmtRs is not configured: call RmtRs.configure first".into()))?;
        let engine = Arc::new(Engine::new(config)?);
        state.engine = Some(Arc::clone(&engine));
        Ok(engine)
    }

    /// The engine this process built, if it built one: for reading its state
    /// without building one (a Puma master never needs a pool).
    pub fn current(&self) -> Option<Arc<Engine>> {
        self.lock().engine.as_ref().filter(|e| !e.is_inherited()).map(Arc::clone)
    }

    /// Drops this process's claim on the engine: call in a forked child (Puma's
    /// `on_worker_boot`) to start afresh; the pid check does the same lazily.
    pub fn after_fork(&self) {
        Self::forget_if_inherited(&mut self.lock());
    }

    fn forget_if_inherited(state: &mut State) {
        if let Some(engine) = state.engine.take_if(|e| e.is_inherited()) {
            // Deliberate leak, see the module comment; the sockets are the
            // parent's connections, this process's copies go.
            engine.sockets.iter().for_each(RuntimeSockets::close_inherited);
            std::mem::forget(engine);
        }
    }

    // The lock is only ever held for a few instructions, never across a call into
    // the database, and only by Ruby threads holding the GVL (the binding takes
    // the engine before releasing it); Ruby forks with the GVL held too, so a
    // child never inherits it locked. A poisoned lock still guards consistent data.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for ProcessEngine {
    fn default() -> Self {
        ProcessEngine::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::call::unabandoned;

    fn engine(deadline_ms: u64) -> Engine {
        let mut config = DatabaseConfig::new("unused");
        config.deadline = Duration::from_millis(deadline_ms);
        Engine::new(&config).expect("engine")
    }

    #[test]
    fn a_call_past_its_deadline_is_abandoned_with_a_503() {
        let outcome = engine(10).run(&Cancel::new(), async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Ok(1)
        });
        assert_eq!(outcome.map_err(|e| e.status()), Err(503));
    }

    #[test]
    fn a_call_whose_commit_is_in_flight_is_finished_even_past_its_deadline() {
        let outcome = engine(10).run(
            &Cancel::new(),
            unabandoned(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(42)
            }),
        );
        assert_eq!(outcome, Ok(42));
    }

    #[test]
    fn a_request_that_arrived_long_ago_is_refused_before_its_work_starts() {
        let engine = engine(30_000);
        let polled = std::sync::atomic::AtomicBool::new(false);
        let arrived = Arrival::at(SystemTime::now() - Duration::from_secs(51));
        let outcome = engine.run_from(Some(arrived), &Cancel::new(), async {
            polled.store(true, Ordering::SeqCst);
            Ok(1)
        });
        assert_eq!(outcome.map_err(|e| e.status()), Err(503));
        assert!(!polled.load(Ordering::SeqCst), "the work of a refused request must not start");
    }

    #[test]
    fn a_request_whose_client_left_is_refused_before_its_work_starts() {
        use std::os::fd::AsRawFd;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (ours, _) = listener.accept().unwrap();
        let engine = engine(30_000);
        let polled = std::sync::atomic::AtomicBool::new(false);
        let arrived = Arrival::at(SystemTime::now()).on(Client::new(ours.as_raw_fd()));
        let run = || {
            engine.run_from(Some(arrived), &Cancel::new(), async {
                polled.store(true, Ordering::SeqCst);
                Ok(1)
            })
        };
        assert_eq!(run(), Ok(1), "its client still there");
        polled.store(false, Ordering::SeqCst);
        drop(peer);
        std::thread::sleep(Duration::from_millis(50));
        let refused = run().unwrap_err();
        assert_eq!((refused.status(), refused.cause()), (503, Some(Cause::ClientGone)));
        assert!(!polled.load(Ordering::SeqCst), "the work of a refused request must not start");
    }

    /// Runs `request` every 50 ms for a whole interval of the saturation
    /// detector and a little more, so that its verdict is taken on them.
    fn for_an_interval(mut request: impl FnMut()) {
        let until = Instant::now() + crate::runtime::saturation::INTERVAL + Duration::from_millis(50);
        while Instant::now() < until {
            request();
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn saturated_it_refuses_new_registrations_and_serves_the_rest() {
        let mut config = DatabaseConfig::new("unused");
        config.shed_announces = Some(Duration::from_secs(2));
        let engine = Engine::new(&config).expect("engine");
        let waited = || Some(Arrival::at(SystemTime::now() - Duration::from_secs(3)));
        // A whole interval of requests that waited past the target.
        for_an_interval(|| assert_eq!(engine.run_from(waited(), &Cancel::new(), async { Ok(1) }), Ok(1)));
        let refused = engine.run_opening(waited(), &Cancel::new(), async { Ok(1) });
        assert_eq!(refused.map_err(|e| e.status()), Err(503));
        assert_eq!(engine.run_from(waited(), &Cancel::new(), async { Ok(2) }), Ok(2), "a registration under way");
    }

    #[test]
    fn the_health_check_says_saturated_at_its_own_target_and_counts_its_own_wait() {
        let mut config = DatabaseConfig::new("unused");
        config.health_when_saturated = Some(Duration::from_secs(1));
        config.shed_announces = Some(Duration::from_secs(5));
        let engine = Engine::new(&config).expect("engine");
        let waited = |s| Some(Arrival::at(SystemTime::now() - Duration::from_secs(s)));
        assert!(!engine.health_saturated(waited(2)), "no interval has closed yet");
        // Only health checks, each 2 s old: past the health's target, short of the shed's.
        for_an_interval(|| {
            engine.health_saturated(waited(2));
        });
        assert!(engine.health_saturated(waited(2)));
        assert_eq!(engine.run_opening(waited(2), &Cancel::new(), async { Ok(1) }), Ok(1), "announces still taken");
        // One interval of health checks that did not wait ends it.
        for_an_interval(|| {
            engine.health_saturated(None);
        });
        assert!(!engine.health_saturated(None));
    }

    #[test]
    fn without_its_setting_the_health_check_is_never_saturated() {
        let mut config = DatabaseConfig::new("unused");
        config.shed_announces = Some(Duration::from_secs(1));
        let engine = Engine::new(&config).expect("engine");
        let waited = || Some(Arrival::at(SystemTime::now() - Duration::from_secs(3)));
        for_an_interval(|| assert_eq!(engine.run_from(waited(), &Cancel::new(), async { Ok(1) }), Ok(1)));
        assert!(engine.run_opening(waited(), &Cancel::new(), async { Ok(1) }).is_err(), "saturated for announces");
        assert!(!engine.health_saturated(waited()));
    }

    #[test]
    fn the_deadline_counts_from_arrival_not_from_the_call() {
        let engine = engine(1_000);
        let arrived = Arrival::at(SystemTime::now() - Duration::from_millis(900));
        // Half the deadline's work: in time had it counted from the call.
        let outcome = engine.run_from(Some(arrived), &Cancel::new(), async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ok(1)
        });
        assert_eq!(outcome.map_err(|e| e.status()), Err(503));
    }
}
