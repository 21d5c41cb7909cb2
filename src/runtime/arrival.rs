//! When a request arrived, and how long a call for it may still run.
//!
//! A request can wait long before RmtRs sees it: in nginx, in Puma's listen
//! queue and its thread pool's queue. Its client's clock started before all of
//! that (SUSEConnect gives up after 60 s), so RmtRs counts its deadline from the
//! request's arrival, not from the call, and refuses a request older than its
//! client's patience before it writes anything: a registration written for a
//! client that already gave up only costs the server (SUSEConnect never retries
//! that answer, and the instance comes back as a new system).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::client::Client;
use crate::error::{Cause, Error, Result};

/// When a request reached the server's front (nginx), as well as the host can
/// tell: a wall-clock time, since nginx and Puma share no monotonic clock;
/// and, when the host hands it, the connection it came on, whose closing
/// says its client left ([`Client::gone`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    at: SystemTime,
    client: Option<Client>,
}

/// The oldest an `X-Request-Start` may say a request is before it is ignored.
/// nginx in front of RMT gives up on Puma after 600 s (`proxy_read_timeout` in
/// RMT's package), so no request it still waits for is older than that; a header
/// saying so is more likely a clock set wrong (nginx on another host without
/// NTP) or a value in a unit nobody expected, and believing it would refuse
/// every request. Ignored, the request counts from when the host saw it, which
/// is never earlier than its true arrival: a stale header can never make RmtRs
/// refuse a request that is young.
pub const BELIEVABLE_AGE: Duration = Duration::from_secs(600);

impl Arrival {
    pub fn at(time: SystemTime) -> Arrival {
        Arrival { at: time, client: None }
    }

    /// The same arrival, on the connection `client`.
    pub fn on(self, client: Client) -> Arrival {
        Arrival { client: Some(client), ..self }
    }

    /// The connection the request came on, when the host said.
    pub fn client(self) -> Option<Client> {
        self.client
    }

    /// The arrival from `header`, nginx's `X-Request-Start` (`t=${msec}`:
    /// seconds since the epoch with milliseconds, `t=1733493880.123`), checked
    /// against `seen`, the earliest instant the host itself saw the request.
    ///
    /// - No header, or one that does not read as a time: `seen`.
    /// - A time after `seen` (the front's clock ahead of the host's): `seen`.
    ///   Nothing reaches the app before it reaches its front, and a later time
    ///   would give the request more time than it has.
    /// - A time more than [`BELIEVABLE_AGE`] before `seen`: `seen` (see there).
    ///
    /// Other proxies send the same header in milliseconds or microseconds
    /// (`t=1733493880123`); those are told apart by magnitude, as no time in
    /// seconds before the year 5000 has 12 digits.
    pub fn from_header(header: Option<&str>, seen: SystemTime) -> Arrival {
        let Some(sent) = header.and_then(header_time) else {
            return Arrival::at(seen);
        };
        match seen.duration_since(sent) {
            Ok(age) if age <= BELIEVABLE_AGE => Arrival::at(sent),
            _ => Arrival::at(seen),
        }
    }

    /// How long ago the request arrived; zero for an arrival `now` has not
    /// reached (a clock stepped back).
    pub fn age(self, now: SystemTime) -> Duration {
        now.duration_since(self.at).unwrap_or_default()
    }
}

/// `t=<number>` or a bare number, in seconds, milliseconds or microseconds
/// since the epoch; `None` for anything else.
fn header_time(header: &str) -> Option<SystemTime> {
    let text = header.trim();
    let number: f64 = text.strip_prefix("t=").unwrap_or(text).trim().parse().ok()?;
    if !number.is_finite() || number <= 0.0 {
        return None;
    }
    let seconds = if number >= 1e14 {
        number / 1e6
    } else if number >= 1e11 {
        number / 1e3
    } else {
        number
    };
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(seconds).ok()?)
}

/// How long a call may take, counted from its request's arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The longest a request may be answered after its arrival (RmtRs's
    /// `deadline`); past it the call is rolled back with a 503.
    pub deadline: Duration,
    /// How long clients wait for an answer before they give up, with a margin
    /// (RmtRs's `patience`): nothing is started, and no COMMIT, past it.
    pub patience: Duration,
}

impl Budget {
    /// How much longer a call for a request that arrived at `arrival` may run
    /// at `now`: until the deadline or the client's patience, whichever comes
    /// first. A request with nothing left is refused (503) before anything of
    /// it runs, so it writes nothing.
    pub fn remaining(&self, arrival: Arrival, now: SystemTime) -> Result<Duration> {
        let age = arrival.age(now);
        if age >= self.patience {
            return Err(Error::Unavailable(
                Cause::Patience,
                format!(
                    "The request waited {:.1} s before RmtRs could take it, longer than its client waits ({} s); \
                 try again later",
                    age.as_secs_f64(),
                    self.patience.as_secs_f64()
                ),
            ));
        }
        if age >= self.deadline {
            return Err(self.missed());
        }
        Ok(self.deadline.min(self.patience) - age)
    }

