//! Copying a whole store into another, empty one: what `dojang admin backup`, `restore` and
//! `migrate` are made of.
//!
//! The tables, their columns and the order foreign keys demand are read from the source's own
//! schema, so a table a later migration adds is copied without anyone remembering to list it.
//! The source is read in one snapshot (a read transaction: SQLite's WAL snapshot, PostgreSQL's
//! `REPEATABLE READ`), so a backup taken while the center serves is consistent. The destination
//! is written in one transaction: a copy that fails half-way leaves it as empty as it was.
//!
//! Every row read is folded into a per-table [`Fingerprint`] (count and an order-free digest of
//! the rows); after the commit the destination is read back and must give the same
//! fingerprints, which is how the copy proves that every certificate, customer and audit row
//! arrived.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, Arguments, Executor, Row, Transaction};

use crate::error::StoreError;
use crate::store::{Backend, Store};

/// Tables the migrations fill with a starting row; a fresh store holds only these rows.
const SEEDED: [&str; 2] = ["status_generation", "audit_head"];

/// Parameters per `INSERT` statement (well under SQLite's 32,766 and PostgreSQL's 65,535).
const PARAMETERS_PER_INSERT: usize = 4_000;

/// What a column holds. The schemas use three types on both backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integer,
    Text,
    Bytes,
}

#[derive(Clone, Debug)]
struct Column {
    name: String,
    kind: Kind,
}

/// One table as the copy sees it.
#[derive(Clone, Debug)]
struct Table {
    name: String,
    columns: Vec<Column>,
}

/// One value of one row, as read from either backend.
enum Value {
    Null(Kind),
    Integer(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// A table's rows summed up: how many, and an order-free digest of their contents (the sum of
/// each row's SHA-256, so the same rows read in another order give the same digest).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub rows: u64,
    pub digest: u128,
}

impl Fingerprint {
    fn add(&mut self, row: &[Value]) {
        let mut h = Sha256::new();
        for v in row {
            match v {
                Value::Null(_) => h.update([0u8]),
                Value::Integer(i) => {
                    h.update([1u8]);
                    h.update(i.to_be_bytes());
                }
                Value::Text(s) => {
                    h.update([2u8]);
                    h.update((s.len() as u64).to_be_bytes());
                    h.update(s.as_bytes());
                }
                Value::Bytes(b) => {
                    h.update([3u8]);
                    h.update((b.len() as u64).to_be_bytes());
                    h.update(b);
                }
            }
        }
        let d = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&d[..16]);
        self.rows += 1;
        self.digest = self.digest.wrapping_add(u128::from_be_bytes(first));
    }
}

/// What a copy moved, table by table, in the order it copied them.
#[derive(Clone, Debug, Default)]
pub struct CopyReport {
    pub tables: Vec<(String, Fingerprint)>,
}

impl CopyReport {
    /// Rows copied in `table` (0 when it had none or is not there).
    pub fn rows(&self, table: &str) -> u64 {
        self.tables.iter().find(|(t, _)| t == table).map_or(0, |(_, f)| f.rows)
    }

    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|(_, f)| f.rows).sum()
    }
}

/// Told how a copy goes (the CLI draws progress bars with it).
pub trait CopyProgress {
    /// A table begins; `rows` is how many it holds.
    fn table(&mut self, name: &str, rows: u64);
    /// `n` more rows of the current table are written.
    fn rows(&mut self, n: u64);
}

/// For callers that want no progress.
pub struct Quiet;

impl CopyProgress for Quiet {
    fn table(&mut self, _: &str, _: u64) {}
    fn rows(&mut self, _: u64) {}
}

impl Store {
    /// Copies every row of this store into `dest`, which must hold no data (see
    /// [`Store::holds_data`]), then reads `dest` back and checks that every table arrived whole.
    pub async fn copy_into(
        &self,
        dest: &Store,
        progress: &mut dyn CopyProgress,
    ) -> Result<CopyReport, StoreError> {
        let dest_tables = {
            let mut conn = dest.pool.acquire().await?;
            let tables = read_schema(&mut conn, dest.backend).await?;
            if let Some(table) = first_table_with_data(&mut conn, &tables).await? {
                return Err(StoreError::Copy(format!(
                    "the destination already holds data (table {table} is not empty); copy into \
                     a new, empty database"
                )));
            }
            tables
        };
        let mut src = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // One snapshot for the whole read, and a promise not to write.
            src.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
        }
        let tables = read_schema(&mut src, self.backend).await?;
        let plan = plan_copy(&tables, &dest_tables)?;

