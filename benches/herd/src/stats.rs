//! What the herd measured: every request's outcome and its latency, counted
//! from when it was due (an instance's arrival time for its first request), so
//! a server that falls behind shows in the figures instead of hiding in them.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::Failure;

pub struct Sample {
    pub endpoint: &'static str,
    pub due: Instant,
    pub finished: Instant,
    pub outcome: Result<u16, Failure>,
}

impl Sample {
    /// What the client takes as success: any status below 400; the susecloud
    /// plugin's credential check (`{}` to the migrations endpoint, which RMT
    /// refuses with 422) passes with anything but 401.
    fn ok(&self) -> bool {
        match self.outcome {
            Ok(status) if self.endpoint.ends_with(CREDENTIAL_CHECK) => status != 401,
            Ok(status) => status < 400,
            Err(_) => false,
        }
    }

    fn kind(&self) -> String {
        kind_of(self.outcome)
    }
}

/// An outcome as the summary names it: the status, or the failure.
fn kind_of(outcome: Result<u16, Failure>) -> String {
    match outcome {
        Ok(status) => status.to_string(),
        Err(Failure::Timeout) => "timeout".into(),
        Err(Failure::Connection) => "connection".into(),
    }
}

pub const CREDENTIAL_CHECK: &str = "credential check";

/// How one instance ended: when, whether it registered, and the requests it
/// sent and got a successful answer to on the way (the server's work spent on
/// it, wasted when it never registered).
pub struct SessionEnd {
    pub at: Instant,
    pub registered: bool,
    pub requests: usize,
    pub ok: usize,
}

#[derive(Default)]
pub struct Recorder {
    samples: Mutex<Vec<Sample>>,
    finished_sessions: Mutex<Vec<SessionEnd>>,
    region: Mutex<BTreeMap<usize, Tally>>,
}

/// What one server of the region saw of registercloudguest: the health
/// checks' answers by status (or failure), and the instances it registered.
#[derive(Default)]
struct Tally {
    health: BTreeMap<String, usize>,
    registered: usize,
}

impl Recorder {
    /// Keeps the sample; true when its client takes it as success.
    pub fn record(&self, sample: Sample) -> bool {
        let ok = sample.ok();
        self.samples.lock().unwrap_or_else(|e| e.into_inner()).push(sample);
        ok
    }

    /// registercloudguest's health check of server `server` (its index in
    /// the region) ended with `outcome`.
    pub fn health_answered(&self, server: usize, outcome: Result<u16, Failure>) {
        let mut region = self.region.lock().unwrap_or_else(|e| e.into_inner());
        *region.entry(server).or_default().health.entry(kind_of(outcome)).or_default() += 1;
    }

    /// A PAYG instance finished registering on server `server`.
    pub fn registered_on(&self, server: usize) {
        self.region.lock().unwrap_or_else(|e| e.into_inner()).entry(server).or_default().registered += 1;
    }

    pub fn session_done(&self, end: SessionEnd) {
        self.finished_sessions.lock().unwrap_or_else(|e| e.into_inner()).push(end);
    }

