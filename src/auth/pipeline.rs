//! The authentication pipeline every authenticated endpoint of RMT's connect
//! API runs through, knowing none of them: the caller's system found as RMT
//! (or, with the public-cloud engines, scc_proxy) finds it, in the same
//! transaction as the endpoint's [`Step`], which answers for that system; the
//! `System-Token` header and authentication's log line set on whatever it
//! answers; run again after a deadlock, settled when a COMMIT's answer is lost,
//! and run again while scc_proxy waits for a sibling's registration.
//!
//! Endpoints depend on this module; it depends on none of them.

use std::time::Duration;

use sqlx::{MySqlConnection, MySqlPool};

use super::outcome::{Outcome, Verification};
use super::system_auth::{self, Authenticated, Caller, Found, SystemColumn};
use crate::answer::{Answer, LogLevel};
use crate::db::call;
use crate::db::transaction::{self, Attempt, Work};
use crate::error::{Error, Result};
use crate::rails::clock::Timestamp;
use crate::rails::value::Value;
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::flavor::Flavor;
use crate::rmt::instance_cache::{payg_hit, Probe};
use crate::rmt::release::Release;

/// A request to an authenticated endpoint of RMT's connect API: who calls,
/// what it sent, where it was sent. `params` holds the request parameters the
/// endpoint reads, as sent.
#[derive(Debug, Clone, Default)]
pub struct ConnectRequest {
    pub caller: Caller,
    pub params: Vec<(String, Value)>,
    /// `scheme://host[:port]` of the request, for the URLs in the answer.
    pub base_url: String,
    pub flavor: Flavor,
    /// Public cloud: the instance identifiers [`Outcome::Identify`] asked for.
    pub identifiers: Option<Vec<(u64, Option<String>)>>,
    /// Public cloud with registration sharing peers: unknown credentials may
    /// be a sibling's registration not shared yet, so scc_proxy looks again
    /// (five times, six seconds apart) before refusing.
    pub wait_for_peers: bool,
    /// Public cloud: where zypper_auth's instance verification cache is, when
    /// the host can take its hit branch for this request (nginx's auth check,
    /// a service refresh with instance data): each [`Outcome::Verify`] says
    /// whether the cache holds the system ([`Verification::cached`]).
    pub instance_cache: Option<Probe>,
    /// The running RMT's behaviour where releases differ.
    pub release: Release,
}

/// An endpoint's work for the system authentication found, in the same
/// transaction. Its futures run on the engine's own runtime, never spawned
/// (see [`Work`]).
#[allow(async_fn_in_trait)]
pub trait Step {
    /// What the endpoint answers for `acting.system`, the `System-Token`
    /// header authentication sets included ([`Acting::as_rmt`], [`Acting::verified`]).
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome>;
}

/// An endpoint's step after authentication: the system it acts for, the
/// `System-Token` header authentication answers, the token the system gets
/// when it is refreshed, the request's instant, the request.
pub struct Acting<'a> {
    pub system: &'a Authenticated,
    pub token_header: Option<String>,
    pub fresh_token: &'a str,
    pub now: Timestamp,
    pub cache: &'a CatalogCache,
    pub request: &'a ConnectRequest,
}

impl Acting<'_> {
    /// Whether the client sent `System-Token` (tokens enabled).
    pub fn sent_token(&self) -> bool {
        self.system.token_header
    }

    /// `answer` with the `System-Token` header authentication set, or RMT's
    /// 422 for what the step found invalid ([`as_rmt`]).
    pub fn as_rmt(&self, answer: Result<Answer>) -> Result<Outcome> {
        as_rmt(answer, self.token_header.clone(), self.sent_token())
    }

    /// `answer` as the request's flavor sends it: as it is from RMT; with the
    /// engines, once their checks on RMT's record of the system pass
    /// ([`Outcome::Verify`]). With the `System-Token` header authentication set.
    pub async fn verified(&self, conn: &mut MySqlConnection, answer: Answer) -> Result<Outcome> {
        let outcome = match self.request.flavor {
            Flavor::Rmt => Outcome::Answer(answer),
            Flavor::Pubcloud => for_verification(conn, self.request, self.system.id, answer).await?,
        };
        Ok(outcome.with_token_header(self.token_header.clone(), self.sent_token()))
    }

    /// RMT's `refresh_system_token` after the action ([`refreshed_token`]).
    pub async fn refreshed_token(&self, conn: &mut MySqlConnection) -> Result<Option<String>> {
        refreshed_token(conn, self.system.id, self.sent_token(), self.fresh_token, self.now).await
    }
}

