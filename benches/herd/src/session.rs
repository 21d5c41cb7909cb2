//! One simulated instance registering, step by step, as its client does.
//!
//! SUSEConnect (connect-ng `Register`): announce; then, with its own
//! credentials and the system token it is handed (empty at first), activate the
//! base product, read the product tree, and activate the recommended
//! extensions depth first. After each activation zypper refreshes the service
//! it added (`zypper refs <service>`: `GET /services/<id>` with the system's
//! credentials and zypper's user agent; the service only, not its
//! repositories). No keepalive: SUSEConnect sends it later, from its timer.
//!
//! A pay-as-you-go instance is registered by registercloudguest
//! (cloud-regionsrv-client `registercloudguest.py` `main`): it asks the
//! region's servers' health (`GET /api/health/status`, 2 s) and takes the
//! first online; runs SUSEConnect with `--instance-data` (the sequence above;
//! the susecloud zypper plugin resolves each service refresh, first checking
//! the credentials with `POST /connect/systems/products/migrations` and adding
//! `X-Instance-Data`); if that fails, deregisters (`DELETE /connect/systems`)
//! and tries the next server of the region; then reads the product tree itself
//! (a GET with the product in the query string) and runs `SUSEConnect -p` for
//! each module installed on the image that is not recommended: an update
//! (`PUT /connect/systems`, as a registered SUSEConnect does first), the
//! activation and the plugin's refresh.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::{Answer, Call, Connection, Failure, Server};
use crate::hostile;
use crate::stats::{Recorder, Sample, SessionEnd, CREDENTIAL_CHECK};
use crate::suseconnect::{self, Credentials, Triplet, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Only the announce.
    Announce,
    /// Announce, then activate the base product only.
    Activation,
    /// Everything the instance's client does to register it.
    Registration,
    /// One announce each, bent in one of `hostile::KINDS` ways.
    Hostile,
    /// One health check each (`GET /api/health/status`, as registercloudguest
    /// asks): RMT's one-line action, the least a request answered in its
    /// Rails costs.
    Health,
    /// One `GET` each of what the benchmark's harness answers at the top of
    /// the middleware stack (`RMT_RS_BARE=1`): the least a request through
    /// nginx and this Puma costs, with no Rails.
    Bare,
}

/// The harness's bare answer (spec/rmt/support/harness_initializer.rb).
pub const BARE_PATH: &str = "/rmt_rs_bare";

pub struct Target {
    /// The region's servers, in the order the clients try them (one server:
    /// no sibling to fail over to).
    pub servers: Vec<Arc<Server>>,
    pub scenario: Scenario,
    pub version: Version,
    /// identifier, version, arch of the base product.
    pub base: Triplet,
    /// Pay-as-you-go instances as registercloudguest registers them.
    pub payg: bool,
}

/// registercloudguest's health check gives up after 2 s.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

struct Session<'a> {
    connection: Connection,
    recorder: &'a Recorder,
    version: Version,
    due: Instant,
    credentials: Option<Credentials>,
    token: String,
    /// The instance's number when it registers as a PAYG instance.
    payg: Option<usize>,
    /// Requests sent, and answered to the client's satisfaction, so far.
    requests: usize,
    ok: usize,
}

