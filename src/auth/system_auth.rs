//! RMT's system authentication for the connect API: HTTP basic credentials,
//! the `System-Token` duplicate detection, and the writes RMT makes on every
//! authenticated request (user agent in the hwinfo, `last_seen_at`).

use sqlx::{MySqlConnection, Row};

use crate::answer::Answer;
use crate::error::{Error, Result};
use crate::rails::clock::Timestamp;
use crate::rails::value::Value;
use crate::rmt::byos_mode::{HYBRID, PAYG};
use crate::rmt::system_information::with_user_agent;

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

impl Caller {
    /// RMT's `zypper_request?`: a `User-Agent` starting with "zypp", any case.
    pub fn is_zypper(&self) -> bool {
        self.user_agent.as_deref().is_some_and(|ua| ua.to_lowercase().starts_with("zypp"))
    }
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
    /// The line RMT's authentication (or scc_proxy's `find_system`) logs at info level.
    pub log: Option<String>,
    /// With the engines, the line scc_proxy's authentication logs when it
    /// runs again in the request (RMT's own before_action for zypper's
    /// service refresh, which skips a login several systems share).
    pub again_log: Option<String>,
}

/// RMT's answer to unknown credentials (401).
pub const INVALID_CREDENTIALS: &str = "Invalid system credentials";

/// RMT's answer when authentication refuses: 401 for unknown credentials
/// (with RMT's log line), 422 for a duplicate system RMT cannot store. Any
/// other error is not a refusal.
pub fn refusal(error: Error, caller: &Caller) -> Result<Answer> {
    match error {
        Error::Unauthorized(message) => Ok(Answer::error(401, &message, None).logged(not_found_log(caller))),
        Error::InvalidInput(message) => Ok(Answer::error(422, &message, None)),
        e => Err(e),
    }
}

/// The line RMT logs for unknown credentials, with the password left out:
/// RMT writes the password sent into its log, RmtRs writes no credentials.
pub fn not_found_log(caller: &Caller) -> String {
    format!(r#"Could not find system with login \"{}\" and password \"[FILTERED]\""#, caller.login)
}

/// RMT only writes `last_seen_at` this often for clients without system tokens.
const LAST_SEEN_EVERY_SECONDS: i64 = 180;

#[derive(Clone)]
struct Candidate {
    id: u64,
    login: String,
    system_token: Option<String>,
    system_information: Option<String>,
    proxy_byos_mode: Option<i32>,
    instance_data: Option<String>,
}

/// The systems with the caller's credentials, oldest first.
async fn candidates(conn: &mut MySqlConnection, caller: &Caller) -> Result<Vec<Candidate>> {
    let rows = sqlx::query(
        "SELECT id, login, system_token, system_information, proxy_byos_mode, instance_data FROM systems \
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
                login: row.try_get("login")?,
                system_token: row.try_get("system_token")?,
                // A binary-collated column (utf8mb4_bin): read as bytes. Text
                // that is not UTF-8 is not JSON either; an empty string stands
                // for it so that it is refused, not rewritten.
                system_information: row
                    .try_get::<Option<Vec<u8>>, _>("system_information")?
                    .map(|bytes| String::from_utf8(bytes).unwrap_or_default()),
                proxy_byos_mode: row.try_get("proxy_byos_mode")?,
                instance_data: row.try_get("instance_data")?,
            })
        })
        .collect::<Result<Vec<Candidate>>>()?;
    Ok(candidates)
}

pub async fn authenticate(conn: &mut MySqlConnection, caller: &Caller, now: Timestamp) -> Result<Authenticated> {
    let candidates = candidates(conn, caller).await?;
    authenticate_among(conn, caller, &candidates, now).await
}

/// RMT's `authenticate_system(skip_on_duplicated: true)` (zypper's service
/// refresh, which never sends a token): `None`, nothing written, when more
/// than one system has the credentials.
pub async fn authenticate_unless_duplicated(
    conn: &mut MySqlConnection,
    caller: &Caller,
    now: Timestamp,
) -> Result<Option<Authenticated>> {
    let candidates = candidates(conn, caller).await?;
    if candidates.len() > 1 {
        return Ok(None);
    }
    authenticate_among(conn, caller, &candidates, now).await.map(Some)
}

