//! Drawn logins stay unique on a Galera cluster. On one server RmtRs's
//! locking read after the insert makes two registrations of one login wait
//! for each other; Galera does not carry that lock to the other nodes, so two
//! nodes could each commit a system with the same login. Each registration of
//! a drawn login on Galera therefore also writes its login's claim slot: two
//! such transactions on different nodes write the same row, Galera certifies
//! only the first, and the second is refused at COMMIT (as a deadlock), runs
//! again, finds the login taken and draws another.

use sqlx::{Executor, MySqlConnection};

use crate::error::Result;

/// The claim slots: a few rows, each counting the registrations that wrote it.
/// Created on the first Galera connection that finds it missing.
pub const TABLE: &str = "rmt_rs_login_claims";

/// Writes `login`'s claim slot in the open transaction. The slot is the
/// login's CRC-32 folded to 16 bits, computed by MariaDB so that every RMT
/// server of a region, whatever its build, picks the same one; 65,536 slots,
/// so different logins rarely share one (and then one registration only runs
/// again).
pub async fn claim(conn: &mut MySqlConnection, login: &str) -> Result<()> {
    let sql = format!(
        "INSERT INTO {TABLE} (slot, claims) VALUES (CRC32(?) & 65535, 1) ON DUPLICATE KEY UPDATE claims = claims + 1"
    );
    sqlx::query(&sql).bind(login).execute(conn).await?;
    Ok(())
}

/// The session variable that tells a registration to claim its login: set
/// on a Galera node's connections once the slot table is there.
pub const ENABLED: &str = "@rmt_rs_login_claims";

/// On a Galera node's new connection: the slot table created if missing, and
/// claims switched on for the session. A user without `CREATE` leaves them
/// off, and registrations go on as on one server (drawn logins then rely on
/// their 128 random bits across nodes).
pub async fn enable(conn: &mut MySqlConnection) {
    if install_if_missing(conn).await.is_ok() {
        let _ = conn.execute(format!("SET {ENABLED} = 1").as_str()).await;
    }
}

/// Creates the slot table when the database has none (once per database: a
/// table that exists is not created again, which on Galera would pause the
/// whole cluster for the DDL).
async fn install_if_missing(conn: &mut MySqlConnection) -> std::result::Result<(), sqlx::Error> {
    let (found,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    )
    .bind(TABLE)
    .fetch_one(&mut *conn)
    .await?;
    if found == 0 {
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (slot SMALLINT UNSIGNED NOT NULL PRIMARY KEY, \
             claims BIGINT UNSIGNED NOT NULL) ENGINE = InnoDB"
        );
        conn.execute(create.as_str()).await?;
    }
    Ok(())
}
