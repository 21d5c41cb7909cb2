//! RMT's `GET /services/:id` (`ServicesController#show`): zypper's service
//! refresh, the repository index of an activated product's service as
//! RMT's Builder writes it, byte for byte. RMT authenticates only zypper's
//! requests, and only to record that the system was seen. And the legacy
//! `GET /repo/repoindex.xml` (`legacy_service`, SMT's single service): every
//! mirrored repository of the system's activations.

use sqlx::{MySqlConnection, MySqlPool, Row};

use crate::answer::{Answer, LogLevel};
use crate::auth::outcome::Outcome;
use crate::auth::pipeline::{self, for_verification, Acting, ConnectRequest, Step};
use crate::auth::system_auth::{self, Caller};
use crate::db::transaction::{self, Attempt, Work};
use crate::error::Result;
use crate::rails::clock::Timestamp;
use crate::rmt::catalog::{self, Product};
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::flavor::Flavor;
use crate::rmt::urls;

/// RMT's `ZYPPER_SERVICE_TTL`.
const TTL: u32 = 86_400;

/// A service refresh as the controller hands it over.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequest {
    /// `params[:id]` as routed.
    pub id: String,
    /// zypper's basic credentials (RMT looks at them for zypper only).
    pub caller: Option<Caller>,
    /// `scheme://host[:port]` of the request, for the repository URLs.
    pub base_url: String,
}

/// The repository index (200, XML), RMT's 404 for an unknown service, or the
/// refusal of unknown credentials (401, RMT's JSON).
pub async fn repoindex(pool: &MySqlPool, request: &ServiceRequest) -> Result<Answer> {
    transaction::run(pool, &mut Refresh { request }).await
}

/// What it writes (`last_seen_at`) is the same when run again, so a lost
/// COMMIT runs it again (the default `settle`).
struct Refresh<'a> {
    request: &'a ServiceRequest,
}

impl Work for Refresh<'_> {
    type Output = Answer;

    async fn attempt(&mut self, conn: &mut MySqlConnection) -> Result<Attempt<Answer>> {
        let mut system = None;
        if let Some(caller) = &self.request.caller {
            match system_auth::authenticate_unless_duplicated(conn, caller, Timestamp::now()).await {
                Ok(found) => system = found,
                Err(e) => return Ok(Attempt::Commit(system_auth::refusal(e, caller)?)),
            }
        }
        let mut answer = match ruby_to_i(&self.request.id) {
            Some(id) => index(conn, id, &self.request.base_url, Flavor::Rmt).await?,
            None => None,
        }
        .unwrap_or_else(not_found);
        if let Some(system) = system {
            answer.log.extend(system.log.map(|line| (LogLevel::Info, line)));
            // RMT's authentication sets `System-Token` for a client that sent one.
            if system.token_header {
                answer = Answer { system_token: system.system_token, ..answer }.with_token_header(true);
            }
        }
        Ok(Attempt::Commit(answer))
    }
}

/// RMT's legacy service: the authenticated system's repositories (of its
/// activated services, with mirroring enabled), or the refusal. With the
/// public-cloud engines, authenticated as scc_proxy authenticates, the
/// index (zypper_auth's URLs) is an [`Outcome::Verify`]: zypper_auth's
/// instance verification (Ruby) decides whether it goes out.
pub async fn legacy_repoindex(pool: &MySqlPool, cache: &CatalogCache, request: &ConnectRequest) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &LegacyIndex).await
}

/// The legacy index of the authenticated system.
struct LegacyIndex;

impl Step for LegacyIndex {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let request = acting.request;
        let answer = legacy_index(conn, acting.system.id, &request.base_url, request.flavor).await?;
        acting.verified(conn, answer).await
    }
}

/// The legacy index of the system `system_id`.
async fn legacy_index(conn: &mut MySqlConnection, system_id: u64, base_url: &str, flavor: Flavor) -> Result<Answer> {
    // ActiveRecord's query for RMT's `Repository.joins(services: :activations)`.
    let rows = sqlx::query(
        "SELECT `repositories`.* FROM `repositories` \
         INNER JOIN `repositories_services` ON `repositories_services`.`repository_id` = `repositories`.`id` \
         INNER JOIN `services` ON `services`.`id` = `repositories_services`.`service_id` \
         INNER JOIN `activations` ON `activations`.`service_id` = `services`.`id` \
         WHERE `activations`.`system_id` = ? AND `repositories`.`mirroring_enabled` = TRUE",
    )
    .bind(system_id as i64)
    .fetch_all(&mut *conn)
    .await?;
    let name = urls::smt_service_name(base_url);
    let mut xml = String::from("<repoindex>");
    for row in rows {
        let local_path: String = row.try_get("local_path")?;
        let url = match flavor {
            Flavor::Rmt => urls::legacy_repository_url(base_url, &local_path, &name),
            Flavor::Pubcloud => urls::cloud_repository_url(&local_path, &name),
        };
        xml.push_str(&repo_element(&row, &url)?);
    }
    xml.push_str("</repoindex>");
    Ok(Answer::xml(200, xml))
}

