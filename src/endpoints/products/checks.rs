//! RMT's checks before a product action, in RMT's order with RMT's messages:
//! the product, its service and mirrored repositories, the subscription, the
//! base products the system has.

use sqlx::MySqlConnection;

use crate::auth::outcome::{Finishing, Ticket};
use crate::auth::pipeline::ConnectRequest;
use crate::auth::system_auth::Authenticated;
use crate::endpoints::params::{param, require_params, text_param};
use crate::error::{Error, Result};
use crate::rails::clock::Timestamp;
use crate::rails::value::{StringColumn, Value};
use crate::rmt::byos_mode::NOT_APPLICABLE;
use crate::rmt::catalog::{self, Product};
use crate::rmt::release::Release;

/// RMT's checks before an activation, in RMT's order: the product, its
/// mirrored service, the subscription, the base products.
pub(super) async fn check_activation(
    conn: &mut MySqlConnection,
    request: &ConnectRequest,
    system: &Authenticated,
    now: Timestamp,
) -> Result<(Product, Ticket)> {
    let product = require_product(conn, &request.params).await?;
    let service_id = require_mirrored_service(conn, &product, request.release).await?;
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

pub(super) async fn require_product(conn: &mut MySqlConnection, params: &[(String, Value)]) -> Result<Product> {
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
pub(super) async fn require_service(conn: &mut MySqlConnection, product: &Product) -> Result<u64> {
    let service: Option<(i64,)> = sqlx::query_as("SELECT id FROM services WHERE product_id = ? LIMIT 1")
        .bind(product.id as i64)
        .fetch_optional(&mut *conn)
        .await?;
    let (service_id,) = service.ok_or_else(|| no_repositories(product))?;
    Ok(service_id as u64)
}

/// RMT's refusal of a product without a service (before 2.28: or without
/// repositories).
fn no_repositories(product: &Product) -> Error {
    Error::InvalidInput(format!("No repositories found for product: {}", product.friendly_name()))
}

/// The product's service, when all its enabled repositories are mirrored.
pub(super) async fn require_mirrored_service(
    conn: &mut MySqlConnection,
    product: &Product,
    release: Release,
) -> Result<u64> {
    let service_id = require_service(conn, product).await?;
    let repositories = catalog::repositories_of(conn, product.id).await?;
    if release.repositories_required && repositories.is_empty() {
        return Err(no_repositories(product));
    }
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
pub(super) async fn load_subscription(
    conn: &mut MySqlConnection,
    request: &ConnectRequest,
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
pub(super) async fn related_product_ids(conn: &mut MySqlConnection, product: &Product) -> Result<Vec<i64>> {
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

pub(super) fn no_subscription() -> Error {
    Error::InvalidInput("No subscription found with this registration code".into())
}

pub(super) fn distinct(products: Vec<Product>) -> Vec<Product> {
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
pub(super) async fn check_base_products(
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

/// `@system.products` as ActiveRecord reads them (its query, its order).
pub(super) async fn activated_products(conn: &mut MySqlConnection, system_id: u64) -> Result<Vec<Product>> {
    let sql = "SELECT DISTINCT `products`.* FROM `products` \
               INNER JOIN `services` ON `products`.`id` = `services`.`product_id` \
               INNER JOIN `activations` ON `services`.`id` = `activations`.`service_id` \
               WHERE `activations`.`system_id` = ?";
    catalog::products_by(conn, sql, &[system_id]).await
}