async fn authenticate_among(
    conn: &mut MySqlConnection,
    caller: &Caller,
    candidates: &[Candidate],
    now: Timestamp,
) -> Result<Authenticated> {
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
                log: Some(format!(r#"System with login \"{}\" authenticated without token header"#, first.login)),
                again_log: None,
            };
            (system, first.system_information.clone())
        }
        Some(header) => {
            let token = Some(header.as_str()).filter(|t| !crate::rails::value::is_blank_text(t));
            // A copy of the first system takes its data when the token matches none.
            let found = candidates.iter().find(|c| c.system_token.as_deref() == token);
            let (id, log) = match found {
                Some(found) => {
                    let shown = token.unwrap_or_default();
                    (found.id, format!(r#"System with login \"{}\" authenticated with token \"{shown}\""#, found.login))
                }
                None => {
                    let id = duplicate(conn, caller, first.id, token, now).await?;
                    let login = &first.login;
                    let base = first.id;
                    let line = format!(
                        r#"System with login \"{login}\" (ID {id}) authenticated and duplicated from ID {base} due to token mismatch"#
                    );
                    (id, line)
                }
            };
            let source = found.unwrap_or(first);
            let system = Authenticated {
                id,
                system_token: token.map(str::to_string),
                proxy_byos_mode: source.proxy_byos_mode,
                token_header: !caller.tokens_disabled,
                log: Some(log),
                again_log: None,
            };
            (system, source.system_information.clone())
        }
    };
    record_user_agent(conn, system.id, stored_information.as_deref(), caller, now).await?;
    record_seen(conn, system.id, system.token_header, now).await?;
    Ok(system)
}

/// What the public-cloud authentication found.
#[derive(Debug)]
pub enum Found {
    System(Authenticated),
    /// The instance identifiers of these systems (id, stored instance data)
    /// are needed, from the instance verification provider.
    Identify(Vec<(u64, Option<String>)>),
}

/// The scc_proxy engine's `authenticate_system`, which replaces RMT's with the
/// public-cloud engines: no duplicate detection by `System-Token` (a PAYG
/// instance's token is its instance identifier) and no user agent stored.
/// Among systems with the same credentials, the first with a token; when none
/// has one, the first PAYG or hybrid system whose instance identifier the
/// provider finds gets it as token. `identifiers` holds the identifiers found
/// (a system the provider refused is left out); `None` asks for them.
pub async fn authenticate_scc_proxy(
    conn: &mut MySqlConnection,
    caller: &Caller,
    identifiers: Option<&[(u64, Option<String>)]>,
    now: Timestamp,
) -> Result<Found> {
    let candidates = candidates(conn, caller).await?;
    let Some(first) = candidates.first() else {
        return Err(Error::Unauthorized(INVALID_CREDENTIALS.into()));
    };
    let cloud = |c: &&Candidate| matches!(c.proxy_byos_mode, Some(PAYG) | Some(HYBRID));
    let mut chosen = candidates.iter().find(|c| c.system_token.is_some()).map(|c| (c, c.system_token.clone()));
    if chosen.is_none() && candidates.iter().any(|c| cloud(&c)) {
        let Some(identifiers) = identifiers else {
            let wanted = candidates.iter().filter(cloud).map(|c| (c.id, c.instance_data.clone())).collect();
            return Ok(Found::Identify(wanted));
        };
        chosen = candidates.iter().filter(cloud).find_map(|c| {
            identifiers.iter().find(|(id, _)| *id == c.id).map(|(_, identifier)| (c, identifier.clone()))
        });
        if let Some((system, Some(identifier))) = &chosen {
            // `update!(system_token: iid)`: written only when it changes.
            update_system(conn, system.id, SystemColumn::SystemToken, identifier, now).await?;
        }
    }
    let log = scc_proxy_log(&candidates, chosen.is_some());
    let (system, system_token) = chosen.unwrap_or((first, None));
    // Run again, authentication finds the one system as it is now: with the
    // token it has or was given (a provider that refused would be asked and
    // refuse again: its lines are the host's, and none is written here).
    let again_log = match candidates.as_slice() {
        [only] => {
            let now_token = system_token.clone().or_else(|| only.system_token.clone());
            let again = Candidate { system_token: now_token, ..only.clone() };
            scc_proxy_log(std::slice::from_ref(&again), again.system_token.is_some())
        }
        _ => None,
    };
    let token_header = caller.system_token.is_some() && !caller.tokens_disabled;
    record_seen(conn, system.id, token_header, now).await?;
    let mode = system.proxy_byos_mode;
    Ok(Found::System(Authenticated {
        id: system.id,
        system_token,
        proxy_byos_mode: mode,
        token_header,
        log,
        again_log,
    }))
}

/// The info line scc_proxy's `find_system` logs for `candidates` (the systems
/// with the credentials, oldest first). With a token: the first with one, or
/// the duplicated tokens when they differ. Without: nothing once a PAYG or
/// hybrid system got its instance identifier (`identified`), else why none
/// did (the provider's refusals are the host's lines, logged as it asks).
fn scc_proxy_log(candidates: &[Candidate], identified: bool) -> Option<String> {
    let with_token: Vec<&Candidate> = candidates.iter().filter(|c| c.system_token.is_some()).collect();
    let Some(system) = with_token.first() else {
        let cloud = candidates.iter().any(|c| matches!(c.proxy_byos_mode, Some(PAYG) | Some(HYBRID)));
        return match (cloud, identified) {
            (false, _) => Some("No PAYG or HYBRID systems".to_string()),
            (true, false) => Some("No instance identifier found".to_string()),
            (true, true) => None,
        };
    };
    // `group_by(&:system_token).keys`: the distinct tokens, first seen first.
    let mut tokens: Vec<&str> = Vec::new();
    for token in with_token.iter().filter_map(|c| c.system_token.as_deref()) {
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    let login = &system.login;
    Some(match tokens.as_slice() {
        [token] => format!(r#"System with login \"{login}\" authenticated, system  token \"{token}\""#),
        _ => format!(
            r#"System with login \"{login}\" authenticated and duplicated due to token (system tokens {}) mismatch"#,
            tokens.join(",")
        ),
    })
}

/// The system's columns by name, for the host to rebuild RMT's record without
/// reading it again (the engines' checks take a `System`). Times are
/// MariaDB's text of them, as ActiveRecord reads them.
pub async fn attributes(conn: &mut MySqlConnection, id: u64) -> Result<Vec<(String, Value)>> {
    const TEXT: [&str; 7] =
        ["login", "password", "hostname", "system_token", "system_information", "instance_data", "pubcloud_reg_code"];
    const TIMES: [&str; 5] = ["registered_at", "last_seen_at", "created_at", "updated_at", "scc_registered_at"];
    let sql = format!(
        "SELECT id, scc_system_id, proxy_byos_mode, {}, {} FROM systems WHERE id = ?",
        TEXT.join(", "),
        TIMES.map(|c| format!("CAST({c} AS CHAR) AS {c}")).join(", ")
    );
    let row = sqlx::query(&sql).bind(id as i64).fetch_optional(&mut *conn).await?;
    let Some(row) = row else { return Err(Error::InvalidInput(crate::error::NO_LONGER_EXISTS.into())) };
    let integer = |v: Option<i64>| v.map_or(Value::Null, |n| Value::Integer(n.to_string()));
    let mut out = vec![
        ("id".to_string(), integer(row.try_get("id")?)),
        ("scc_system_id".to_string(), integer(row.try_get("scc_system_id")?)),
        ("proxy_byos_mode".to_string(), integer(row.try_get::<Option<i32>, _>("proxy_byos_mode")?.map(i64::from))),
    ];
    for column in TEXT.iter().chain(TIMES.iter()) {
        // Read as bytes: system_information is binary-collated.
        let bytes: Option<Vec<u8>> = row.try_get(*column)?;
        let text = bytes.map(|b| String::from_utf8_lossy(&b).into_owned());
        out.push((column.to_string(), text.map_or(Value::Null, Value::String)));
    }
    Ok(out)
}

/// RMT's `last_seen_at` write of an authenticated request.
async fn record_seen(conn: &mut MySqlConnection, id: u64, token_header: bool, now: Timestamp) -> Result<()> {
    if token_header {
        // `update(last_seen_at:)`: nothing to write when it already holds this second.
        sqlx::query(
            "UPDATE systems SET last_seen_at = ?, scc_registered_at = NULL, updated_at = ? \
             WHERE id = ? AND NOT (last_seen_at <=> ?)",
        )
        .bind(now.seconds())
        .bind(now.seconds())
        .bind(id as i64)
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
        .bind(id as i64)
        .bind(stale.seconds())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
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
    caller: &Caller,
    now: Timestamp,
) -> Result<()> {
    if caller.is_zypper() {
        return Ok(());
    }
    let updated = with_user_agent(stored, caller.user_agent.as_deref())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmt::byos_mode::BYOS;

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

    fn candidate(id: u64, token: Option<&str>, mode: Option<i32>) -> Candidate {
        Candidate {
            id,
            login: "i-1".into(),
            system_token: token.map(str::to_string),
            system_information: None,
            proxy_byos_mode: mode,
            instance_data: None,
        }
    }

    #[test]
    fn scc_proxy_logs_what_find_system_logs() {
        let one = [candidate(1, Some("t"), Some(PAYG))];
        assert_eq!(
            scc_proxy_log(&one, false).unwrap(),
            r#"System with login \"i-1\" authenticated, system  token \"t\""#
        );
        let same = [candidate(1, Some("t"), Some(PAYG)), candidate(2, Some("t"), Some(PAYG))];
        assert_eq!(
            scc_proxy_log(&same, false).unwrap(),
            r#"System with login \"i-1\" authenticated, system  token \"t\""#
        );
        let differ = [candidate(1, None, None), candidate(2, Some("a"), None), candidate(3, Some("b"), None)];
        assert_eq!(
            scc_proxy_log(&differ, false).unwrap(),
            r#"System with login \"i-1\" authenticated and duplicated due to token (system tokens a,b) mismatch"#
        );
        assert_eq!(scc_proxy_log(&[candidate(1, None, Some(BYOS))], false).unwrap(), "No PAYG or HYBRID systems");
        assert_eq!(scc_proxy_log(&[candidate(1, None, Some(PAYG))], false).unwrap(), "No instance identifier found");
        assert_eq!(scc_proxy_log(&[candidate(1, None, Some(HYBRID))], true), None, "identified: nothing logged");
    }

    #[test]
    fn zypper_is_any_user_agent_starting_with_zypp() {
        let with = |ua: &str| Caller { user_agent: Some(ua.into()), ..Caller::default() };
        assert!(with("ZYpp 17.31.15 (curl 8.6.0)").is_zypper());
        assert!(with("zypper").is_zypper());
        assert!(!with("SUSEConnect/1.14.0").is_zypper());
        assert!(!Caller::default().is_zypper());
    }
}
