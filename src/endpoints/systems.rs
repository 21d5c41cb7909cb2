//! RMT's `Systems::SystemsController`: `PUT /connect/systems` (`update`,
//! SUSEConnect's daily keepalive and registercloudguest's update before each
//! module: the system's uptimes, hostname, profiles and hwinfo, written as
//! RMT writes them) and `DELETE /connect/systems` (`deregister`: the system
//! and what hangs on it destroyed as RMT's associations destroy them), each in
//! one transaction, each answered with RMT's 204.

use sqlx::{MySqlConnection, MySqlPool, Row};

use crate::answer::{Answer, LogLevel};
use crate::auth::outcome::Outcome;
use crate::auth::pipeline::{self, Acting, ConnectRequest, Step};
use crate::auth::system_auth::{self, Authenticated, Caller};
use crate::db::call;
use crate::db::transaction::{self, Attempt, Work};
use crate::error::{Error, Result};
use crate::rails::clock::Timestamp;
use crate::rails::value::{StringColumn, Value};
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::flavor::Flavor;
use crate::rmt::profiles::{self, CompleteProfile, Partition};
use crate::rmt::system_information;

/// An update's input as the controller hands it over (who sends it, and
/// from which app flavor, is the [`ConnectRequest`] beside it).
#[derive(Debug, Clone, Default)]
pub struct SystemUpdate {
    /// `params[:hostname]`, cast to the column's text (`None` clears it, as in RMT).
    pub hostname: Option<String>,
    /// `params.permit(hwinfo: {})[:hwinfo]`: `None` when absent or not a hash.
    pub hwinfo: Option<Vec<(String, Value)>>,
    /// `system_profiles` (permitted, profile data cast to text) when the key was sent.
    pub system_profiles: Option<Vec<(String, Value)>>,
    /// `params[:online_at]` as sent.
    pub online_at: Option<Value>,
}

/// RMT's update, authenticated as the products endpoints authenticate (with
/// the public-cloud engines, scc_proxy's authentication: [`Outcome::Identify`]
/// may come first); refusals (401, 422) are answers.
pub async fn update(
    pool: &MySqlPool,
    cache: &CatalogCache,
    request: &ConnectRequest,
    update: &SystemUpdate,
) -> Result<Outcome> {
    pipeline::authenticated(pool, cache, request, update).await
}

/// The update for the authenticated system.
impl Step for SystemUpdate {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        acting.as_rmt(updated(conn, acting.system, self, acting.fresh_token, acting.now).await)
    }
}

/// RMT's deregistration: the system destroyed with its activations,
/// uptimes and profile links, a deregistered system recorded for one SCC
/// knows, then (as RMT's `after_commit` on each link) the profiles no system
/// links any more deleted; authentication and the destroy in one
/// transaction. With the public-cloud engines their checks (SCC's
/// deregistration of a BYOS system, the registry's cache) come between:
/// the system authenticated as scc_proxy authenticates it, answered as
/// [`Outcome::Verify`] with the answer authentication sets, and once the
/// checks passed, [`destroy`].
pub async fn deregister(pool: &MySqlPool, cache: &CatalogCache, request: &ConnectRequest) -> Result<Outcome> {
    match request.flavor {
        Flavor::Rmt => destroyed(pool, Whose::Caller(&request.caller)).await.map(Outcome::Answer),
        Flavor::Pubcloud => pipeline::authenticated(pool, cache, request, &EngineDeregistration).await,
    }
}

/// The second step of a public-cloud deregistration: the system `id`
/// destroyed as [`deregister`] destroys it. RMT's 204 (no header: the first
/// step's answer set them); for a system a racing request destroyed
/// meanwhile too, with nothing written.
pub async fn destroy(pool: &MySqlPool, id: u64) -> Result<Answer> {
    destroyed(pool, Whose::System(id)).await
}

/// A deregistration's first step with the engines: the system found, for
/// their checks ([`Outcome::Verify`]).
struct EngineDeregistration;

impl Step for EngineDeregistration {
    async fn answer(&self, conn: &mut MySqlConnection, acting: &Acting<'_>) -> Result<Outcome> {
        acting.verified(conn, Answer::no_content(None, false)).await
    }
}

