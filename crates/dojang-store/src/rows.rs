//! Small helpers the center's tables share: times as unix seconds, constraint violations by
//! name, and the one connection type that both [`Store`](crate::Store) reads and [`Tx`](crate::Tx)
//! reads go through.

use sqlx::SqliteConnection;
use time::OffsetDateTime;

use crate::error::StoreError;

pub(crate) type Conn = SqliteConnection;

pub(crate) fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn time_of(s: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(s).map_err(|_| StoreError::Corrupt(format!("time {s}")))
}

pub(crate) fn opt_time(s: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    s.map(time_of).transpose()
}

/// The `table.column` SQLite names in a UNIQUE violation, if `e` is one.
pub(crate) fn unique_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Some(d.message().to_string()),
        _ => None,
    }
}

/// A count from SQLite (never negative) as the `u32` callers compare with limits.
pub(crate) fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}