/// Builder's `repo` element of a repository row.
fn repo_element(row: &sqlx::mysql::MySqlRow, url: &str) -> Result<String> {
    let name: String = row.try_get("name")?;
    let flag =
        |column: &str| -> Result<&'static str> { Ok(if row.try_get::<bool, _>(column)? { "true" } else { "false" }) };
    Ok(format!(
        r#"<repo url="{}" alias="{}" name="{}" autorefresh="{}" enabled="{}"/>"#,
        attribute(url),
        attribute(&name),
        attribute(&name),
        flag("autorefresh")?,
        flag("enabled")?
    ))
}

/// zypper's service refresh with the public-cloud engines: authenticated
/// as scc_proxy authenticates (every client, not only zypper), then
/// strict_authentication's `verify_service_access` and the index with
/// zypper_auth's URLs, as [`Outcome::Verify`]: zypper_auth's instance
/// verification (Ruby) decides whether it goes out.
pub async fn cloud_repoindex(
    pool: &MySqlPool,
    cache: &CatalogCache,
    request: &ConnectRequest,
    id: &str,
) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, &CloudIndex(id)).await
}

/// A service's index with the engines: the service id as routed.
struct CloudIndex<'a>(&'a str);

impl Step for CloudIndex<'_> {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        let again = acting.request.caller.is_zypper().then(|| acting.system.again_log.clone()).flatten();
        let outcome = verified_index(conn, acting.request, self.0, again).await?;
        Ok(outcome.with_token_header(acting.token_header.clone(), acting.sent_token()))
    }
}

/// After authentication: `verify_service_access` (the first system with the
/// credentials, by id, that activated the service, else strict_authentication's
/// plain 403 — for an unknown service too, with the line Rails logs for the
/// halted chain), then the index. RMT authenticates a zypper client once more
/// on its own before_action; that finds the same system and writes nothing
/// new, but logs its line again (`again`).
async fn verified_index(
    conn: &mut MySqlConnection,
    request: &ConnectRequest,
    id: &str,
    again: Option<String>,
) -> Result<Outcome> {
    let holder: Option<(i64, i64)> = match ruby_to_i(id) {
        Some(id) => {
            sqlx::query_as(
                "SELECT systems.id, activations.service_id FROM systems \
                 INNER JOIN activations ON activations.system_id = systems.id \
                 WHERE systems.login = ? AND systems.password <=> ? AND activations.service_id = ? \
                 ORDER BY systems.id LIMIT 1",
            )
            .bind(&request.caller.login)
            .bind(request.caller.password.as_deref())
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
        None => None,
    };
    let Some((system_id, service_id)) = holder else {
        let halted = "Filter chain halted as :verify_service_access rendered or redirected".to_string();
        return Ok(Outcome::Answer(Answer::plain(403, "Product is not registered").logged(halted)));
    };
    let mut answer = index(conn, service_id, &request.base_url, Flavor::Pubcloud).await?.unwrap_or_else(not_found);
    answer.log.splice(0..0, again.map(|line| (LogLevel::Info, line)));
    for_verification(conn, request, system_id as u64, answer).await
}

/// The service's repository index, `None` when there is no such service.
/// With the engines (`Pubcloud`) the URLs are zypper_auth's, with the
/// service's name.
async fn index(conn: &mut MySqlConnection, id: i64, base_url: &str, flavor: Flavor) -> Result<Option<Answer>> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT product_id FROM services WHERE id = ?").bind(id).fetch_optional(&mut *conn).await?;
    let Some((product_id,)) = found else {
        return Ok(None);
    };
    let service_name = match flavor {
        // RMT's index URLs carry no service name.
        Flavor::Rmt => String::new(),
        Flavor::Pubcloud => {
            let products = catalog::products_with_ids(conn, &[product_id as u64]).await?;
            products.first().map(Product::service_name).unwrap_or_default()
        }
    };
    // ActiveRecord's query for `service.repositories.exclude_installer_updates`,
    // so that MariaDB returns the rows in the order RMT lists them.
    let rows = sqlx::query(
        "SELECT `repositories`.* FROM `repositories` INNER JOIN `repositories_services` \
         ON `repositories`.`id` = `repositories_services`.`repository_id` \
         WHERE `repositories_services`.`service_id` = ? AND `repositories`.`installer_updates` = FALSE",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut xml = format!(r#"<repoindex ttl="{TTL}">"#);
    for row in rows {
        let local_path: String = row.try_get("local_path")?;
        let url = match flavor {
            Flavor::Rmt => urls::repository_url(base_url, &local_path, flavor),
            Flavor::Pubcloud => urls::cloud_repository_url(&local_path, &service_name),
        };
        xml.push_str(&repo_element(&row, &url)?);
    }
    xml.push_str("</repoindex>");
    Ok(Some(Answer::xml(200, xml)))
}

/// RMT's `render(xml: { error:, localized_error: }, status: 404)`.
fn not_found() -> Answer {
    let message = "Requested service not found";
    Answer::xml(
        404,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hash>\n  <error>{message}</error>\n  \
             <localized-error>{message}</localized-error>\n</hash>\n"
        ),
    )
}

/// Builder's attribute text (`XChar.encode`, then newlines and quotes):
/// the C1 controls Windows-1252 gives meaning to become those characters,
/// what XML cannot hold becomes U+FFFD, `&`, `<`, `>` and `"` entities.
fn attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = cp1252(c).unwrap_or(c);
        let valid = matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
        match if valid { c } else { '\u{FFFD}' } {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            other => out.push(other),
        }
    }
    out
}

