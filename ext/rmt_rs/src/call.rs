//! One call into the core as the binding starts it: the engine, the `Cancel`
//! Ruby's unblocking function fires, and when the request arrived.
//!
//! The arrival is set per request by the Ruby face (`RmtRs::Arrival.during`,
//! around the controller hook's handler) rather than passed to every
//! `RmtRs::Native` function: every call a request makes (a public-cloud
//! request crosses the seam up to three times) then counts from the same
//! arrival, and the functions' signatures stay what each endpoint takes. It
//! is kept per thread, which is per request: Puma runs a request on one
//! thread from start to end, and the binding reads the cell on the thread
//! that calls it, with the GVL held.

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmt_rs_core::{Arrival, Cancel, Client, Engine, Result};

thread_local! {
    static ARRIVAL: Cell<Option<Arrival>> = const { Cell::new(None) };
}

/// `RmtRs::Native.arrival(header, seen, socket)`: the request this thread
/// works on from now on arrived as nginx's `X-Request-Start` (`header`, nil
/// when absent) says, checked against `seen`, the earliest the host saw it
/// (seconds since the epoch, a Float), on the connection whose descriptor is
/// `socket` (Puma's, nil when there is none); all nil: no request (each call
/// counts from itself, as when the Ruby API is used directly).
pub fn set_arrival(header: Option<String>, seen: Option<f64>, socket: Option<i32>) {
    let seen = seen.and_then(|s| Duration::try_from_secs_f64(s).ok()).and_then(|s| UNIX_EPOCH.checked_add(s));
    let arrival = match (header, seen) {
        (header, Some(seen)) => Some(Arrival::from_header(header.as_deref(), seen)),
        (Some(header), None) => Some(Arrival::from_header(Some(&header), SystemTime::now())),
        (None, None) => None,
    };
    let arrival = match (arrival, socket) {
        (Some(arrival), Some(fd)) if fd >= 0 => Some(arrival.on(Client::new(fd))),
        (arrival, _) => arrival,
    };
    ARRIVAL.with(|cell| cell.set(arrival));
}

/// What `released`'s work runs the core with.
pub struct Call<'a> {
    pub engine: &'a Engine,
    pub cancel: &'a Cancel,
    pub arrival: Option<Arrival>,
}

impl Call<'_> {
    /// The arrival of the request this thread works on.
    pub fn current_arrival() -> Option<Arrival> {
        ARRIVAL.with(Cell::get)
    }

    /// Runs `work` on the engine, its deadline counted from the arrival.
    pub fn run<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        self.engine.run_from(self.arrival, self.cancel, work)
    }

    /// `run` for work that opens a registration (an announce): refused while
    /// the engine is saturated (`Engine::run_opening`).
    pub fn run_opening<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        self.engine.run_opening(self.arrival, self.cancel, work)
    }
}
