//! The one error type of the core. Each kind maps to the HTTP status RMT answers
//! with; messages are safe to show to clients (no SQL, no credentials).

use std::fmt;

use sqlx::mysql::MySqlDatabaseError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The request cannot be stored as sent: 422, RMT's status for bad input.
    InvalidInput(String),
    /// Unknown system credentials: 401.
    Unauthorized(String),
    /// No database connection could be had in time, or the database is down or
    /// overloaded: 503, so clients and load balancers know to come back. The
    /// cause is for operators' counters (`crate::stats`), never shown.
    Unavailable(Cause, String),
    /// MariaDB aborted the transaction to break a deadlock: safe to retry whole.
    Deadlock,
    /// The caller gave up (`Thread#kill`, `Timeout`); nothing was committed.
    Interrupted,
    /// Anything else: 500.
    Internal(String),
}

impl Error {
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidInput(_) => 422,
            Error::Unauthorized(_) => 401,
            Error::Unavailable(..) => 503,
            Error::Deadlock | Error::Interrupted => 503,
            Error::Internal(_) => 500,
        }
    }

    /// Why a call ended in a 503, for the counters; `None` for any other end
    /// (an interrupt is the caller's doing, not the database's).
    pub fn cause(&self) -> Option<Cause> {
        match self {
            Error::Unavailable(cause, _) => Some(*cause),
            Error::Deadlock => Some(Cause::Deadlock),
            _ => None,
        }
    }

    /// The MariaDB error number behind a database error, if any.
    pub fn mariadb_code(err: &sqlx::Error) -> Option<u16> {
        err.as_database_error()
            .and_then(|db| db.try_downcast_ref::<MySqlDatabaseError>())
            .map(MySqlDatabaseError::number)
    }

    /// The error for MariaDB's error `number` with its `message`.
    fn from_mariadb(number: u16, message: &str) -> Error {
        match number {
            code::INCORRECT_STRING_VALUE => {
                Error::InvalidInput(format!("Incorrect string value for {}", column_of(message)))
            }
            code::DATA_TOO_LONG | code::DATA_TRUNCATED => {
                Error::InvalidInput(format!("Value too long for {}", column_of(message)))
            }
            code::NO_REFERENCED_ROW => Error::InvalidInput(NO_LONGER_EXISTS.into()),
            code::DEADLOCK => Error::Deadlock,
            code::LOCK_WAIT_TIMEOUT => Error::busy(Cause::LockWait, number),
            code::TOO_MANY_CONNECTIONS | code::USER_CONNECTION_LIMIT => Error::busy(Cause::Connections, number),
            number if code::connection_lost(number) => Error::Unavailable(
                Cause::ServerGone,
                format!("The database connection was lost (error {number}); try again later"),
            ),
            // The server's text can quote stored values (credentials among
            // them), so only the number goes out.
            _ => Error::Internal(format!("Database error {number}")),
        }
    }

    fn busy(cause: Cause, number: u16) -> Error {
        Error::Unavailable(cause, format!("The database is busy (error {number}); try again later"))
    }
}

/// Why a call was answered 503, as operators tell causes apart: each wants
/// another remedy (a longer deadline, a bigger pool, a shorter transaction
/// elsewhere, MariaDB's `max_connections`, the server itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The call passed its `deadline`.
    Deadline,
    /// No pooled connection became free (or could be opened) within `timeout`.
    PoolTimeout,
    /// A row lock was waited on past `innodb_lock_wait_timeout` (1205).
    LockWait,
    /// Still a deadlock victim after every retry.
    Deadlock,
    /// The server is out of connections (1040, 1226).
    Connections,
    /// The server is away or dropped the connection.
    ServerGone,
    /// The request had waited longer than its client waits (`patience`)
    /// before RmtRs could take it: refused before anything ran.
    Patience,
    /// A new announce refused while this worker is saturated
    /// (`shed_announces`), so that the registrations under way finish.
    Shed,
    /// The request's connection was closed before RmtRs wrote anything (its
    /// client gave up, and nginx with it): nothing run, or rolled back
    /// before COMMIT. The answer is never read.
    ClientGone,
}

impl Cause {
    pub const ALL: [Cause; 9] = [
        Cause::Deadline,
        Cause::PoolTimeout,
        Cause::LockWait,
        Cause::Deadlock,
        Cause::Connections,
        Cause::ServerGone,
        Cause::Patience,
        Cause::Shed,
        Cause::ClientGone,
    ];

    /// The name in metrics' labels.
    pub fn label(self) -> &'static str {
        match self {
            Cause::Deadline => "deadline",
            Cause::PoolTimeout => "pool_timeout",
            Cause::LockWait => "lock_wait",
            Cause::Deadlock => "deadlock",
            Cause::Connections => "connections",
            Cause::ServerGone => "server_gone",
            Cause::Patience => "patience",
            Cause::Shed => "shed",
            Cause::ClientGone => "client_gone",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(msg) | Error::Unauthorized(msg) | Error::Unavailable(_, msg) | Error::Internal(msg) => {
                f.write_str(msg)
            }
            Error::Deadlock => f.write_str("The database is busy (deadlock); try again later"),
            Error::Interrupted => f.write_str("The request was interrupted before it completed"),
        }
    }
}

