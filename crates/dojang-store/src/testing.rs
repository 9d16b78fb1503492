//! Stores for tests, on both backends: the storage tests run once on SQLite and once on
//! PostgreSQL ([`store_test!`](crate::store_test)).
//!
//! PostgreSQL is the server `DOJANG_TEST_POSTGRES_URL` names (a superuser's URL: each test gets
//! a database of its own, made fresh and dropped after). `scripts/postgres run -- CMD` starts a
//! throwaway server and sets it; `scripts/test` runs the suite that way. Under `CI=true` a
//! missing URL fails the PostgreSQL tests; elsewhere they are skipped with a notice.
//!
//! Compiled for this crate's own tests, and for other crates' tests with the `testing` feature.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::ops::Deref;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use sqlx::{Connection, Executor};

use crate::store::Store;

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "DOJANG_TEST_POSTGRES_URL";

/// The test server's URL; `None` (after a notice) when it is not set outside CI.
///
/// # Panics
/// Under `CI=true` when it is not set: CI must test both backends.
pub fn postgres_url() -> Option<String> {
    if let Some(url) = std::env::var(POSTGRES_URL_VAR).ok().filter(|u| !u.is_empty()) {
        return Some(url);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{POSTGRES_URL_VAR} is not set, and CI=true requires the PostgreSQL tests: run the \
             suite through scripts/test (scripts/postgres starts a throwaway server)"
        );
    }
    static NOTICE: Once = Once::new();
    NOTICE.call_once(|| {
        // Straight to stderr: the test harness does not capture this, so it is seen.
        let _ = writeln!(
            std::io::stderr(),
            "note: PostgreSQL store tests skipped ({POSTGRES_URL_VAR} is not set; \
             `scripts/postgres run -- cargo test …` sets it)"
        );
    });
    None
}

/// A fresh, empty PostgreSQL database on the test server; dropped (connections and all) when
/// this is dropped.
pub struct TestDatabase {
    server_url: String,
    name: String,
    /// The database's own URL, for [`Store::open`] or `dojang --database-url`.
    pub url: String,
}

impl TestDatabase {
    /// Makes one, or `None` when no test server is configured (see [`postgres_url`]). Blocks:
    /// callable from synchronous tests and async ones alike.
    pub fn create() -> Option<TestDatabase> {
        let server_url = postgres_url()?;
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "dojang_test_{}_{}_{nanos:x}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let sql = format!("CREATE DATABASE \"{name}\"");
        on_server(&server_url, sql);
        let url = with_database(&server_url, &name);
        Some(TestDatabase { server_url, name, url })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        on_server(&self.server_url, sql);
    }
}

/// Runs one statement on the server's maintenance database, on a thread of its own (so that
/// it works inside and outside a runtime, and in `Drop`).
fn on_server(server_url: &str, sql: String) {
    let url = server_url.to_string();
    let ran = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            conn.execute(sql.as_str()).await?;
            conn.close().await
        })
        .map_err(std::io::Error::other)
    })
    .join();
    match ran {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("on the test PostgreSQL server ({POSTGRES_URL_VAR}): {e}"),
        Err(_) => panic!("on the test PostgreSQL server: the helper thread panicked"),
    }
}

/// `server_url` with its database replaced by `name` (query parameters kept).
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[authority_start..].find('/').map(|i| authority_start + i);
    let host = &base[..host_end.unwrap_or(base.len())];
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

/// A store for one test; what holds it (a temporary directory, a test database) goes with it.
pub struct TestStore {
    store: Store,
    _place: Place,
}

enum Place {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Database(#[allow(dead_code)] TestDatabase),
}

impl Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// A new SQLite store in a temporary directory.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_sqlite(&dir.path().join("dojang.sqlite3")).await.expect("open SQLite");
    TestStore { store, _place: Place::Dir(dir) }
}

/// A new PostgreSQL store in a database of its own; `None` when no test server is configured
/// (see [`postgres_url`]).
pub async fn postgres() -> Option<TestStore> {
    let db = TestDatabase::create()?;
    let store = Store::open_postgres(&db.url).await.expect("open PostgreSQL");
    Some(TestStore { store, _place: Place::Database(db) })
}

/// A fixed moment for tests (2027-01-15).
pub fn t0() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
}

/// A person to enrol in a test: `banking_id`, and an RRN lookup hash of `lookup` bytes.
pub fn person(banking_id: &str, lookup: u8) -> crate::NewCustomer {
    crate::NewCustomer {
        kind: crate::CustomerKind::Person,
        name: "홍길동".into(),
        rrn_lookup: Some([lookup; 32]),
        rrn_sealed: Some(vec![1, 2, 3]),
        business_number: None,
        phone: "010-1234-5678".into(),
        email: "hong@example.com".into(),
        address: "서울".into(),
        banking_id: banking_id.into(),
        banking_password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

/// A certificate to store in a test: `serial`, issued at `now` for two years, to no customer.
pub fn certificate(
    serial: &dojang_pki::Serial,
    now: time::OffsetDateTime,
) -> crate::NewCertificate {
    crate::NewCertificate {
        serial: serial.clone(),
        product: "personal-bank".into(),
        subject: "cn=홍길동()0011234567890123".into(),
        not_before: now,
        not_after: now + time::Duration::days(730),
        issued_at: now,
        der: vec![0x30, 0x00],
        customer_id: None,
    }
}

/// Defines a storage test that runs on both backends, as `<name>::sqlite` and
/// `<name>::postgres`; the body sees the store as `&Store` under the name given.
///
/// ```text
/// store_test!(async fn revocations_are_seen_at_once(s) {
///     assert_eq!(s.status_generation().await.unwrap(), 0);
/// });
/// ```
#[macro_export]
macro_rules! store_test {
    ($(#[$attr:meta])* async fn $name:ident($store:ident) $body:block) => {
        $(#[$attr])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[::tokio::test]
            async fn sqlite() {
                let held = $crate::testing::sqlite().await;
                let $store: &$crate::Store = &held;
                $body
            }

            #[::tokio::test]
            async fn postgres() {
                let Some(held) = $crate::testing::postgres().await else { return };
                let $store: &$crate::Store = &held;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_database_url_keeps_the_server_and_its_parameters() {
        assert_eq!(
            with_database("postgres://dojang@127.0.0.1:5433/postgres", "t1"),
            "postgres://dojang@127.0.0.1:5433/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1/postgres?sslmode=disable", "t2"),
            "postgres://u:p@h:1/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:1", "t3"), "postgres://u@h:1/t3");
    }
}
