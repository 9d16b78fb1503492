//! Small helpers the center's tables share: times as unix seconds, constraint violations by
//! name, and the one connection type that both [`Store`](crate::Store) reads and [`Tx`](crate::Tx)
//! reads go through.

use time::OffsetDateTime;

use crate::error::StoreError;
use crate::store::Backend;

/// A connection of either backend (a pooled one, or a transaction's).
pub(crate) type Conn = sqlx::AnyConnection;

/// A value a row's column can hold, read the same from either kind of row.
pub(crate) trait Value:
    for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + rusqlite::types::FromSql
{
}

impl<T> Value for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + rusqlite::types::FromSql
{
}

/// A row the store reads: sqlx's (either backend, through the pool or a [`Tx`](crate::Tx)) or
/// rusqlite's (SQLite read on the caller's thread, [`DirectReads`](crate::direct_reads)). A
/// table's row is mapped once, over this, whichever path read it.
pub(crate) trait Columns {
    fn get<T: Value>(&self, column: &str) -> Result<T, StoreError>;
}

impl Columns for sqlx::any::AnyRow {
    fn get<T: Value>(&self, column: &str) -> Result<T, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn get<T: Value>(&self, column: &str) -> Result<T, StoreError> {
        self.get(column).map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
    }
}

pub(crate) fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn time_of(s: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(s).map_err(|_| StoreError::Corrupt(format!("time {s}")))
}

/// The VALUES list of a multi-row statement, `rows` rows of `arity` parameters, written the way
/// `backend` reads them best: `($1, …, $arity), ($arity+1, …), …` for PostgreSQL; for SQLite
/// anonymous `(?, …), …`, bound in order — SQLite looks a numbered parameter up by walking the
/// list of those named before it, both when it parses the statement and when each value is
/// bound, so hundreds of `$n` cost a walk of hundreds each.
pub(crate) fn values_list(backend: Backend, arity: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(rows * arity * 6);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for i in 0..arity {
            if i > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * arity + i + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// `items` in pieces whose lengths are powers of two, largest first, none longer than `max` (a
/// power of two), for multi-row statements: each length's statement is parsed once and kept
/// in the connection's statement cache, where a statement for every count of rows would be
/// parsed anew (hundreds of parameters) and push the others out of the cache.
pub(crate) fn pieces<T>(mut items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let len = items.len().checked_ilog2().map(|log| max.min(1 << log))?;
        let (piece, rest) = items.split_at(len);
        items = rest;
        Some(piece)
    })
}

pub(crate) fn opt_time(s: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    s.map(time_of).transpose()
}

/// A UNIQUE or primary-key violation, and what it was on. The two backends say it differently:
/// SQLite's message names `table.column`; PostgreSQL names the constraint, which the schema
/// calls `<table>_<column>_key`. Neither is matched as English text.
pub(crate) struct UniqueViolation {
    /// SQLite: the `table.column` list after "UNIQUE constraint failed: ".
    columns: Option<String>,
    /// PostgreSQL: the constraint's name.
    constraint: Option<String>,
}

impl UniqueViolation {
    /// Whether it was the unique key on `table.column`.
    pub(crate) fn is_on(&self, table: &str, column: &str) -> bool {
        if let Some(name) = &self.constraint {
            return *name == format!("{table}_{column}_key");
        }
        let wanted = format!("{table}.{column}");
        self.columns.as_deref().is_some_and(|list| list.split(", ").any(|c| c == wanted))
    }
}

/// The unique violation `e` is, if it is one.
pub(crate) fn unique_violation(e: &sqlx::Error) -> Option<UniqueViolation> {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Some(UniqueViolation {
            columns: d.message().rsplit_once(": ").map(|(_, list)| list.to_string()),
            constraint: d.constraint().map(str::to_string),
        }),
        _ => None,
    }
}

/// A count from the database (never negative) as the `u32` callers compare with limits.
pub(crate) fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_powers_of_two_largest_first() {
        let items: Vec<usize> = (0..300).collect();
        let lengths: Vec<usize> = pieces(&items, 128).map(<[usize]>::len).collect();
        assert_eq!(lengths, [128, 128, 32, 8, 4]);
        let again: Vec<usize> = pieces(&items, 128).flatten().copied().collect();
        assert_eq!(again, items, "every item once, in order");
        assert_eq!(pieces(&items[..0], 128).count(), 0);
        assert_eq!(pieces(&items[..1], 128).map(<[usize]>::len).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn values_lists_number_for_postgres_and_not_for_sqlite() {
        assert_eq!(values_list(Backend::Postgres, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(values_list(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