    /// The refusal of a call that ran out of time.
    pub fn missed(&self) -> Error {
        Error::Unavailable(
            Cause::Deadline,
            format!(
                "The request did not complete within {} s; try again later",
                self.deadline.min(self.patience).as_secs_f64()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: f64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs_f64(seconds)
    }

    const SEEN: f64 = 1_733_493_880.5;

    #[test]
    fn nginx_msec_header_is_the_arrival() {
        let arrival = Arrival::from_header(Some("t=1733493870.250"), at(SEEN));
        assert_eq!(arrival.age(at(SEEN)).as_millis(), 10_250);
        // Bare, and with blanks around it.
        assert_eq!(Arrival::from_header(Some(" 1733493870.250 "), at(SEEN)), arrival);
    }

    #[test]
    fn milliseconds_and_microseconds_are_told_apart_by_magnitude() {
        let seconds = Arrival::from_header(Some("t=1733493870.25"), at(SEEN));
        assert_eq!(Arrival::from_header(Some("t=1733493870250"), at(SEEN)), seconds);
        assert_eq!(Arrival::from_header(Some("t=1733493870250000"), at(SEEN)), seconds);
    }

    #[test]
    fn no_header_or_an_unreadable_one_counts_from_when_the_host_saw_it() {
        for header in
            [None, Some(""), Some("t="), Some("t=soon"), Some("t=-5"), Some("t=NaN"), Some("t=inf"), Some("0")]
        {
            assert_eq!(Arrival::from_header(header, at(SEEN)), Arrival::at(at(SEEN)), "{header:?}");
        }
    }

    #[test]
    fn a_header_in_the_future_is_clamped_to_when_the_host_saw_it() {
        assert_eq!(Arrival::from_header(Some("t=1733493881.5"), at(SEEN)), Arrival::at(at(SEEN)));
        assert_eq!(Arrival::from_header(Some("t=99999999999"), at(SEEN)), Arrival::at(at(SEEN)));
    }

    #[test]
    fn a_header_older_than_believable_is_ignored() {
        let just = SEEN - BELIEVABLE_AGE.as_secs_f64();
        assert_eq!(Arrival::from_header(Some(&format!("t={just}")), at(SEEN)).age(at(SEEN)), BELIEVABLE_AGE);
        let beyond = format!("t={}", just - 1.0);
        assert_eq!(Arrival::from_header(Some(&beyond), at(SEEN)), Arrival::at(at(SEEN)));
        assert_eq!(Arrival::from_header(Some("t=1"), at(SEEN)), Arrival::at(at(SEEN)));
    }

    #[test]
    fn the_deadline_counts_from_arrival() {
        let budget = Budget { deadline: Duration::from_secs(30), patience: Duration::from_secs(50) };
        let arrival = Arrival::at(at(SEEN));
        assert_eq!(budget.remaining(arrival, at(SEEN)), Ok(Duration::from_secs(30)));
        assert_eq!(budget.remaining(arrival, at(SEEN + 12.0)), Ok(Duration::from_secs(18)));
        let late = budget.remaining(arrival, at(SEEN + 30.0)).unwrap_err();
        assert_eq!((late.status(), late.to_string().contains("within 30 s")), (503, true), "{late}");
    }

    #[test]
    fn a_request_older_than_its_clients_patience_is_refused() {
        let budget = Budget { deadline: Duration::from_secs(90), patience: Duration::from_secs(50) };
        let arrival = Arrival::at(at(SEEN));
        // The patience also ends a call that started in time: no COMMIT after it.
        assert_eq!(budget.remaining(arrival, at(SEEN + 49.0)), Ok(Duration::from_secs(1)));
        let refused = budget.remaining(arrival, at(SEEN + 50.5)).unwrap_err();
        assert_eq!(refused.status(), 503);
        assert!(refused.to_string().contains("waited 50.5 s") && refused.to_string().contains("(50 s)"), "{refused}");
        assert!(budget.missed().to_string().contains("within 50 s"));
    }

    #[test]
    fn a_clock_stepped_back_gives_the_whole_budget() {
        let budget = Budget { deadline: Duration::from_secs(30), patience: Duration::from_secs(50) };
        assert_eq!(budget.remaining(Arrival::at(at(SEEN)), at(SEEN - 5.0)), Ok(Duration::from_secs(30)));
    }
}
