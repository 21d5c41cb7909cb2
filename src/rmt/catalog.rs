//! RMT's product catalog as activation reads it (products, their services and
//! repositories, the extension tree) and as RMT's V3 serializers render it.

use std::collections::{HashMap, HashSet};

use sqlx::mysql::MySqlRow;
use sqlx::{MySqlConnection, Row};

use crate::error::{Error, Result};
use crate::rails::value::Value;
use crate::rmt::flavor::Flavor;
use crate::rmt::urls;

/// A `products` row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Product {
    pub id: u64,
    pub name: Option<String>,
    pub shortname: Option<String>,
    pub identifier: Option<String>,
    pub former_identifier: Option<String>,
    pub version: Option<String>,
    pub release_type: Option<String>,
    pub release_stage: Option<String>,
    pub arch: Option<String>,
    pub friendly_version: Option<String>,
    pub product_class: Option<String>,
    pub product_type: Option<String>,
    pub cpe: Option<String>,
    pub free: Option<bool>,
    pub description: Option<String>,
    pub eula_url: Option<String>,
}

pub const PRODUCT_COLUMNS: &str = "products.id, products.name, products.shortname, products.identifier, products.former_identifier, \
    products.version, products.release_type, products.release_stage, products.arch, products.friendly_version, \
    products.product_class, products.product_type, products.cpe, products.free, products.description, products.eula_url";

impl Product {
    pub fn from_row(row: &MySqlRow) -> Result<Product> {
        Ok(Product {
            id: row.try_get::<i64, _>("id")? as u64,
            name: row.try_get("name")?,
            shortname: row.try_get("shortname")?,
            identifier: row.try_get("identifier")?,
            former_identifier: row.try_get("former_identifier")?,
            version: row.try_get("version")?,
            release_type: row.try_get("release_type")?,
            release_stage: row.try_get("release_stage")?,
            arch: row.try_get("arch")?,
            friendly_version: row.try_get("friendly_version")?,
            product_class: row.try_get("product_class")?,
            product_type: row.try_get("product_type")?,
            cpe: row.try_get("cpe")?,
            free: row.try_get("free")?,
            description: row.try_get("description")?,
            eula_url: row.try_get("eula_url")?,
        })
    }

    /// `arch` unless it is RMT's placeholder "unknown".
    fn known_arch(&self) -> Option<&str> {
        self.arch.as_deref().filter(|arch| *arch != "unknown")
    }

    /// RMT's `Product#friendly_name`.
    pub fn friendly_name(&self) -> String {
        [self.name.as_deref(), self.friendly_version.as_deref(), self.release_type.as_deref(), self.known_arch()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// RMT's `Service#name`: the product's name, release type and arch, spaces as underscores.
    pub fn service_name(&self) -> String {
        [self.name.as_deref(), self.release_type.as_deref(), self.known_arch()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(' ', "_")
    }

    /// The row's columns by name, for the host to rebuild RMT's record without
    /// reading it again (the engines' checks take a `Product`).
    pub fn attributes(&self) -> Vec<(String, Value)> {
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        vec![
            ("id".into(), Value::Integer(self.id.to_string())),
            ("name".into(), text(&self.name)),
            ("shortname".into(), text(&self.shortname)),
            ("identifier".into(), text(&self.identifier)),
            ("former_identifier".into(), text(&self.former_identifier)),
            ("version".into(), text(&self.version)),
            ("release_type".into(), text(&self.release_type)),
            ("release_stage".into(), text(&self.release_stage)),
            ("arch".into(), text(&self.arch)),
            ("friendly_version".into(), text(&self.friendly_version)),
            ("product_class".into(), text(&self.product_class)),
            ("product_type".into(), text(&self.product_type)),
            ("cpe".into(), text(&self.cpe)),
            ("free".into(), self.free.map_or(Value::Null, Value::Bool)),
            ("description".into(), text(&self.description)),
            ("eula_url".into(), text(&self.eula_url)),
        ]
    }

    pub fn is_base(&self) -> bool {
        self.product_type.as_deref() == Some("base")
    }

    pub fn is_extension(&self) -> bool {
        self.product_type.as_deref() == Some("extension")
    }

    /// The enum name Rails reads for `product_type` (none for NULL or an unknown value).
    pub fn product_type_enum(&self) -> Option<&'static str> {
        match self.product_type.as_deref() {
            Some("base") => Some("base"),
            Some("module") => Some("module"),
            Some("extension") => Some("extension"),
            Some("SaaS") => Some("saas"),
            _ => None,
        }
    }

    /// `product_type.to_s` as the product serializer renders it.
    fn product_type_name(&self) -> &'static str {
        self.product_type_enum().unwrap_or_default()
    }
}

/// A `repositories` row, as far as activation and the serializers use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Repository {
    pub id: u64,
    pub scc_id: Option<u64>,
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub autorefresh: bool,
    pub mirroring_enabled: bool,
    pub installer_updates: bool,
    /// Mirroring enabled and mirrored at least once (RMT's `only_fully_mirrored`).
    pub fully_mirrored: bool,
    pub local_path: String,
}

