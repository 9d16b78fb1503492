//! Reads on SQLite straight from the caller's thread: certificate status (OCSP), and the flow
//! and customer every flow step starts with. Through sqlx every query is a
//! round trip to the connection's own worker thread: a channel send, a wake-up, a reply and
//! another wake-up — for OCSP, where the lookup itself is one primary-key probe of a few
//! microseconds, those hand-offs were most of the server's time (perf: futex waits and
//! wake-ups in flume, task switching). Here a read-only connection answers in place.
//!
//! Freshness is SQLite's own: outside a transaction every statement starts a read snapshot
//! that holds every transaction committed before it, by any connection or process (WAL), so a
//! revocation committed before the request arrived is in its answer.
//!
//! Starting that snapshot (locks on the `-shm`, several system calls) then cost more than the
//! lookup, so answers are also kept under the database's change stamp ([`WalStamp`]): while
//! nothing at all has been committed since an answer was read, the same question gets it
//! again. The stamp is read *before* the query, so an answer is never kept under a stamp
//! newer than what it saw; any commit, by anyone, changes the stamp and empties what was kept.
//!
//! Whenever this path cannot answer — the file cannot be opened read-only, the database is
//! busy in recovery, any other error — the caller falls back to the pool ([`Store::status`]),
//! which waits and reports properly; the fast path never turns a good answer into an error.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::certificates::status_of;
use crate::error::StoreError;
use crate::record::StatusOf;
use crate::wal_stamp::{Stamp, WalStamp};

const STATUS_SQL: &str = "SELECT revoked_at, revocation_reason FROM certificates WHERE serial = ?1";

/// At most this many answers are kept; a full set is emptied (a new stamp empties it anyway).
const MAX_KEPT: usize = 65_536;

/// Read-only connections to one SQLite file, each used by one caller at a time.
pub(crate) struct DirectReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Attached at the first read, so stores that never answer OCSP (the CLI's, backups) hold
    /// no extra connection; `None` inside when the database offers no stamp.
    stamp: OnceLock<Option<WalStamp>>,
    kept: Mutex<Kept>,
}

impl std::fmt::Debug for DirectReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReads").field("path", &self.path).finish_non_exhaustive()
    }
}

impl DirectReads {
    pub(crate) fn new(path: PathBuf) -> DirectReads {
        DirectReads { path, idle: Mutex::default(), stamp: OnceLock::new(), kept: Mutex::default() }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The database's change stamp now; `None` when there is none to trust.
    fn stamp(&self) -> Option<Stamp> {
        let stamp = self.stamp.get_or_init(|| match WalStamp::open(&self.path) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::info!(error = %e, "status reads are not kept between commits");
                None
            }
        });
        stamp.as_ref().and_then(WalStamp::read)
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Never wait on the caller's thread: a busy database goes to the pool, which may.
        conn.busy_timeout(std::time::Duration::ZERO)?;
        Ok(conn)
    }

    /// The status of the certificate whose serial is `hex`, or `None` when this path could not
    /// read it (the caller asks the pool instead).
    pub(crate) fn status(&self, hex: &str) -> Option<StatusOf> {
        // Before the query: what it reads is at least what this stamp stands for.
        let stamp = self.stamp();
        if let Some(stamp) = &stamp {
            if let Some(status) = self.kept().get(stamp, hex) {
                return Some(status);
            }
        }
        let status = self.read_sqlite(hex)?;
        if let Some(stamp) = stamp {
            self.kept().keep(stamp, hex, status);
        }
        Some(status)
    }

    fn read_sqlite(&self, hex: &str) -> Option<StatusOf> {
        match self.with_connection(|conn| read(conn, hex))? {
            None => Some(StatusOf::Unknown),
            // A revocation that does not read back is reported by the pool's read, as corrupt.
            Some((at, reason)) => status_of(at, reason).ok(),
        }
    }

    /// The row `sql` finds with `params` (at most one: a lookup by key), mapped by `map`;
    /// `None` when this path could not read it or `map` refused it (the caller asks the pool
    /// instead, which reports the error properly). Nothing is kept: every call reads.
    pub(crate) fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, StoreError>,
    ) -> Option<Option<T>> {
        let found = self.with_connection(|conn| {
            let mut statement = conn.prepare_cached(sql)?;
            let mut rows = statement.query(params)?;
            Ok(rows.next()?.map(map))
        })?;
        match found {
            None => Some(None),
            Some(Ok(value)) => Some(Some(value)),
            Some(Err(e)) => {
                tracing::debug!(error = %e, "a direct read could not be mapped; using the pool");
                None
            }
        }
    }

    /// Runs `read` on an idle read-only connection (opening one if none is idle); `None` when
    /// that failed.
    fn with_connection<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        let taken = self.idle().pop();
        let conn = match taken {
            Some(c) => c,
            None => match self.connect() {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(error = %e, "direct read unavailable; using the pool");
                    return None;
                }
            },
        };
        let value = match read(&conn) {
            Ok(value) => value,
            // A connection that failed is dropped, not reused: the next read opens afresh.
            Err(e) => {
                tracing::debug!(error = %e, "direct read failed; using the pool");
                return None;
            }
        };
        self.idle().push(conn);
        Some(value)
    }
}