impl Session<'_> {
    /// Sends one step of SUSEConnect; the next one is due when this one is answered.
    async fn step(&mut self, endpoint: &'static str, method: &str, path: &str, body: Vec<u8>) -> Option<Answer> {
        let headers = suseconnect::headers(self.version, self.credentials.as_ref(), &self.token);
        self.send(endpoint, method, path, headers, Some(body)).await
    }

    /// zypper's refresh of the service an activation answered with; for a
    /// PAYG instance the susecloud plugin checks the credentials first.
    async fn refresh_service(&mut self, activation: &Answer) -> Option<Answer> {
        let service: serde_json::Value = serde_json::from_slice(&activation.body).ok()?;
        let path = format!("/services/{}", service.get("id")?.as_u64()?);
        if self.payg.is_some() {
            let (headers, body) = suseconnect::credential_check(self.credentials.as_ref()?);
            let check = self.send(CREDENTIAL_CHECK, "POST", suseconnect::CREDENTIAL_CHECK_PATH, headers, Some(body));
            check.await.filter(|a| a.status != 401)?;
        }
        let headers = suseconnect::zypper_headers(self.credentials.as_ref()?, self.payg);
        self.send("service refresh", "GET", &path, headers, None).await.filter(|a| a.status < 400)
    }

    /// The answer, whatever its status (None: no answer).
    async fn send(
        &mut self,
        endpoint: &'static str,
        method: &str,
        path: &str,
        headers: Vec<(&'static str, String)>,
        body: Option<Vec<u8>>,
    ) -> Option<Answer> {
        let answer = self.connection.send(Call { method, path, headers: &headers, body }).await;
        self.note(endpoint, answer.as_ref().map(|a| a.status).map_err(|f| *f));
        let answer = answer.ok()?;
        if let Some(token) = answer.system_token.as_ref().filter(|_| answer.status < 400) {
            self.token = token.clone();
        }
        Some(answer)
    }

    /// Records a request's outcome now; the next step is due from here.
    fn note(&mut self, endpoint: &'static str, outcome: Result<u16, Failure>) {
        let finished = Instant::now();
        let ok = self.recorder.record(Sample { endpoint, due: self.due, finished, outcome });
        self.requests += 1;
        self.ok += usize::from(ok);
        self.due = finished;
    }
}

/// Registers instance `instance` (arriving at `due`); true when every step succeeded.
pub async fn register(target: Arc<Target>, recorder: Arc<Recorder>, instance: usize, due: Instant) -> bool {
    let mut session = Session {
        connection: Connection::new(target.servers[instance % target.servers.len()].clone()),
        recorder: &recorder,
        version: target.version,
        due,
        credentials: None,
        token: String::new(),
        payg: target.payg.then_some(instance),
        requests: 0,
        ok: 0,
    };
    let registered = match (target.scenario, target.payg) {
        (Scenario::Health, _) => one_get(&mut session, "health", "/api/health/status").await,
        (Scenario::Bare, _) => one_get(&mut session, "bare", BARE_PATH).await,
        (Scenario::Registration, true) => registercloudguest(&mut session, &target, instance).await,
        _ => suseconnect_register(&mut session, &target, instance).await,
    };
    let (requests, ok) = (session.requests, session.ok);
    recorder.session_done(SessionEnd { at: session.due, registered: registered.is_some(), requests, ok });
    registered.is_some()
}

/// One GET with registercloudguest's headers; answered 200 or not.
async fn one_get(session: &mut Session<'_>, endpoint: &'static str, path: &str) -> Option<()> {
    let headers = suseconnect::python_headers(None, "*/*");
    session.send(endpoint, "GET", path, headers, None).await.filter(|a| a.status == 200).map(|_| ())
}

/// `SUSEConnect` (no `-p`), or as much of it as the scenario asks for.
async fn suseconnect_register(session: &mut Session<'_>, target: &Target, instance: usize) -> Option<()> {
    let ok = |answer: Option<Answer>| answer.filter(|a| a.status < 400);
    if target.scenario == Scenario::Hostile {
        let (kind, body) = hostile::announce_body(instance);
        return ok(session.step(kind, "POST", "/connect/subscriptions/systems", body).await).map(|_| ());
    }
    let body = suseconnect::announce_body(target.version, instance, target.payg);
    let announced = ok(session.step("announce", "POST", "/connect/subscriptions/systems", body).await)?;
    session.credentials = Some(Credentials::from_announce(&announced.body)?);
    if target.scenario == Scenario::Announce {
        return Some(());
    }
    let (identifier, version, arch) = &target.base;
    let base = suseconnect::product_body(identifier, version, arch);
    let activated = ok(session.step("activate", "POST", "/connect/systems/products", base.clone()).await)?;
    if target.scenario == Scenario::Activation {
        return Some(());
    }
    session.refresh_service(&activated).await?;
    let tree = ok(session.step("product tree", "GET", "/connect/systems/products", base).await)?;
    let tree: serde_json::Value = serde_json::from_slice(&tree.body).ok()?;
    for (identifier, version, arch) in suseconnect::recommended_extensions(&tree) {
        let body = suseconnect::product_body(&identifier, &version, &arch);
        let activated = ok(session.step("activate", "POST", "/connect/systems/products", body).await)?;
        session.refresh_service(&activated).await?;
    }
    Some(())
}

