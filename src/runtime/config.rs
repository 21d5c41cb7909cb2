//! Database settings, with the keys and meanings of RMT's `database:` section
//! (`/etc/rmt.conf`, mysql2 conventions).

use std::fmt;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::Executor;

/// Where libmariadb (mysql2) looks for the server when the host is `localhost`
/// and no socket is configured: `MYSQL_UNIX_PORT`, else the path the library was
/// built with, which differs by distribution. These are the builds RMT runs on:
/// SUSE's (RMT's home), Debian's and Ubuntu's, Red Hat's, and upstream's.
pub const SOCKET_CANDIDATES: [&str; 4] =
    ["/var/run/mysql/mysql.sock", "/run/mysqld/mysqld.sock", "/var/lib/mysql/mysql.sock", "/tmp/mysql.sock"];

#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// `None` or `localhost` means the local socket, as mysql2 treats it.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database: String,
    /// The connection's character set, RMT's `encoding` (`utf8` in RMT's packaged
    /// configuration: utf8mb3, so a 4-byte character fails as it does for RMT).
    pub encoding: String,
    /// Connections per process (RMT's `pool`, default 5).
    pub pool: u32,
    /// How long a caller waits for a connection, including connecting (RMT's
    /// `timeout`, given in milliseconds there; default 5 s).
    pub timeout: Duration,
    /// The longest a call may take, waiting included, before it is abandoned
    /// (rolled back) with a 503: well under SUSEConnect's 60 s, so a client
    /// always hears back. Default 30 s.
    pub deadline: Duration,
    /// How long a client waits for its answer, with a margin: a request that
    /// waited longer before RmtRs took it is refused (503) before it writes
    /// anything, and no call commits past it. Default 50 s, below
    /// SUSEConnect's 60 s (connect-ng's `DefaultTimeout`).
    pub patience: Duration,
    /// Opt-in: the wait before RmtRs takes a request (its age) at which new
    /// announces are refused (503) while the registrations under way are
    /// served ([`crate::runtime::saturation`]); `None`: never. Default none.
    pub shed_announces: Option<Duration>,
    /// Opt-in: the wait at which RMT's health check answers that this
    /// process is saturated (503), so that registercloudguest takes the next
    /// server of its region ([`crate::runtime::saturation`]); `None`: RMT's
    /// answer always. Default none.
    pub health_when_saturated: Option<Duration>,
}

impl DatabaseConfig {
    pub fn new(database: impl Into<String>) -> DatabaseConfig {
        DatabaseConfig {
            host: None,
            port: None,
            socket: None,
            username: None,
            password: None,
            database: database.into(),
            encoding: "utf8mb4".into(),
            pool: 5,
            timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
            patience: Duration::from_secs(50),
            shed_announces: None,
            health_when_saturated: None,
        }
    }

    /// True when the connection goes through the Unix socket.
    pub fn uses_socket(&self) -> bool {
        matches!(self.host.as_deref(), None | Some("") | Some("localhost"))
    }

    /// The socket a local connection uses: the configured one, else where
    /// libmariadb would look (see [`SOCKET_CANDIDATES`]); `None` when there is none.
    pub fn socket_path(&self) -> Option<String> {
        self.socket_among(&SOCKET_CANDIDATES)
    }

    fn socket_among(&self, candidates: &[&str]) -> Option<String> {
        if let Some(socket) = self.socket.as_deref().filter(|s| !s.is_empty()) {
            return Some(socket.to_string());
        }
        if let Ok(socket) = std::env::var("MYSQL_UNIX_PORT") {
            if !socket.is_empty() {
                return Some(socket);
            }
        }
        candidates.iter().find(|path| std::path::Path::new(path).exists()).map(|path| path.to_string())
    }

