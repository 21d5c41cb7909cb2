//! RMT's system authentication for the connect API: HTTP basic credentials,
//! the `System-Token` duplicate detection, and the writes RMT makes on every
//! authenticated request (user agent in the hwinfo, `last_seen_at`).

use sqlx::{MySqlConnection, Row};

use crate::answer::Answer;
use crate::byos_mode::{HYBRID, PAYG};
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
    /// The line RMT's authentication logs at info level (scc_proxy's logs none).
    pub log: Option<String>,
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
            };
            (system, first.system_information.clone())
        }
        Some(header) => {
            let token = Some(header.as_str()).filter(|t| !crate::value::is_blank_text(t));
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
            };
            (system, source.system_information.clone())
        }
    };
    record_user_agent(conn, system.id, stored_information.as_deref(), caller.user_agent.as_deref(), now).await?;
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
    let (system, system_token) = chosen.unwrap_or((first, None));
    let token_header = caller.system_token.is_some() && !caller.tokens_disabled;
    record_seen(conn, system.id, token_header, now).await?;
    Ok(Found::System(Authenticated {
        id: system.id,
        system_token,
        proxy_byos_mode: system.proxy_byos_mode,
        token_header,
        log: None,
    }))
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
    user_agent: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    if user_agent.is_some_and(|ua| ua.to_lowercase().starts_with("zypp")) {
        return Ok(());
    }
    let updated = with_user_agent(stored, user_agent)?;
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

