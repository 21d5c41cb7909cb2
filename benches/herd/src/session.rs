//! One simulated instance registering, step by step, as SUSEConnect does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::{Call, Connection};
use crate::stats::{Recorder, Sample};
use crate::suseconnect;

pub struct Target {
    pub address: String,
    pub timeout: Duration,
}

/// Announces instance `instance` (due at `due`); true when it got credentials.
pub async fn register(target: Arc<Target>, recorder: Arc<Recorder>, instance: usize, due: Instant) -> bool {
    let mut connection = Connection::new(&target.address, target.timeout);
    let headers = suseconnect::headers(None);
    let answer = connection
        .send(Call {
            method: "POST",
            path: "/connect/subscriptions/systems",
            headers: &headers,
            body: Some(suseconnect::announce_body(instance)),
        })
        .await;
    let finished = Instant::now();
    let registered = matches!(&answer, Ok(a) if a.status == 201 && credentials(&a.body).is_some());
    recorder.record(Sample { endpoint: "announce", due, finished, outcome: answer.map(|a| a.status) });
    recorder.session_done(finished, registered);
    registered
}

fn credentials(body: &[u8]) -> Option<(String, String)> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some((json.get("login")?.as_str()?.to_string(), json.get("password")?.as_str()?.to_string()))
}