async fn destroyed(pool: &MySqlPool, whose: Whose<'_>) -> Result<Answer> {
    let mut work = Deregistration { whose, destroyed: None };
    let mut answer = transaction::run(pool, &mut work).await?;
    if let Some((_, profile_ids)) = work.destroyed.filter(|_| answer.status == 204) {
        // The deregistration stands whatever happens here: RMT's own clean-up
        // races leave such profiles too, and the next clean-up takes them.
        if let Err(e) = transaction::run(pool, &mut OrphanCleanup { profile_ids }).await {
            answer.log.push((LogLevel::Error, format!("Orphaned profiles were left for a later clean-up: {e}")));
        }
    }
    Ok(answer)
}

/// Which system a deregistration destroys.
#[derive(Clone, Copy)]
enum Whose<'a> {
    /// The caller's, authenticated as RMT authenticates it.
    Caller(&'a Caller),
    /// One authenticated before (public cloud).
    System(u64),
}

struct Deregistration<'a> {
    whose: Whose<'a>,
    /// The system the last attempt destroyed, and the profiles it linked.
    destroyed: Option<(u64, Vec<u64>)>,
}

impl Work for Deregistration<'_> {
    type Output = Answer;

    async fn attempt(&mut self, conn: &mut MySqlConnection) -> Result<Attempt<Answer>> {
        let now = Timestamp::now();
        let (id, mut answer) = match self.whose {
            Whose::Caller(caller) => match system_auth::authenticate(conn, caller, now).await {
                Ok(system) => {
                    let token = system.token_header.then(|| system.system_token.clone()).flatten();
                    let mut answer = Answer::no_content(token, system.token_header);
                    answer.log.extend(system.log.map(|line| (LogLevel::Info, line)));
                    (system.id, answer)
                }
                Err(e) => return Ok(Attempt::Commit(system_auth::refusal(e, caller)?)),
            },
            Whose::System(id) => (id, Answer::no_content(None, false)),
        };
        let id = id as i64;
        let scc_system_id: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT scc_system_id FROM systems WHERE id = ? FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((scc_system_id,)) = scc_system_id else {
            // Destroyed since it was authenticated: nothing left to write.
            self.destroyed = None;
            return Ok(Attempt::Commit(answer));
        };
        let linked: Vec<(i64,)> =
            sqlx::query_as("SELECT profile_id FROM system_profiles WHERE system_id = ? ORDER BY id")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        // `dependent:` in RMT's declaration order, then the system's row.
        for sql in [
            "DELETE FROM activations WHERE system_id = ?",
            "DELETE FROM system_uptimes WHERE system_id = ?",
            "DELETE FROM system_profiles WHERE system_id = ?",
            "DELETE FROM systems WHERE id = ?",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *conn).await?;
        }
        if let Some(scc_system_id) = scc_system_id {
            // `DeregisteredSystem.find_or_create_by(scc_system_id:)`.
            sqlx::query(
                "INSERT INTO deregistered_systems (scc_system_id, created_at, updated_at) VALUES (?, ?, ?) \
                 ON DUPLICATE KEY UPDATE id = id",
            )
            .bind(scc_system_id)
            .bind(now.seconds())
            .bind(now.seconds())
            .execute(&mut *conn)
            .await?;
        }
        self.destroyed = Some((id as u64, linked.into_iter().map(|(p,)| p as u64).collect()));
        answer.system_id = Some(id as u64);
        Ok(Attempt::Commit(answer))
    }

    /// Written when the system is gone; else run again.
    async fn settle(&mut self, pool: &MySqlPool, answer: Answer, lost: Error) -> Result<Option<Answer>> {
        let Some((id, _)) = self.destroyed else { return Ok(None) };
        let found = call::read_back(call::READ_BACK_WINDOW, lost, || {
            sqlx::query_as::<_, (i64,)>("SELECT id FROM systems WHERE id = ?").bind(id as i64).fetch_optional(pool)
        })
        .await?;
        Ok(found.is_none().then_some(answer))
    }
}

/// `SystemProfile#destroy_orphaned_profile` for each link removed: the
/// profile, locked, deleted when no system links it any more. The same when
/// run again (the default `settle`).
struct OrphanCleanup {
    profile_ids: Vec<u64>,
}

impl Work for OrphanCleanup {
    type Output = ();

    async fn attempt(&mut self, conn: &mut MySqlConnection) -> Result<Attempt<()>> {
        for id in &self.profile_ids {
            let locked: Option<(i64,)> = sqlx::query_as("SELECT id FROM profiles WHERE id = ? FOR UPDATE")
                .bind(*id as i64)
                .fetch_optional(&mut *conn)
                .await?;
            if locked.is_none() {
                continue; // a racing clean-up deleted it already
            }
            let linked: Option<(i64,)> = sqlx::query_as("SELECT id FROM system_profiles WHERE profile_id = ? LIMIT 1")
                .bind(*id as i64)
                .fetch_optional(&mut *conn)
                .await?;
            if linked.is_none() {
                sqlx::query("DELETE FROM profiles WHERE id = ?").bind(*id as i64).execute(&mut *conn).await?;
            }
        }
        Ok(Attempt::Commit(()))
    }
}

