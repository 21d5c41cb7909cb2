//! The registered fleet that keeps working while a herd registers: systems
//! already in RMT's database (seeded by the benchmark with these credentials),
//! each request one of them sending SUSEConnect's daily keepalive
//! (`PUT /connect/systems`, with its system token, which RMT rotates) or
//! zypper refreshing one of its services, at a steady rate. Its samples are
//! reported apart ("fleet …" endpoints), so the herd's figures show what the
//! background costs it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{Call, Connection};
use crate::session::Target;
use crate::stats::{Recorder, Sample};
use crate::suseconnect::{self, Credentials};

/// The services each fleet system has activated (SLES, Basesystem, Server
/// Applications in the benchmark's catalog).
const SERVICES: [u64; 3] = [2600, 2601, 2602];

pub struct Fleet {
    pub size: usize,
    pub per_second: f64,
    tokens: Mutex<Vec<String>>,
}

impl Fleet {
    pub fn new(size: usize, per_second: f64) -> Fleet {
        Fleet { size, per_second, tokens: Mutex::new((0..size).map(initial_token).collect()) }
    }
}

/// What the benchmark seeds for fleet system `member` (benches/herd.rb).
pub fn credentials(member: usize) -> Credentials {
    Credentials { login: format!("SCC_f1ee7{member:027x}"), password: format!("fleet{member:011x}") }
}

fn initial_token(member: usize) -> String {
    format!("f1ee7000-0000-4000-8000-{member:012x}")
}

/// Sends the fleet's requests until `stop`, one every 1/`per_second` s
/// whatever the server does (each on its own connection, none waiting for
/// another).
pub async fn run(fleet: Arc<Fleet>, target: Arc<Target>, recorder: Arc<Recorder>, stop: Arc<AtomicBool>) {
    if fleet.size == 0 || fleet.per_second <= 0.0 {
        return;
    }
    let start = Instant::now();
    let every = Duration::from_secs_f64(1.0 / fleet.per_second);
    let mut n: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        let due = start + every * n;
        tokio::time::sleep_until(due.into()).await;
        // A stride through the fleet: consecutive requests are other systems'.
        let member = (n as usize).wrapping_mul(7919) % fleet.size;
        let (fleet, target, recorder) = (fleet.clone(), target.clone(), recorder.clone());
        let keepalive = n % 2 == 0;
        tokio::spawn(async move { request(&fleet, &target, &recorder, member, keepalive, due).await });
        n += 1;
    }
}

async fn request(fleet: &Fleet, target: &Target, recorder: &Recorder, member: usize, keepalive: bool, due: Instant) {
    let credentials = credentials(member);
    let mut connection = Connection::new(target.server.clone());
    // PAYG instances' requests carry their instance data (registercloudguest,
    // the susecloud plugin); the pubcloud engines verify it on refreshes.
    let instance = |mut headers: Vec<(&'static str, String)>| {
        if target.payg {
            headers.extend(suseconnect::payg_headers(member));
        }
        headers
    };
    let (endpoint, answer) = if keepalive {
        let token = fleet.tokens.lock().unwrap_or_else(|e| e.into_inner())[member].clone();
        let headers = instance(suseconnect::headers(Some(&credentials), &token));
        let body = json!({ "hostname": format!("fleet-{member}"), "hwinfo": { "arch": "x86_64", "cpus": 2 } });
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let call = Call { method: "PUT", path: "/connect/systems", headers: &headers, body: Some(body) };
        ("fleet keepalive", connection.send(call).await)
    } else {
        let path = format!("/services/{}", SERVICES[member % SERVICES.len()]);
        let headers = instance(suseconnect::zypper_headers(&credentials));
        (
            "fleet service refresh",
            connection.send(Call { method: "GET", path: &path, headers: &headers, body: None }).await,
        )
    };
    if let Ok(Some(token)) = answer.as_ref().map(|a| a.system_token.clone()) {
        fleet.tokens.lock().unwrap_or_else(|e| e.into_inner())[member] = token;
    }
    let outcome = answer.as_ref().map(|a| a.status).map_err(|f| *f);
    recorder.record(Sample { endpoint, due, finished: Instant::now(), outcome });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_credentials_have_rmts_shapes() {
        let c = credentials(5);
        assert_eq!((c.login.len(), c.password.len()), (36, 16));
        assert!(c.login.starts_with("SCC_f1ee7"));
        assert_eq!(initial_token(5).len(), 36);
    }
}
