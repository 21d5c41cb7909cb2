//! RMT's announce (`POST /connect/subscriptions/systems`): create a system with
//! fresh credentials, its hwinfo and its system profiles, in one transaction.

use std::time::Duration;

use sqlx::{MySqlConnection, MySqlPool};

use crate::answer::Answer;
use crate::db::call;
use crate::db::transaction::{self, Attempt, Work};
use crate::error::{Error, Result};
use crate::rails::clock::Timestamp;
use crate::rails::json::to_rails_json;
use crate::rails::value::Value;
use crate::rmt::byos_mode::{NOT_APPLICABLE, PAYG};
use crate::rmt::credentials::{generate_login, generate_password};
use crate::rmt::login_claims;
use crate::rmt::profiles::{self, Partition};

/// What a client announces. `hwinfo` is stored as Rails' JSON of it (`null` when
/// absent); `system_profiles` holds `profile_type => {identifier, data}` pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnnounceRequest {
    pub hostname: Option<String>,
    pub hwinfo: Option<Value>,
    pub system_profiles: Vec<(String, Value)>,
    /// Set for a pay-as-you-go instance announced to RMT with its public-cloud
    /// engines (scc_proxy's `announce_system`).
    pub payg: Option<PaygInstance>,
}

/// What scc_proxy stores for a PAYG instance: the instance identifier the
/// provider found in its instance data as login and system token (`None`:
/// RMT draws a login as usual and stores no token), the instance data as sent,
/// and `proxy_byos_mode` PAYG. A login that is an instance identifier may be
/// announced again (a reinstalled instance): RMT then registers another system
/// with that login and a new password, and so does this.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaygInstance {
    pub identifier: Option<String>,
    pub instance_data: Option<String>,
}

/// The system that was created: what RMT's V3 system serializer renders, and
/// whether the response carries `X-System-Profiles-Action: clear-cache`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub id: u64,
    pub login: String,
    pub password: String,
    pub clear_profiles_cache: bool,
}

impl Announced {
    /// RMT's answer: 201 with `V3::SystemSerializer`'s attributes (a new
    /// system has never been seen), and `X-System-Profiles-Action:
    /// clear-cache` when a profile came without data or identifier.
    pub fn answer(&self) -> Answer {
        let body = Value::Object(vec![
            ("id".into(), Value::Integer(self.id.to_string())),
            ("login".into(), Value::String(self.login.clone())),
            ("password".into(), Value::String(self.password.clone())),
            ("last_seen_at".into(), Value::Null),
        ]);
        let mut answer = Answer::ok(201, &body, "V3::SystemSerializer", None);
        if self.clear_profiles_cache {
            answer.headers.push(("X-System-Profiles-Action", "clear-cache".into()));
        }
        answer
    }
}

pub async fn announce_system(pool: &MySqlPool, request: &AnnounceRequest) -> Result<Announced> {
    announce_system_with_logins(pool, request, &mut generate_login).await
}

/// [`announce_system`] with the login candidates drawn from `next_login`, so tests
/// can force a collision.
pub async fn announce_system_with_logins(
    pool: &MySqlPool,
    request: &AnnounceRequest,
    next_login: &mut (dyn FnMut() -> String + Send),
) -> Result<Announced> {
    // Everything that can be checked without the database is checked first.
    let partition = profiles::partition(&request.system_profiles)?;
    let mut work = Registration {
        request,
        clear_profiles_cache: partition.needs_cache_clear(),
        partition,
        system_information: to_rails_json(request.hwinfo.as_ref()),
        // Drawn once: a lost COMMIT is found by the credentials.
        password: generate_password(),
        next_login,
    };
    transaction::run(pool, &mut work).await
}

/// One registration: a system row with a drawn login (drawn again when taken,
/// at once) or a PAYG instance's identifier, and its profiles.
struct Registration<'a> {
    request: &'a AnnounceRequest,
    partition: Partition,
    clear_profiles_cache: bool,
    system_information: String,
    password: String,
    next_login: &'a mut (dyn FnMut() -> String + Send),
}

impl Work for Registration<'_> {
    type Output = Announced;

    async fn attempt(&mut self, conn: &mut MySqlConnection) -> Result<Attempt<Announced>> {
        let payg = self.request.payg.as_ref();
        let identifier = payg.and_then(|p| p.identifier.clone());
        let row = SystemRow {
            unique_login: identifier.is_none(),
            login: identifier.unwrap_or_else(&mut *self.next_login),
            password: &self.password,
            system_token: payg.and_then(|p| p.identifier.as_deref()),
            instance_data: payg.and_then(|p| p.instance_data.as_deref()),
            proxy_byos_mode: if payg.is_some() { PAYG } else { NOT_APPLICABLE },
            hostname: self.request.hostname.as_deref(),
            system_information: &self.system_information,
            now: Timestamp::now(),
        };
        Ok(match insert_registration(conn, &row, &self.partition).await? {
            Some(id) => Attempt::Commit(Announced {
                id,
                login: row.login,
                password: self.password.clone(),
                clear_profiles_cache: self.clear_profiles_cache,
            }),
            None => Attempt::Again, // login taken: draw another
        })
    }

    async fn settle(&mut self, pool: &MySqlPool, announced: Announced, lost: Error) -> Result<Option<Announced>> {
        let written = written_as(pool, &announced.login, &announced.password, lost, call::READ_BACK_WINDOW).await?;
        Ok(written.map(|id| Announced { id, ..announced }))
    }
}