    pub fn summary(&self, start: Instant) -> Value {
        let all_samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let sessions = self.finished_sessions.lock().unwrap_or_else(|e| e.into_inner());
        // The herd's own figures leave the background fleet out; its
        // endpoints are reported beside the herd's.
        let samples: Vec<&Sample> = all_samples.iter().filter(|s| !s.endpoint.starts_with("fleet")).collect();
        let end = samples.iter().map(|s| s.finished).max().unwrap_or(start);
        let elapsed = end.duration_since(start);
        let mut endpoints: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
        for sample in all_samples.iter() {
            endpoints.entry(sample.endpoint).or_default().push(sample);
        }
        let registered: Vec<Instant> = sessions.iter().filter(|s| s.registered).map(|s| s.at).collect();
        let unfinished: Vec<&SessionEnd> = sessions.iter().filter(|s| !s.registered).collect();
        let region = self.region.lock().unwrap_or_else(|e| e.into_inner());
        json!({
            "elapsed_s": seconds(elapsed),
            "all": figures(&samples, elapsed),
            "endpoints": endpoints.iter().map(|(name, list)| (name.to_string(), figures(list, elapsed))).collect::<serde_json::Map<_, _>>(),
            "sessions": sessions.len(),
            "registered": registered.len(),
            "all_registered_after_s": registered.iter().max().map(|at| seconds(at.duration_since(start))),
            "completions_per_second": per_second(&samples, start),
            // Instances that never registered (a failed or timed-out step ends
            // them: SUSEConnect does not retry), and the requests they cost.
            "unfinished": {
                "instances": unfinished.len(),
                "requests": unfinished.iter().map(|s| s.requests).sum::<usize>(),
                "ok": unfinished.iter().map(|s| s.ok).sum::<usize>(),
            },
            // PAYG herds, per server of the region (1 = the first tried).
            "region": region.iter().map(|(server, tally)| json!({
                "server": server + 1, "health": tally.health, "registered": tally.registered,
            })).collect::<Vec<_>>(),
        })
    }
}

fn figures(samples: &[&Sample], elapsed: Duration) -> Value {
    let mut latencies: Vec<Duration> = samples.iter().map(|s| s.finished.duration_since(s.due)).collect();
    latencies.sort();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for sample in samples {
        *outcomes.entry(sample.kind()).or_default() += 1;
        if !sample.ok() {
            *failures.entry(sample.kind()).or_default() += 1;
        }
    }
    let ok = samples.iter().filter(|s| s.ok()).count();
    json!({
        "requests": samples.len(),
        "ok": ok,
        "failed": samples.len() - ok,
        "outcomes": outcomes,
        "failures": failures,
        "ok_per_s": if elapsed.is_zero() { 0.0 } else { ok as f64 / elapsed.as_secs_f64() },
        "latency_ms": {
            "p50": percentile(&latencies, 50.0), "p90": percentile(&latencies, 90.0),
            "p99": percentile(&latencies, 99.0), "max": latencies.last().map(|d| millis(*d)),
        },
        // p1 … p100, for the latency distribution chart.
        "percentiles_ms": (1..=100).map(|p| percentile(&latencies, f64::from(p))).collect::<Vec<_>>(),
    })
}

/// Nearest-rank percentile, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(millis(sorted[rank.min(sorted.len()) - 1]))
}

fn per_second(samples: &[&Sample], start: Instant) -> Vec<usize> {
    let mut buckets = Vec::new();
    for sample in samples.iter().filter(|s| s.ok()) {
        let second = sample.finished.duration_since(start).as_secs() as usize;
        if buckets.len() <= second {
            buckets.resize(second + 1, 0);
        }
        buckets[second] += 1;
    }
    buckets
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(50.0));
        assert_eq!(percentile(&sorted, 99.0), Some(99.0));
        assert_eq!(percentile(&sorted[..1], 99.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn unfinished_instances_count_their_requests() {
        let recorder = Recorder::default();
        let start = Instant::now();
        let sample = |outcome| Sample { endpoint: "announce", due: start, finished: start, outcome };
        assert!(recorder.record(sample(Ok(201))));
        assert!(!recorder.record(sample(Err(Failure::Timeout))));
        recorder.session_done(SessionEnd { at: start, registered: true, requests: 8, ok: 8 });
        recorder.session_done(SessionEnd { at: start, registered: false, requests: 3, ok: 2 });
        recorder.session_done(SessionEnd { at: start, registered: false, requests: 1, ok: 0 });
        let summary = recorder.summary(start);
        assert_eq!(summary["registered"], 1);
        assert_eq!(summary["unfinished"], json!({"instances": 2, "requests": 4, "ok": 2}));
    }
}
