//! Running a transaction again when MariaDB picks it as a deadlock victim.
//!
//! The other side of a deadlock is usually still running when the victim is
//! rolled back; running again at once meets it again (a herd measured 8 of 8
//! attempts lost that way). So each new attempt first waits a little longer,
//! with jitter so the victims of one deadlock do not return together.

use std::time::Duration;

/// Attempts per call: with the waits below (10, 20, … 640 ms), 1.27 s at most
/// in all, far under the engine's deadline and SUSEConnect's 60 s. The 1 s cap
/// matters only if this grows.
pub const MAX_ATTEMPTS: usize = 8;

const FIRST_WAIT: Duration = Duration::from_millis(10);
const LONGEST_WAIT: Duration = Duration::from_secs(1);

/// How long to wait before attempt `attempt` (1-based for the retries):
/// doubling from 10 ms up to 1 s, scaled by `jitter` in [0.5, 1].
pub fn wait_before(attempt: usize, jitter: f64) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16) as u32;
    let full = FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT);
    full.mul_f64(jitter.clamp(0.5, 1.0))
}

/// Sleeps before retry `attempt` after a deadlock.
pub async fn back_off(attempt: usize) {
    tokio::time::sleep(wait_before(attempt, jitter())).await;
}

/// A number in [0.5, 1) that differs between concurrent callers. It spreads
/// retries out; nothing depends on it being unpredictable.
fn jitter() -> f64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    0.5 + f64::from(nanos % 1_000_000) / 2_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_ten_milliseconds_up_to_one_second() {
        let waits: Vec<u128> = (1..=9).map(|a| wait_before(a, 1.0).as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    }

    #[test]
    fn jitter_shortens_a_wait_by_half_at_most() {
        assert_eq!(wait_before(3, 0.5), Duration::from_millis(20));
        assert_eq!(wait_before(3, 0.0), Duration::from_millis(20));
        assert_eq!(wait_before(3, 7.0), Duration::from_millis(40));
        let j = jitter();
        assert!((0.5..1.0).contains(&j), "{j}");
    }

    #[test]
    fn every_retry_together_stays_far_under_the_deadline() {
        let total: Duration = (1..MAX_ATTEMPTS).map(|a| wait_before(a, 1.0)).sum();
        assert!(total < Duration::from_secs(3), "{total:?}");
    }
}
