//! RMT's `MigrationEngine`: the migration paths a system's installed products
//! can take (`POST /connect/systems/products/migrations` and
//! `offline_migrations`), read from the catalog's predecessor links and
//! extension trees, in RMT's order, with RMT's refusals, rendered as RMT's
//! `V3::UpgradePathItemSerializer` renders them. Nothing is written.

use std::collections::{HashMap, VecDeque};

use sqlx::MySqlConnection;

use crate::error::{Error, Result};
use crate::rails::value::{StringColumn, Value};
use crate::rmt::catalog::{self, Product, PRODUCT_COLUMNS};

/// Online (service pack to service pack, the system running) or offline
/// (from installation media, to a given base product).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Online,
    Offline,
}

/// One migration path: its base product first, then its modules and
/// extensions in the order a client activates them.
pub type Migration = Vec<Product>;

/// What RMT's `MigrationEngine#generate` needs to know about the system.
pub struct System<'a> {
    /// The system's activated products (`@system.products`).
    pub activated: &'a [Product],
    /// The installed products the client listed and RMT found.
    pub installed: &'a [Product],
}

/// RMT's `online_migrations`.
pub async fn online(conn: &mut MySqlConnection, system: &System<'_>) -> Result<Vec<Migration>> {
    generate(conn, system, None).await
}

/// RMT's `offline_migrations(target_base_product)`. A target RMT does not
/// know makes RMT fail (500) once its checks passed; RmtRs refuses it there.
pub async fn offline(
    conn: &mut MySqlConnection,
    system: &System<'_>,
    target: Option<&Product>,
) -> Result<Vec<Migration>> {
    generate(conn, system, Some(target)).await
}

/// RMT's `product_from_hash`: the product the client names with the fields
/// it sends of identifier, arch and release type (RMT's `permit` leaves out
/// the others) and the version (cleaned up; always a condition, as RMT sets
/// it). Anything but an object names none (RMT rescues its error).
pub async fn listed_product(conn: &mut MySqlConnection, listed: &Value) -> Result<Option<Product>> {
    let Value::Object(_) = listed else { return Ok(None) };
    let text = |key: &str| listed.get(key).and_then(|v| v.column_text(StringColumn::Varchar).ok().flatten());
    let sent = |key: &str| listed.get(key).map(|_| text(key));
    let name = catalog::ProductName {
        identifier: sent("identifier"),
        version: Some(text("version")),
        arch: sent("arch"),
        release_type: sent("release_type"),
    };
    catalog::find_product(conn, &name, None).await
}

/// The migrations as RMT renders them: a list of paths, each a list of
/// `V3::UpgradePathItemSerializer` objects.
pub async fn paths_json(conn: &mut MySqlConnection, migrations: &[Migration]) -> Result<Value> {
    let mut mirrored: HashMap<u64, bool> = HashMap::new();
    let mut paths = Vec::with_capacity(migrations.len());
    for migration in migrations.iter().filter(|m| !m.is_empty()) {
        let mut items = Vec::with_capacity(migration.len());
        for product in migration {
            let available = match mirrored.get(&product.id) {
                Some(known) => *known,
                None => {
                    let known = catalog::is_mirrored(&catalog::repositories_of(conn, product.id).await?);
                    mirrored.insert(product.id, known);
                    known
                }
            };
            items.push(path_item_json(product, available));
        }
        paths.push(Value::Array(items));
    }
    Ok(Value::Array(paths))
}

fn path_item_json(product: &Product, available: bool) -> Value {
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    Value::Object(vec![
        ("friendly_name".into(), Value::String(product.friendly_name())),
        ("shortname".into(), Value::String(product.shortname.clone().unwrap_or_default())),
        ("identifier".into(), text(&product.identifier)),
        ("version".into(), text(&product.version)),
        ("arch".into(), text(&product.arch)),
        ("release_type".into(), text(&product.release_type)),
        ("base".into(), Value::Bool(product.is_base())),
        ("product_type".into(), product.product_type_enum().map_or(Value::Null, |t| Value::String(t.into()))),
        ("free".into(), product.free.map_or(Value::Null, Value::Bool)),
        ("release_stage".into(), text(&product.release_stage)),
        ("available".into(), Value::Bool(available)),
    ])
}

