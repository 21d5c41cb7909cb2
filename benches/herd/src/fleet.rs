//! The registered fleet that keeps working while a herd registers: systems
//! already in RMT's database (seeded by the benchmark with these credentials),
//! each request one of them sending SUSEConnect's daily keepalive
//! (`PUT /connect/systems`, with its system token, which RMT rotates) or
//! zypper refreshing one of its services and that service's repositories, at
//! a steady rate. Its samples are
//! reported apart ("fleet …" endpoints), so the herd's figures show what the
//! background costs it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    let payg = target.payg.then_some(member);
    let server = &target.servers[member % target.servers.len()];
    // Each request on its own connection, timed from when it was due.
    let send = |endpoint: &'static str,
                method: &'static str,
                path: String,
                headers: Vec<(&'static str, String)>,
                body: Option<Vec<u8>>| async move {
        let mut connection = Connection::new(server.clone());
        let answer = connection.send(Call { method, path: &path, headers: &headers, body }).await;
        let outcome = answer.as_ref().map(|a| a.status).map_err(|f| *f);
        recorder.record(Sample { endpoint, due, finished: Instant::now(), outcome });
        answer.ok()
    };
    if keepalive {
        // SUSEConnect's timer: the update, profiles by identifier from its cache.
        let token = fleet.tokens.lock().unwrap_or_else(|e| e.into_inner())[member].clone();
        let headers = suseconnect::headers(target.version, Some(&credentials), &token);
        let body = suseconnect::update_body(target.version, member);
        let answer = send("fleet keepalive", "PUT", "/connect/systems".into(), headers, Some(body)).await;
        if let Some(token) = answer.and_then(|a| a.system_token) {
            fleet.tokens.lock().unwrap_or_else(|e| e.into_inner())[member] = token;
        }
        return;
    }
    // `zypper refresh`: the service (for a PAYG instance through the susecloud
    // plugin, which checks the credentials first), then the metadata of each
    // of its enabled repositories: files nginx serves, with the public-cloud
    // engines each after its `/api/auth/check` subrequest.
    if payg.is_some() {
        let (headers, body) = suseconnect::credential_check(&credentials);
        send("fleet credential check", "POST", suseconnect::CREDENTIAL_CHECK_PATH.into(), headers, Some(body)).await;
    }
    let path = format!("/services/{}", SERVICES[member % SERVICES.len()]);
    let headers = suseconnect::zypper_headers(&credentials, payg);
    let Some(index) = send("fleet service refresh", "GET", path, headers.clone(), None).await else { return };
    for metadata in suseconnect::repository_metadata(&String::from_utf8_lossy(&index.body)) {
        send("fleet repository metadata", "GET", metadata, headers.clone(), None).await;
    }
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
