//! RMT's system authentication for the connect API: HTTP basic credentials,
//! the `System-Token` duplicate detection, and the writes RMT makes on every
//! authenticated request (user agent in the hwinfo, `last_seen_at`).

use sqlx::{MySqlConnection, Row};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::rails_json::to_rails_json;
use crate::value::Value;

/// Who is calling, as the request says.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub login: String,
    /// `None` when the basic credentials had no colon.
    pub password: Option<String>,
    /// The `System-Token` header: `None` when absent, `Some("")` when empty.
    pub system_token: Option<String>,
    pub user_agent: Option<String>,
    /// RMT's `connect_api.disable_system_tokens`: the header still picks among
    /// duplicates (RMT's lookup ignores the setting), but no token is echoed or
    /// rotated and `last_seen_at` follows the three-minute rule.
    pub tokens_disabled: bool,
}

// Credentials are never printed, not even in debug output.
impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("login", &self.login)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("system_token", &self.system_token.as_ref().map(|_| "[redacted]"))
            .field("user_agent", &self.user_agent)
            .field("tokens_disabled", &self.tokens_disabled)
            .finish()
    }
}

impl std::fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticated").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The system the request acts for.
#[derive(Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub id: u64,
    pub system_token: Option<String>,
    /// RMT's `proxy_byos_mode`: 0 not applicable, 1 PAYG, 2 BYOS, 3 hybrid.
    pub proxy_byos_mode: Option<i32>,
    /// Whether the client sent `System-Token` and tokens are enabled (it then
    /// gets one back).
    pub token_header: bool,
}

/// RMT's answer to unknown credentials (401).
pub const INVALID_CREDENTIALS: &str = "Invalid system credentials";

/// RMT only writes `last_seen_at` this often for clients without system tokens.
const LAST_SEEN_EVERY_SECONDS: i64 = 180;

struct Candidate {
    id: u64,
    system_token: Option<String>,
    system_information: Option<String>,
    proxy_byos_mode: Option<i32>,
}

pub async fn authenticate(conn: &mut MySqlConnection, caller: &Caller, now: Timestamp) -> Result<Authenticated> {
    let rows = sqlx::query(
        "SELECT id, system_token, system_information, proxy_byos_mode FROM systems \
         WHERE login = ? AND password <=> ? ORDER BY id",
    )
    .bind(&caller.login)
    .bind(caller.password.as_deref())
    .fetch_all(&mut *conn)
    .await?;
    let candidates = rows
        .iter()
        .map(|row| {
            Ok(Candidate {
                id: row.try_get::<i64, _>("id")? as u64,
                system_token: row.try_get("system_token")?,
                // A binary-collated column (utf8mb4_bin): read as bytes.
                system_information: row
                    .try_get::<Option<Vec<u8>>, _>("system_information")?
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
                proxy_byos_mode: row.try_get("proxy_byos_mode")?,
            })
        })
        .collect::<Result<Vec<Candidate>>>()?;
    let Some(first) = candidates.first() else {
        return Err(Error::Unauthorized(INVALID_CREDENTIALS.into()));
    };

    let (system, stored_information) = match &caller.system_token {
        None => {
            let system = Authenticated {
                id: first.id,
                system_token: first.system_token.clone(),
                proxy_byos_mode: first.proxy_byos_mode,
                token_header: false,
            };
            (system, first.system_information.clone())
        }
        Some(header) => {
            let token = Some(header.as_str()).filter(|t| !crate::value::is_blank_text(t));
            // A copy of the first system takes its data when the token matches none.
            let found = candidates.iter().find(|c| c.system_token.as_deref() == token);
            let id = match found {
                Some(found) => found.id,
                None => duplicate(conn, caller, first.id, token, now).await?,
            };
            let source = found.unwrap_or(first);
            let system = Authenticated {
                id,
                system_token: token.map(str::to_string),
                proxy_byos_mode: source.proxy_byos_mode,
                token_header: !caller.tokens_disabled,
            };
            (system, source.system_information.clone())
        }
    };
    record_user_agent(conn, system.id, stored_information.as_deref(), caller.user_agent.as_deref(), now).await?;
    if system.token_header {
        // `update(last_seen_at:)`: nothing to write when it already holds this second.
        sqlx::query(
            "UPDATE systems SET last_seen_at = ?, scc_registered_at = NULL, updated_at = ? \
             WHERE id = ? AND NOT (last_seen_at <=> ?)",
        )
        .bind(now.seconds())
        .bind(now.seconds())
        .bind(system.id as i64)
        .bind(now.seconds())
        .execute(&mut *conn)
        .await?;
    } else {
        // `touch(:last_seen_at)`, at most every three minutes, without the update callbacks.
        let stale = Timestamp::from_micros(now.micros_since_epoch() - LAST_SEEN_EVERY_SECONDS * 1_000_000);
        sqlx::query(
            "UPDATE systems SET last_seen_at = ?, updated_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
        )
        .bind(now.seconds())
        .bind(now.seconds())
        .bind(system.id as i64)
        .bind(stale.seconds())
        .execute(&mut *conn)
        .await?;
    }
    Ok(system)
}

