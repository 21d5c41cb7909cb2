//! Whether the server is behind, for the two opt-in answers that depend on it:
//! refusing new registrations (RmtRs's `shed_announces`) and a health check
//! that says so (`health_when_saturated`). One detector per process serves
//! both, each with its own target.
//!
//! Past saturation every request waits in Puma's queues, and a registration is
//! eight requests in a row (seventeen for a PAYG instance): the server then
//! spends part of its time on registrations that will not finish, while new
//! announces keep starting more. An announce refused at once (503, nothing
//! written, far cheaper than the registration it would start) leaves the
//! server to the registrations under way: their activations, service
//! refreshes and product trees, and the fleet's keepalives, are never refused
//! for it.
//!
//! The measure is how long requests waited before RmtRs took them (their age,
//! from nginx's `X-Request-Start`): the pool never has a queue of its own in
//! RMT's configuration (Puma's threads are no more than the pool's
//! connections), the CPU does, and its queue is in front of Puma. As CoDel
//! does for packets, it looks at the *least* wait of each interval: a burst
//! makes a few requests wait, a queue that stays makes every one wait. An
//! interval whose least wait was the target or more makes the next interval
//! saturated; one with a request that waited less, or none at all, does not.
//! The detector keeps the least wait of the last complete interval, so each
//! setting compares it with its own target.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the verdict is taken again.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// One process's view of how long its requests wait.
pub struct Saturation {
    /// Whether any setting asks for a verdict; when none does, nothing is
    /// recorded (no lock taken per request).
    watched: bool,
    state: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    /// The least wait seen since `started`.
    least: Option<Duration>,
    /// The least wait of the last complete interval; `None` when it had no
    /// request or is not the one just before now.
    last: Option<Duration>,
}

impl Saturation {
    /// A detector that records waits when `watched` (some setting has a target).
    pub fn new(watched: bool, now: Instant) -> Saturation {
        Saturation { watched, state: Mutex::new(Window { started: now, least: None, last: None }) }
    }

    /// Records the wait of a request RmtRs takes at `now`.
    pub fn observe(&self, wait: Duration, now: Instant) {
        if !self.watched {
            return;
        }
        let mut window = self.window(now);
        window.least = Some(window.least.map_or(wait, |least| least.min(wait)));
    }

    /// Whether the process is saturated at `now` for `target` (the wait a
    /// setting names; `None`: that setting is off, never saturated).
    pub fn saturated(&self, target: Option<Duration>, now: Instant) -> bool {
        self.watched && target.is_some_and(|target| self.window(now).last.is_some_and(|least| least >= target))
    }

    /// The window, the last one closed (its least wait kept) when `now` is past it.
    fn window(&self, now: Instant) -> std::sync::MutexGuard<'_, Window> {
        // Held for a few instructions only; a poisoned lock still guards a
        // consistent window.
        let mut window = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let elapsed = now.saturating_duration_since(window.started);
        if elapsed >= INTERVAL {
            // An interval with no request at all is idle, not saturated; nor
            // is one that ended longer than an interval ago.
            let closed_now = elapsed < INTERVAL * 2;
            window.last = if closed_now { window.least } else { None };
            window.started = now;
            window.least = None;
        }
        window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGET: Duration = Duration::from_secs(5);

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn off_without_a_target_whatever_the_waits() {
        let start = Instant::now();
        let s = Saturation::new(false, start);
        s.observe(secs(40.0), start);
        assert!(!s.saturated(Some(TARGET), start + secs(1.5)));
        let s = Saturation::new(true, start);
        s.observe(secs(40.0), start);
        assert!(!s.saturated(None, start + secs(1.5)), "a setting without a target is never saturated");
    }

    #[test]
    fn an_interval_in_which_every_request_waited_the_target_saturates_the_next() {
        let start = Instant::now();
        let s = Saturation::new(true, start);
        for at in [0.1, 0.4, 0.9] {
            s.observe(secs(6.0 + at), start + secs(at));
        }
        assert!(!s.saturated(Some(TARGET), start + secs(0.95)), "the verdict waits for the interval's end");
        assert!(s.saturated(Some(TARGET), start + secs(1.0)));
        assert!(s.saturated(Some(TARGET), start + secs(1.5)));
    }

    #[test]
    fn one_request_that_waited_less_is_a_burst_not_a_queue() {
        let start = Instant::now();
        let s = Saturation::new(true, start);
        s.observe(secs(9.0), start + secs(0.1));
        s.observe(secs(0.2), start + secs(0.5));
        s.observe(secs(9.0), start + secs(0.9));
        assert!(!s.saturated(Some(TARGET), start + secs(1.1)));
    }

    #[test]
    fn saturation_ends_with_the_first_interval_whose_least_wait_is_short() {
        let start = Instant::now();
        let s = Saturation::new(true, start);
        s.observe(secs(7.0), start + secs(0.5));
        assert!(s.saturated(Some(TARGET), start + secs(1.2)));
        s.observe(secs(7.0), start + secs(1.5));
        s.observe(secs(1.0), start + secs(1.8));
        // The interval began when the verdict was last asked (1.2 s in).
        assert!(s.saturated(Some(TARGET), start + secs(2.1)));
        assert!(!s.saturated(Some(TARGET), start + secs(2.3)));
    }

    #[test]
    fn each_setting_compares_the_same_waits_with_its_own_target() {
        let start = Instant::now();
        let s = Saturation::new(true, start);
        s.observe(secs(1.5), start + secs(0.2));
        s.observe(secs(3.0), start + secs(0.7));
        let now = start + secs(1.1);
        // The least wait was 1.5 s: past a 1 s target, short of a 5 s one.
        assert!(s.saturated(Some(secs(1.0)), now));
        assert!(s.saturated(Some(secs(1.5)), now));
        assert!(!s.saturated(Some(TARGET), now));
    }

    #[test]
    fn an_idle_interval_is_not_saturated() {
        let start = Instant::now();
        let s = Saturation::new(true, start);
        s.observe(secs(8.0), start + secs(0.5));
        // Nothing for more than an interval: the queue is gone.
        assert!(!s.saturated(Some(TARGET), start + secs(2.5)));
        assert!(!s.saturated(Some(TARGET), start + secs(3.6)));
    }
}
