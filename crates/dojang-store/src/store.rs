//! The store and where it lives: one SQLite file (the embedded default) or a PostgreSQL
//! database that several `dojang serve` replicas share. Both are reached through sqlx's `Any`
//! driver, so every query is written once (`$1, $2…` placeholders, which SQLite reads too) and
//! every row is read by one mapper; only the schema files and the write lock differ.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::direct_reads::DirectReads;
use crate::error::StoreError;
use crate::group_commit::GroupCommit;
use crate::status_reads::StatusReads;

/// Which database a [`Store`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// The center's store.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// Writers waiting to share the next transaction ([`Store::in_group_commit`]).
    pub(crate) group: Arc<GroupCommit>,
    /// Status reads waiting to share the next query ([`Store::status`]).
    pub(crate) status_reads: Arc<StatusReads>,
    /// SQLite only: status reads answered on the caller's thread ([`DirectReads`]).
    pub(crate) direct: Option<Arc<DirectReads>>,
    /// SQLite only: this process's writers queue here for their turn at the write lock
    /// ([`Store::turn`]) instead of in SQLite's busy handler, which sleeps up to 100 ms a try.
    pub(crate) writers: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// What every SQLite connection is set to: WAL lets readers (OCSP) run beside the writer;
/// `synchronous=FULL` makes every commit durable before it returns, so a certificate handed out
/// is a certificate kept; a writer waits up to 10 s for another.
const SQLITE_SETUP: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
    PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;";

/// What every PostgreSQL connection is set to: a writer waits at most 10 s for the write lock
/// or a row lock (as SQLite's busy timeout), then fails instead of hanging a request.
const POSTGRES_SETUP: &str = "SET lock_timeout = '10s'";

/// Connections per process. PostgreSQL serves several replicas, each with its own pool.
const SQLITE_CONNECTIONS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 16;

impl Store {
    /// Opens the store a database URL names, applying migrations: `sqlite:PATH` (or
    /// `sqlite://PATH`) for a SQLite file, made if missing; `postgres://USER@HOST:PORT/DB` (or
    /// `postgresql://…`) for a PostgreSQL database, which must exist.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|cause| StoreError::Open { place: redact_url(url), cause })?;
                let path = opts.get_filename();
                if path.as_os_str().is_empty() || path.to_string_lossy().starts_with("file:") {
                    return Err(StoreError::DatabaseUrl(format!(
                        "{} names no file; give sqlite:/path/to/dojang.sqlite3",
                        redact_url(url)
                    )));
                }
                Store::open_sqlite(path).await
            }
            Some("postgres" | "postgresql") => Store::open_postgres(url).await,
            _ => Err(StoreError::DatabaseUrl(format!(
                "{} is neither a sqlite: nor a postgres:// URL",
                redact_url(url)
            ))),
        }
    }

    /// Opens (creating if needed) the SQLite database at `path` and applies migrations.
    pub async fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        let place = path.display().to_string();
        // The Any driver is reached by URL; an absolute path keeps the URL's first segment
        // from being read as a host.
        let absolute = std::path::absolute(path)
            .map_err(|e| StoreError::Open { place: place.clone(), cause: sqlx::Error::Io(e) })?;
        let url =
            SqliteConnectOptions::new().filename(&absolute).create_if_missing(true).to_url_lossy();
        // One connection first: a file SQLite cannot use (damaged, not a database, a disk
        // error) is refused here at once, where the pool would retry it until its timeout.
        sqlx::any::install_default_drivers();
        let probe = async {
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url.as_str()).await?;
            conn.execute(SQLITE_SETUP).await?;
            sqlx::Connection::close(conn).await
        };
        probe.await.map_err(|cause| StoreError::Open { place: place.clone(), cause })?;
        let pool = pool(url.as_str(), SQLITE_CONNECTIONS, SQLITE_SETUP, false)
            .await
            .map_err(|cause| StoreError::Open { place, cause })?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store {
            pool,
            backend: Backend::Sqlite,
            group: Arc::default(),
            status_reads: Arc::default(),
            direct: Some(Arc::new(DirectReads::new(absolute))),
            writers: Some(Arc::default()),
        })
    }

    /// Opens the PostgreSQL database at `url` and applies migrations. Several processes may
    /// do this at once: sqlx's migrator holds an advisory lock while it works.
    pub async fn open_postgres(url: &str) -> Result<Store, StoreError> {
        let pool = pool(url, POSTGRES_CONNECTIONS, POSTGRES_SETUP, true)
            .await
            .map_err(|cause| StoreError::Open { place: redact_url(url), cause })?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Store {
            pool,
            backend: Backend::Postgres,
            group: Arc::default(),
            status_reads: Arc::default(),
            direct: None,
            writers: None,
        })
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections to finish (and SQLite's WAL to checkpoint).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A pool of at most `connections`, each set up with `setup` before first use. With `ping`, a
/// connection is checked before each use: a network connection may have died while idle; a
/// SQLite file's cannot, and the check would cost a round trip to its thread per query.
async fn pool(
    url: &str,
    connections: u32,
    setup: &'static str,
    ping: bool,
) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(connections)
        .test_before_acquire(ping)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(setup).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// `url` with any password replaced by `***`, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_leave_in_a_url() {
        assert_eq!(
            redact_url("postgres://dojang:s3cret@db.bank:5432/center?sslmode=require"),
            "postgres://dojang:***@db.bank:5432/center?sslmode=require"
        );
        assert_eq!(redact_url("postgres://dojang@db/center"), "postgres://dojang@db/center");
        assert_eq!(redact_url("postgres://u:p@ss@db/x"), "postgres://u:***@db/x");
        assert_eq!(redact_url("sqlite:/var/lib/dojang.sqlite3"), "sqlite:/var/lib/dojang.sqlite3");
    }

    #[tokio::test]
    async fn a_url_of_another_kind_is_refused_with_what_to_give() {
        let err = Store::open("mysql://u:pw@h/db").await.expect_err("mysql");
        let text = err.to_string();
        assert!(text.contains("postgres://") && !text.contains("pw"), "{text}");
        let err = Store::open("sqlite::memory:").await.expect_err("memory");
        assert!(err.to_string().contains("names no file"), "{err}");
    }

    #[tokio::test]
    async fn a_file_sqlite_cannot_use_is_refused_at_once_not_after_the_pools_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("garbage.sqlite3");
        std::fs::write(&path, vec![0x5a; 8192]).expect("write");
        let started = std::time::Instant::now();
        let Err(err) = Store::open_sqlite(&path).await else { panic!("a garbage file opened") };
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert!(err.to_string().contains("not a database"), "{err}");
    }

    #[tokio::test]
    async fn a_sqlite_url_opens_the_file_it_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("도장 data?.sqlite3");
        let url = format!("sqlite:{}", path.display()).replace('?', "%3F").replace(' ', "%20");
        let s = Store::open(&url).await.expect("open");
        assert_eq!(s.backend(), Backend::Sqlite);
        assert_eq!(s.certificate_count().await.expect("count"), 0);
        s.close().await;
        assert!(path.exists(), "{}", path.display());
    }
}