/// Credentials seen with a different token belong to a copied machine: RMT
/// registers it as a new system with the first one's data and activations.
async fn duplicate(
    conn: &mut MySqlConnection,
    caller: &Caller,
    original: u64,
    token: Option<&str>,
    now: Timestamp,
) -> Result<u64> {
    if let Some(token) = token {
        // RMT's uniqueness validation ignores case; the lookup above does not.
        let taken: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM systems WHERE LOWER(system_token) = LOWER(?) AND login = ? AND password <=> ? LIMIT 1",
        )
        .bind(token)
        .bind(&caller.login)
        .bind(caller.password.as_deref())
        .fetch_optional(&mut *conn)
        .await?;
        if taken.is_some() {
            return Err(Error::InvalidInput("Validation failed: System token has already been taken".into()));
        }
    }
    let seconds = now.seconds();
    // Copying the activations resets the copy's SCC sync time, as RMT's callbacks do.
    let id = sqlx::query(
        "INSERT INTO systems (login, password, hostname, registered_at, last_seen_at, created_at, updated_at, \
           scc_registered_at, scc_system_id, system_token, system_information, instance_data, proxy_byos_mode, \
           pubcloud_reg_code) \
         SELECT login, password, hostname, registered_at, last_seen_at, ?, ?, \
           IF(EXISTS (SELECT 1 FROM activations WHERE system_id = ?), NULL, scc_registered_at), scc_system_id, ?, \
           system_information, instance_data, proxy_byos_mode, pubcloud_reg_code \
         FROM systems WHERE id = ?",
    )
    .bind(&seconds)
    .bind(&seconds)
    .bind(original as i64)
    .bind(token)
    .bind(original as i64)
    .execute(&mut *conn)
    .await?
    .last_insert_id();
    sqlx::query(
        "INSERT INTO activations (service_id, system_id, created_at, updated_at, subscription_id) \
         SELECT service_id, ?, ?, ?, subscription_id FROM activations WHERE system_id = ? ORDER BY id",
    )
    .bind(id as i64)
    .bind(&seconds)
    .bind(&seconds)
    .bind(original as i64)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// RMT stores the client's `User-Agent` in the hwinfo (except zypper's),
/// rewriting the JSON only when it changes.
async fn record_user_agent(
    conn: &mut MySqlConnection,
    id: u64,
    stored: Option<&str>,
    user_agent: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    if user_agent.is_some_and(|ua| ua.to_lowercase().starts_with("zypp")) {
        return Ok(());
    }
    let updated = with_user_agent(stored, user_agent);
    if stored == Some(updated.as_str()) {
        return Ok(());
    }
    update_system(conn, id, SystemColumn::SystemInformation, &updated, now).await
}

/// The `systems` columns RmtRs changes on an existing system.
#[derive(Debug, Clone, Copy)]
pub enum SystemColumn {
    SystemInformation,
    SystemToken,
}

/// RMT's `System#update` of one column: its `before_update` callback resets the
/// SCC sync time, and Rails bumps `updated_at`.
pub async fn update_system(
    conn: &mut MySqlConnection,
    id: u64,
    column: SystemColumn,
    value: &str,
    now: Timestamp,
) -> Result<()> {
    let sql = match column {
        SystemColumn::SystemInformation => {
            "UPDATE systems SET system_information = ?, scc_registered_at = NULL, updated_at = ? WHERE id = ?"
        }
        SystemColumn::SystemToken => {
            "UPDATE systems SET system_token = ?, scc_registered_at = NULL, updated_at = ? WHERE id = ?"
        }
    };
    sqlx::query(sql).bind(value).bind(now.seconds()).bind(id as i64).execute(&mut *conn).await?;
    Ok(())
}

/// The stored hwinfo JSON with `user_agent` set. RMT fails (500) on hwinfo that
/// is not an object (`null` from an announce without hwinfo); this starts from
/// an empty object instead.
pub fn with_user_agent(stored: Option<&str>, user_agent: Option<&str>) -> String {
    let parsed = stored.and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok()).map(Value::from);
    let mut pairs = match parsed {
        Some(Value::Object(pairs)) => pairs,
        _ => Vec::new(),
    };
    let agent = user_agent.map_or(Value::Null, |ua| Value::String(ua.to_string()));
    match pairs.iter_mut().find(|(key, _)| key == "user_agent") {
        Some((_, value)) => *value = agent,
        None => pairs.push(("user_agent".into(), agent)),
    }
    to_rails_json(Some(&Value::Object(pairs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_password_or_token() {
        let caller = Caller {
            login: "SCC_x".into(),
            password: Some("s3cret-pw".into()),
            system_token: Some("t0ken".into()),
            ..Caller::default()
        };
        let shown = format!("{caller:?}");
        assert!(!shown.contains("s3cret-pw") && !shown.contains("t0ken"), "{shown}");
    }

    #[test]
    fn user_agent_is_set_in_place_or_appended() {
        assert_eq!(
            with_user_agent(Some(r#"{"cpus":2}"#), Some("SUSEConnect/1.14")),
            r#"{"cpus":2,"user_agent":"SUSEConnect/1.14"}"#
        );
        assert_eq!(
            with_user_agent(Some(r#"{"user_agent":"old","cpus":2}"#), Some("new")),
            r#"{"user_agent":"new","cpus":2}"#
        );
        assert_eq!(with_user_agent(Some("null"), None), r#"{"user_agent":null}"#);
        // Re-encoding keeps every float exactly (found by tests/properties.rs).
        assert_eq!(
            with_user_agent(Some(r#"{"f":-9.283236613488548e+154}"#), Some("a")),
            r#"{"f":-9.283236613488548e+154,"user_agent":"a"}"#
        );
        assert_eq!(with_user_agent(None, Some("<x>")), r#"{"user_agent":"\u003cx\u003e"}"#);
    }
}