    /// Fails for settings that cannot reach a server at all, so a
    /// misconfiguration shows when RmtRs is configured, not as a 503 per request.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_among(&SOCKET_CANDIDATES)
    }

    fn validate_among(&self, candidates: &[&str]) -> Result<(), String> {
        if self.uses_socket() && self.socket_among(candidates).is_none() {
            return Err(format!(
                "no MariaDB socket: the host is localhost and no socket is configured, MYSQL_UNIX_PORT is unset \
                 and none of {} exists; set `socket` in the database settings",
                candidates.join(", ")
            ));
        }
        if !matches!(self.encoding.as_str(), "utf8" | "utf8mb3" | "utf8mb4") {
            return Err(format!("encoding {:?} is not supported: use utf8 or utf8mb4", self.encoding));
        }
        Ok(())
    }

    pub fn connect_options(&self) -> MySqlConnectOptions {
        // sqlx names utf8mb3 by its older alias.
        let charset = if self.encoding == "utf8mb3" { "utf8" } else { self.encoding.as_str() };
        let mut options = MySqlConnectOptions::new()
            .username(self.username.as_deref().unwrap_or("root"))
            .database(&self.database)
            .charset(charset);
        if let Some(password) = &self.password {
            options = options.password(password);
        }
        if self.uses_socket() {
            options.socket(self.socket_path().unwrap_or_default())
        } else {
            options.host(self.host.as_deref().unwrap_or_default()).port(self.port.unwrap_or(3306))
        }
    }

    /// Pool settings. Every connection runs in strict mode, as Rails' mysql2
    /// adapter does (so bad values fail instead of being truncated), and at READ
    /// COMMITTED, so the login check's locking read takes no gap locks and
    /// concurrent registrations never block each other. On a Galera node, its
    /// reads wait for the writes the cluster committed before them
    /// (`wsrep_sync_wait`): a client's next request may reach another node than
    /// the one that answered its last (a new system token, an activation), and
    /// must find what that answer wrote; and the login claim slots exist
    /// ([`crate::rmt::login_claims`]).
    pub fn pool_options(&self) -> MySqlPoolOptions {
        MySqlPoolOptions::new().max_connections(self.pool.max(1)).acquire_timeout(self.timeout).after_connect(
            |conn, _meta| {
                Box::pin(async move {
                    conn.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')").await?;
                    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED").await?;
                    // Read where every server has it (a build without wsrep has no @@wsrep_on).
                    let wsrep: Option<(String,)> = sqlx::query_as(
                        "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME = 'WSREP_ON'",
                    )
                    .fetch_optional(&mut *conn)
                    .await?;
                    if wsrep.is_some_and(|(on,)| on.eq_ignore_ascii_case("ON")) {
                        conn.execute(format!("SET SESSION wsrep_sync_wait = {GALERA_SYNC_WAIT}").as_str()).await?;
                        crate::rmt::login_claims::enable(conn).await;
                    }
                    Ok(())
                })
            },
        )
    }
}

/// `wsrep_sync_wait` on a Galera node: reads (SELECT, SHOW, BEGIN) wait
/// until the node has applied what the cluster committed before them.
pub const GALERA_SYNC_WAIT: u8 = 1;

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("socket", &self.socket)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[FILTERED]"))
            .field("database", &self.database)
            .field("encoding", &self.encoding)
            .field("pool", &self.pool)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("patience", &self.patience)
            .field("shed_announces", &self.shed_announces)
            .field("health_when_saturated", &self.health_when_saturated)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_and_no_host_mean_the_socket() {
        let mut c = DatabaseConfig::new("rmt");
        assert!(c.uses_socket());
        c.host = Some("localhost".into());
        assert!(c.uses_socket());
        c.host = Some("127.0.0.1".into());
        assert!(!c.uses_socket());
    }

    #[test]
    fn a_local_server_without_any_socket_to_find_is_refused_when_configured() {
        let missing = ["/nonexistent/rmt-rs/mysql.sock"];
        let mut c = DatabaseConfig::new("rmt");
        c.host = Some("localhost".into());
        if std::env::var_os("MYSQL_UNIX_PORT").is_none() {
            let refused = c.validate_among(&missing).unwrap_err();
            assert!(refused.starts_with("no MariaDB socket") && refused.contains(missing[0]), "{refused}");
        }
        // The first candidate that exists is the one libmariadb would use.
        let here = std::env::temp_dir();
        let found = [missing[0], here.to_str().unwrap()];
        if std::env::var_os("MYSQL_UNIX_PORT").is_none() {
            assert_eq!(c.socket_among(&found).as_deref(), here.to_str());
        }
        c.socket = Some("/configured.sock".into());
        assert_eq!(c.socket_among(&missing).as_deref(), Some("/configured.sock"));
    }

    #[test]
    fn a_configured_socket_wins_and_tcp_needs_none() {
        let mut c = DatabaseConfig::new("rmt");
        c.socket = Some("/somewhere/mysql.sock".into());
        assert_eq!(c.socket_path().as_deref(), Some("/somewhere/mysql.sock"));
        assert!(c.validate().is_ok());
        c.host = Some("db.example.com".into());
        c.socket = None;
        assert!(c.validate().is_ok(), "TCP needs no socket");
    }

    #[test]
    fn only_utf8_encodings_are_accepted() {
        let mut c = DatabaseConfig::new("rmt");
        c.host = Some("db".into());
        for ok in ["utf8", "utf8mb3", "utf8mb4"] {
            c.encoding = ok.into();
            assert!(c.validate().is_ok(), "{ok}");
        }
        c.encoding = "latin1".into();
        assert!(c.validate().unwrap_err().contains("latin1"));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let mut c = DatabaseConfig::new("rmt");
        c.password = Some("s3cret-pass".into());
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret-pass"), "{shown}");
        assert!(shown.contains("[FILTERED]"));
    }
}
