//! Status reads on SQLite straight from the caller's thread. Through sqlx every query is a
//! round trip to the connection's own worker thread: a channel send, a wake-up, a reply and
//! another wake-up — for OCSP, where the lookup itself is one primary-key probe of a few
//! microseconds, those hand-offs were most of the server's time (perf: futex waits and
//! wake-ups in flume, task switching). Here a read-only connection answers in place.
//!
//! Freshness is SQLite's own: outside a transaction every statement starts a read snapshot
//! that holds every transaction committed before it, by any connection or process (WAL), so a
//! revocation committed before the request arrived is in its answer.
//!
//! Whenever this path cannot answer — the file cannot be opened read-only, the database is
//! busy in recovery, any other error — the caller falls back to the pool ([`Store::status`]),
//! which waits and reports properly; the fast path never turns a good answer into an error.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::certificates::status_of;
use crate::record::StatusOf;

const STATUS_SQL: &str = "SELECT revoked_at, revocation_reason FROM certificates WHERE serial = ?1";

/// Read-only connections to one SQLite file, each used by one caller at a time.
pub(crate) struct DirectReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for DirectReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReads").field("path", &self.path).finish_non_exhaustive()
    }
}

impl DirectReads {
    pub(crate) fn new(path: PathBuf) -> DirectReads {
        DirectReads { path, idle: Mutex::default() }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
        let taken = self.idle().pop();
        let conn = match taken {
            Some(c) => c,
            None => match self.connect() {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(error = %e, "direct status read unavailable; using the pool");
                    return None;
                }
            },
        };
        let row = match read(&conn, hex) {
            Ok(row) => row,
            // A connection that failed is dropped, not reused: the next read opens afresh.
            Err(e) => {
                tracing::debug!(error = %e, "direct status read failed; using the pool");
                return None;
            }
        };
        self.idle().push(conn);
        match row {
            None => Some(StatusOf::Unknown),
            // A revocation that does not read back is reported by the pool's read, as corrupt.
            Some((at, reason)) => status_of(at, reason).ok(),
        }
    }
}

/// The revocation columns (time, reason) of the certificate with serial `hex`, if there is one.
fn read(conn: &Connection, hex: &str) -> rusqlite::Result<Option<(Option<i64>, Option<i64>)>> {
    conn.prepare_cached(STATUS_SQL)?.query_row([hex], |r| Ok((r.get(0)?, r.get(1)?))).optional()
}

#[cfg(test)]
mod tests {
    use dojang_pki::RevocationReason;

    use super::*;
    use crate::record::Revocation;
    use crate::testing::{certificate, t0};

    // The direct path itself (not the pool behind it) answers, and sees what another
    // connection committed: issued, then revoked, then a serial never issued.
    #[tokio::test]
    async fn a_direct_read_sees_every_commit_made_before_it() {
        let s = crate::testing::sqlite().await;
        let reads = s.direct.as_ref().expect("a SQLite store reads directly");
        let serial: dojang_pki::Serial = "0A11".parse().expect("serial");
        let c = certificate(&serial, t0());
        s.insert_certificate(&c).await.expect("insert");
        assert_eq!(reads.status(&c.serial.to_hex()), Some(StatusOf::Good));
        s.revoke(&c.serial, RevocationReason::KeyCompromise, t0()).await.expect("revoke");
        let revoked = Revocation { at: t0(), reason: RevocationReason::KeyCompromise };
        assert_eq!(reads.status(&c.serial.to_hex()), Some(StatusOf::Revoked(revoked)));
        assert_eq!(reads.status("0B22"), Some(StatusOf::Unknown));
        // The connection went back for the next caller instead of a new one each time.
        assert_eq!(reads.idle().len(), 1);
    }

    // A path this reader cannot open gives way to the pool instead of an error.
    #[test]
    fn a_file_it_cannot_open_means_no_answer_not_a_wrong_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let reads = DirectReads::new(dir.path().join("missing.sqlite3"));
        assert_eq!(reads.status("0B"), None);
    }
}
