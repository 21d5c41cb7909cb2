//! RMT's product activation (`POST /connect/systems/products`) and product
//! tree (`GET /connect/systems/products`): authentication, every check RMT
//! makes in RMT's order with RMT's messages, the activation write and the
//! serialized answer, in one transaction.
//!
//! With RMT's public-cloud engines, activation is two steps, as the engines'
//! checks run between RMT's checks and the write and only the host can make
//! them (the instance verification provider is Ruby): [`activate`] authenticates
//! and checks and answers [`Outcome::Checked`], the host runs the engines'
//! checks, and [`finish_activation`] writes the activation and answers. RMT
//! runs its callbacks without a transaction around them, so two transactions
//! keep what RMT keeps when an engine refuses (what authentication wrote).

use std::time::Duration;

use sqlx::{MySqlConnection, MySqlPool};

use crate::activations;
use crate::answer::{Answer, LogLevel};
use crate::auth_check::{self, PathCheck};
use crate::byos_mode::{BYOS, NOT_APPLICABLE};
use crate::catalog::{self, Product};
use crate::catalog_cache::CatalogCache;
use crate::clock::Timestamp;
use crate::engine;
use crate::error::{code, Error, Result, NO_LONGER_EXISTS};
use crate::flavor::Flavor;
use crate::migrations;
use crate::services;
use crate::system_auth::{self, Authenticated, Caller, Found};
use crate::systems::{self, SystemUpdate};
use crate::transaction::{self, Attempt, Work};
use crate::value::{StringColumn, Value};

/// The request parameters RMT's products controller reads.
pub const REQUEST_PARAMS: [&str; 8] =
    ["identifier", "version", "arch", "token", "payload", "installed_products", "target_base_product", "products"];

/// A request to the products endpoints. `params` holds the request parameters
/// RMT reads ([`REQUEST_PARAMS`]) as sent.
#[derive(Debug, Clone, Default)]
pub struct ProductRequest {
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
}

/// How a products request ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Answer(Answer),
    /// Public cloud: authentication needs these systems' instance identifiers
    /// (id, stored instance data); ask again with [`ProductRequest::identifiers`].
    Identify(Vec<(u64, Option<String>)>),
    /// Public cloud: the activation passed RMT's checks; the engines' checks
    /// are next, then [`finish_activation`].
    Checked(Box<Checked>),
    /// Public cloud: this answer goes out once the engines' checks on this
    /// system (its columns) pass (zypper_auth's and the registry's instance
    /// verification of an index, the activations list or nginx's auth check,
    /// whose verdict is the status; for a deregistration SCC's and the
    /// registry's, and then [`systems::destroy`] answers, after the headers
    /// this one sets).
    Verify(Box<Answer>, Vec<(String, Value)>),
}

impl Outcome {
    /// The answer, when the request ended with one.
    pub fn into_answer(self) -> Option<Answer> {
        match self {
            Outcome::Answer(answer) => Some(answer),
            _ => None,
        }
    }

    /// The outcome's answer with the `System-Token` header authentication
    /// set (`sent`: the client sent one, tokens enabled; `token` the system's).
    fn with_token_header(self, token: Option<String>, sent: bool) -> Outcome {
        let set = |answer: Answer| Answer { system_token: token.clone(), ..answer }.with_token_header(sent);
        match self {
            Outcome::Answer(answer) if sent => Outcome::Answer(set(answer)),
            Outcome::Verify(answer, system) if sent => Outcome::Verify(Box::new(set(*answer)), system),
            outcome => outcome,
        }
    }
}

/// An activation that passed authentication and RMT's checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The system's and the product's columns, for the engines' checks.
    pub system: Vec<(String, Value)>,
    pub product: Vec<(String, Value)>,
    /// The `System-Token` header authentication answers, when it sets one
    /// (`token_header`), with the system's token (none when it has none).
    pub system_token: Option<String>,
    pub token_header: bool,
    pub ticket: Ticket,
}

/// What [`finish`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub finishes: Finishing,
    pub system_id: u64,
    pub product_id: u64,
    /// The activation's service (a deactivation finds it when it finishes).
    pub service_id: u64,
    pub subscription_id: Option<i64>,
    /// RMT's `refresh_system_token` after the action (a client that sent
    /// `System-Token`, tokens enabled).
    pub refresh_token: bool,
}

/// The action a [`Ticket`] finishes once the engines' checks passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finishing {
    /// `activate`: scc_proxy's and instance verification's checks came between.
    Activation,
    /// API v4's `destroy`: scc_proxy's deactivation on SCC came between.
    Deactivation,
    /// `upgrade` (a migration's step): instance verification's and
    /// scc_proxy's upgrade checks came between.
    Upgrade,
}

/// scc_proxy's wait for a registration a sibling has not shared yet.
const PEER_WAITS: usize = 4;
const PEER_WAIT: Duration = Duration::from_secs(6);

/// RMT's activation; with the public-cloud engines, its first step.
pub async fn activate(pool: &MySqlPool, cache: &CatalogCache, request: &ProductRequest) -> Result<Outcome> {
    authenticated(pool, cache, request, Step::Activate(request)).await
}

/// RMT's product deactivation (`DELETE /connect/systems/products`, API v4):
/// the activation of a module or extension nothing activated depends on,
/// removed, and the product's service answered.
pub async fn deactivate(pool: &MySqlPool, cache: &CatalogCache, request: &ProductRequest) -> Result<Outcome> {
    authenticated(pool, cache, request, Step::Deactivate(request)).await
}

/// RMT's `POST /connect/systems/products/synchronize` (API v4): the
/// activations of the system's products the client no longer lists
/// (`params["products"]`, each `{identifier, version, arch}`) removed, the
/// system's products answered.
pub async fn synchronize(pool: &MySqlPool, cache: &CatalogCache, request: &ProductRequest) -> Result<Outcome> {
    authenticated(pool, cache, request, Step::Synchronize(request)).await
}