const REPOSITORY_COLUMNS: &str = "repositories.id, repositories.scc_id, repositories.name, repositories.description, \
    repositories.enabled, repositories.autorefresh, repositories.mirroring_enabled, repositories.installer_updates, \
    (repositories.mirroring_enabled AND repositories.last_mirrored_at IS NOT NULL) AS fully_mirrored, \
    repositories.local_path";

/// Repositories joined to the services (hence products) they belong to.
const REPOSITORIES_OF_SERVICES: &str = "FROM repositories \
    INNER JOIN repositories_services ON repositories.id = repositories_services.repository_id \
    INNER JOIN services ON repositories_services.service_id = services.id";

impl Repository {
    fn from_row(row: &MySqlRow) -> Result<Repository> {
        Ok(Repository {
            id: row.try_get::<i64, _>("id")? as u64,
            scc_id: row.try_get("scc_id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            enabled: row.try_get("enabled")?,
            autorefresh: row.try_get("autorefresh")?,
            mirroring_enabled: row.try_get("mirroring_enabled")?,
            installer_updates: row.try_get("installer_updates")?,
            fully_mirrored: row.try_get::<i64, _>("fully_mirrored")? != 0,
            local_path: row.try_get("local_path")?,
        })
    }
}

/// The products with these ids (none when `ids` is empty).
pub async fn products_with_ids(conn: &mut MySqlConnection, ids: &[u64]) -> Result<Vec<Product>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE products.id IN ({})", placeholders(ids.len()));
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id as i64);
    }
    query.fetch_all(&mut *conn).await?.iter().map(Product::from_row).collect()
}

/// A product as a request names it for RMT's `Product.find_by`: per field,
/// `None` when it is no condition (RMT's `permit` left out a field not sent),
/// `Some(None)` to match NULL (sent as nil), else the text to match. The
/// version matches as sent or cleaned up (RMT's `Product.clean_up_version`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductName {
    pub identifier: Option<Option<String>>,
    pub version: Option<Option<String>>,
    pub arch: Option<Option<String>>,
    pub release_type: Option<Option<String>>,
}

impl ProductName {
    /// The fields sent with a value, as `find_by` narrows a search: ` AND …`
    /// conditions on `products` and the values to bind, in order.
    pub fn conditions(&self) -> (String, Vec<String>) {
        let (mut sql, mut binds) = (String::new(), Vec::new());
        let fields = [
            ("identifier", &self.identifier),
            ("version", &self.version),
            ("arch", &self.arch),
            ("release_type", &self.release_type),
        ];
        for (column, condition) in fields {
            match condition {
                None => {}
                Some(None) => sql.push_str(&format!(" AND products.{column} IS NULL")),
                Some(Some(text)) if column == "version" => {
                    let candidates = version_candidates(text);
                    sql.push_str(&format!(" AND products.version IN ({})", placeholders(candidates.len())));
                    binds.extend(candidates);
                }
                Some(Some(text)) => {
                    sql.push_str(&format!(" AND products.{column} = ?"));
                    binds.push(text.clone());
                }
            }
        }
        (sql, binds)
    }
}

