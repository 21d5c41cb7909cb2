//! strict_authentication's `GET /api/auth/check` with the public-cloud
//! engines: nginx asks it, for every file a client downloads from RMT's
//! mirror (`X-Original-URI`), whether the authenticated system may have it.
//! This is the part the database decides (strict_authentication's
//! `path_allowed?` for a PAYG system: the repositories of every version of
//! the system's products, SLE Micro's free modules, SUSE Manager's
//! channels); zypper_auth's instance verification of the answer, and the SCC
//! subscription checks of a BYOS or hybrid system, are Ruby's (the host's).

use sqlx::{MySqlConnection, MySqlPool, Row};

use crate::answer::Answer;
use crate::auth::outcome::Outcome;
use crate::auth::pipeline::{self, Acting, ConnectRequest, Step};
use crate::error::Result;
use crate::rails::value::is_blank_text;
use crate::rmt::byos_mode::{BYOS, HYBRID, PAYG};
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::urls::MIRROR_PREFIX;

/// What the check reads of nginx's subrequest besides the credentials.
#[derive(Debug, Clone, Default)]
pub struct PathCheck {
    /// `X-Original-URI`: the file the client asked nginx for.
    pub uri: Option<String>,
    /// `X-Instance-Identifier` and `X-Instance-Version` (SUSE Manager 5 on SLE Micro).
    pub instance_identifier: Option<String>,
    pub instance_version: Option<String>,
}

/// The check, authenticated as scc_proxy authenticates: an
/// [`Outcome::Verify`] whose answer (200, or 403) is strict_authentication's
/// database verdict, for zypper_auth's instance verification (and a BYOS or
/// hybrid system's SCC checks) to confirm; refusals (401) are answers.
pub async fn check(
    pool: &MySqlPool,
    cache: &CatalogCache,
    request: &ConnectRequest,
    check: &PathCheck,
) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, check).await
}

/// The check for the authenticated system: 200 or 403, as the engines verify it.
impl Step for PathCheck {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let allowed = path_allowed(conn, acting.system.id, acting.system.proxy_byos_mode, self).await?;
        acting.verified(conn, Answer::head(if allowed { 200 } else { 403 })).await
    }
}

/// strict_authentication's `path_allowed?` for the system `system_id` (its
/// `proxy_byos_mode` as `mode`), as far as the database decides it. A BYOS
/// or hybrid system's check asks SCC as well: the host runs the engine's own
/// method whole for those, so nothing is read here for them (`true`).
pub async fn path_allowed(
    conn: &mut MySqlConnection,
    system_id: u64,
    mode: Option<i32>,
    check: &PathCheck,
) -> Result<bool> {
    if matches!(mode, Some(BYOS | HYBRID)) {
        return Ok(true);
    }
    let Some(uri) = check.uri.as_deref().filter(|uri| !is_blank_text(uri)) else {
        return Ok(false);
    };
    if uri.contains("/product.license/") {
        return Ok(true);
    }
    let path = format!("/{}", without_line_prefix(uri, MIRROR_PREFIX));
    // Systems migrating from SLES 11 may read SLES 12 and 12 SP1.
    if (path.contains("/12/") || path.contains("/12-SP1/")) && has_sles11(conn, system_id).await? {
        return Ok(true);
    }
    let allowed = allowed_paths(conn, system_id, check).await?;
    if !allowed.iter().any(|prefix| starts_a_line_with(&path, prefix)) {
        return Ok(false);
    }
    // A system neither PAYG nor BYOS nor hybrid falls through
    // strict_authentication's checks (nil: denied).
    Ok(mode == Some(PAYG))
}

/// RMT's `system.products` (`has_many :products, -> { distinct }, through:
/// :services`) as ActiveRecord joins them, the system's id to bind, so that
/// MariaDB returns them in RMT's order.
const SYSTEM_PRODUCTS: &str = "FROM `products` \
     INNER JOIN `services` ON `products`.`id` = `services`.`product_id` \
     INNER JOIN `activations` ON `services`.`id` = `activations`.`service_id` \
     WHERE `activations`.`system_id` = ?";

/// The system's products' identifiers and arches.
async fn system_products(conn: &mut MySqlConnection, system_id: u64) -> Result<Vec<(Option<String>, Option<String>)>> {
    let sql = format!("SELECT DISTINCT `products`.* {SYSTEM_PRODUCTS}");
    let rows = sqlx::query(&sql).bind(system_id as i64).fetch_all(&mut *conn).await?;
    rows.iter().map(|row| Ok((row.try_get("identifier")?, row.try_get("arch")?))).collect()
}

async fn has_sles11(conn: &mut MySqlConnection, system_id: u64) -> Result<bool> {
    let sql = format!("SELECT `products`.`id` {SYSTEM_PRODUCTS} AND `products`.`identifier` = 'SUSE_SLES' LIMIT 1");
    let found: Option<(i64,)> = sqlx::query_as(&sql).bind(system_id as i64).fetch_optional(&mut *conn).await?;
    Ok(found.is_some())
}

