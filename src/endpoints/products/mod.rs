//! RMT's products endpoints (`/connect/systems/products`): activation, the
//! product tree, deactivation, upgrade, synchronization and the migration
//! paths, each a [`Step`] of the authentication pipeline: RMT's checks in RMT's
//! order with RMT's messages, the write and the serialized answer, in the
//! pipeline's transaction.
//!
//! With RMT's public-cloud engines, activation, deactivation and upgrade are
//! two steps, as the engines' checks run between RMT's checks and the write and
//! only the host can make them (the instance verification provider is Ruby):
//! the action authenticates and checks and answers [`Outcome::Pending`], the
//! host runs the engines' checks, and [`finish`] writes and answers. RMT runs
//! its callbacks without a transaction around them, so two transactions keep
//! what RMT keeps when an engine refuses (what authentication wrote).

mod checks;
mod writes;

use sqlx::{MySqlConnection, MySqlPool};

use self::checks::{
    activated_products, check_activation, check_base_products, load_subscription, require_mirrored_service,
    require_product,
};
use self::writes::{deactivated, finished, reset_scc_sync, upgraded, write_and_answer, Writing};
use crate::answer::Answer;
use crate::auth::outcome::{Finishing, Outcome, Pending, Ticket};
use crate::auth::pipeline::{self, Acting, ConnectRequest, Respond, Step, Turn};
use crate::auth::system_auth;
use crate::endpoints::params::{param, require_params};
use crate::error::{Error, Result};
use crate::rails::value::{StringColumn, Value};
use crate::rmt::catalog::{self, Product};
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::flavor::Flavor;
use crate::rmt::migration_paths;

/// RMT's activation; with the public-cloud engines, its first step.
pub async fn activate(pool: &MySqlPool, cache: &CatalogCache, request: &ConnectRequest) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &Activate).await
}

/// RMT's product deactivation (`DELETE /connect/systems/products`, API v4):
/// the activation of a module or extension nothing activated depends on,
/// removed, and the product's service answered.
pub async fn deactivate(pool: &MySqlPool, cache: &CatalogCache, request: &ConnectRequest) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &Deactivate).await
}

/// RMT's `POST /connect/systems/products/synchronize` (API v4): the
/// activations of the system's products the client no longer lists
/// (`params["products"]`, each `{identifier, version, arch}`) removed, the
/// system's products answered.
pub async fn synchronize(pool: &MySqlPool, cache: &CatalogCache, request: &ConnectRequest) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &Synchronize).await
}

/// RMT's `POST /connect/systems/products/migrations` and `offline_migrations`:
/// the migration paths of the installed products the client lists
/// (`params["installed_products"]`; offline also `target_base_product`).
pub async fn migrations(
    pool: &MySqlPool,
    cache: &CatalogCache,
    request: &ConnectRequest,
    kind: migration_paths::Kind,
) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &Migrations(kind)).await
}

/// The product tree RMT answers for an activated product.
pub async fn show(pool: &MySqlPool, cache: &CatalogCache, request: &ConnectRequest) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &Show).await
}

/// RMT's product upgrade (`PUT /connect/systems/products`, a migration's
/// step): the product's activation in place of its predecessors' and
/// successors', its service answered naming the one it obsoletes. With the
/// public-cloud engines, the first step ([`Outcome::Pending`]), as for
/// [`activate`].
pub async fn upgrade(pool: &MySqlPool, cache: &CatalogCache, request: &ConnectRequest) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &Upgrade).await
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
    let outcome = pipeline::in_transaction(pool, cache, &Finish { ticket, base_url, flavor }).await?;
    outcome.into_answer().ok_or_else(|| Error::Internal("A finished action ended without an answer".into()))
}

/// [`finish`]'s transaction: no authentication (the first step's did it).
#[derive(Clone, Copy)]
struct Finish<'a> {
    ticket: &'a Ticket,
    base_url: &'a str,
    flavor: Flavor,
}

impl Respond for Finish<'_> {
    async fn respond(&self, conn: &mut MySqlConnection, turn: &Turn<'_>) -> Result<Outcome> {
        let (Finish { ticket, base_url, flavor }, Turn { cache, fresh_token, now }) = (*self, *turn);
        let (system_id, refresh_token) = (ticket.system_id, ticket.refresh_token);
        let writing = Writing { system_id, refresh_token, base_url, flavor, fresh_token, now, cache };
        finished(conn, ticket, &writing).await
    }
}

/// `activate`: RMT's checks, then (outside the public cloud) the write and
/// the service answered.
struct Activate;

impl Step for Activate {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let Acting { system, now, request, .. } = *acting;
        let (product, ticket) = match check_activation(conn, request, system, now).await {
            Ok(checked) => checked,
            Err(e) => return acting.as_rmt(Err(e)),
        };
        if request.flavor == Flavor::Pubcloud {
            return for_the_engines(conn, acting, &product, ticket).await;
        }
        let writing = Writing::for_caller(acting);
        acting.as_rmt(write_and_answer(conn, &writing, &ticket, system.proxy_byos_mode, &product, None).await)
    }
}