        let mut out = dest.pool.begin().await?;
        for seeded in SEEDED {
            if plan.iter().any(|t| t.name == seeded) {
                out.execute(format!("DELETE FROM {seeded}").as_str()).await?;
            }
        }
        let mut report = CopyReport::default();
        for table in &plan {
            let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name))
                .fetch_one(&mut *src)
                .await?;
            progress.table(&table.name, u64::try_from(total).unwrap_or(0));
            let fingerprint = copy_table(&mut src, self.backend, &mut out, table, progress).await?;
            report.tables.push((table.name.clone(), fingerprint));
        }
        if dest.backend == Backend::Postgres {
            advance_identities(&mut out, &plan).await?;
        }
        out.commit().await?;
        src.rollback().await?;

        // Read back what was committed: the same rows, table by table.
        let mut conn = dest.pool.acquire().await?;
        for (t, (table, expected)) in plan.iter().zip(&report.tables) {
            let got = fingerprint_table(&mut conn, dest.backend, t).await?;
            if got != *expected {
                return Err(StoreError::Copy(format!(
                    "table {table} did not arrive whole ({} rows read, {} found after the copy); \
                     the destination should be discarded",
                    expected.rows, got.rows
                )));
            }
        }
        Ok(report)
    }

    /// The first table (in no particular order) holding rows beyond what a fresh store starts
    /// with, or `None` when the store is empty.
    pub async fn holds_data(&self) -> Result<Option<String>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let tables = read_schema(&mut conn, self.backend).await?;
        first_table_with_data(&mut conn, &tables).await
    }

    /// Every table's [`Fingerprint`], over the columns both backends share (SQLite's implicit
    /// row order is not a column), so a SQLite store and its PostgreSQL copy compare equal.
    pub async fn fingerprints(&self) -> Result<BTreeMap<String, Fingerprint>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let tables = read_schema(&mut conn, self.backend).await?;
        let mut out = BTreeMap::new();
        for t in tables.iter().map(|t| &t.table) {
            let shared = Table {
                name: t.name.clone(),
                columns: t.columns.iter().filter(|c| !is_order_column(&c.name)).cloned().collect(),
            };
            out.insert(t.name.clone(), fingerprint_table(&mut conn, self.backend, &shared).await?);
        }
        Ok(out)
    }
}

/// The first of `tables` holding rows beyond the migrations' seed rows.
async fn first_table_with_data(
    conn: &mut AnyConnection,
    tables: &[TableWithKeys],
) -> Result<Option<String>, StoreError> {
    for t in tables.iter().map(|t| &t.table).filter(|t| !SEEDED.contains(&t.name.as_str())) {
        let any: Option<i64> = sqlx::query_scalar(&format!("SELECT 1 FROM {} LIMIT 1", t.name))
            .fetch_optional(&mut *conn)
            .await?;
        if any.is_some() {
            return Ok(Some(t.name.clone()));
        }
    }
    Ok(None)
}

/// PostgreSQL's stand-in for SQLite's implicit rowid (accounts, challenges): the order rows
/// were made in. It is not copied from PostgreSQL to SQLite, whose rowid takes its place.
fn is_order_column(name: &str) -> bool {
    name == "rowid"
}