/// RMT's `Product.find_by(…)` for `name`, or with `system` its
/// `@system.products.find_by(…)`: the first product MariaDB finds.
pub async fn find_product(
    conn: &mut MySqlConnection,
    name: &ProductName,
    system: Option<u64>,
) -> Result<Option<Product>> {
    let (conditions, binds) = name.conditions();
    let sql = match system {
        None => format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE TRUE{conditions} LIMIT 1"),
        Some(_) => format!(
            "SELECT DISTINCT {PRODUCT_COLUMNS} FROM products INNER JOIN services ON products.id = services.product_id \
             INNER JOIN activations ON services.id = activations.service_id \
             WHERE activations.system_id = ?{conditions} LIMIT 1"
        ),
    };
    let mut query = sqlx::query(&sql);
    if let Some(system) = system {
        query = query.bind(system as i64);
    }
    for value in &binds {
        query = query.bind(value);
    }
    query.fetch_optional(&mut *conn).await?.as_ref().map(Product::from_row).transpose()
}

/// The products `sql` selects with these values bound in order.
pub async fn products_by(conn: &mut MySqlConnection, sql: &str, binds: &[u64]) -> Result<Vec<Product>> {
    let mut query = sqlx::query(sql);
    for value in binds {
        query = query.bind(*value as i64);
    }
    query.fetch_all(&mut *conn).await?.iter().map(Product::from_row).collect()
}

/// The repositories of a product's service (RMT's `product.repositories`).
pub async fn repositories_of(conn: &mut MySqlConnection, product_id: u64) -> Result<Vec<Repository>> {
    let sql = format!(
        "SELECT {REPOSITORY_COLUMNS} {REPOSITORIES_OF_SERVICES} WHERE services.product_id = ? ORDER BY repositories.id"
    );
    let rows = sqlx::query(&sql).bind(product_id as i64).fetch_all(&mut *conn).await?;
    rows.iter().map(Repository::from_row).collect()
}

/// What the product serializer needs for one product and its extension tree
/// under one root product.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    products: HashMap<u64, Product>,
    repositories: HashMap<u64, Vec<Repository>>,
    extensions: HashMap<u64, Vec<u64>>,
    recommended: HashSet<u64>,
}

/// `?, ?, …` for an IN list of `count` values.
pub fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// A tree deeper than this is a cycle in the catalog (RMT would recurse forever).
const MAX_DEPTH: usize = 32;