/// RMT's `POST /connect/systems/products/migrations` and `offline_migrations`:
/// the migration paths of the installed products the client lists
/// (`params["installed_products"]`; offline also `target_base_product`).
pub async fn migrations(
    pool: &MySqlPool,
    cache: &CatalogCache,
    request: &ProductRequest,
    kind: migrations::Kind,
) -> Result<Outcome> {
    authenticated(pool, cache, request, Step::Migrations(request, kind)).await
}

/// RMT's `GET /connect/systems/activations`: the system's activations as
/// RMT's (or, with the engines, zypper_auth's) index renders them.
pub async fn activations(pool: &MySqlPool, cache: &CatalogCache, request: &ProductRequest) -> Result<Outcome> {
    authenticated(pool, cache, request, Step::Activations(request)).await
}

/// The product tree RMT answers for an activated product.
pub async fn show(pool: &MySqlPool, cache: &CatalogCache, request: &ProductRequest) -> Result<Outcome> {
    authenticated(pool, cache, request, Step::Show(request)).await
}

/// RMT's product upgrade (`PUT /connect/systems/products`, a migration's
/// step): the product's activation in place of its predecessors' and
/// successors', its service answered naming the one it obsoletes. With the
/// public-cloud engines, the first step ([`Outcome::Checked`]), as for
/// [`activate`].
pub async fn upgrade(pool: &MySqlPool, cache: &CatalogCache, request: &ProductRequest) -> Result<Outcome> {
    authenticated(pool, cache, request, Step::Upgrade(request)).await
}

/// The second step of a public-cloud activation, deactivation or upgrade,
/// once the engines' checks passed: the ticket's action written and the
/// product's service answered.
pub async fn finish(
    pool: &MySqlPool,
    cache: &CatalogCache,
    ticket: &Ticket,
    base_url: &str,
    flavor: Flavor,
) -> Result<Answer> {
    let outcome = in_transaction(pool, cache, &Step::Finish { ticket, base_url, flavor }).await?;
    outcome.into_answer().ok_or_else(|| Error::Internal("A finished action ended without an answer".into()))
}