/// `Builder::XChar::CP1252`.
fn cp1252(c: char) -> Option<char> {
    const TABLE: [(u32, u32); 27] = [
        (128, 8364),
        (130, 8218),
        (131, 402),
        (132, 8222),
        (133, 8230),
        (134, 8224),
        (135, 8225),
        (136, 710),
        (137, 8240),
        (138, 352),
        (139, 8249),
        (140, 338),
        (142, 381),
        (145, 8216),
        (146, 8217),
        (147, 8220),
        (148, 8221),
        (149, 8226),
        (150, 8211),
        (151, 8212),
        (152, 732),
        (153, 8482),
        (154, 353),
        (155, 8250),
        (156, 339),
        (158, 382),
        (159, 376),
    ];
    TABLE.iter().find(|(from, _)| *from == c as u32).and_then(|(_, to)| char::from_u32(*to))
}

/// Ruby's `String#to_i`, as ActiveRecord casts an id: leading whitespace, a
/// sign, digits (single underscores between them), the rest ignored; `None`
/// outside a `bigint` (RMT answers those 404 too).
fn ruby_to_i(text: &str) -> Option<i64> {
    let text = text.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i128 = 0;
    let mut previous_digit = false;
    for (at, b) in digits.bytes().enumerate() {
        match b {
            b'0'..=b'9' => {
                value = value * 10 + i128::from(b - b'0');
                if value > i128::from(i64::MAX) + 1 {
                    return None;
                }
                previous_digit = true;
            }
            b'_' if previous_digit && digits.as_bytes().get(at + 1).is_some_and(u8::is_ascii_digit) => {
                previous_digit = false
            }
            _ => break,
        }
    }
    i64::try_from(if negative { -value } else { value }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_escaped_as_builder_escapes_them() {
        assert_eq!(attribute("a&b<c>\"d'\n\r\té"), "a&amp;b&lt;c&gt;&quot;d'&#10;&#13;\té");
        assert_eq!(attribute("\u{80}\u{81}\u{1}"), "€\u{81}\u{FFFD}");
    }

    #[test]
    fn ids_are_cast_as_ruby_casts_them() {
        assert_eq!(ruby_to_i("12"), Some(12));
        assert_eq!(ruby_to_i(" 12abc"), Some(12));
        assert_eq!(ruby_to_i("1_2"), Some(12));
        assert_eq!(ruby_to_i("1__2"), Some(1));
        assert_eq!(ruby_to_i("abc"), Some(0));
        assert_eq!(ruby_to_i("-3"), Some(-3));
        assert_eq!(ruby_to_i("99999999999999999999"), None);
    }
}
