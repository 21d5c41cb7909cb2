//! Database settings, with the keys and meanings of RMT's `database:` section
//! (`/etc/rmt.conf`, mysql2 conventions).

use std::fmt;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::Executor;

/// Where mysql2 (libmariadb) looks for the server when the host is `localhost`
/// and no socket is configured, on SUSE and Debian alike.
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";

#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// `None` or `localhost` means the local socket, as mysql2 treats it.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database: String,
    /// Connections per process (RMT's `pool`, default 5).
    pub pool: u32,
    /// How long a caller waits for a connection, including connecting (RMT's
    /// `timeout`, given in milliseconds there; default 5 s).
    pub timeout: Duration,
    /// The longest a call may take, waiting included, before it is abandoned
    /// (rolled back) with a 503: well under SUSEConnect's 60 s, so a client
    /// always hears back. Default 30 s.
    pub deadline: Duration,
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
            pool: 5,
            timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
        }
    }

    /// True when the connection goes through the Unix socket.
    pub fn uses_socket(&self) -> bool {
        matches!(self.host.as_deref(), None | Some("") | Some("localhost"))
    }

    pub fn connect_options(&self) -> MySqlConnectOptions {
        let mut options = MySqlConnectOptions::new()
            .username(self.username.as_deref().unwrap_or("root"))
            .database(&self.database)
            .charset("utf8mb4");
        if let Some(password) = &self.password {
            options = options.password(password);
        }
        if self.uses_socket() {
            options.socket(self.socket.as_deref().unwrap_or(DEFAULT_SOCKET))
        } else {
            options.host(self.host.as_deref().unwrap_or_default()).port(self.port.unwrap_or(3306))
        }
    }

    /// Pool settings. Every connection runs in strict mode, as Rails' mysql2
    /// adapter does (so bad values fail instead of being truncated), and at READ
    /// COMMITTED, so the login check's locking read takes no gap locks and
    /// concurrent registrations never block each other.
    pub fn pool_options(&self) -> MySqlPoolOptions {
        MySqlPoolOptions::new().max_connections(self.pool.max(1)).acquire_timeout(self.timeout).after_connect(
            |conn, _meta| {
                Box::pin(async move {
                    conn.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')").await?;
                    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED").await?;
                    Ok(())
                })
            },
        )
    }
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("socket", &self.socket)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[FILTERED]"))
            .field("database", &self.database)
            .field("pool", &self.pool)
            .field("timeout", &self.timeout)
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
    fn debug_output_hides_the_password() {
        let mut c = DatabaseConfig::new("rmt");
        c.password = Some("s3cret-pass".into());
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret-pass"), "{shown}");
        assert!(shown.contains("[FILTERED]"));
    }
}