/// The stored hwinfo JSON with `user_agent` set, as RMT's
/// `set_system_information` leaves it: the value of the top-level
/// `user_agent` key replaced in place, or the key appended. Every other byte
/// stays as stored: re-encoding would turn integers beyond 64 bits into
/// floats and reformat what another writer stored.
///
/// What is stored decides as in RMT, which parses it (`JSON.parse(… || '{}')`):
/// SQL NULL starts from an empty object. RMT fails (500) on anything that is
/// not an object; here `null` (what an announce without hwinfo stores) starts
/// from an empty object too, and anything else (unparsable text, a list, a
/// string) is refused with a 500 that names the problem, leaving it as it is.
pub fn with_user_agent(stored: Option<&str>, user_agent: Option<&str>) -> Result<String> {
    let agent = to_rails_json(Some(&user_agent.map_or(Value::Null, |ua| Value::String(ua.to_string()))));
    let stored = match stored {
        None => return Ok(format!(r#"{{"user_agent":{agent}}}"#)),
        Some(text) if text.trim_matches(JSON_WHITESPACE) == "null" => {
            return Ok(format!(r#"{{"user_agent":{agent}}}"#))
        }
        Some(text) => text,
    };
    let members = stored_members(stored)?;
    let not_an_object = || Error::Internal(NOT_AN_OBJECT.into());
    let mut out = String::with_capacity(stored.len() + agent.len() + 16);
    let mut copied = 0;
    for member in members.iter().filter(|m| m.key == "user_agent") {
        out.push_str(&stored[copied..member.value.start]);
        out.push_str(&agent);
        copied = member.value.end;
    }
    if copied == 0 {
        // Appended before the closing brace, after the last member if any.
        let close = stored.rfind('}').ok_or_else(not_an_object)?;
        let insert_at = members.last().map_or(close, |m| m.value.end);
        out.push_str(&stored[..insert_at]);
        out.push_str(if members.is_empty() { "" } else { "," });
        out.push_str(r#""user_agent":"#);
        out.push_str(&agent);
        copied = insert_at;
    }
    out.push_str(&stored[copied..]);
    Ok(out)
}

/// The stored hwinfo JSON with the hwinfo of an update merged in, as RMT's
/// `update` leaves it (`system_information_hash.update(hwinfo).to_json`):
/// RMT parses the stored JSON (a repeated key keeps its first position and
/// its last value), then each sent key replaces the stored one in place or
/// is appended. Stored values keep their bytes (see [`with_user_agent`]);
/// what is stored decides as there.
pub fn with_hwinfo(stored: Option<&str>, hwinfo: &[(String, Value)]) -> Result<String> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(stored) = stored.filter(|text| text.trim_matches(JSON_WHITESPACE) != "null") {
        for member in stored_members(stored)? {
            let value = stored[member.value].to_string();
            match out.iter_mut().find(|(key, _)| *key == member.key) {
                Some(kept) => kept.1 = value,
                None => out.push((member.key, value)),
            }
        }
    }
    for (key, value) in hwinfo {
        let value = to_rails_json(Some(value));
        match out.iter_mut().find(|(kept, _)| kept == key) {
            Some(kept) => kept.1 = value,
            None => out.push((key.clone(), value)),
        }
    }
    let members: Vec<String> =
        out.into_iter().map(|(key, value)| format!("{}:{value}", to_rails_json(Some(&Value::String(key))))).collect();
    Ok(format!("{{{}}}", members.join(",")))
}

const JSON_WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

const NOT_AN_OBJECT: &str =
    "The system's stored hardware information (systems.system_information) is not a JSON object; it was left unchanged";

/// The top-level members of the stored hwinfo, or the 500 RmtRs answers
/// (leaving it as it is) when it is not a JSON object.
fn stored_members(stored: &str) -> Result<Vec<Member>> {
    if serde_json::from_str::<serde::de::IgnoredAny>(stored).is_err() {
        return Err(Error::Internal(NOT_AN_OBJECT.into()));
    }
    top_level_members(stored).ok_or_else(|| Error::Internal(NOT_AN_OBJECT.into()))
}

/// A top-level member of a JSON object: its decoded key and where its value's
/// text is.
struct Member {
    key: String,
    value: std::ops::Range<usize>,
}

/// The members of `text`, valid JSON, when it is an object; `None` otherwise.
fn top_level_members(text: &str) -> Option<Vec<Member>> {
    let bytes = text.as_bytes();
    let skip_ws = |mut at: usize| {
        while at < bytes.len() && JSON_WHITESPACE.contains(&(bytes[at] as char)) {
            at += 1;
        }
        at
    };
    let mut at = skip_ws(0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let mut members = Vec::new();
    at = skip_ws(at + 1);
    if bytes.get(at) == Some(&b'}') {
        return Some(members);
    }
    loop {
        // The key: a string, its end the first quote not escaped.
        let key_start = at;
        at += 1;
        while bytes.get(at)? != &b'"' {
            at += if bytes[at] == b'\\' { 2 } else { 1 };
        }
        let key: String = serde_json::from_str(&text[key_start..=at]).ok()?;
        at = skip_ws(at + 1) + 1; // past the colon
        let value_start = skip_ws(at);
        let mut values = serde_json::Deserializer::from_str(&text[value_start..]).into_iter::<serde::de::IgnoredAny>();
        values.next()?.ok()?;
        let value_end = value_start + values.byte_offset();
        members.push(Member { key, value: value_start..value_end });
        at = skip_ws(value_end);
        match bytes.get(at)? {
            b',' => at = skip_ws(at + 1),
            b'}' => return Some(members),
            _ => return None,
        }
    }
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
    fn hwinfo_replaces_stored_members_in_place_and_appends_new_ones() {
        let cpus = |n: &str| {
            vec![("cpus".to_string(), Value::Integer(n.into())), ("mem".to_string(), Value::Integer(n.into()))]
        };
        assert_eq!(
            with_hwinfo(Some(r#"{"cpus":2,"user_agent":"a"}"#), &cpus("4")).unwrap(),
            r#"{"cpus":4,"user_agent":"a","mem":4}"#
        );
        assert_eq!(
            with_hwinfo(Some(r#"{"x":1,"user_agent":"a","x":2}"#), &[]).unwrap(),
            r#"{"x":2,"user_agent":"a"}"#,
            "a repeated stored key keeps its first position and its last value"
        );
        assert_eq!(with_hwinfo(None, &cpus("1")).unwrap(), r#"{"cpus":1,"mem":1}"#);
        assert_eq!(with_hwinfo(Some("null"), &[]).unwrap(), "{}");
        assert!(with_hwinfo(Some("[1]"), &[]).is_err());
    }

    #[test]
    fn user_agent_is_set_in_place_or_appended() {
        let set = |stored, ua| with_user_agent(stored, ua).unwrap();
        assert_eq!(
            set(Some(r#"{"cpus":2}"#), Some("SUSEConnect/1.14")),
            r#"{"cpus":2,"user_agent":"SUSEConnect/1.14"}"#
        );
        assert_eq!(set(Some(r#"{"user_agent":"old","cpus":2}"#), Some("new")), r#"{"user_agent":"new","cpus":2}"#);
        assert_eq!(set(Some("null"), None), r#"{"user_agent":null}"#);
        assert_eq!(set(Some("{}"), Some("a")), r#"{"user_agent":"a"}"#);
        assert_eq!(
            set(Some(r#"{"f":-9.283236613488548e+154}"#), Some("a")),
            r#"{"f":-9.283236613488548e+154,"user_agent":"a"}"#
        );
        assert_eq!(set(None, Some("<x>")), r#"{"user_agent":"\u003cx\u003e"}"#);
    }

    #[test]
    fn every_other_stored_byte_is_kept() {
        let set = |stored, ua| with_user_agent(Some(stored), ua).unwrap();
        // Integers beyond 64 bits, float texts Ruby would print otherwise,
        // escapes, spacing, key order and nesting, as stored.
        let stored = r#"{ "big": 123456789012345678901234567890, "neg": -18446744073709551617,
  "f": 1.50, "e": 1E400, "s": "\u00e9\/<", "user_agent" : "old", "n": {"user_agent": 1}, "z": [1.0e+15] }"#;
        assert_eq!(
            set(stored, Some("SUSEConnect/1.14")),
            stored.replace(r#""user_agent" : "old""#, r#""user_agent" : "SUSEConnect/1.14""#)
        );
        let appended = set(r#"{"big":123456789012345678901234567890 , "f":0.10 }"#, Some("a"));
        assert_eq!(appended, r#"{"big":123456789012345678901234567890 , "f":0.10,"user_agent":"a" }"#);
        // Ruby's parser keeps the last of repeated keys; writing every one agrees.
        assert_eq!(set(r#"{"user_agent":"a","user_agent":"b"}"#, Some("c")), r#"{"user_agent":"c","user_agent":"c"}"#);
        // An escaped key is the same key.
        assert_eq!(set(r#"{"user\u005fagent":"a"}"#, Some("c")), r#"{"user\u005fagent":"c"}"#);
    }

    #[test]
    fn stored_text_that_is_not_an_object_is_refused_and_left_alone() {
        for stored in ["{\"cpus\":2", "not json", "[1,2]", "\"text\"", "42", "", "{\"a\":1}x"] {
            let err = with_user_agent(Some(stored), Some("a")).unwrap_err();
            assert_eq!(err.status(), 500, "{stored}");
            assert!(err.to_string().contains("not a JSON object"), "{err}");
            assert!(!err.to_string().contains(stored) || stored.is_empty(), "no stored data in the message");
        }
    }
}