/// strict_authentication's `all_allowed_paths`: the local paths of every
/// version of the system's products (same identifier and arch), of the free
/// SLES modules for a SLE Micro system, and of every SUSE Manager product for
/// a Manager server.
async fn allowed_paths(conn: &mut MySqlConnection, system_id: u64, check: &PathCheck) -> Result<Vec<String>> {
    let products = system_products(conn, system_id).await?;
    // `Product.where(identifier:, arch:)` of each, in one query.
    let same = "EXISTS (SELECT 1 FROM products AS own \
         INNER JOIN services AS own_services ON own.id = own_services.product_id \
         INNER JOIN activations ON own_services.id = activations.service_id \
         WHERE activations.system_id = ? AND own.identifier <=> products.identifier AND own.arch <=> products.arch)";
    let mut paths = local_paths(conn, same, &[Some(system_id.to_string().as_str())]).await?;
    let lower = |identifier: &Option<String>| identifier.as_deref().unwrap_or_default().to_lowercase();
    let micro = |identifier: &Option<String>| lower(identifier).contains("micro");
    if products.iter().any(|(identifier, _)| micro(identifier)) {
        // `system.products.pluck(:arch)`, in MariaDB's order: RMT interpolates
        // the first (nil as '') into its query.
        let sql = format!("SELECT DISTINCT `products`.`arch` {SYSTEM_PRODUCTS}");
        let archs: Vec<(Option<String>,)> = sqlx::query_as(&sql).bind(system_id as i64).fetch_all(&mut *conn).await?;
        let first_arch = archs.first().and_then(|(arch,)| arch.clone()).unwrap_or_default();
        if archs.iter().any(|(arch,)| arch.as_deref() == Some(first_arch.as_str())) {
            let free_modules =
                "(lower(products.identifier) LIKE 'sle-module%' OR lower(products.identifier) LIKE 'packagehub') \
                 AND lower(products.identifier) NOT LIKE '%sap%' AND products.arch = ? AND products.free = 1";
            paths.extend(local_paths(conn, free_modules, &[Some(first_arch.as_str())]).await?);
        }
    }
    let manager_server =
        check.instance_identifier.as_deref().is_some_and(|id| id.eq_ignore_ascii_case("suse-manager-server"))
            && manager_version_five(check.instance_version.as_deref());
    let manager = products
        .iter()
        .any(|(identifier, _)| lower(identifier).contains("manager-server") || (micro(identifier) && manager_server));
    if manager {
        paths.extend(local_paths(conn, "products.identifier LIKE '%manager%'", &[]).await?);
    }
    Ok(paths)
}

/// The local paths of the repositories of the products `condition` (fixed
/// SQL, its values bound) selects: RMT's `product.repositories.pluck(:local_path)`.
async fn local_paths(
    conn: &mut MySqlConnection,
    condition: &'static str,
    values: &[Option<&str>],
) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT repositories.local_path FROM repositories \
         INNER JOIN repositories_services ON repositories_services.repository_id = repositories.id \
         INNER JOIN services ON services.id = repositories_services.service_id \
         INNER JOIN products ON products.id = services.product_id WHERE {condition}"
    );
    let mut query = sqlx::query_as::<_, (String,)>(&sql);
    for value in values {
        query = query.bind(*value);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().map(|(path,)| path).collect())
}

/// `headers.fetch('X-Instance-Version', '0').split('.')[0] >= '5'`: Ruby
/// compares the text, byte by byte. A value of dots only (or empty) splits
/// into nothing and fails in RMT: the host leaves those requests to RMT.
fn manager_version_five(version: Option<&str>) -> bool {
    let version = version.unwrap_or("0");
    let major = version.split('.').next().unwrap_or_default();
    !version.chars().all(|c| c == '.') && major.as_bytes() >= b"5".as_slice()
}

/// `text.gsub(/^prefix/, '')`: the prefix removed where it starts a line.
fn without_line_prefix(text: &str, prefix: &str) -> String {
    text.split_inclusive('\n').map(|line| line.strip_prefix(prefix).unwrap_or(line)).collect()
}

/// `text =~ /^#{Regexp.escape(prefix)}/`: some line of `text` starts with `prefix`.
fn starts_a_line_with(text: &str, prefix: &str) -> bool {
    text.split_inclusive('\n').any(|line| line.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_the_mirror_prefix_where_a_line_starts() {
        assert_eq!(without_line_prefix("/repo/SUSE/x", MIRROR_PREFIX), "SUSE/x");
        assert_eq!(without_line_prefix("/repo//repo/x", MIRROR_PREFIX), "/repo/x");
        assert_eq!(without_line_prefix("/other/repo/x", MIRROR_PREFIX), "/other/repo/x");
    }

    #[test]
    fn prefixes_match_at_the_start_of_any_line() {
        assert!(starts_a_line_with("/SUSE/Products/x/repodata/repomd.xml", "/SUSE/Products/x"));
        assert!(!starts_a_line_with("/a/SUSE/Products/x", "/SUSE/Products/x"));
        assert!(starts_a_line_with("/a\n/SUSE/x", "/SUSE/x"));
        assert!(starts_a_line_with("/anything", ""));
    }

    #[test]
    fn the_manager_version_is_compared_as_ruby_compares_text() {
        assert!(manager_version_five(Some("5.0")));
        assert!(manager_version_five(Some("6")));
        assert!(!manager_version_five(Some("10.1")), "'10' < '5' as text");
        assert!(!manager_version_five(Some("4.3")));
        assert!(!manager_version_five(None), "RMT's default is '0'");
        assert!(!manager_version_five(Some(".5")), "'' < '5'");
    }
}