/// API v4's `destroy`: the product, then (outside the public cloud) the deactivation.
struct Deactivate;

impl Step for Deactivate {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let Acting { system, request, .. } = *acting;
        let product = match require_product(conn, &request.params).await {
            Ok(product) => product,
            Err(e) => return acting.as_rmt(Err(e)),
        };
        if request.flavor == Flavor::Pubcloud {
            let ticket = Ticket {
                finishes: Finishing::Deactivation,
                system_id: system.id,
                product_id: product.id,
                service_id: 0,
                subscription_id: None,
                refresh_token: acting.sent_token(),
            };
            return for_the_engines(conn, acting, &product, ticket).await;
        }
        acting.as_rmt(deactivated(conn, &Writing::for_caller(acting), &product).await)
    }
}

/// `upgrade`: its checks (the product, the subscription, the base products;
/// not the repositories), then (outside the public cloud) the upgrade.
struct Upgrade;

impl Step for Upgrade {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let Acting { system, now, request, .. } = *acting;
        let checked = async {
            let product = require_product(conn, &request.params).await?;
            let subscription_id = load_subscription(conn, request, system, &product, now).await?;
            check_base_products(conn, system, &product, None).await?;
            Ok((product, subscription_id))
        };
        let (product, subscription_id) = match checked.await {
            Ok(checked) => checked,
            Err(e) => return acting.as_rmt(Err(e)),
        };
        let ticket = Ticket {
            finishes: Finishing::Upgrade,
            system_id: system.id,
            product_id: product.id,
            service_id: 0,
            subscription_id,
            refresh_token: acting.sent_token(),
        };
        if request.flavor == Flavor::Pubcloud {
            return for_the_engines(conn, acting, &product, ticket).await;
        }
        let writing = Writing::for_caller(acting);
        acting.as_rmt(upgraded(conn, &writing, &ticket, system.proxy_byos_mode, &product).await)
    }
}

/// An action that passed RMT's checks, for the engines' checks and then
/// [`finish`]: the system's and the product's columns.
async fn for_the_engines(
    conn: &mut MySqlConnection,
    acting: &Acting<'_>,
    product: &Product,
    ticket: Ticket,
) -> Result<Outcome> {
    let pending = Pending {
        system: system_auth::attributes(conn, acting.system.id).await?,
        product: product.attributes(),
        system_token: acting.token_header.clone(),
        token_header: acting.sent_token(),
        ticket,
        log: acting.system.log.clone(),
    };
    Ok(Outcome::Pending(Box::new(pending)))
}

/// `synchronize` (API v4).
struct Synchronize;

impl Step for Synchronize {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        acting.as_rmt(synchronized(conn, acting).await)
    }
}

/// `migrations` and `offline_migrations`.
struct Migrations(migration_paths::Kind);

impl Step for Migrations {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let answer = migrated(conn, acting, self.0).await.map(|answer| {
            Answer { system_token: acting.token_header.clone(), ..answer }.with_token_header(acting.sent_token())
        });
        acting.as_rmt(answer)
    }
}

/// `show`: the product tree of an activated product.
struct Show;

impl Step for Show {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let answer = show_checked(conn, acting).await.map(|body| {
            Answer::ok(200, &body, "V3::ProductSerializer", acting.token_header.clone())
                .with_token_header(acting.sent_token())
        });
        acting.as_rmt(answer)
    }
}

/// RMT's `synchronize` after authentication.
async fn synchronized(conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Answer> {
    let Acting { system, now, cache, request, .. } = *acting;
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
    let token = acting.refreshed_token(conn).await?;
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
async fn migrated(conn: &mut MySqlConnection, acting: &Acting<'_>, kind: migration_paths::Kind) -> Result<Answer> {
    let params = &acting.request.params;
    let required: &[&str] = match kind {
        migration_paths::Kind::Online => &["installed_products"],
        migration_paths::Kind::Offline => &["installed_products", "target_base_product"],
    };
    require_params(params, required)?;
    let Some(Value::Array(listed)) = param(params, "installed_products") else {
        return Err(Error::InvalidInput("installed_products must be a list of products".into()));
    };
    let mut installed = Vec::with_capacity(listed.len());
    for item in listed {
        installed.extend(migration_paths::listed_product(conn, item).await?);
    }
    let activated = activated_products(conn, acting.system.id).await?;
    let system = migration_paths::System { activated: &activated, installed: &installed };
    let paths = match kind {
        migration_paths::Kind::Online => migration_paths::online(conn, &system).await?,
        migration_paths::Kind::Offline => {
            let target = match param(params, "target_base_product") {
                Some(listed) => migration_paths::listed_product(conn, listed).await?,
                None => None,
            };
            migration_paths::offline(conn, &system, target.as_ref()).await?
        }
    };
    let body = migration_paths::paths_json(conn, &paths).await?;
    Ok(Answer::collections(200, &body, "ActiveModel::Serializer::CollectionSerializer"))
}

async fn show_checked(conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Value> {
    let Acting { system, cache, request, .. } = *acting;
    let product = require_product(conn, &request.params).await?;
    require_mirrored_service(conn, &product, request.release).await?;
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