/// RMT's `generate`; `offline_target` is `Some(target)` for an offline migration.
async fn generate(
    conn: &mut MySqlConnection,
    system: &System<'_>,
    offline_target: Option<Option<&Product>>,
) -> Result<Vec<Migration>> {
    let not_activated: Vec<&Product> =
        system.installed.iter().filter(|p| !system.activated.iter().any(|a| a.id == p.id)).collect();
    if !not_activated.is_empty() {
        return Err(refusal(format!(
            "The requested products '{}' are not activated on the system.",
            friendly_names(&not_activated)
        )));
    }
    let bases: Vec<&Product> = system.installed.iter().filter(|p| p.is_base()).collect();
    if bases.len() > 1 {
        return Err(refusal(format!("Multiple base products found: '{}'.", friendly_names(&bases))));
    }
    let base = *bases.first().ok_or_else(|| refusal("No base product found.".into()))?;
    let kind = if offline_target.is_some() { Kind::Offline } else { Kind::Online };
    let mut migrations = targets(conn, base, system.installed, kind).await?;
    add_python2_module(conn, &mut migrations).await?;
    if let Some(target) = offline_target {
        let target = target.ok_or_else(|| refusal("No product found".into()))?;
        migrations.retain(|migration| migration.first().map(|p| p.id) == Some(target.id));
        // The modules a migration to the next service pack does not need
        // (that path is online) are added for other offline migrations.
        if !has_online_path(conn, target.id, base.id).await? {
            let extras = modules_for_migration(conn, target.id).await?;
            for migration in &mut migrations {
                migration.extend(extras.iter().cloned());
            }
        }
    }
    sort_migrations(conn, migrations).await
}

/// RMT's `migration_targets`: every base successor (and, online, the base
/// itself) with every combination of its installed extensions' successors
/// (or the extension itself) available on it, less the installed set.
async fn targets(
    conn: &mut MySqlConnection,
    base: &Product,
    installed: &[Product],
    kind: Kind,
) -> Result<Vec<Migration>> {
    let extensions: Vec<&Product> = installed.iter().filter(|p| p.id != base.id).collect();
    let base_successors = successors(conn, base.id, Some(kind)).await?;
    let mut bases = base_successors.clone();
    if kind == Kind::Online {
        bases.push(base.clone());
    }
    let mut combinations: Vec<Migration> = Vec::new();
    for target_base in &bases {
        let mut choices: Vec<Vec<Product>> = Vec::with_capacity(extensions.len());
        for extension in &extensions {
            let mut options = successors(conn, extension.id, Some(kind)).await?;
            options.push((*extension).clone());
            let mut available = Vec::with_capacity(options.len());
            for option in options {
                if option.id == target_base.id || has_root(conn, option.id, target_base.id).await? {
                    available.push(option);
                }
            }
            choices.push(available);
        }
        combinations.extend(cartesian(target_base, &choices));
    }
    let installed_ids: Vec<u64> = std::iter::once(base.id).chain(extensions.iter().map(|p| p.id)).collect();
    combinations.retain(|migration| ids(migration) != installed_ids);

    if !base_successors.is_empty() && combinations.is_empty() {
        let mut stuck = Vec::new();
        for extension in &extensions {
            if successors(conn, extension.id, None).await?.is_empty() {
                stuck.push(*extension);
            }
        }
        let commands: Vec<String> = stuck
            .iter()
            .map(|p| {
                let field = |v: &Option<String>| v.clone().unwrap_or_default();
                format!("SUSEConnect -d -p {}/{}/{}", field(&p.identifier), field(&p.version), field(&p.arch))
            })
            .collect();
        // RMT joins the commands with a backslash and an "n", not a newline.
        return Err(refusal(format!(
            "There are activated extensions/modules on this system that cannot be migrated. \n\
             Deactivate them first, and then try migrating again. \n\
             The product(s) are '{}'. \n\
             You can deactivate them with \n{}",
            friendly_names(&stuck),
            commands.join("\\n ")
        )));
    }
    Ok(combinations)
}