/// scc_proxy's wait for a registration a sibling has not shared yet.
const PEER_WAITS: usize = 4;
const PEER_WAIT: Duration = Duration::from_secs(6);

/// Runs `step` for the caller of `request`, again while scc_proxy waits for
/// a sibling's registration.
pub(crate) async fn authenticated(
    pool: &MySqlPool,
    cache: &CatalogCache,
    request: &ConnectRequest,
    step: &impl Step,
) -> Result<Outcome> {
    let authenticate = Authenticate { request, step };
    let mut waits = 0;
    loop {
        let outcome = in_transaction(pool, cache, &authenticate).await?;
        let refused = matches!(&outcome, Outcome::Answer(answer) if answer.status == 401);
        if !(refused && request.wait_for_peers && waits < PEER_WAITS) {
            return Ok(outcome);
        }
        waits += 1;
        tokio::time::sleep(PEER_WAIT).await;
    }
}

/// What one transaction of [`in_transaction`] does: authentication and a
/// [`Step`], or (a public-cloud action's second step) an endpoint's own work.
#[allow(async_fn_in_trait)]
pub(crate) trait Respond {
    async fn respond(&self, conn: &mut MySqlConnection, turn: &Turn<'_>) -> Result<Outcome>;
}

/// What one attempt of [`in_transaction`] gives its [`Respond`]: the catalog
/// cache, the token a system gets when it is refreshed (the same in every
/// attempt), the attempt's instant.
#[derive(Clone, Copy)]
pub(crate) struct Turn<'a> {
    pub cache: &'a CatalogCache,
    pub fresh_token: &'a str,
    pub now: Timestamp,
}

/// Runs `respond` in a transaction and commits what it wrote, again after a
/// deadlock. Refusals are outcomes too: RMT keeps what authentication wrote
/// (`last_seen_at`, the user agent, a duplicated system) when a later check
/// refuses, so they commit like successes.
pub(crate) async fn in_transaction<R: Respond>(pool: &MySqlPool, cache: &CatalogCache, respond: &R) -> Result<Outcome> {
    // A fresh system token is drawn before the transaction: finding it stored
    // tells whether an uncertain COMMIT was written, and a run again hands
    // out the same one.
    let mut work = InTransaction { cache, respond, fresh_token: uuid::Uuid::new_v4().to_string() };
    let outcome = transaction::run(pool, &mut work).await?;
    cache.compact_if_due(pool);
    Ok(outcome)
}

struct InTransaction<'a, R> {
    cache: &'a CatalogCache,
    respond: &'a R,
    fresh_token: String,
}

impl<R: Respond> Work for InTransaction<'_, R> {
    type Output = Outcome;

    async fn attempt(&mut self, conn: &mut MySqlConnection) -> Result<Attempt<Outcome>> {
        let turn = Turn { cache: self.cache, fresh_token: &self.fresh_token, now: Timestamp::now() };
        Ok(Attempt::Commit(self.respond.respond(conn, &turn).await?))
    }

    /// An answer handing out the new system token was written when the token
    /// is stored: the client must get it, or its next request (with the old
    /// one) registers a duplicate system. Anything else is run again:
    /// everything it writes is found written the second time
    /// (authentication's writes, a duplicate system by its token, the
    /// activation by system and service), so nothing is done twice and the
    /// answer is the same.
    async fn settle(&mut self, pool: &MySqlPool, outcome: Outcome, lost: Error) -> Result<Option<Outcome>> {
        let Outcome::Answer(answer) = &outcome else { return Ok(None) };
        if answer.system_token.as_deref() != Some(self.fresh_token.as_str()) {
            return Ok(None);
        }
        let stored = call::read_back(call::READ_BACK_WINDOW, lost, || {
            sqlx::query_as::<_, (i64,)>("SELECT id FROM systems WHERE system_token = ? LIMIT 1")
                .bind(&self.fresh_token)
                .fetch_optional(pool)
        })
        .await?;
        Ok(stored.map(|_| outcome))
    }
}

