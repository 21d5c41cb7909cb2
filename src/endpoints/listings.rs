//! RMT's two read-only product listings of API v4: a subscription's products
//! (`GET /connect/subscriptions/products`, YaST and SUSEConnect listing what
//! a registration code covers, authenticated by that code) and a product's
//! installer-update repositories (`GET /connect/repositories/installer`, the
//! installer, unauthenticated). Nothing is written.

use sqlx::MySqlPool;

use crate::answer::Answer;
use crate::endpoints::params::require_params;
use crate::error::{Error, Result};
use crate::rails::value::{StringColumn, Value};
use crate::rmt::catalog::version_candidates;
use crate::rmt::catalog::{self, Product, PRODUCT_COLUMNS};
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::flavor::Flavor;

/// A listing request: the query parameters as sent (identifier, version,
/// arch, release_type, text or nil), the request's `scheme://host[:port]`.
#[derive(Debug, Clone, Default)]
pub struct ListingRequest {
    pub params: Vec<(String, Value)>,
    pub base_url: String,
    pub flavor: Flavor,
}

/// The collection serializer RMT renders both listings with.
const COLLECTION: &str = "ActiveModel::Serializer::CollectionSerializer";

/// What RMT logs in place of a registration code (RMT writes the code itself).
const FILTERED: &str = "[FILTERED]";

/// RMT's `Subscriptions::ProductsController#index`: the subscription of
/// `regcode` (RMT's 401s for an unknown or not activated one), its products
/// narrowed by the parameters sent, each with its extension tree.
pub async fn subscription_products(
    pool: &MySqlPool,
    cache: &CatalogCache,
    regcode: &str,
    request: &ListingRequest,
) -> Result<Answer> {
    let mut conn = pool.acquire().await?;
    let found: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, status FROM subscriptions WHERE regcode = ? LIMIT 1")
            .bind(regcode)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((subscription_id, status)) = found else {
        return Ok(Answer::error(401, "Unknown Registration Code.", None)
            .logged(format!("Token authentication with invalid regcode: '{FILTERED}'")));
    };
    if status.as_deref() != Some("ACTIVE") {
        let message = "Not yet activated Registration Code. Visit https://scc.suse.com to activate it.";
        return Ok(Answer::error(401, message, None)
            .logged(format!("Token authentication with not activated regcode: '{FILTERED}'")));
    }
    // `where(...)` of the fields sent with a value (`compact`).
    let sent = |value: Option<String>| value.map(Some);
    let mut name = catalog::ProductName::default();
    for (field, value) in fields(&request.params) {
        match field {
            "identifier" => name.identifier = sent(value),
            "version" => name.version = sent(value),
            "arch" => name.arch = sent(value),
            _ => name.release_type = sent(value),
        }
    }
    let (conditions, binds) = name.conditions();
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS} FROM products INNER JOIN subscription_product_classes \
         ON products.product_class = subscription_product_classes.product_class \
         WHERE subscription_product_classes.subscription_id = ?{conditions}"
    );
    let mut query = sqlx::query(&sql).bind(subscription_id);
    for value in &binds {
        query = query.bind(value);
    }
    let products: Vec<Product> =
        query.fetch_all(&mut *conn).await?.iter().map(Product::from_row).collect::<Result<_>>()?;
    let mut listed = Vec::with_capacity(products.len());
    for product in &products {
        listed.push(cache.tree(&mut conn, product).await?.product_json(
            product.id,
            &request.base_url,
            request.flavor,
        )?);
    }
    Ok(Answer::ok(200, &Value::Array(listed), COLLECTION, None)
        .logged(format!("Authenticated with token '{FILTERED}'")))
}

/// RMT's `Repositories::InstallerController#index`: the product named by
/// identifier, version (cleaned up), arch and release type (none when blank),
/// and its mirrored installer-update repositories.
pub async fn installer_repositories(pool: &MySqlPool, request: &ListingRequest) -> Result<Answer> {
    match require_params(&request.params, &["identifier", "version", "arch"]) {
        Err(Error::InvalidInput(message)) => return Ok(Answer::error(422, &message, None)),
        refused => refused?,
    }
    let sent = fields(&request.params);
    let value = |name: &str| sent.iter().find(|(field, _)| *field == name).and_then(|(_, v)| v.clone());
    let release_type = value("release_type").filter(|v| !crate::rails::value::is_blank_text(v));
    let name = catalog::ProductName {
        identifier: Some(value("identifier")),
        version: Some(value("version")),
        arch: Some(value("arch")),
        release_type: Some(release_type.clone()),
    };
    let mut conn = pool.acquire().await?;
    let versions = value("version").map(|v| version_candidates(&v));
    let Some(product) = catalog::find_product(&mut conn, &name, None).await? else {
        // RMT names the product by the values it searched with, squished.
        let named: Vec<String> = std::iter::once(value("identifier"))
            .chain(versions.unwrap_or_default().into_iter().map(Some))
            .chain([value("arch"), release_type])
            .map(Option::unwrap_or_default)
            .collect();
        let name = named.join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
        return Ok(Answer::error(422, &format!("No product found on RMT for: {name}"), None));
    };
    let repositories = catalog::repositories_of(&mut conn, product.id).await?;
    let listed: Vec<Value> = repositories
        .iter()
        .filter(|r| r.installer_updates && r.mirroring_enabled)
        .map(|r| catalog::repository_json(r, &request.base_url, request.flavor))
        .collect();
    Ok(Answer::prebuilt(200, &Value::Array(listed), COLLECTION))
}

/// The product fields RMT permits, in its order, with the text sent (nil
/// when sent as nil); fields not sent are left out.
fn fields(params: &[(String, Value)]) -> Vec<(&'static str, Option<String>)> {
    ["identifier", "version", "arch", "release_type"]
        .into_iter()
        .filter_map(|field| {
            let (_, value) = params.iter().find(|(key, _)| key == field)?;
            Some((field, value.column_text(StringColumn::Varchar).ok().flatten()))
        })
        .collect()
}
