//! Timestamps as RMT writes them: UTC wall-clock text, whole seconds for `datetime`
//! columns and microseconds for `datetime(6)` ones. Rails truncates (never rounds)
//! to the column's precision, and so does this.

use std::time::{SystemTime, UNIX_EPOCH};

/// One instant, taken once per registration so all its rows agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    micros_since_epoch: i64,
}

impl Timestamp {
    pub fn now() -> Timestamp {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Timestamp { micros_since_epoch: since.as_micros() as i64 }
    }

    pub fn from_micros(micros_since_epoch: i64) -> Timestamp {
        Timestamp { micros_since_epoch }
    }

    pub fn micros_since_epoch(&self) -> i64 {
        self.micros_since_epoch
    }

    /// Midnight (UTC) of this instant's day: RMT's `beginning_of_day`.
    pub fn start_of_day(&self) -> Timestamp {
        let day = 86_400 * 1_000_000;
        Timestamp { micros_since_epoch: self.micros_since_epoch.div_euclid(day) * day }
    }

    /// `YYYY-MM-DD HH:MM:SS`, for `datetime` columns.
    pub fn seconds(&self) -> String {
        let (date, secs_of_day) = self.civil();
        format!("{date} {}", clock_text(secs_of_day))
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff`, for `datetime(6)` columns.
    pub fn micros(&self) -> String {
        format!("{}.{:06}", self.seconds(), self.micros_since_epoch.rem_euclid(1_000_000))
    }

    fn civil(&self) -> (String, i64) {
        let secs = self.micros_since_epoch.div_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (format!("{y:04}-{m:02}-{d:02}"), secs.rem_euclid(86_400))
    }
}

fn clock_text(secs_of_day: i64) -> String {
    format!("{:02}:{:02}:{:02}", secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60)
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp::from_micros(0).micros(), "1970-01-01 00:00:00.000000");
        // 2024-02-29 23:59:59.999999 UTC: a leap day, truncated (not rounded) to seconds.
        let t = Timestamp::from_micros(1_709_251_199_999_999);
        assert_eq!(t.seconds(), "2024-02-29 23:59:59");
        assert_eq!(t.micros(), "2024-02-29 23:59:59.999999");
        assert_eq!(Timestamp::from_micros(4_102_444_800_000_000).seconds(), "2100-01-01 00:00:00");
    }
}