/// The tables to copy, in an order that satisfies every foreign key, each with the columns both
/// sides have.
fn plan_copy(source: &[TableWithKeys], dest: &[TableWithKeys]) -> Result<Vec<Table>, StoreError> {
    let mut plan = Vec::new();
    for s in order_by_keys(source)? {
        let Some(d) = dest.iter().find(|d| d.table.name == s.table.name) else {
            return Err(StoreError::Copy(format!(
                "the destination has no table {}; it was made by another version of dojang",
                s.table.name
            )));
        };
        let mut columns = Vec::new();
        for c in &s.table.columns {
            match d.table.columns.iter().find(|dc| dc.name == c.name) {
                Some(dc) if dc.kind == c.kind => columns.push(c.clone()),
                Some(_) => {
                    return Err(StoreError::Copy(format!(
                        "column {}.{} has another type in the destination",
                        s.table.name, c.name
                    )))
                }
                // PostgreSQL's order column has no SQLite twin: SQLite numbers the rows itself.
                None if is_order_column(&c.name) => {}
                None => {
                    return Err(StoreError::Copy(format!(
                        "the destination has no column {}.{}; it was made by another version of \
                         dojang",
                        s.table.name, c.name
                    )))
                }
            }
        }
        plan.push(Table { name: s.table.name.clone(), columns });
    }
    Ok(plan)
}

/// A table and the tables its foreign keys point at.
#[derive(Clone, Debug)]
struct TableWithKeys {
    table: Table,
    references: BTreeSet<String>,
}

/// Tables ordered so that every table comes after those it references.
fn order_by_keys(tables: &[TableWithKeys]) -> Result<Vec<&TableWithKeys>, StoreError> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(tables.len());
    while ordered.len() < tables.len() {
        let before = ordered.len();
        for t in tables {
            let name = t.table.name.as_str();
            if done.contains(name) {
                continue;
            }
            if t.references.iter().all(|r| r == name || done.contains(r.as_str())) {
                done.insert(name);
                ordered.push(t);
            }
        }
        if ordered.len() == before {
            return Err(StoreError::Copy(
                "the tables' foreign keys form a cycle; there is no order to copy them in".into(),
            ));
        }
    }
    Ok(ordered)
}

/// The store's tables (not the migrator's, nor a backup file's own), with their columns and
/// foreign keys, read from the schema.
async fn read_schema(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<Vec<TableWithKeys>, StoreError> {
    let (tables_sql, columns_sql, keys_sql) = match backend {
        Backend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
            "SELECT m.name, p.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) p \
             WHERE m.type = 'table'",
        ),
        Backend::Postgres => (
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            "SELECT c.relname::text, f.relname::text FROM pg_constraint k \
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid \
             WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace",
        ),
    };
    let names: Vec<String> = sqlx::query_scalar(tables_sql).fetch_all(&mut *conn).await?;
    let keys: Vec<(String, String)> = sqlx::query_as(keys_sql).fetch_all(&mut *conn).await?;
    let mut out = Vec::new();
    for name in names.into_iter().filter(|n| is_store_table(n)) {
        let cols: Vec<(String, String)> =
            sqlx::query_as(columns_sql).bind(&name).fetch_all(&mut *conn).await?;
        let mut columns = Vec::with_capacity(cols.len());
        for (column, ty) in cols {
            let kind = kind_of(&ty).ok_or_else(|| {
                StoreError::Copy(format!(
                    "column {name}.{column} has a type ({ty}) dojang does not use"
                ))
            })?;
            columns.push(Column { name: column, kind });
        }
        let references = keys.iter().filter(|(t, _)| *t == name).map(|(_, r)| r.clone()).collect();
        out.push(TableWithKeys { table: Table { name, columns }, references });
    }
    Ok(out)
}

fn is_store_table(name: &str) -> bool {
    !(name.starts_with("sqlite_") || name.starts_with("_sqlx") || name.starts_with("backup_"))
}

fn kind_of(declared: &str) -> Option<Kind> {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "smallint" | "int" => Some(Kind::Integer),
        "text" | "character varying" => Some(Kind::Text),
        "blob" | "bytea" => Some(Kind::Bytes),
        _ => None,
    }
}

/// Reads `table`'s columns in the order the rows were made: SQLite's rowid, or PostgreSQL's
/// order column where the table has one.
fn select_sql(table: &Table, backend: Backend) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let has_order_column = table.columns.iter().any(|c| is_order_column(&c.name));
    let order = match backend {
        Backend::Sqlite => " ORDER BY rowid",
        Backend::Postgres if has_order_column => " ORDER BY rowid",
        Backend::Postgres => "",
    };
    format!("SELECT {} FROM {}{order}", columns.join(", "), table.name)
}