/// Ruby's `[base].product(*choices)`: the last list varies fastest.
fn cartesian(base: &Product, choices: &[Vec<Product>]) -> Vec<Migration> {
    let mut out: Vec<Migration> = vec![vec![base.clone()]];
    for options in choices {
        let mut next = Vec::with_capacity(out.len() * options.len());
        for prefix in &out {
            for option in options {
                let mut migration = prefix.clone();
                migration.push(option.clone());
                next.push(migration);
            }
        }
        out = next;
    }
    out
}

/// The products that succeed `product_id` (RMT's `successors`, merged with the
/// online scope for an online migration), in the order MariaDB reads them.
async fn successors(conn: &mut MySqlConnection, product_id: u64, kind: Option<Kind>) -> Result<Vec<Product>> {
    let online = if kind == Some(Kind::Online) { " AND product_predecessors.kind = 0" } else { "" };
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS} FROM products INNER JOIN product_predecessors \
         ON products.id = product_predecessors.product_id WHERE product_predecessors.predecessor_id = ?{online}"
    );
    catalog::products_by(conn, &sql, &[product_id]).await
}

/// Whether `root_id` is one of the root products of `product_id` (RMT's `available_for?`).
async fn has_root(conn: &mut MySqlConnection, product_id: u64, root_id: u64) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT products.id FROM products INNER JOIN products_extensions \
         ON products.id = products_extensions.root_product_id \
         WHERE products_extensions.extension_id = ? AND products.id = ? LIMIT 1",
    )
    .bind(product_id as i64)
    .bind(root_id as i64)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

async fn has_online_path(conn: &mut MySqlConnection, product_id: u64, predecessor_id: u64) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM product_predecessors WHERE product_id = ? AND predecessor_id = ? AND kind = 0 LIMIT 1",
    )
    .bind(product_id as i64)
    .bind(predecessor_id as i64)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// RMT's `Product.modules_for_migration`: the root's modules flagged
/// `migration_extra` or `recommended`.
async fn modules_for_migration(conn: &mut MySqlConnection, root_id: u64) -> Result<Vec<Product>> {
    let sql = format!(
        "SELECT DISTINCT {PRODUCT_COLUMNS} FROM products INNER JOIN products_extensions \
         ON products_extensions.extension_id = products.id \
         WHERE (products_extensions.root_product_id = ? AND products_extensions.migration_extra = TRUE \
         OR products_extensions.root_product_id = ? AND products_extensions.recommended = TRUE)"
    );
    catalog::products_by(conn, &sql, &[root_id, root_id]).await
}

/// SLE 15's Python 2 module, split from the Legacy module, joins every
/// migration to a SLE 15 base (RMT's `add_python2_module`).
async fn add_python2_module(conn: &mut MySqlConnection, migrations: &mut [Migration]) -> Result<()> {
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE products.identifier = 'sle-module-python2' \
         AND products.arch <=> ? AND products.version <=> ? LIMIT 1"
    );
    for migration in migrations.iter_mut() {
        let Some(base) = migration.first() else { continue };
        if base.version.as_deref().and_then(|v| v.split('.').next()) != Some("15") {
            continue;
        }
        let row =
            sqlx::query(&sql).bind(base.arch.clone()).bind(base.version.clone()).fetch_optional(&mut *conn).await?;
        if let Some(row) = row {
            migration.push(Product::from_row(&row)?);
        }
    }
    Ok(())
}