/// What a transaction of this module does: the products endpoints' actions,
/// and the others that authenticate the same way (a system's update).
pub(crate) enum Step<'a> {
    Activate(&'a ProductRequest),
    Show(&'a ProductRequest),
    Deactivate(&'a ProductRequest),
    Upgrade(&'a ProductRequest),
    Synchronize(&'a ProductRequest),
    Migrations(&'a ProductRequest, migrations::Kind),
    Activations(&'a ProductRequest),
    Update(&'a ProductRequest, &'a SystemUpdate),
    /// A service's repository index with the engines: the service id as routed.
    ServiceIndex(&'a ProductRequest, &'a str),
    /// A deregistration's first step with the engines (see [`systems::deregister`]).
    Deregister(&'a ProductRequest),
    /// SMT's legacy service (see [`services::legacy_repoindex`]).
    LegacyIndex(&'a ProductRequest),
    /// nginx's check of a download with the engines (see [`auth_check::check`]).
    AuthCheck(&'a ProductRequest, &'a PathCheck),
    Finish {
        ticket: &'a Ticket,
        base_url: &'a str,
        flavor: Flavor,
    },
}

/// Runs `step` again while scc_proxy waits for a sibling's registration.
pub(crate) async fn authenticated(
    pool: &MySqlPool,
    cache: &CatalogCache,
    request: &ProductRequest,
    step: Step<'_>,
) -> Result<Outcome> {
    let mut waits = 0;
    loop {
        let outcome = in_transaction(pool, cache, &step).await?;
        let refused = matches!(&outcome, Outcome::Answer(answer) if answer.status == 401);
        if !(refused && request.wait_for_peers && waits < PEER_WAITS) {
            return Ok(outcome);
        }
        waits += 1;
        tokio::time::sleep(PEER_WAIT).await;
    }
}

/// Runs `step` in a transaction and commits what it wrote, again after a
/// deadlock. Refusals are outcomes too: RMT keeps what authentication wrote
/// (`last_seen_at`, the user agent, a duplicated system) when a later check
/// refuses, so they commit like successes.
async fn in_transaction(pool: &MySqlPool, cache: &CatalogCache, step: &Step<'_>) -> Result<Outcome> {
    // A fresh system token is drawn before the transaction: finding it stored
    // tells whether an uncertain COMMIT was written, and a run again hands
    // out the same one.
    let mut work = Products { cache, step, fresh_token: uuid::Uuid::new_v4().to_string() };
    let outcome = transaction::run(pool, &mut work).await?;
    cache.compact_if_due(pool);
    Ok(outcome)
}

struct Products<'a> {
    cache: &'a CatalogCache,
    step: &'a Step<'a>,
    fresh_token: String,
}

impl Work for Products<'_> {
    type Output = Outcome;

    async fn attempt(&mut self, conn: &mut MySqlConnection) -> Result<Attempt<Outcome>> {
        Ok(Attempt::Commit(respond(conn, self.cache, self.step, &self.fresh_token, Timestamp::now()).await?))
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
        let stored = engine::read_back(engine::READ_BACK_WINDOW, lost, || {
            sqlx::query_as::<_, (i64,)>("SELECT id FROM systems WHERE system_token = ? LIMIT 1")
                .bind(&self.fresh_token)
                .fetch_optional(pool)
        })
        .await?;
        Ok(stored.map(|_| outcome))
    }
}

async fn respond(
    conn: &mut MySqlConnection,
    cache: &CatalogCache,
    step: &Step<'_>,
    fresh_token: &str,
    now: Timestamp,
) -> Result<Outcome> {
    let request = match step {
        Step::Activate(request)
        | Step::Show(request)
        | Step::Deactivate(request)
        | Step::Upgrade(request)
        | Step::Synchronize(request)
        | Step::Activations(request)
        | Step::Update(request, _)
        | Step::ServiceIndex(request, _)
        | Step::Deregister(request)
        | Step::LegacyIndex(request)
        | Step::AuthCheck(request, _)
        | Step::Migrations(request, _) => *request,
        Step::Finish { ticket, base_url, flavor } => {
            let writing = Writing {
                system_id: ticket.system_id,
                refresh_token: ticket.refresh_token,
                base_url,
                flavor: *flavor,
                fresh_token,
                now,
                cache,
            };
            return finished(conn, ticket, &writing).await;
        }
    };
    let (system, token_header) = match authenticate(conn, request, now).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    let outcome = authenticated_step(conn, cache, step, request, &system, token_header, fresh_token, now).await?;
    // Authentication logs before the action answers, whatever it answers.
    let authenticated = |mut answer: Answer| {
        if let Some(line) = system.log.clone() {
            answer.log.insert(0, (LogLevel::Info, line));
        }
        Answer { system_id: Some(system.id), ..answer }
    };
    Ok(match outcome {
        Outcome::Answer(answer) => Outcome::Answer(authenticated(answer)),
        Outcome::Verify(answer, columns) => Outcome::Verify(Box::new(authenticated(*answer)), columns),
        outcome => outcome,
    })
}

/// What `step` answers for the authenticated `system`.
#[allow(clippy::too_many_arguments)]
async fn authenticated_step(
    conn: &mut MySqlConnection,
    cache: &CatalogCache,
    step: &Step<'_>,
    request: &ProductRequest,
    system: &Authenticated,
    token_header: Option<String>,
    fresh_token: &str,
    now: Timestamp,
) -> Result<Outcome> {
    let sent = system.token_header;
    let acting = Acting { system, fresh_token, now, cache, request };
    // The answers the engines' checks on the system see first (with the
    // engines; without them they go out as they are).
    let for_engines = match step {
        Step::Activations(_) => {
            let body = activations::activations_json(conn, cache, system.id, &request.base_url, request.flavor).await?;
            Some(Answer::ok(200, &body, "ActiveModel::Serializer::CollectionSerializer", None))
        }
        Step::LegacyIndex(_) => Some(services::legacy_index(conn, system.id, &request.base_url, request.flavor).await?),
        Step::AuthCheck(_, check) => {
            let allowed = auth_check::path_allowed(conn, system.id, system.proxy_byos_mode, check).await?;
            Some(Answer::head(if allowed { 200 } else { 403 }))
        }
        Step::Deregister(_) => Some(Answer::no_content(None, false)),
        _ => None,
    };
    if let Some(answer) = for_engines {
        let outcome = match request.flavor {
            Flavor::Rmt => Outcome::Answer(answer),
            Flavor::Pubcloud => for_verification(conn, system.id, answer).await?,
        };
        return Ok(outcome.with_token_header(token_header, sent));
    }
    let answer = match step {
        Step::Deactivate(_) => return deactivation(conn, &acting, token_header).await,
        Step::Upgrade(_) => return upgrade_checked(conn, &acting, token_header).await,
        Step::Synchronize(_) => synchronized(conn, &acting).await,
        Step::Migrations(_, kind) => migrated(conn, &acting, *kind)
            .await
            .map(|answer| Answer { system_token: token_header.clone(), ..answer }.with_token_header(sent)),
        Step::Show(_) => show_checked(conn, cache, request, system)
            .await
            .map(|body| Answer::ok(200, &body, "V3::ProductSerializer", token_header.clone()).with_token_header(sent)),
        Step::Update(_, update) => systems::updated(conn, system, update, fresh_token, now).await,
        Step::ServiceIndex(_, id) => {
            let outcome = services::verified_index(conn, request, id).await?;
            return Ok(outcome.with_token_header(token_header, sent));
        }
        Step::Activations(_) | Step::LegacyIndex(_) | Step::AuthCheck(..) | Step::Deregister(_) => {
            Err(Error::Internal("answered for the engines above".into()))
        }
        Step::Activate(_) => return activated(conn, &acting, token_header).await,
        Step::Finish { .. } => Err(Error::Internal("A finished action authenticates no one".into())),
    };
    as_rmt(answer, token_header, sent)
}

/// `answer`, to go out once the engines' checks pass on RMT's record of the
/// system `system_id` (its columns).
pub(crate) async fn for_verification(conn: &mut MySqlConnection, system_id: u64, answer: Answer) -> Result<Outcome> {
    Ok(Outcome::Verify(Box::new(answer), system_auth::attributes(conn, system_id).await?))
}

/// RMT's activation after authentication: its checks, then (outside the
/// public cloud) the write and the service answered.
async fn activated(conn: &mut MySqlConnection, acting: &Acting<'_>, token_header: Option<String>) -> Result<Outcome> {
    let Acting { system, now, request, .. } = *acting;
    let sent = system.token_header;
    let (product, ticket) = match check_activation(conn, request, system, now).await {
        Ok(checked) => checked,
        Err(e) => return as_rmt(Err(e), token_header, sent),
    };
    if request.flavor == Flavor::Pubcloud {
        return for_the_engines(conn, system, &product, token_header, ticket).await;
    }
    let writing = Writing::for_caller(acting);
    let written = write_and_answer(conn, &writing, &ticket, system.proxy_byos_mode, &product, None).await;
    as_rmt(written, token_header, sent)
}

/// RMT's `destroy` after authentication: the product, then (outside the
/// public cloud) the deactivation.
async fn deactivation(
    conn: &mut MySqlConnection,
    acting: &Acting<'_>,
    token_header: Option<String>,
) -> Result<Outcome> {
    let Acting { system, request, .. } = *acting;
    let sent = system.token_header;
    let product = match require_product(conn, &request.params).await {
        Ok(product) => product,
        Err(e) => return as_rmt(Err(e), token_header, sent),
    };
    if request.flavor == Flavor::Pubcloud {
        let ticket = Ticket {
            finishes: Finishing::Deactivation,
            system_id: system.id,
            product_id: product.id,
            service_id: 0,
            subscription_id: None,
            refresh_token: sent,
        };
        return for_the_engines(conn, system, &product, token_header, ticket).await;
    }
    as_rmt(deactivated(conn, &Writing::for_caller(acting), &product).await, token_header, sent)
}

/// RMT's `upgrade` after authentication: its checks (the product, the
/// subscription, the base products; not the repositories), then (outside the
/// public cloud) the upgrade.
async fn upgrade_checked(
    conn: &mut MySqlConnection,
    acting: &Acting<'_>,
    token_header: Option<String>,
) -> Result<Outcome> {
    let Acting { system, now, request, .. } = *acting;
    let sent = system.token_header;
    let product = match require_product(conn, &request.params).await {
        Ok(product) => product,
        Err(e) => return as_rmt(Err(e), token_header, sent),
    };
    let subscription_id = match load_subscription(conn, request, system, &product, now).await {
        Ok(id) => id,
        Err(e) => return as_rmt(Err(e), token_header, sent),
    };
    if let Err(e) = check_base_products(conn, system, &product, None).await {
        return as_rmt(Err(e), token_header, sent);
    }
    let ticket = Ticket {
        finishes: Finishing::Upgrade,
        system_id: system.id,
        product_id: product.id,
        service_id: 0,
        subscription_id,
        refresh_token: sent,
    };
    if request.flavor == Flavor::Pubcloud {
        return for_the_engines(conn, system, &product, token_header, ticket).await;
    }
    let writing = Writing::for_caller(acting);
    as_rmt(upgraded(conn, &writing, &ticket, system.proxy_byos_mode, &product).await, token_header, sent)
}

/// An action that passed RMT's checks, for the engines' checks and then
/// [`finish`]: the system's and the product's columns.
async fn for_the_engines(
    conn: &mut MySqlConnection,
    system: &Authenticated,
    product: &Product,
    token_header: Option<String>,
    ticket: Ticket,
) -> Result<Outcome> {
    let columns = system_auth::attributes(conn, system.id).await?;
    let checked = Checked {
        system: columns,
        product: product.attributes(),
        system_token: token_header,
        token_header: system.token_header,
        ticket,
    };
    Ok(Outcome::Checked(Box::new(checked)))
}

/// [`finish`]: the ticket's product read again, then its action.
async fn finished(conn: &mut MySqlConnection, ticket: &Ticket, writing: &Writing<'_>) -> Result<Outcome> {
    let products = catalog::products_with_ids(conn, &[ticket.product_id]).await?;
    let Some(product) = products.first() else {
        return Ok(Outcome::Answer(Answer::error(422, "No product found", None)));
    };
    let answer = match ticket.finishes {
        // A system deleted meanwhile has no activation: RMT's "not yet activated".
        Finishing::Deactivation => deactivated(conn, writing, product).await,
        Finishing::Activation | Finishing::Upgrade => {
            // Read again: the engines' checks may have changed it (a hybrid system).
            let mode: Option<(Option<i32>,)> = sqlx::query_as("SELECT proxy_byos_mode FROM systems WHERE id = ?")
                .bind(ticket.system_id as i64)
                .fetch_optional(&mut *conn)
                .await?;
            let Some((mode,)) = mode else {
                return Ok(Outcome::Answer(Answer::error(422, NO_LONGER_EXISTS, None)));
            };
            if ticket.finishes == Finishing::Upgrade {
                upgraded(conn, writing, ticket, mode, product).await
            } else {
                write_and_answer(conn, writing, ticket, mode, product, None).await
            }
        }
    };
    as_rmt(answer, None, false)
}

/// `answer`, or RMT's 422 for what a check or the write found invalid (a
/// system deleted meanwhile, say), with the `System-Token` header as
/// authentication set it.
fn as_rmt(answer: Result<Answer>, token: Option<String>, sent: bool) -> Result<Outcome> {
    match answer {
        Ok(answer) => Ok(Outcome::Answer(answer)),
        Err(Error::InvalidInput(message)) => {
            Ok(Outcome::Answer(Answer::error(422, &message, token).with_token_header(sent)))
        }
        Err(e) => Err(e),
    }
}

/// The caller's system and the `System-Token` header to answer, or the
/// outcome when there is none (401, 422, or identifiers needed).
async fn authenticate(
    conn: &mut MySqlConnection,
    request: &ProductRequest,
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

/// RMT's checks before an activation, in RMT's order: the product, its
/// mirrored service, the subscription, the base products.
async fn check_activation(
    conn: &mut MySqlConnection,
    request: &ProductRequest,
    system: &Authenticated,
    now: Timestamp,
) -> Result<(Product, Ticket)> {
    let product = require_product(conn, &request.params).await?;
    let service_id = require_mirrored_service(conn, &product).await?;
    let subscription_id = load_subscription(conn, request, system, &product, now).await?;
    check_base_products(conn, system, &product, None).await?;
    let ticket = Ticket {
        finishes: Finishing::Activation,
        system_id: system.id,
        product_id: product.id,
        service_id,
        subscription_id,
        refresh_token: system.token_header,
    };
    Ok((product, ticket))
}

/// What an action's write needs once its checks passed: the system, whether
/// its token is refreshed, where the answer's URLs point, the token handed
/// out, the request's instant.
struct Writing<'a> {
    system_id: u64,
    refresh_token: bool,
    base_url: &'a str,
    flavor: Flavor,
    fresh_token: &'a str,
    now: Timestamp,
    cache: &'a CatalogCache,
}

impl<'a> Writing<'a> {
    /// For the system authentication found, in the same transaction.
    fn for_caller(acting: &Acting<'a>) -> Writing<'a> {
        let Acting { system, fresh_token, now, cache, request } = *acting;
        let (base_url, flavor) = (request.base_url.as_str(), request.flavor);
        Writing { system_id: system.id, refresh_token: system.token_header, base_url, flavor, fresh_token, now, cache }
    }

    /// The service's JSON as RMT's `render_service` renders it (`obsoleted`
    /// as for [`catalog::Tree::service_json`]), and the system token handed out.
    async fn service_and_token(
        &self,
        conn: &mut MySqlConnection,
        service_id: u64,
        product: &Product,
        obsoleted: &str,
    ) -> Result<(Value, Option<String>)> {
        let tree = self.cache.tree(conn, product).await?;
        let body = tree.service_json(service_id, product.id, self.base_url, self.flavor, obsoleted)?;
        let token = refreshed_token(conn, self.system_id, self.refresh_token, self.fresh_token, self.now).await?;
        Ok((body, token))
    }
}

/// RMT's `activate` action: the activation written, the system token
/// refreshed when the client uses tokens, and the product's service answered
/// (with the name of the service an upgrade obsoletes).
async fn write_and_answer(
    conn: &mut MySqlConnection,
    writing: &Writing<'_>,
    ticket: &Ticket,
    proxy_byos_mode: Option<i32>,
    product: &Product,
    obsoleted: Option<String>,
) -> Result<Answer> {
    let created = write_activation(conn, ticket, proxy_byos_mode, writing.now).await?;
    let obsoleted = obsoleted.unwrap_or_default();
    let (body, token) = writing.service_and_token(conn, ticket.service_id, product, &obsoleted).await?;
    Ok(Answer { activations_changed: created, ..Answer::ok(201, &body, "V3::ServiceSerializer", token) })
}

/// An action after authentication: the system it acts for, the token it
/// gets when it is refreshed, the request's instant, the request.
#[derive(Clone, Copy)]
struct Acting<'a> {
    system: &'a Authenticated,
    fresh_token: &'a str,
    now: Timestamp,
    cache: &'a CatalogCache,
    request: &'a ProductRequest,
}

/// RMT's `upgrade` action: the system's activations of the product, its
/// predecessors and its successors removed (each one's callback resets the
/// SCC sync time) and the product's written in their place, in one
/// transaction; the service answered (201) with the name of the one it
/// obsoletes.
async fn upgraded(
    conn: &mut MySqlConnection,
    writing: &Writing<'_>,
    ticket: &Ticket,
    proxy_byos_mode: Option<i32>,
    product: &Product,
) -> Result<Answer> {
    // RMT fails with a 500 on a product without a service, its transaction
    // undone: refused before anything is written.
    let ticket = Ticket { service_id: require_service(conn, product).await?, ..*ticket };
    let ids = related_product_ids(conn, product).await?;
    let in_ids = catalog::placeholders(ids.len());
    // `@system.services.find_by(product_id: ids)`, as ActiveRecord asks it.
    let sql = format!(
        "SELECT services.product_id FROM services INNER JOIN activations ON services.id = activations.service_id \
         WHERE activations.system_id = ? AND services.product_id IN ({in_ids}) LIMIT 1"
    );
    let mut query = sqlx::query_as::<_, (i64,)>(&sql).bind(ticket.system_id as i64);
    for id in &ids {
        query = query.bind(*id);
    }
    let obsoleted = match query.fetch_optional(&mut *conn).await? {
        Some((id,)) => catalog::products_with_ids(conn, &[id as u64]).await?.pop().map(|p| p.service_name()),
        None => None,
    };
    let sql = format!(
        "DELETE activations FROM activations INNER JOIN services ON services.id = activations.service_id \
         WHERE activations.system_id = ? AND services.product_id IN ({in_ids})"
    );
    let mut query = sqlx::query(&sql).bind(ticket.system_id as i64);
    for id in &ids {
        query = query.bind(*id);
    }
    let removed = query.execute(&mut *conn).await?.rows_affected() > 0;
    if removed {
        reset_scc_sync(conn, ticket.system_id, writing.now).await?;
    }
    let answer = write_and_answer(conn, writing, &ticket, proxy_byos_mode, product, obsoleted).await?;
    Ok(Answer { activations_changed: answer.activations_changed || removed, ..answer })
}

/// RMT's `destroy` action: its checks with its messages, the activation
/// deleted (its callback resets the SCC sync time), the token refreshed for
/// a token client, the service answered (200).
async fn deactivated(conn: &mut MySqlConnection, writing: &Writing<'_>, product: &Product) -> Result<Answer> {
    let system_id = writing.system_id;
    let name = product.name.clone().unwrap_or_default();
    if product.is_base() {
        return Err(Error::InvalidInput(format!("The product \"{name}\" is a base product and cannot be deactivated")));
    }
    let dependent: Option<(i64,)> = sqlx::query_as(
        "SELECT activations.id FROM activations INNER JOIN services ON services.id = activations.service_id \
         INNER JOIN products_extensions ON products_extensions.extension_id = services.product_id \
         WHERE activations.system_id = ? AND products_extensions.product_id = ? LIMIT 1",
    )
    .bind(system_id as i64)
    .bind(product.id as i64)
    .fetch_optional(&mut *conn)
    .await?;
    if dependent.is_some() {
        return Err(Error::InvalidInput(format!(
            "Cannot deactivate the product \"{name}\". Other activated products depend upon it."
        )));
    }
    let not_activated = || Error::InvalidInput(format!("{name} is not yet activated on the system."));
    // A product without a service cannot be activated either (RMT fails with a 500 there).
    let service: Option<(i64,)> = sqlx::query_as("SELECT id FROM services WHERE product_id = ? LIMIT 1")
        .bind(product.id as i64)
        .fetch_optional(&mut *conn)
        .await?;
    let service_id = service.ok_or_else(not_activated)?.0 as u64;
    let deleted = sqlx::query("DELETE FROM activations WHERE system_id = ? AND service_id = ? LIMIT 1")
        .bind(system_id as i64)
        .bind(service_id as i64)
        .execute(&mut *conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(not_activated());
    }
    reset_scc_sync(conn, system_id, writing.now).await?;
    let (body, token) = writing.service_and_token(conn, service_id, product, "").await?;
    let answer = Answer::ok(200, &body, "V3::ServiceSerializer", token);
    Ok(Answer { activations_changed: true, ..answer }
        .logged(format!("Product '{}' deactivated", product.friendly_name())))
}

/// RMT's `synchronize` after authentication.
async fn synchronized(conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Answer> {
    let Acting { system, fresh_token, now, cache, request } = *acting;
    let Some(Value::Array(listed)) = param(&request.params, "products") else {
        return Err(Error::InvalidInput("param is missing or the value is empty: products".into()));
    };
    // `@system.products.find_by(identifier:, version: clean_up_version(version), arch:)` for each.
    let mut kept = Vec::with_capacity(listed.len());
    for item in listed {
        let text = |key: &str| item.get(key).and_then(|v| v.column_text(StringColumn::Varchar).ok().flatten());
        let name = catalog::ProductName {
            identifier: Some(text("identifier")),
            version: Some(text("version")),
            arch: Some(text("arch")),
            release_type: None,
        };
        if let Some(product) = catalog::find_product(conn, &name, Some(system.id)).await? {
            kept.push(product.id);
        }
    }
    let (mut log, mut removed) = (Vec::new(), false);
    for product in activated_products(conn, system.id).await?.into_iter().filter(|p| !kept.contains(&p.id)) {
        let activation: Option<(i64,)> = sqlx::query_as(
            "SELECT activations.id FROM activations INNER JOIN services ON services.id = activations.service_id \
             WHERE activations.system_id = ? AND services.product_id = ? LIMIT 1",
        )
        .bind(system.id as i64)
        .bind(product.id as i64)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((id,)) = activation {
            sqlx::query("DELETE FROM activations WHERE id = ?").bind(id).execute(&mut *conn).await?;
            reset_scc_sync(conn, system.id, now).await?;
            removed = true;
        }
        log.push(format!("Product '{}' de-activated on system {}", product.friendly_name(), system.id));
    }
    let mut body = Vec::new();
    for product in activated_products(conn, system.id).await? {
        body.push(cache.tree(conn, &product).await?.product_json(product.id, &request.base_url, request.flavor)?);
    }
    let token = refreshed_token(conn, system.id, system.token_header, fresh_token, now).await?;
    let mut answer = Answer::ok(200, &Value::Array(body), "ActiveModel::Serializer::CollectionSerializer", token);
    answer.activations_changed = removed;
    for line in log {
        answer = answer.logged(line);
    }
    Ok(answer)
}

/// RMT's `migrations` / `offline_migrations` after authentication: the
/// listed products RMT finds (the others dropped, as RMT drops them), the
/// engine's paths rendered as RMT renders them (a JSON string, no serializer).
async fn migrated(conn: &mut MySqlConnection, acting: &Acting<'_>, kind: migrations::Kind) -> Result<Answer> {
    let params = &acting.request.params;
    let required: &[&str] = match kind {
        migrations::Kind::Online => &["installed_products"],
        migrations::Kind::Offline => &["installed_products", "target_base_product"],
    };
    require_params(params, required)?;
    let Some(Value::Array(listed)) = param(params, "installed_products") else {
        return Err(Error::InvalidInput("installed_products must be a list of products".into()));
    };
    let mut installed = Vec::with_capacity(listed.len());
    for item in listed {
        installed.extend(migrations::listed_product(conn, item).await?);
    }
    let activated = activated_products(conn, acting.system.id).await?;
    let system = migrations::System { activated: &activated, installed: &installed };
    let paths = match kind {
        migrations::Kind::Online => migrations::online(conn, &system).await?,
        migrations::Kind::Offline => {
            let target = match param(params, "target_base_product") {
                Some(listed) => migrations::listed_product(conn, listed).await?,
                None => None,
            };
            migrations::offline(conn, &system, target.as_ref()).await?
        }
    };
    let body = migrations::paths_json(conn, &paths).await?;
    Ok(Answer::collections(200, &body, "ActiveModel::Serializer::CollectionSerializer"))
}

/// `@system.products` as ActiveRecord reads them (its query, its order).
async fn activated_products(conn: &mut MySqlConnection, system_id: u64) -> Result<Vec<Product>> {
    let sql = "SELECT DISTINCT `products`.* FROM `products` \
               INNER JOIN `services` ON `products`.`id` = `services`.`product_id` \
               INNER JOIN `activations` ON `services`.`id` = `activations`.`service_id` \
               WHERE `activations`.`system_id` = ?";
    catalog::products_by(conn, sql, &[system_id]).await
}

async fn show_checked(
    conn: &mut MySqlConnection,
    cache: &CatalogCache,
    request: &ProductRequest,
    system: &Authenticated,
) -> Result<Value> {
    let product = require_product(conn, &request.params).await?;
    require_mirrored_service(conn, &product).await?;
    let activated = activated_products(conn, system.id).await?;
    check_base_products(conn, system, &product, Some(&activated)).await?;
    let micro_sibling = product.identifier.as_deref().is_some_and(|i| i.eq_ignore_ascii_case("sles"))
        && activated.iter().any(|p| p.identifier.as_deref().is_some_and(|i| i.to_lowercase().contains("micro")))
        && activated.iter().any(|p| p.arch == product.arch);
    if !activated.iter().any(|p| p.id == product.id) && !micro_sibling {
        return Err(Error::InvalidInput(format!(
            "The requested product '{}' is not activated on this system.",
            product.friendly_name()
        )));
    }
    let tree = cache.tree(conn, &product).await?;
    tree.product_json(product.id, &request.base_url, request.flavor)
}

fn param<'a>(params: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    params.iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

/// RMT's `require_params`: the keys must be there (in the legacy `payload`
/// JSON string when one is sent), empty or not.
pub(crate) fn require_params(params: &[(String, Value)], keys: &[&str]) -> Result<()> {
    let payload_keys: Option<Vec<String>> = match param(params, "payload") {
        Some(Value::String(text)) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => Some(map.keys().cloned().collect()),
            _ => return Err(Error::InvalidInput("The payload parameter is not a JSON object".into())),
        },
        _ => None,
    };
    let present = |key: &str| match &payload_keys {
        Some(keys) => keys.iter().any(|k| k == key),
        None => param(params, key).is_some(),
    };
    let missing: Vec<&str> = keys.iter().copied().filter(|key| !present(key)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!("Required parameters are missing or empty: {}", missing.join(", "))))
    }
}

fn text_param(params: &[(String, Value)], name: &str) -> Result<Option<String>> {
    match param(params, name) {
        None => Ok(None),
        Some(value) => {
            value.column_text(StringColumn::Varchar).map_err(|_| Error::InvalidInput("No product found".into()))
        }
    }
}

/// RMT's `Product.clean_up_version`: as sent, and with dashes as dots and a
/// trailing ".0" dropped.
pub fn version_candidates(version: &str) -> Vec<String> {
    let dotted = version.replace('-', ".");
    let cleaned = dotted.strip_suffix(".0").unwrap_or(&dotted).to_string();
    if cleaned == version {
        vec![version.to_string()]
    } else {
        vec![version.to_string(), cleaned]
    }
}

async fn require_product(conn: &mut MySqlConnection, params: &[(String, Value)]) -> Result<Product> {
    require_params(params, &["identifier", "version", "arch"])?;
    let name = catalog::ProductName {
        identifier: Some(text_param(params, "identifier")?),
        version: Some(text_param(params, "version")?),
        arch: Some(text_param(params, "arch")?),
        release_type: None,
    };
    catalog::find_product(conn, &name, None).await?.ok_or_else(|| Error::InvalidInput("No product found".into()))
}

/// The product's service, or RMT's refusal of a product without one.
async fn require_service(conn: &mut MySqlConnection, product: &Product) -> Result<u64> {
    let service: Option<(i64,)> = sqlx::query_as("SELECT id FROM services WHERE product_id = ? LIMIT 1")
        .bind(product.id as i64)
        .fetch_optional(&mut *conn)
        .await?;
    let (service_id,) = service.ok_or_else(|| {
        Error::InvalidInput(format!("No repositories found for product: {}", product.friendly_name()))
    })?;
    Ok(service_id as u64)
}

/// The product's service, when all its enabled repositories are mirrored.
async fn require_mirrored_service(conn: &mut MySqlConnection, product: &Product) -> Result<u64> {
    let service_id = require_service(conn, product).await?;
    let repositories = catalog::repositories_of(conn, product.id).await?;
    let missing: Vec<String> = repositories
        .iter()
        .filter(|r| r.enabled && !r.fully_mirrored)
        .map(|r| r.scc_id.map(|id| id.to_string()).unwrap_or_default())
        .collect();
    if !missing.is_empty() {
        let ids = missing.join(", ");
        return Err(Error::InvalidInput(format!(
            "Not all mandatory repositories are mirrored for product {}. Missing Repositories (by ids): {ids}. \
             On the RMT server, the missing repositories can be enabled with: rmt-cli repos enable {ids};  rmt-cli mirror",
            product.friendly_name()
        )));
    }
    Ok(service_id)
}

/// The subscription the activation gets: the one of the registration code
/// sent (outside the public cloud), else the one an earlier activation of the
/// product or its predecessors/successors has.
async fn load_subscription(
    conn: &mut MySqlConnection,
    request: &ProductRequest,
    system: &Authenticated,
    product: &Product,
    now: Timestamp,
) -> Result<Option<i64>> {
    let token = param(&request.params, "token").filter(|v| v.is_present());
    if let (Some(token), Some(NOT_APPLICABLE)) = (token, system.proxy_byos_mode) {
        let regcode = token.column_text(StringColumn::Varchar).map_err(|_| no_subscription())?;
        let found: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, (expires_at IS NOT NULL AND expires_at < ?) FROM subscriptions WHERE regcode = ? LIMIT 1",
        )
        .bind(now.start_of_day().seconds())
        .bind(regcode)
        .fetch_optional(&mut *conn)
        .await?;
        let (id, expired) = found.ok_or_else(no_subscription)?;
        if expired != 0 {
            return Err(Error::InvalidInput("The subscription with the provided Registration Code is expired".into()));
        }
        if product.free != Some(true) {
            let covered: Option<(i64,)> = sqlx::query_as(
                "SELECT products.id FROM products INNER JOIN subscription_product_classes \
                 ON products.product_class = subscription_product_classes.product_class \
                 WHERE subscription_product_classes.subscription_id = ? AND products.id = ? LIMIT 1",
            )
            .bind(id)
            .bind(product.id as i64)
            .fetch_optional(&mut *conn)
            .await?;
            if covered.is_none() {
                return Err(Error::InvalidInput(format!(
                    "The subscription with the provided Registration Code does not include the requested product '{}'",
                    product.friendly_name()
                )));
            }
        }
        return Ok(Some(id));
    }
    let ids = related_product_ids(conn, product).await?;
    let sql = format!(
        "SELECT activations.subscription_id FROM activations INNER JOIN services ON services.id = activations.service_id \
         WHERE activations.system_id = ? AND services.product_id IN ({}) ORDER BY activations.id LIMIT 1",
        catalog::placeholders(ids.len())
    );
    let mut query = sqlx::query_as::<_, (Option<i64>,)>(&sql).bind(system.id as i64);
    for id in &ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_optional(&mut *conn).await?.and_then(|(id,)| id))
}

/// The product, its predecessors and its successors (`[@product] +
/// @product.predecessors + @product.successors`).
async fn related_product_ids(conn: &mut MySqlConnection, product: &Product) -> Result<Vec<i64>> {
    let related: Vec<(i64,)> = sqlx::query_as(
        "SELECT products.id FROM products INNER JOIN product_predecessors pp ON products.id = pp.predecessor_id \
         WHERE pp.product_id = ? \
         UNION ALL SELECT products.id FROM products INNER JOIN product_predecessors pp ON products.id = pp.product_id \
         WHERE pp.predecessor_id = ?",
    )
    .bind(product.id as i64)
    .bind(product.id as i64)
    .fetch_all(&mut *conn)
    .await?;
    let mut ids = vec![product.id as i64];
    ids.extend(related.into_iter().map(|(id,)| id));
    Ok(ids)
}

fn no_subscription() -> Error {
    Error::InvalidInput("No subscription found with this registration code".into())
}

fn distinct(products: Vec<Product>) -> Vec<Product> {
    let mut seen = Vec::with_capacity(products.len());
    for product in products {
        if !seen.iter().any(|p: &Product| p.id == product.id) {
            seen.push(product);
        }
    }
    seen
}

/// RMT's `check_base_product_dependencies`: an extension needs one of its
/// base products activated, and one of its root products. `activated` is the
/// system's products when the caller has them already.
async fn check_base_products(
    conn: &mut MySqlConnection,
    system: &Authenticated,
    product: &Product,
    activated: Option<&[Product]>,
) -> Result<()> {
    // A base product is never an extension, so checking it first (no query)
    // gives RMT's outcome.
    if product.is_base() {
        return Ok(());
    }
    let edge_products = |column: &str| {
        format!(
            "SELECT {} FROM products INNER JOIN products_extensions ON products.id = products_extensions.{column} \
             WHERE products_extensions.extension_id = ? ORDER BY products_extensions.id",
            catalog::PRODUCT_COLUMNS
        )
    };
    let bases = catalog::products_by(conn, &edge_products("product_id"), &[product.id]).await?;
    if product.is_extension() && bases.iter().any(Product::is_extension) {
        return Ok(());
    }
    let loaded;
    let activated = match activated {
        Some(list) => list,
        None => {
            loaded = activated_products(conn, system.id).await?;
            &loaded
        }
    };
    let has_any = |list: &[Product]| list.iter().any(|p| activated.iter().any(|a| a.id == p.id));
    let names = |list: &[Product]| list.iter().map(Product::friendly_name).collect::<Vec<_>>().join(", ");
    if !has_any(&bases) {
        return Err(Error::InvalidInput(format!(
            "The product you are attempting to activate ({}) requires one of these products to be activated first: {}",
            product.friendly_name(),
            names(&bases)
        )));
    }
    let roots = distinct(catalog::products_by(conn, &edge_products("root_product_id"), &[product.id]).await?);
    if !has_any(&roots) {
        let system_base = activated.iter().find(|p| p.is_base()).map(Product::friendly_name).unwrap_or_default();
        let name = product.friendly_name();
        return Err(Error::InvalidInput(format!(
            "The product you are attempting to activate ({name}) is not available on your system's base product \
             ({system_base}). {name} is available on {}.",
            names(&roots)
        )));
    }
    Ok(())
}

/// RMT's `create_product_activation`: the activation of the product's service,
/// created once (a concurrent duplicate finds the winner's row), with the
/// subscription attached outside BYOS. Changes reset the system's SCC sync time.
/// Whether it created the activation.
async fn write_activation(
    conn: &mut MySqlConnection,
    ticket: &Ticket,
    proxy_byos_mode: Option<i32>,
    now: Timestamp,
) -> Result<bool> {
    let (system_id, service_id, subscription) = (ticket.system_id, ticket.service_id, ticket.subscription_id);
    let seconds = now.seconds();
    let find = || {
        sqlx::query_as::<_, (i64, Option<i64>)>(
            "SELECT id, subscription_id FROM activations WHERE system_id = ? AND service_id = ? LIMIT 1",
        )
        .bind(system_id as i64)
        .bind(service_id as i64)
    };
    let mut created = false;
    let (activation_id, current) = match find().fetch_optional(&mut *conn).await? {
        Some(found) => found,
        None => {
            let inserted = sqlx::query(
                "INSERT INTO activations (service_id, system_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
            )
            .bind(service_id as i64)
            .bind(system_id as i64)
            .bind(&seconds)
            .bind(&seconds)
            .execute(&mut *conn)
            .await;
            match inserted {
                Ok(done) => {
                    created = true;
                    reset_scc_sync(conn, system_id, now).await?;
                    (done.last_insert_id() as i64, None)
                }
                Err(e) if Error::mariadb_code(&e) == Some(code::DUPLICATE_KEY) => {
                    // Another request of this system activated it first: use its row.
                    sqlx::query_as::<_, (i64, Option<i64>)>(
                        "SELECT id, subscription_id FROM activations WHERE system_id = ? AND service_id = ? \
                         LOCK IN SHARE MODE",
                    )
                    .bind(system_id as i64)
                    .bind(service_id as i64)
                    .fetch_one(&mut *conn)
                    .await?
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if proxy_byos_mode == Some(BYOS) {
        return Ok(created);
    }
    if let Some(subscription) = subscription.filter(|s| Some(*s) != current) {
        sqlx::query("UPDATE activations SET subscription_id = ?, updated_at = ? WHERE id = ?")
            .bind(subscription)
            .bind(&seconds)
            .bind(activation_id)
            .execute(&mut *conn)
            .await?;
        reset_scc_sync(conn, system_id, now).await?;
    }
    Ok(created)
}

/// RMT's activation callbacks: the system is synced to SCC again.
async fn reset_scc_sync(conn: &mut MySqlConnection, system_id: u64, now: Timestamp) -> Result<()> {
    sqlx::query(
        "UPDATE systems SET scc_registered_at = NULL, updated_at = ? WHERE id = ? AND scc_registered_at IS NOT NULL",
    )
    .bind(now.seconds())
    .bind(system_id as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A new system token after an activation, for clients that use tokens.
/// RMT's `refresh_system_token` after an action, for a client that sent
/// `System-Token` (`refresh`): the fresh token written, and answered.
pub(crate) async fn refreshed_token(
    conn: &mut MySqlConnection,
    system_id: u64,
    refresh: bool,
    token: &str,
    now: Timestamp,
) -> Result<Option<String>> {
    if !refresh {
        return Ok(None);
    }
    system_auth::update_system(conn, system_id, system_auth::SystemColumn::SystemToken, token, now).await?;
    Ok(Some(token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_cleaned_up_like_rmt() {
        assert_eq!(version_candidates("15.6"), vec!["15.6"]);
        assert_eq!(version_candidates("15-SP6"), vec!["15-SP6", "15.SP6"]);
        assert_eq!(version_candidates("12.0"), vec!["12.0", "12"]);
        assert_eq!(version_candidates("12-0"), vec!["12-0", "12"]);
    }

    #[test]
    fn required_parameters_are_named_in_rmts_order() {
        let params = vec![("identifier".to_string(), Value::String("SLES".into()))];
        assert_eq!(
            require_params(&params, &["identifier", "version", "arch"]).unwrap_err().to_string(),
            "Required parameters are missing or empty: version, arch"
        );
        let payload = vec![("payload".to_string(), Value::String(r#"{"identifier":1,"version":2,"arch":""}"#.into()))];
        assert!(require_params(&payload, &["identifier", "version", "arch"]).is_ok());
    }
}