/// Answers read from SQLite, all under one stamp.
#[derive(Default)]
struct Kept {
    stamp: Option<Stamp>,
    by_serial: HashMap<String, StatusOf>,
}

impl Kept {
    /// The answer kept for `hex` if the database is as it was when it was read (`now` is the
    /// stamp this request read). Another stamp starts afresh under `now`.
    fn get(&mut self, now: &Stamp, hex: &str) -> Option<StatusOf> {
        if self.stamp.as_ref() != Some(now) {
            self.by_serial.clear();
            self.stamp = Some(*now);
            return None;
        }
        self.by_serial.get(hex).copied()
    }

    /// Keeps `status`, read after `stamp` was, unless another stamp has been seen since (the
    /// answer may be older than it).
    fn keep(&mut self, stamp: Stamp, hex: &str, status: StatusOf) {
        if self.stamp != Some(stamp) {
            return;
        }
        if self.by_serial.len() >= MAX_KEPT {
            self.by_serial.clear();
        }
        self.by_serial.insert(hex.to_owned(), status);
    }
}

/// The revocation columns (time, reason) of the certificate with serial `hex`, if there is one.
fn read(conn: &Connection, hex: &str) -> rusqlite::Result<Option<(Option<i64>, Option<i64>)>> {
    conn.prepare_cached(STATUS_SQL)?.query_row([hex], |r| Ok((r.get(0)?, r.get(1)?))).optional()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use dojang_pki::{RevocationReason, Serial};
    use proptest::prelude::*;

    use super::*;
    use crate::record::Revocation;
    use crate::testing::{certificate, t0};
    use crate::Store;

    fn reads(s: &Store) -> &DirectReads {
        s.direct.as_ref().expect("a SQLite store reads directly")
    }

    fn serial(hex: &str) -> Serial {
        hex.parse().expect("serial")
    }

    async fn open(path: &Path) -> Store {
        Store::open_sqlite(path).await.expect("open SQLite")
    }

    // The direct path itself (not the pool behind it) answers, and sees what another
    // connection committed: issued, then revoked, then a serial never issued.
    #[tokio::test]
    async fn a_direct_read_sees_every_commit_made_before_it() {
        let s = crate::testing::sqlite().await;
        let reads = reads(&s);
        let c = certificate(&serial("0A11"), t0());
        s.insert_certificate(&c).await.expect("insert");
        assert_eq!(reads.status(&c.serial.to_hex()), Some(StatusOf::Good));
        s.revoke(&c.serial, RevocationReason::KeyCompromise, t0()).await.expect("revoke");
        let revoked = Revocation { at: t0(), reason: RevocationReason::KeyCompromise };
        assert_eq!(reads.status(&c.serial.to_hex()), Some(StatusOf::Revoked(revoked)));
        assert_eq!(reads.status("0B22"), Some(StatusOf::Unknown));
        // The connection went back for the next caller instead of a new one each time.
        assert_eq!(reads.idle().len(), 1);
    }

    // A flow read in place sees each step another connection committed, and maps as the pool's
    // read does; a row the mapper refuses gives way to the pool (`None`), not a wrong answer.
    #[tokio::test]
    async fn a_flow_read_in_place_sees_its_last_step() {
        let s = crate::testing::sqlite().await;
        let reads = reads(&s);
        let id = "0123456789abcdef0123456789abcdef";
        let later = t0() + time::Duration::minutes(10);
        s.create_flow(id, "issue", "{}", t0(), later).await.expect("create");
        assert!(s.advance_flow(id, 1, "{\"step\":2}", None, t0(), later).await.expect("step"));
        let sql = "SELECT id, kind, state, customer_id, created_at, updated_at, expires_at, \
            version, finished_at FROM flows WHERE id = $1";
        let direct = reads.row(sql, [id], |r| crate::flows::record(r)).expect("read in place");
        assert_eq!(direct, s.flow(id).await.expect("read"));
        let flow = direct.expect("the flow");
        assert_eq!((flow.version, flow.state.as_str()), (2, "{\"step\":2}"));
        let refused = reads.row(sql, [id], |_| Err::<(), _>(StoreError::Corrupt("test".into())));
        assert!(refused.is_none());
        assert_eq!(reads.row(sql, ["no such flow"], |r| crate::flows::record(r)), Some(None));
    }

    // A path this reader cannot open gives way to the pool instead of an error.
    #[test]
    fn a_file_it_cannot_open_means_no_answer_not_a_wrong_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let reads = DirectReads::new(dir.path().join("missing.sqlite3"));
        assert_eq!(reads.status("0B"), None);
    }

    /// `reader` keeps a Good and an Unknown answer; `writer` (the same store's pool, or
    /// another store on the file, as another process would be) revokes the one and issues the
    /// other; `reader`'s very next answers are the new ones.
    async fn kept_answers_give_way_to_commits(reader: &Store, writer: &Store) {
        let reads = reads(reader);
        let (good, unknown) = (serial("0C01"), serial("0C02"));
        reader.insert_certificate(&certificate(&good, t0())).await.expect("insert");
        for _ in 0..2 {
            assert_eq!(reads.status(&good.to_hex()), Some(StatusOf::Good));
            assert_eq!(reads.status(&unknown.to_hex()), Some(StatusOf::Unknown));
        }
        // Both really are kept, so what follows is about throwing them away.
        assert_eq!(reads.kept().by_serial.get(&good.to_hex()), Some(&StatusOf::Good));
        assert_eq!(reads.kept().by_serial.get(&unknown.to_hex()), Some(&StatusOf::Unknown));

        writer.revoke(&good, RevocationReason::KeyCompromise, t0()).await.expect("revoke");
        let revoked = Revocation { at: t0(), reason: RevocationReason::KeyCompromise };
        assert_eq!(reads.status(&good.to_hex()), Some(StatusOf::Revoked(revoked)));
        writer.insert_certificate(&certificate(&unknown, t0())).await.expect("insert");
        assert_eq!(reads.status(&unknown.to_hex()), Some(StatusOf::Good));
    }

    #[tokio::test]
    async fn a_kept_answer_gives_way_to_a_commit_through_the_pool() {
        let s = crate::testing::sqlite().await;
        kept_answers_give_way_to_commits(&s, &s).await;
    }

    #[tokio::test]
    async fn a_kept_answer_gives_way_to_a_commit_by_another_store_on_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dojang.sqlite3");
        let (reader, writer) = (open(&path).await, open(&path).await);
        kept_answers_give_way_to_commits(&reader, &writer).await;
    }

    // While nothing commits, a repeated question is answered without SQLite: with the
    // database gone from its name no connection can be opened, yet the kept answer comes.
    #[tokio::test]
    async fn a_repeated_read_with_nothing_committed_does_not_touch_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dojang.sqlite3");
        let s = open(&path).await;
        let reads = reads(&s);
        s.insert_certificate(&certificate(&serial("0D01"), t0())).await.expect("insert");
        assert_eq!(reads.status("0D01"), Some(StatusOf::Good));
        reads.idle().clear();
        std::fs::rename(&path, dir.path().join("moved.sqlite3")).expect("rename");
        assert_eq!(reads.status("0D01"), Some(StatusOf::Good));
        // A question not asked before has to go to SQLite, which cannot be reached now.
        assert_eq!(reads.status("0D02"), None);
    }

    // The stamp's file stays the one SQLite writes even when every other connection of this
    // process closes: the last one out deletes the -shm, and the next opener makes a new one,
    // unless the stamp's own connection is still open. (Connections of our own here, closed
    // when we say, where sqlx's pool closes its connections on threads of its own.)
    #[test]
    fn the_stamp_outlives_every_other_connection_closing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dojang.sqlite3");
        let writer = Connection::open(&path).expect("open");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE certificates (serial TEXT PRIMARY KEY, revoked_at INTEGER,
                                            revocation_reason INTEGER);
                 INSERT INTO certificates (serial) VALUES ('0E01');",
            )
            .expect("setup");
        let reads = DirectReads::new(path.clone());
        assert_eq!(reads.status("0E01"), Some(StatusOf::Good));
        reads.idle().clear();
        drop(writer);
        assert!(dir.path().join("dojang.sqlite3-shm").exists(), "the -shm went with the writer");
        let writer = Connection::open(&path).expect("open");
        writer
            .execute(
                "UPDATE certificates SET revoked_at = ?1, revocation_reason = 6",
                [t0().unix_timestamp()],
            )
            .expect("hold");
        let held = Revocation { at: t0(), reason: RevocationReason::CertificateHold };
        assert_eq!(reads.status("0E01"), Some(StatusOf::Revoked(held)));
    }

    #[derive(Clone, Copy, Debug)]
    enum Step {
        Issue(u8),
        Revoke { n: u8, hold: bool },
        Resume(u8),
        Read(u8),
    }

    fn step() -> impl Strategy<Value = (Step, bool)> {
        let n = 0u8..6;
        let step = prop_oneof![
            1 => n.clone().prop_map(Step::Issue),
            1 => (n.clone(), any::<bool>()).prop_map(|(n, hold)| Step::Revoke { n, hold }),
            1 => n.clone().prop_map(Step::Resume),
            // Reads weigh more, so that some repeat with nothing committed in between.
            3 => n.prop_map(Step::Read),
        ];
        // Which store writes: this one's pool, or the other store on the same file.
        (step, any::<bool>())
    }

    /// Whether a read of `hex` now would be answered from what was kept.
    fn answered_from_kept(reads: &DirectReads, hex: &str) -> bool {
        let now = reads.stamp();
        let kept = reads.kept();
        now.is_some() && kept.stamp == now && kept.by_serial.contains_key(hex)
    }

    /// What the pool reads for `serial`.
    async fn pooled(s: &Store, serial: &Serial) -> StatusOf {
        match s.certificate(serial).await.expect("pool read") {
            None => StatusOf::Unknown,
            Some(c) => c.revocation.map_or(StatusOf::Good, StatusOf::Revoked),
        }
    }

    // Any interleaving of issues, revocations, holds lifted and reads, written through either
    // store: every direct read equals the pool's read (and what was done).
    #[test]
    fn direct_reads_agree_with_the_pool_whatever_commits_in_between() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dojang.sqlite3");
        let (a, b) = rt.block_on(async { (open(&path).await, open(&path).await) });
        let case = std::cell::Cell::new(0u32);
        let hits = std::cell::Cell::new(0usize);
        let config =
            ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() };
        proptest!(config, |(steps in proptest::collection::vec(step(), 1..40))| {
            // Each case its own serials, so the cases share the stores but not their state.
            case.set(case.get() + 1);
            let serial_of = |n: u8| serial(&format!("{:04X}{n:02X}", case.get()));
            let mut model: HashMap<u8, StatusOf> = HashMap::new();
            rt.block_on(async {
                for (i, (step, by_other)) in steps.iter().enumerate() {
                    let writer = if *by_other { &b } else { &a };
                    let at = t0() + time::Duration::seconds(i as i64);
                    match *step {
                        Step::Issue(n) => {
                            let c = certificate(&serial_of(n), at);
                            if writer.insert_certificate(&c).await.is_ok() {
                                model.insert(n, StatusOf::Good);
                            }
                        }
                        Step::Revoke { n, hold } => {
                            let reason = if hold {
                                RevocationReason::CertificateHold
                            } else {
                                RevocationReason::KeyCompromise
                            };
                            if writer.revoke(&serial_of(n), reason, at).await.is_ok() {
                                // Revoking a held certificate keeps the hold's time.
                                let at = match model.get(&n) {
                                    Some(StatusOf::Revoked(held)) => held.at,
                                    _ => at,
                                };
                                model.insert(n, StatusOf::Revoked(Revocation { at, reason }));
                            }
                        }
                        Step::Resume(n) => {
                            if writer.resume(&serial_of(n)).await.is_ok() {
                                model.insert(n, StatusOf::Good);
                            }
                        }
                        Step::Read(n) => {
                            let hex = serial_of(n).to_hex();
                            if answered_from_kept(reads(&a), &hex) {
                                hits.set(hits.get() + 1);
                            }
                            let direct = reads(&a).status(&hex);
                            let expected = model.get(&n).copied().unwrap_or(StatusOf::Unknown);
                            assert_eq!(direct, Some(pooled(&a, &serial_of(n)).await), "{step:?}");
                            assert_eq!(direct, Some(expected), "{step:?}");
                        }
                    }
                }
            });
        });
        // Kept answers were given, not only fresh ones: the property covered the cache.
        assert!(hits.get() > 0, "no read was answered from what was kept");
    }
}