impl Tree {
    /// Loads `root` and every extension below it for that root, in four queries.
    pub async fn load(conn: &mut MySqlConnection, root: &Product) -> Result<Tree> {
        let mut tree = Tree::default();
        let edges: Vec<(i64, i64, Option<bool>)> = sqlx::query_as(
            "SELECT product_id, extension_id, recommended FROM products_extensions \
             WHERE root_product_id = ? ORDER BY product_id, extension_id",
        )
        .bind(root.id as i64)
        .fetch_all(&mut *conn)
        .await?;
        for (product_id, extension_id, recommended) in edges {
            let (product_id, extension_id) = (product_id as u64, extension_id as u64);
            let children = tree.extensions.entry(product_id).or_default();
            if !children.contains(&extension_id) {
                children.push(extension_id);
            }
            if recommended == Some(true) {
                tree.recommended.insert(extension_id);
            }
        }
        let mut ids = vec![root.id];
        tree.collect_reachable(root.id, 0, &mut ids)?;
        // The root is at hand; only its extensions are read.
        tree.products.insert(root.id, root.clone());
        for product in products_with_ids(conn, &ids[1..]).await? {
            tree.products.insert(product.id, product);
        }
        let placeholders = placeholders(ids.len());
        let sql = format!(
            "SELECT services.product_id AS owner, {REPOSITORY_COLUMNS} {REPOSITORIES_OF_SERVICES} \
             WHERE services.product_id IN ({placeholders}) ORDER BY services.product_id, repositories.id"
        );
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(*id as i64);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let owner = row.try_get::<i64, _>("owner")? as u64;
            tree.repositories.entry(owner).or_default().push(Repository::from_row(&row)?);
        }
        Ok(tree)
    }

    fn collect_reachable(&self, id: u64, depth: usize, ids: &mut Vec<u64>) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::Internal("The product catalog has a cycle of extensions".into()));
        }
        for child in self.extensions.get(&id).into_iter().flatten() {
            if !ids.contains(child) {
                ids.push(*child);
            }
            self.collect_reachable(*child, depth + 1, ids)?;
        }
        Ok(())
    }

    /// RMT's `V3::ProductSerializer` for `id` (the tree's root or an extension in it).
    pub fn product_json(&self, id: u64, base_url: &str, flavor: Flavor) -> Result<Value> {
        self.product_json_at(id, base_url, flavor, 0)
    }

    fn product_json_at(&self, id: u64, base_url: &str, flavor: Flavor, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(Error::Internal("The product catalog has a cycle of extensions".into()));
        }
        let product =
            self.products.get(&id).ok_or_else(|| Error::Internal("A product vanished from the catalog".into()))?;
        let repositories = self.repositories.get(&id).map(Vec::as_slice).unwrap_or_default();
        let mut extensions = Vec::new();
        for child in self.extensions.get(&id).into_iter().flatten() {
            extensions.push(self.product_json_at(*child, base_url, flavor, depth + 1)?);
        }
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        let eula = match product.eula_url.as_deref() {
            Some(url) if !crate::rails::value::is_blank_text(url) => urls::eula_url(base_url, url),
            _ => String::new(),
        };
        Ok(Value::Object(vec![
            ("id".into(), Value::Integer(product.id.to_string())),
            ("name".into(), text(&product.name)),
            ("identifier".into(), text(&product.identifier)),
            ("former_identifier".into(), text(&product.former_identifier)),
            ("version".into(), text(&product.version)),
            ("release_type".into(), text(&product.release_type)),
            ("release_stage".into(), text(&product.release_stage)),
            ("arch".into(), product.known_arch().map_or(Value::Null, |a| Value::String(a.into()))),
            ("friendly_name".into(), Value::String(product.friendly_name())),
            ("product_class".into(), text(&product.product_class)),
            ("cpe".into(), text(&product.cpe)),
            ("free".into(), flavor.free(product.is_extension(), product.free).map_or(Value::Null, Value::Bool)),
            ("description".into(), text(&product.description)),
            ("eula_url".into(), Value::String(eula)),
            (
                "repositories".into(),
                Value::Array(repositories.iter().map(|r| repository_json(r, base_url, flavor)).collect()),
            ),
            ("product_type".into(), Value::String(product.product_type_name().into())),
            ("extensions".into(), Value::Array(extensions)),
            ("recommended".into(), Value::Bool(self.recommended.contains(&id))),
            ("available".into(), Value::Bool(is_mirrored(repositories))),
        ]))
    }

    /// RMT's `V3::ServiceSerializer` for the service of the tree's root product
    /// (`obsoleted`: the service an upgrade replaces, `''` for none).
    pub fn service_json(
        &self,
        service_id: u64,
        product_id: u64,
        base_url: &str,
        flavor: Flavor,
        obsoleted: &str,
    ) -> Result<Value> {
        let product = self
            .products
            .get(&product_id)
            .ok_or_else(|| Error::Internal("A product vanished from the catalog".into()))?;
        let name = product.service_name();
        Ok(Value::Object(vec![
            ("id".into(), Value::Integer(service_id.to_string())),
            ("name".into(), Value::String(name.clone())),
            ("url".into(), Value::String(urls::service_url(base_url, service_id, &name, flavor))),
            ("obsoleted_service_name".into(), Value::String(obsoleted.to_string())),
            ("product".into(), self.product_json(product_id, base_url, flavor)?),
        ]))
    }
}

pub(crate) fn repository_json(repository: &Repository, base_url: &str, flavor: Flavor) -> Value {
    Value::Object(vec![
        ("id".into(), Value::Integer(repository.id.to_string())),
        ("name".into(), Value::String(repository.name.clone())),
        ("url".into(), Value::String(urls::repository_url(base_url, &repository.local_path, flavor))),
        ("description".into(), repository.description.clone().map_or(Value::Null, Value::String)),
        ("enabled".into(), Value::Bool(repository.enabled)),
        ("autorefresh".into(), Value::Bool(repository.autorefresh)),
    ])
}

/// RMT's `Product#mirror?`: the enabled repositories (or, when there are none,
/// the disabled ones) all have mirroring enabled; false without repositories.
pub fn is_mirrored(repositories: &[Repository]) -> bool {
    let (enabled, disabled): (Vec<&Repository>, Vec<&Repository>) = repositories.iter().partition(|r| r.enabled);
    let group = if enabled.is_empty() { disabled } else { enabled };
    !group.is_empty() && group.iter().all(|r| r.mirroring_enabled)
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
}