/// What the update writes, checked before the database is asked.
struct Checked {
    uptimes: Vec<(String, String)>,
    /// RMT's error line for each `online_at` entry that is not `day:hours`.
    malformed: Vec<String>,
    profiles: Option<Partition>,
    hwinfo: Vec<(String, Value)>,
}

/// The request's input, or why it cannot be written. RMT fails with a 500
/// on these (after writing what came before), RmtRs refuses them whole (422).
fn checked(update: &SystemUpdate) -> std::result::Result<Checked, String> {
    let (mut uptimes, mut malformed) = (Vec::new(), Vec::new());
    match &update.online_at {
        Some(entries @ Value::Array(items)) if entries.is_present() => {
            for item in items {
                let Value::String(entry) = item else { return Err("online_at entries must be strings".into()) };
                match day_and_hours(entry)? {
                    Some(uptime) => uptimes.push(uptime),
                    None => malformed.push(format!("Uptime data is malformed '{entry}'")),
                }
            }
        }
        Some(other) if other.is_present() => return Err("online_at must be a list of \"day:hours\" entries".into()),
        _ => {}
    }
    let profiles = match &update.system_profiles {
        Some(pairs) => Some(profiles::partition(pairs).map_err(|e| e.to_string())?),
        None => None,
    };
    let Some(hwinfo) = update.hwinfo.clone() else { return Err("hwinfo is missing or not an object".into()) };
    Ok(Checked { uptimes, malformed, profiles, hwinfo })
}