impl std::error::Error for Error {}

/// MariaDB error numbers the registration path reacts to.
pub mod code {
    pub const DUPLICATE_KEY: u16 = 1062;
    pub const SERVER_SHUTDOWN: u16 = 1053;
    pub const CONNECTION_KILLED: u16 = 1927;
    pub const NO_REFERENCED_ROW: u16 = 1452;
    pub const LOCK_WAIT_TIMEOUT: u16 = 1205;
    pub const DEADLOCK: u16 = 1213;
    pub const TOO_MANY_CONNECTIONS: u16 = 1040;
    pub const USER_CONNECTION_LIMIT: u16 = 1226;
    pub const DATA_TRUNCATED: u16 = 1265;
    pub const INCORRECT_STRING_VALUE: u16 = 1366;
    pub const DATA_TOO_LONG: u16 = 1406;

    /// The server is going away or has dropped this connection: its answer
    /// says nothing about the request itself.
    pub fn connection_lost(number: u16) -> bool {
        matches!(number, SERVER_SHUTDOWN | CONNECTION_KILLED)
    }
}

/// RMT's products controller answers a write that refers to a row deleted
/// meanwhile (`ActiveRecord::InvalidForeignKey`, MariaDB error 1452: the system
/// deregistered while its request ran) with 422 and this text.
pub const NO_LONGER_EXISTS: &str = "The system is not valid or no longer exists";

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Error {
        use sqlx::Error as E;
        match &err {
            E::PoolTimedOut => Error::Unavailable(
                Cause::PoolTimeout,
                "No database connection became free in time; try again later".into(),
            ),
            E::Io(_) | E::Tls(_) | E::PoolClosed | E::WorkerCrashed => {
                Error::Unavailable(Cause::ServerGone, "The database is unavailable; try again later".into())
            }
            E::Database(db) => Error::from_mariadb(Error::mariadb_code(&err).unwrap_or(0), db.message()),
            // Column names are schema, not data: safe to name.
            E::ColumnDecode { index, .. } => {
                Error::Internal(format!("Database result could not be read (column {index})"))
            }
            E::ColumnNotFound(column) => Error::Internal(format!("Database result has no column {column}")),
            E::ColumnIndexOutOfBounds { .. } | E::TypeNotFound { .. } => {
                Error::Internal("Database result could not be read".into())
            }
            _ => Error::Internal("Database client error".into()),
        }
    }
}

/// `table.column` from MariaDB's "... for column `db`.`table`.`column` at row 1".
fn column_of(message: &str) -> String {
    let Some((_, rest)) = message.split_once("for column ") else {
        return "a column".into();
    };
    let spec = rest.split(" at row").next().unwrap_or(rest);
    let parts: Vec<&str> = spec.split('.').map(|p| p.trim_matches(['`', '\''])).collect();
    parts[parts.len().saturating_sub(2)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_column_without_the_database() {
        let msg = "Incorrect string value: '\\xF0\\x9F\\x98\\x80' for column `rmt`.`systems`.`hostname` at row 1";
        assert_eq!(column_of(msg), "systems.hostname");
        assert_eq!(column_of("Data too long for column 'hostname' at row 1"), "hostname");
        assert_eq!(column_of("something else"), "a column");
    }

    #[test]
    fn statuses() {
        assert_eq!(Error::InvalidInput(String::new()).status(), 422);
        assert_eq!(Error::Unavailable(Cause::Deadline, String::new()).status(), 503);
        assert_eq!(Error::Internal(String::new()).status(), 500);
        assert_eq!(Error::from(sqlx::Error::PoolTimedOut).status(), 503);
    }

    #[test]
    fn mariadb_errors_map_to_rmts_answers() {
        let status = |number| Error::from_mariadb(number, "").status();
        assert_eq!(Error::from_mariadb(1213, ""), Error::Deadlock);
        for busy in [1205, 1040, 1226] {
            assert_eq!(status(busy), 503, "{busy}");
        }
        // Server shutdown, connection killed: the server went away, not the request.
        assert_eq!(status(1053), 503);
        assert_eq!(status(1927), 503);
        let cause = |number| Error::from_mariadb(number, "").cause();
        assert_eq!(cause(1205), Some(Cause::LockWait));
        assert_eq!(cause(1040), Some(Cause::Connections));
        assert_eq!(cause(1927), Some(Cause::ServerGone));
        assert_eq!(cause(1213), Some(Cause::Deadlock));
        assert_eq!(Error::from(sqlx::Error::PoolTimedOut).cause(), Some(Cause::PoolTimeout));
        assert_eq!(Error::Interrupted.cause(), None);
        assert_eq!(
            Error::from_mariadb(1452, "a message quoting `systems`"),
            Error::InvalidInput(NO_LONGER_EXISTS.into())
        );
        assert_eq!(Error::from_mariadb(1406, "Data too long for column 'hostname' at row 1").status(), 422);
        assert_eq!(Error::from_mariadb(1054, "secret"), Error::Internal("Database error 1054".into()));
    }
}