/// RMT's `sort_migrations`: each migration in activation order, the most
/// recent versions first, duplicates dropped. Ruby's `sort_by` keeps equal
/// keys in their order here (glibc's merge sort), as a stable sort does.
async fn sort_migrations(conn: &mut MySqlConnection, migrations: Vec<Migration>) -> Result<Vec<Migration>> {
    let mut sorted = Vec::with_capacity(migrations.len());
    for migration in migrations {
        sorted.push(activation_order(conn, unique(migration)).await?);
    }
    sorted.sort_by(|a, b| versions(a).cmp(&versions(b)));
    sorted.reverse();
    let mut out: Vec<Migration> = Vec::with_capacity(sorted.len());
    for migration in sorted {
        if !out.iter().any(|kept| ids(kept) == ids(&migration)) {
            out.push(migration);
        }
    }
    Ok(out)
}

/// The longest activation order RmtRs follows: a catalog whose extension
/// links loop would make RMT's walk endless.
const MAX_PATH_ITEMS: usize = 10_000;

/// RMT's `sort_migration`: breadth first from the base down its extension
/// tree (siblings by name), keeping the migration's products; those the tree
/// does not reach are left out, a product reached twice comes twice.
async fn activation_order(conn: &mut MySqlConnection, migration: Migration) -> Result<Migration> {
    let Some(base) = migration.first().cloned() else { return Ok(migration) };
    let wanted = ids(&migration);
    let sql = format!(
        "SELECT DISTINCT {PRODUCT_COLUMNS} FROM products INNER JOIN products_extensions \
         ON products.id = products_extensions.extension_id \
         WHERE products_extensions.product_id = ? AND (products_extensions.root_product_id = ?) \
         ORDER BY products.name ASC"
    );
    let mut sorted = Vec::with_capacity(migration.len());
    let mut queue = VecDeque::from([base.clone()]);
    while let Some(product) = queue.pop_front() {
        if sorted.len() >= MAX_PATH_ITEMS {
            return Err(Error::Internal("The product catalog has a cycle of extensions".into()));
        }
        let extensions = catalog::products_by(conn, &sql, &[product.id, base.id]).await?;
        sorted.push(product);
        queue.extend(extensions.into_iter().filter(|e| wanted.contains(&e.id)));
    }
    Ok(sorted)
}

fn unique(migration: Migration) -> Migration {
    let mut out: Migration = Vec::with_capacity(migration.len());
    for product in migration {
        if !out.iter().any(|p| p.id == product.id) {
            out.push(product);
        }
    }
    out
}

fn ids(migration: &[Product]) -> Vec<u64> {
    migration.iter().map(|p| p.id).collect()
}

fn versions(migration: &[Product]) -> Vec<Option<&str>> {
    migration.iter().map(|p| p.version.as_deref()).collect()
}

fn friendly_names(products: &[&Product]) -> String {
    products.iter().map(|p| p.friendly_name()).collect::<Vec<_>>().join(", ")
}

fn refusal(message: String) -> Error {
    Error::InvalidInput(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: u64, version: &str) -> Product {
        Product { id, version: Some(version.into()), ..Product::default() }
    }

    #[test]
    fn combinations_vary_the_last_list_fastest_as_ruby_product_does() {
        let choices = vec![vec![product(2, "1"), product(3, "1")], vec![product(4, "1"), product(5, "1")]];
        let got: Vec<Vec<u64>> = cartesian(&product(1, "1"), &choices).iter().map(|m| ids(m)).collect();
        assert_eq!(got, vec![vec![1, 2, 4], vec![1, 2, 5], vec![1, 3, 4], vec![1, 3, 5]]);
        assert!(cartesian(&product(1, "1"), &[vec![]]).is_empty());
        assert_eq!(cartesian(&product(1, "1"), &[]).len(), 1);
    }

    #[test]
    fn versions_compare_as_ruby_arrays_of_strings() {
        let newer = vec![product(1, "15.6"), product(2, "15.6")];
        let older = vec![product(3, "15.5"), product(4, "15.6")];
        let shorter = vec![product(5, "15.6")];
        assert!(versions(&newer) > versions(&older));
        assert!(versions(&newer) > versions(&shorter));
        // Strings, not numbers: "15.10" sorts before "15.9", as in Ruby.
        assert!(versions(&[product(6, "15.10")]) < versions(&[product(7, "15.9")]));
    }
}