/// After a COMMIT whose answer was lost: the system's id when it was written,
/// `None` when it was not, found by its credentials (the password is drawn
/// before the transaction). A registration that was written is answered 201 like any
/// other, so a client is never told it failed while its system exists. When
/// MariaDB does not answer within `window`, `lost` (the commit's error).
pub async fn written_as(
    pool: &MySqlPool,
    login: &str,
    password: &str,
    lost: Error,
    window: Duration,
) -> Result<Option<u64>> {
    let found = call::read_back(window, lost, || {
        sqlx::query_as::<_, (i64,)>("SELECT id FROM systems WHERE login = ? AND password = ? LIMIT 1")
            .bind(login)
            .bind(password)
            .fetch_optional(pool)
    })
    .await?;
    Ok(found.and_then(|(id,)| u64::try_from(id).ok()))
}

struct SystemRow<'a> {
    login: String,
    /// Whether the login must be one no other system has (a drawn one).
    unique_login: bool,
    password: &'a str,
    system_token: Option<&'a str>,
    instance_data: Option<&'a str>,
    proxy_byos_mode: i32,
    hostname: Option<&'a str>,
    system_information: &'a str,
    now: Timestamp,
}

/// Writes the system, checks its login is unique and links its profiles.
/// `Ok(None)` when another system holds the login.
async fn insert_registration(
    conn: &mut MySqlConnection,
    row: &SystemRow<'_>,
    partition: &Partition,
) -> Result<Option<u64>> {
    let seconds = row.now.seconds();
    let id = sqlx::query(
        "INSERT INTO systems (login, password, hostname, system_information, system_token, instance_data, \
           proxy_byos_mode, registered_at, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.login)
    .bind(row.password)
    .bind(row.hostname)
    .bind(row.system_information)
    .bind(row.system_token)
    .bind(row.instance_data)
    .bind(row.proxy_byos_mode)
    .bind(&seconds)
    .bind(&seconds)
    .bind(&seconds)
    .execute(&mut *conn)
    .await?
    .last_insert_id();

    // The schema has no unique index on `login` alone. Checking after the insert
    // with a locking read closes the race RMT's check-then-insert leaves open: a
    // concurrent uncommitted holder of the same login makes this read wait, and two
    // such transactions deadlock, so at most one of them ever commits. On a
    // Galera cluster the login's claim slot does the same across nodes, and the
    // login is checked again after the claim: a registration another node
    // committed before it shows there (Galera would certify this one as having
    // seen it).
    if row.unique_login {
        let (taken, claims) = login_holders(conn, &row.login, id).await?;
        if taken {
            return Ok(None);
        }
        if claims {
            login_claims::claim(conn, &row.login).await?;
            if login_holders(conn, &row.login, id).await?.0 {
                return Ok(None);
            }
        }
    }

    let mut profile_ids = Vec::with_capacity(partition.complete.len());
    for profile in &partition.complete {
        profile_ids.push(profiles::find_or_create(conn, profile, row.now).await?);
    }
    link_profiles(conn, id, &profile_ids, row.now).await?;
    Ok(Some(id))
}

/// Whether another system than `id` holds `login` (read with locks), and
/// whether the session claims logins (a Galera node's, [`login_claims::ENABLED`]).
async fn login_holders(conn: &mut MySqlConnection, login: &str, id: u64) -> Result<(bool, bool)> {
    let sql = format!("SELECT id, {} IS NOT NULL FROM systems WHERE login = ? FOR UPDATE", login_claims::ENABLED);
    let holders: Vec<(i64, i64)> = sqlx::query_as(&sql).bind(login).fetch_all(&mut *conn).await?;
    let taken = holders.iter().any(|(holder, _)| *holder as u64 != id);
    Ok((taken, holders.iter().any(|(_, claims)| *claims != 0)))
}

/// One `system_profiles` row per profile, in one statement.
async fn link_profiles(conn: &mut MySqlConnection, system_id: u64, profile_ids: &[u64], now: Timestamp) -> Result<()> {
    if profile_ids.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("INSERT INTO system_profiles (system_id, profile_id, created_at, updated_at) VALUES ");
    sql.push_str(&vec!["(?, ?, ?, ?)"; profile_ids.len()].join(", "));
    let stamp = now.micros();
    let mut query = sqlx::query(&sql);
    for profile_id in profile_ids {
        query = query.bind(system_id).bind(profile_id).bind(&stamp).bind(&stamp);
    }
    query.execute(conn).await?;
    Ok(())
}