/// One row of `table` as values of its columns' kinds.
fn read_row(row: &sqlx::any::AnyRow, table: &Table) -> Result<Vec<Value>, StoreError> {
    table.columns.iter().enumerate().map(|(i, c)| read_value(row, i, c.kind)).collect()
}

fn read_value(row: &sqlx::any::AnyRow, i: usize, kind: Kind) -> Result<Value, StoreError> {
    Ok(match kind {
        Kind::Integer => {
            row.try_get::<Option<i64>, _>(i)?.map_or(Value::Null(kind), Value::Integer)
        }
        Kind::Text => row.try_get::<Option<String>, _>(i)?.map_or(Value::Null(kind), Value::Text),
        Kind::Bytes => {
            row.try_get::<Option<Vec<u8>>, _>(i)?.map_or(Value::Null(kind), Value::Bytes)
        }
    })
}

fn bind(args: &mut AnyArguments<'static>, v: Value) -> Result<(), StoreError> {
    let added = match v {
        Value::Null(Kind::Integer) => args.add(None::<i64>),
        Value::Null(Kind::Text) => args.add(None::<String>),
        Value::Null(Kind::Bytes) => args.add(None::<Vec<u8>>),
        Value::Integer(i) => args.add(i),
        Value::Text(s) => args.add(s),
        Value::Bytes(b) => args.add(b),
    };
    added.map_err(|e| StoreError::Copy(format!("binding a value: {e}")))
}

/// Copies one table, streaming it from `src` into `out` in multi-row inserts.
async fn copy_table(
    src: &mut Transaction<'static, Any>,
    src_backend: Backend,
    out: &mut Transaction<'static, Any>,
    table: &Table,
    progress: &mut dyn CopyProgress,
) -> Result<Fingerprint, StoreError> {
    let select = select_sql(table, src_backend);
    let width = table.columns.len().max(1);
    let per_insert = (PARAMETERS_PER_INSERT / width).max(1);
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let mut fingerprint = Fingerprint::default();
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_insert);
    let mut rows = sqlx::query(&select).fetch(&mut **src);
    while let Some(row) = rows.try_next().await? {
        let values = read_row(&row, table)?;
        fingerprint.add(&values);
        batch.push(values);
        if batch.len() == per_insert {
            insert(out, &table.name, &names, std::mem::take(&mut batch)).await?;
            progress.rows(per_insert as u64);
        }
    }
    drop(rows);
    let left = batch.len() as u64;
    if left > 0 {
        insert(out, &table.name, &names, batch).await?;
        progress.rows(left);
    }
    Ok(fingerprint)
}

async fn insert(
    out: &mut Transaction<'static, Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), StoreError> {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut args = AnyArguments::default();
    let mut n = 0usize;
    for (r, row) in rows.into_iter().enumerate() {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (i, v) in row.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push_str(&format!("${n}"));
            bind(&mut args, v)?;
        }
        sql.push(')');
    }
    sqlx::query_with(&sql, args).execute(&mut **out).await?;
    Ok(())
}

/// The same fold [`copy_table`] makes, over a table as it now is.
async fn fingerprint_table(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &Table,
) -> Result<Fingerprint, StoreError> {
    let select = select_sql(table, backend);
    let mut fingerprint = Fingerprint::default();
    let mut rows = sqlx::query(&select).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        fingerprint.add(&read_row(&row, table)?);
    }
    Ok(fingerprint)
}

/// PostgreSQL identity columns count on from the largest value copied, so the next row made by
/// the center does not collide with a copied one.
async fn advance_identities(
    out: &mut Transaction<'static, Any>,
    plan: &[Table],
) -> Result<(), StoreError> {
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&mut **out)
    .await?;
    for (table, column) in identities {
        if !plan.iter().any(|t| t.name == table) {
            continue;
        }
        // setval(…, max + 1, false): the next value handed out is max + 1 (or 1 when empty).
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
             COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
        ))
        .execute(&mut **out)
        .await?;
    }
    Ok(())
}