/// An `online_at` entry as RMT splits it (`split(':')`, trailing empty parts
/// dropped): `day:hours`, or `None` for RMT's "malformed" line. A day that is
/// not a date, or hours longer than the column, RMT cannot store (500).
fn day_and_hours(entry: &str) -> std::result::Result<Option<(String, String)>, String> {
    let mut parts: Vec<&str> = entry.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    let [day, hours] = parts[..] else { return Ok(None) };
    let date = day.len() == 10
        && day
            .as_bytes()
            .iter()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
    let valid_date = date && {
        let (month, dom) = (day[5..7].parse::<u32>().unwrap_or(0), day[8..10].parse::<u32>().unwrap_or(0));
        (1..=12).contains(&month) && (1..=days_in_month(day[..4].parse().unwrap_or(0), month)).contains(&dom)
    };
    if !valid_date || hours.is_empty() || hours.len() > 24 {
        return Err(format!("Uptime data cannot be stored: '{entry}'"));
    }
    Ok(Some((day.to_string(), hours.to_string())))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// RMT's `update` action for the authenticated `system`: the uptimes, the
/// profiles, hostname and hwinfo written, then RMT's `refresh_system_token`
/// for a client that sent `System-Token`. Input RMT cannot store is refused
/// (422) with nothing of the update written: most of it before anything is
/// written, the rest (a profile RMT cannot store, the system gone) by undoing
/// the update's writes to a savepoint, so that what authentication wrote
/// stays, as in RMT. Run again after a lost COMMIT it writes the same (the
/// products' settle reads a handed-out token back).
async fn updated(
    conn: &mut MySqlConnection,
    system: &Authenticated,
    update: &SystemUpdate,
    fresh_token: &str,
    now: Timestamp,
) -> Result<Answer> {
    let checked = checked(update).map_err(Error::InvalidInput)?;
    sqlx::query("SAVEPOINT rmt_rs_update").execute(&mut *conn).await?;
    let written = write_update(conn, system, update, &checked, fresh_token, now).await;
    if let Err(Error::InvalidInput(_)) = &written {
        sqlx::query("ROLLBACK TO SAVEPOINT rmt_rs_update").execute(&mut *conn).await?;
    }
    written
}

async fn write_update(
    conn: &mut MySqlConnection,
    system: &Authenticated,
    update: &SystemUpdate,
    checked: &Checked,
    fresh_token: &str,
    now: Timestamp,
) -> Result<Answer> {
    for (day, hours) in &checked.uptimes {
        record_uptime(conn, system.id, day, hours, now).await?;
    }
    let mut log: Vec<(LogLevel, String)> =
        checked.malformed.iter().map(|line| (LogLevel::Error, line.clone())).collect();
    let mut clear_cache = false;
    if let Some(partition) = &checked.profiles {
        let known = known_incomplete(conn, &partition.incomplete).await?;
        let unknown = partition.incomplete.iter().any(|(kind, _)| !known.iter().any(|k| k.profile_type == *kind));
        clear_cache = !partition.invalid.is_empty() || unknown;
        let aggregated: Vec<&CompleteProfile> = partition.complete.iter().chain(known.iter()).collect();
        if !aggregated.is_empty() {
            let mut ids = Vec::with_capacity(aggregated.len());
            for profile in aggregated {
                ids.push(profiles::find_or_create(conn, profile, now).await?);
            }
            replace_profiles(conn, system.id, &ids, now).await?;
        }
    }
    let stored = stored_information(conn, system.id).await?;
    let information = system_information::with_hwinfo(stored.as_deref(), &checked.hwinfo)?;
    save(conn, system.id, update.hostname.as_deref(), &information, now).await?;
    let hostname = update.hostname.as_deref().unwrap_or_default();
    log.push((LogLevel::Info, format!("Updated system information for host '{hostname}'")));
    let token = pipeline::refreshed_token(conn, system.id, system.token_header, fresh_token, now).await?;
    let mut answer = Answer::no_content(token, system.token_header);
    if clear_cache {
        answer.headers.push(("X-System-Profiles-Action", "clear-cache".into()));
    }
    answer.log = log;
    Ok(answer)
}

/// RMT's `update_system_uptime`: the day's row updated, or created.
async fn record_uptime(conn: &mut MySqlConnection, id: u64, day: &str, hours: &str, now: Timestamp) -> Result<()> {
    let found: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT id, online_at_hours FROM system_uptimes WHERE system_id = ? AND online_at_day = ? LIMIT 1",
    )
    .bind(id as i64)
    .bind(day)
    .fetch_optional(&mut *conn)
    .await?;
    let stamp = now.micros();
    match found {
        // `update!` writes only a change (the column pads to 24 bytes).
        Some((_, stored)) if stored.iter().copied().take_while(|b| *b != 0).eq(hours.bytes()) => Ok(()),
        Some((row, _)) => {
            sqlx::query("UPDATE system_uptimes SET online_at_hours = ?, updated_at = ? WHERE id = ?")
                .bind(hours.as_bytes())
                .bind(&stamp)
                .bind(row)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }
        None => {
            let inserted = sqlx::query(
                "INSERT INTO system_uptimes (system_id, online_at_day, online_at_hours, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(id as i64)
            .bind(day)
            .bind(hours.as_bytes())
            .bind(&stamp)
            .bind(&stamp)
            .execute(&mut *conn)
            .await;
            match inserted {
                Ok(_) => Ok(()),
                // A concurrent update of the same system wrote the day first:
                // run the whole update again, which then finds it.
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(Error::Deadlock),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// RMT's `Profile.identify_known_profiles`: the stored profiles of the
/// incomplete ones, in the order MariaDB returns them for RMT's query, each
/// under its stored type.
async fn known_incomplete(conn: &mut MySqlConnection, incomplete: &[(String, Value)]) -> Result<Vec<CompleteProfile>> {
    if incomplete.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys = Vec::with_capacity(incomplete.len());
    for (kind, identifier) in incomplete {
        let text = identifier.column_text(StringColumn::Varchar).map_err(|kind_name| {
            Error::InvalidInput(format!("System profile '{kind}': identifier must be a string, not {kind_name}"))
        })?;
        keys.push((kind.clone(), text.unwrap_or_default()));
    }
    let clause = vec!["(profile_type = ? AND identifier = ?)"; keys.len()].join(" OR ");
    let sql = format!("SELECT profile_type, identifier, data FROM profiles WHERE {clause}");
    let mut query = sqlx::query(&sql);
    for (kind, identifier) in &keys {
        query = query.bind(kind).bind(identifier);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let mut known: Vec<CompleteProfile> = Vec::with_capacity(rows.len());
    for row in rows {
        let profile_type: String = row.try_get("profile_type")?;
        let profile = CompleteProfile {
            identifier: row.try_get("identifier")?,
            data: Value::String(row.try_get("data")?),
            profile_type: profile_type.clone(),
        };
        // `hash.merge!(profile.as_payload)`: keyed by type.
        match known.iter_mut().find(|k| k.profile_type == profile_type) {
            Some(kept) => *kept = profile,
            None => known.push(profile),
        }
    }
    Ok(known)
}

/// `system.profiles = profiles` on a has-many-through: links to profiles no
/// longer listed deleted directly (no orphan clean-up, as in RMT), links to
/// new ones created in the list's order, the others left alone.
async fn replace_profiles(conn: &mut MySqlConnection, system_id: u64, ids: &[u64], now: Timestamp) -> Result<()> {
    let linked: Vec<(i64,)> = sqlx::query_as("SELECT profile_id FROM system_profiles WHERE system_id = ? ORDER BY id")
        .bind(system_id as i64)
        .fetch_all(&mut *conn)
        .await?;
    let linked: Vec<u64> = linked.into_iter().map(|(id,)| id as u64).collect();
    let gone: Vec<u64> = linked.iter().copied().filter(|id| !ids.contains(id)).collect();
    if !gone.is_empty() {
        let sql = format!(
            "DELETE FROM system_profiles WHERE system_id = ? AND profile_id IN ({})",
            vec!["?"; gone.len()].join(", ")
        );
        let mut query = sqlx::query(&sql).bind(system_id as i64);
        for id in &gone {
            query = query.bind(*id as i64);
        }
        query.execute(&mut *conn).await?;
    }
    let mut added: Vec<u64> = Vec::new();
    for id in ids.iter().copied().filter(|id| !linked.contains(id)) {
        if !added.contains(&id) {
            added.push(id);
        }
    }
    let stamp = now.micros();
    for id in added {
        sqlx::query("INSERT INTO system_profiles (system_id, profile_id, created_at, updated_at) VALUES (?, ?, ?, ?)")
            .bind(system_id as i64)
            .bind(id as i64)
            .bind(&stamp)
            .bind(&stamp)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn stored_information(conn: &mut MySqlConnection, id: u64) -> Result<Option<String>> {
    let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as("SELECT system_information FROM systems WHERE id = ?")
        .bind(id as i64)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((bytes,)) = row else { return Err(Error::InvalidInput(crate::error::NO_LONGER_EXISTS.into())) };
    Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// `@system.save` of the hostname and hwinfo: written when anything changes,
/// and RMT's `before_update` callback (which clears the SCC sync time) makes
/// a change of its own when that time is set.
async fn save(
    conn: &mut MySqlConnection,
    id: u64,
    hostname: Option<&str>,
    information: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE systems SET hostname = ?, system_information = ?, scc_registered_at = NULL, updated_at = ? \
         WHERE id = ? AND NOT (hostname <=> ? AND system_information <=> ? AND scc_registered_at IS NULL)",
    )
    .bind(hostname)
    .bind(information)
    .bind(now.seconds())
    .bind(id as i64)
    .bind(hostname)
    .bind(information)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_uptime_entries_as_rmt_does() {
        let hours = "000000001111111111111111";
        assert_eq!(day_and_hours(&format!("2024-05-11:{hours}")), Ok(Some(("2024-05-11".into(), hours.into()))));
        assert_eq!(day_and_hours(&format!("2024-05-11:{hours}:")), Ok(Some(("2024-05-11".into(), hours.into()))));
        assert_eq!(day_and_hours("2024-05-11"), Ok(None), "RMT logs it as malformed");
        assert_eq!(day_and_hours("a:b:c"), Ok(None));
        assert!(day_and_hours("2024-02-30:1").is_err(), "not a day");
        assert!(day_and_hours(&format!("2024-05-11:{hours}1")).is_err(), "longer than the column");
        assert_eq!(day_and_hours("2024-02-29:1"), Ok(Some(("2024-02-29".into(), "1".into()))));
    }

    #[test]
    fn refuses_what_rmt_cannot_store() {
        let with = |online_at: Value, hwinfo: Option<Vec<(String, Value)>>| {
            checked(&SystemUpdate { online_at: Some(online_at), hwinfo, ..SystemUpdate::default() }).err()
        };
        let hwinfo = Some(vec![]);
        assert_eq!(with(Value::Array(vec![]), hwinfo.clone()), None, "an empty list is not present");
        assert!(with(Value::Array(vec![Value::Integer("1".into())]), hwinfo.clone()).is_some());
        assert!(with(Value::String("2024-05-11:1".into()), hwinfo.clone()).is_some());
        assert_eq!(with(Value::Null, None).as_deref(), Some("hwinfo is missing or not an object"));
    }
}