/// Authentication, then the step.
struct Authenticate<'a, S> {
    request: &'a ConnectRequest,
    step: &'a S,
}

impl<S: Step> Respond for Authenticate<'_, S> {
    async fn respond(&self, conn: &mut MySqlConnection, turn: &Turn<'_>) -> Result<Outcome> {
        let (request, Turn { cache, fresh_token, now }) = (self.request, *turn);
        let (system, token_header) = match authenticate(conn, request, now).await? {
            Ok(found) => found,
            Err(outcome) => return Ok(outcome),
        };
        let acting = Acting { system: &system, token_header, fresh_token, now, cache, request };
        let outcome = self.step.answer(conn, &acting).await?;
        // Authentication logs before the action answers, whatever it answers.
        let authenticated = |mut answer: Answer| {
            if let Some(line) = system.log.clone() {
                answer.log.insert(0, (LogLevel::Info, line));
            }
            Answer { system_id: Some(system.id), ..answer }
        };
        Ok(match outcome {
            Outcome::Answer(answer) => Outcome::Answer(authenticated(answer)),
            Outcome::Verify(verification) => Outcome::Verify(Box::new(verification.map_answer(authenticated))),
            outcome => outcome,
        })
    }
}

/// The caller's system and the `System-Token` header to answer, or the
/// outcome when there is none (401, 422, or identifiers needed).
async fn authenticate(
    conn: &mut MySqlConnection,
    request: &ConnectRequest,
    now: Timestamp,
) -> Result<std::result::Result<(Authenticated, Option<String>), Outcome>> {
    let found = match request.flavor {
        Flavor::Rmt => system_auth::authenticate(conn, &request.caller, now).await.map(Found::System),
        Flavor::Pubcloud => {
            system_auth::authenticate_scc_proxy(conn, &request.caller, request.identifiers.as_deref(), now).await
        }
    };
    let system = match found {
        Ok(Found::System(system)) => system,
        Ok(Found::Identify(wanted)) => return Ok(Err(Outcome::Identify(wanted))),
        Err(e) => return Ok(Err(Outcome::Answer(system_auth::refusal(e, &request.caller)?))),
    };
    let token_header = if system.token_header { system.system_token.clone() } else { None };
    Ok(Ok((system, token_header)))
}

/// `answer`, or RMT's 422 for what a check or the write found invalid (a
/// system deleted meanwhile, say), with the `System-Token` header as
/// authentication set it.
pub fn as_rmt(answer: Result<Answer>, token: Option<String>, sent: bool) -> Result<Outcome> {
    match answer {
        Ok(answer) => Ok(Outcome::Answer(answer)),
        Err(Error::InvalidInput(message)) => {
            Ok(Outcome::Answer(Answer::error(422, &message, token).with_token_header(sent)))
        }
        Err(e) => Err(e),
    }
}

/// `answer`, to go out once the engines' checks pass on RMT's record of the
/// system `system_id` (its columns), and whether zypper_auth's cache holds
/// the system when the request asks.
pub(crate) async fn for_verification(
    conn: &mut MySqlConnection,
    request: &ConnectRequest,
    system_id: u64,
    answer: Answer,
) -> Result<Outcome> {
    let system = system_auth::attributes(conn, system_id).await?;
    let cached = match &request.instance_cache {
        Some(probe) => payg_hit(conn, system_id, &system, probe).await?,
        None => false,
    };
    Ok(Outcome::Verify(Box::new(Verification { answer, system, cached })))
}

/// A new system token after an activation, for clients that use tokens.
/// RMT's `refresh_system_token` after an action, for a client that sent
/// `System-Token` (`refresh`): the fresh token written, and answered.
pub async fn refreshed_token(
    conn: &mut MySqlConnection,
    system_id: u64,
    refresh: bool,
    token: &str,
    now: Timestamp,
) -> Result<Option<String>> {
    if !refresh {
        return Ok(None);
    }
    system_auth::update_system(conn, system_id, SystemColumn::SystemToken, token, now).await?;
    Ok(Some(token.to_string()))
}
