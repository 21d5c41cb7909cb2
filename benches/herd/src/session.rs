//! One simulated instance registering, step by step, as SUSEConnect (≥ 1.20)
//! does: announce; then, with its own credentials and the system token it is
//! handed (empty at first), activate the base product, read the product tree,
//! and activate the recommended extensions depth first. After each activation
//! zypper refreshes the service it added (`GET /services/<id>`, with the
//! system's credentials and zypper's user agent). No keepalive: SUSEConnect
//! sends it later, from its daily timer.

use std::sync::Arc;
use std::time::Instant;

use crate::client::{Answer, Call, Connection, Server};
use crate::hostile;
use crate::stats::{Recorder, Sample};
use crate::suseconnect::{self, Credentials};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Only the announce.
    Announce,
    /// Announce, then activate the base product only.
    Activation,
    /// Everything SUSEConnect does to register a cloud instance.
    Registration,
    /// One announce each, bent in one of `hostile::KINDS` ways.
    Hostile,
}

pub struct Target {
    pub server: Arc<Server>,
    pub scenario: Scenario,
    /// identifier, version, arch of the base product.
    pub base: (String, String, String),
    /// Pay-as-you-go instances as registercloudguest registers them.
    pub payg: bool,
}

struct Session<'a> {
    connection: Connection,
    recorder: &'a Recorder,
    due: Instant,
    credentials: Option<Credentials>,
    token: String,
    /// The instance's number when it registers as a PAYG instance.
    payg: Option<usize>,
}

impl Session<'_> {
    /// Sends one step of SUSEConnect; the next one is due when this one is answered.
    async fn step(&mut self, endpoint: &'static str, method: &str, path: &str, body: Vec<u8>) -> Option<Answer> {
        let headers = suseconnect::headers(self.credentials.as_ref(), &self.token);
        self.send(endpoint, method, path, headers, Some(body)).await
    }

    /// zypper's refresh of the service an activation answered with.
    async fn refresh_service(&mut self, activation: &Answer) -> Option<Answer> {
        let service: serde_json::Value = serde_json::from_slice(&activation.body).ok()?;
        let path = format!("/services/{}", service.get("id")?.as_u64()?);
        let headers = suseconnect::zypper_headers(self.credentials.as_ref()?);
        self.send("service refresh", "GET", &path, headers, None).await
    }

    async fn send(
        &mut self,
        endpoint: &'static str,
        method: &str,
        path: &str,
        mut headers: Vec<(&'static str, String)>,
        body: Option<Vec<u8>>,
    ) -> Option<Answer> {
        if let (Some(instance), Some(_)) = (self.payg, &self.credentials) {
            headers.extend(suseconnect::payg_headers(instance));
        }
        let answer = self.connection.send(Call { method, path, headers: &headers, body }).await;
        let finished = Instant::now();
        self.recorder.record(Sample {
            endpoint,
            due: self.due,
            finished,
            outcome: answer.as_ref().map(|a| a.status).map_err(|f| *f),
        });
        self.due = finished;
        let answer = answer.ok().filter(|a| a.status < 400)?;
        if let Some(token) = &answer.system_token {
            self.token = token.clone();
        }
        Some(answer)
    }
}

/// Registers instance `instance` (arriving at `due`); true when every step succeeded.
pub async fn register(target: Arc<Target>, recorder: Arc<Recorder>, instance: usize, due: Instant) -> bool {
    let mut session = Session {
        connection: Connection::new(target.server.clone()),
        recorder: &recorder,
        due,
        credentials: None,
        token: String::new(),
        payg: target.payg.then_some(instance),
    };
    let registered = steps(&mut session, &target, instance).await.is_some();
    recorder.session_done(session.due, registered);
    registered
}

async fn steps(session: &mut Session<'_>, target: &Target, instance: usize) -> Option<()> {
    if target.scenario == Scenario::Hostile {
        let (kind, body) = hostile::announce_body(instance);
        return session.step(kind, "POST", "/connect/subscriptions/systems", body).await.map(|_| ());
    }
    let announced = session
        .step("announce", "POST", "/connect/subscriptions/systems", suseconnect::announce_body(instance))
        .await?;
    session.credentials = Some(Credentials::from_announce(&announced.body)?);
    if target.scenario == Scenario::Announce {
        return Some(());
    }
    let (identifier, version, arch) = &target.base;
    let base = suseconnect::product_body(identifier, version, arch);
    let activated = session.step("activate", "POST", "/connect/systems/products", base.clone()).await?;
    if target.scenario == Scenario::Activation {
        return Some(());
    }
    session.refresh_service(&activated).await?;
    let tree = session.step("product tree", "GET", "/connect/systems/products", base).await?;
    let tree: serde_json::Value = serde_json::from_slice(&tree.body).ok()?;
    for (identifier, version, arch) in suseconnect::recommended_extensions(&tree) {
        let body = suseconnect::product_body(&identifier, &version, &arch);
        let activated = session.step("activate", "POST", "/connect/systems/products", body).await?;
        session.refresh_service(&activated).await?;
    }
    Some(())
}