/// registercloudguest on a fresh PAYG instance.
async fn registercloudguest(session: &mut Session<'_>, target: &Target, instance: usize) -> Option<()> {
    // get_responding_update_server: the first server whose health is online.
    let mut current = None;
    for (index, server) in target.servers.iter().enumerate() {
        if healthy(session, index, server).await {
            current = Some(index);
            break;
        }
    }
    let mut current = current?;
    // register_base_product: on failure deregister, then the next server not
    // tried yet; when none is left, registercloudguest gives up.
    let mut failed = 0;
    loop {
        session.connection = Connection::new(target.servers[current].clone());
        if suseconnect_register(session, target, instance).await.is_some() {
            session.recorder.registered_on(current);
            break;
        }
        failed += 1;
        if session.credentials.is_some() {
            let headers = suseconnect::python_headers(session.credentials.as_ref(), "*/*");
            session.send("deregister", "DELETE", "/connect/systems", headers, None).await;
        }
        if failed == target.servers.len() {
            return None;
        }
        (session.credentials, session.token) = (None, String::new());
        current = (current + 1) % target.servers.len();
    }
    // get_extensions: the tree by query string, API v4 only.
    let (identifier, version, arch) = &target.base;
    let path = format!("/connect/systems/products?identifier={identifier}&version={version}&arch={arch}");
    let headers = suseconnect::python_headers(session.credentials.as_ref(), "application/vnd.scc.suse.com.v4+json");
    let tree = session.send("product tree (python)", "GET", &path, headers, None).await.filter(|a| a.status == 200)?;
    let tree: serde_json::Value = serde_json::from_slice(&tree.body).ok()?;
    // register_modules: `SUSEConnect -p` for each.
    for (identifier, version, arch) in suseconnect::installed_extensions(&tree, &suseconnect::IMAGE_MODULES) {
        let update = suseconnect::update_body(session.version, instance);
        session.step("update", "PUT", "/connect/systems", update).await.filter(|a| a.status < 400)?;
        let body = suseconnect::product_body(&identifier, &version, &arch);
        let activated =
            session.step("activate", "POST", "/connect/systems/products", body).await.filter(|a| a.status < 400)?;
        session.refresh_service(&activated).await?;
    }
    Some(())
}

/// smt.py `is_responsive`: 200 with `"state": "online"` within 2 s; server
/// `index` of the region.
async fn healthy(session: &mut Session<'_>, index: usize, server: &Arc<Server>) -> bool {
    let mut connection = Connection::new(server.clone());
    let headers = suseconnect::python_headers(None, "*/*");
    let call = Call { method: "GET", path: "/api/health/status", headers: &headers, body: None };
    let answer = connection.send_within(call, HEALTH_TIMEOUT).await;
    let outcome = answer.as_ref().map(|a| a.status).map_err(|f| *f);
    session.recorder.health_answered(index, outcome);
    session.note("health", outcome);
    answer.is_ok_and(|a| {
        a.status == 200
            && serde_json::from_slice::<serde_json::Value>(&a.body)
                .is_ok_and(|status| status.get("state").and_then(|s| s.as_str()) == Some("online"))
    })
}
