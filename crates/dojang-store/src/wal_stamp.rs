//! A change stamp for a SQLite database in WAL mode: the WAL-index header at the start of the
//! `<db>-shm` file (SQLite's "WAL-mode file format", `WalIndexHdr` in wal.c). Every write
//! transaction rewrites that header before its COMMIT returns: it names the last committed
//! frame (`mxFrame`) of the current WAL generation (the salts, new at every restart of the
//! log) with that frame's checksum, and counts commits (`iChange`). So two equal stamps mean
//! the same committed database, whoever committed — the same test SQLite makes
//! (`walIndexTryHdr`) to keep its own page cache. Reading it is one `pread`, where starting a
//! read transaction costs file locks on the `-shm` and several system calls.
//!
//! Why the open handle stays on the live file: SQLite unlinks the `-shm` only when a
//! connection closes as the last user of the database in its process *and* gets an EXCLUSIVE
//! lock on the database file (`sqlite3WalClose`, `unixShmUnmap`), and a first opener
//! truncates it only when no process holds its DMS lock (`unixLockSharedMemory`). A connection
//! in WAL mode keeps a SHARED lock on the database file from its first read until it closes
//! (`pager_unlock` keeps it in WAL mode), SQLite refuses EXCLUSIVE while another connection of
//! any process holds SHARED, and the process keeps its DMS lock while that connection is
//! attached. So [`WalStamp::open`] first reads through a read-only connection of its own, which
//! it keeps as long as the handle, and only then opens the `-shm`, by the name SQLite derives
//! (the connection's full file name, symlinks resolved, plus `-shm`). Writers update the file
//! through a shared mapping, which is the page cache a `pread` reads. A read that races a
//! writer (who writes copy 1, then copy 0) finds the copies differ or SQLite's checksum wrong,
//! and answers "don't know". Someone deleting the `-shm` by hand would leave this process's
//! SQLite connections on the deleted file too: the stamp is never staler than SQLite.

use std::fs::File;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Bytes in one copy of the WAL-index header; the file holds two, one after the other.
const HEADER_LEN: usize = 48;
/// `iVersion` of every WAL-index since SQLite 3.7.0.
const WAL_INDEX_VERSION: u32 = 3_007_000;
/// Where `isInit` is (non-zero once a connection has built the index).
const IS_INIT: usize = 12;
/// Where `aCksum` is: SQLite's checksum over the header bytes before it.
const CHECKSUM: usize = 40;

/// The first copy of a valid WAL-index header: equal stamps, same committed database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp([u8; HEADER_LEN]);

/// Why a database offers no stamp (its reads then go to SQLite every time).
#[derive(Debug, thiserror::Error)]
pub(crate) enum NoStamp {
    #[error("reading the database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database is in {0} journal mode, not WAL")]
    NotWal(String),
    #[error("the database has no file of its own (in memory, or a name that is not UTF-8)")]
    NoFile,
    #[error("opening {path}: {cause}")]
    Shm { path: String, cause: std::io::Error },
}

/// The `-shm` file of one database, open for reading, and the connection that keeps it there.
pub(crate) struct WalStamp {
    shm: File,
    /// Never used again: it holds the database's SHARED lock (see the module's doc). The mutex
    /// only lets a connection, which is not `Sync`, sit in a value shared between threads.
    _keeps_shm: Mutex<Connection>,
}

impl std::fmt::Debug for WalStamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalStamp").finish_non_exhaustive()
    }
}

impl WalStamp {
    /// Attaches to the database at `db`, which must exist and be in WAL mode.
    pub(crate) fn open(db: &Path) -> Result<WalStamp, NoStamp> {
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Once, at the first status read: worth waiting out another connection's recovery.
        conn.busy_timeout(Duration::from_secs(1))?;
        // A read opens the WAL and attaches to the -shm, taking the locks that keep it.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(NoStamp::NotWal(mode));
        }
        let name = conn.path().filter(|p| !p.is_empty()).ok_or(NoStamp::NoFile)?;
        let path = format!("{name}-shm");
        let shm = File::open(&path).map_err(|cause| NoStamp::Shm { path, cause })?;
        Ok(WalStamp { shm, _keeps_shm: Mutex::new(conn) })
    }

    /// The stamp now, or `None` when the header cannot be trusted this instant (a writer is
    /// half-way through it, or no connection has built it yet).
    pub(crate) fn read(&self) -> Option<Stamp> {
        let mut both = [0u8; 2 * HEADER_LEN];
        read_start(&self.shm, &mut both).ok()?;
        stamp_of(&both)
    }
}

#[cfg(unix)]
fn read_start(file: &File, buf: &mut [u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, 0)
}

// Elsewhere no stamp: every read goes to SQLite, as before.
#[cfg(not(unix))]
fn read_start(_: &File, _: &mut [u8]) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// The stamp in the file's first 96 bytes, if SQLite's reader would accept them: both copies
/// the same, the known version, initialised, and the checksum right.
fn stamp_of(both: &[u8; 2 * HEADER_LEN]) -> Option<Stamp> {
    let (first, second) = both.split_at(HEADER_LEN);
    if first != second || word(first, 0) != WAL_INDEX_VERSION || first[IS_INIT] == 0 {
        return None;
    }
    if checksum(&first[..CHECKSUM]) != (word(first, CHECKSUM), word(first, CHECKSUM + 4)) {
        return None;
    }
    <[u8; HEADER_LEN]>::try_from(first).ok().map(Stamp)
}

/// The `u32` at `at`, in the machine's byte order (the -shm is never moved between machines).
fn word(bytes: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[at..at + 4]);
    u32::from_ne_bytes(w)
}

/// SQLite's WAL checksum in native byte order (`walChecksumBytes`), over whole 8-byte steps.
fn checksum(bytes: &[u8]) -> (u32, u32) {
    let (mut s1, mut s2) = (0u32, 0u32);
    for step in bytes.chunks_exact(8) {
        s1 = s1.wrapping_add(word(step, 0)).wrapping_add(s2);
        s2 = s2.wrapping_add(word(step, 4)).wrapping_add(s1);
    }
    (s1, s2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header as a writer leaves it: version, commit count, initialised, checksum.
    fn header(commits: u32, last_frame: u32) -> [u8; 2 * HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..4].copy_from_slice(&WAL_INDEX_VERSION.to_ne_bytes());
        h[8..12].copy_from_slice(&commits.to_ne_bytes());
        h[IS_INIT] = 1;
        h[16..20].copy_from_slice(&last_frame.to_ne_bytes());
        let (c1, c2) = checksum(&h[..CHECKSUM]);
        h[CHECKSUM..CHECKSUM + 4].copy_from_slice(&c1.to_ne_bytes());
        h[CHECKSUM + 4..].copy_from_slice(&c2.to_ne_bytes());
        let mut both = [0u8; 2 * HEADER_LEN];
        both[..HEADER_LEN].copy_from_slice(&h);
        both[HEADER_LEN..].copy_from_slice(&h);
        both
    }

    #[test]
    fn a_whole_header_is_a_stamp_and_a_torn_or_unset_one_is_not() {
        let good = header(7, 40);
        assert!(stamp_of(&good).is_some());
        assert_ne!(stamp_of(&good), stamp_of(&header(8, 41)));
        // A writer between its two copies: copy 1 already new.
        let mut torn = good;
        torn[HEADER_LEN..].copy_from_slice(&header(8, 41)[..HEADER_LEN]);
        assert_eq!(stamp_of(&torn), None);
        // Both copies alike but one byte off: the checksum catches it.
        let mut bent = good;
        bent[20] ^= 1;
        bent[HEADER_LEN + 20] ^= 1;
        assert_eq!(stamp_of(&bent), None);
        let mut unset = header(7, 40);
        unset[IS_INIT] = 0;
        unset[HEADER_LEN + IS_INIT] = 0;
        assert_eq!(stamp_of(&unset), None);
        assert_eq!(stamp_of(&[0; 2 * HEADER_LEN]), None);
    }

    // The checksum is SQLite's: the header SQLite itself wrote passes it (and so is a stamp),
    // and every commit gives a new one while reads leave it as it is.
    #[tokio::test]
    async fn every_commit_changes_the_stamp_and_reads_do_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stamp.sqlite3");
        let s = crate::Store::open_sqlite(&path).await.expect("open");
        let stamp = WalStamp::open(&path).expect("a WAL database has a stamp");
        let mut seen = vec![stamp.read().expect("a valid header")];
        for n in 0..5 {
            let serial: dojang_pki::Serial = format!("5A{n:02X}").parse().expect("serial");
            s.insert_certificate(&crate::testing::certificate(&serial, crate::testing::t0()))
                .await
                .expect("insert");
            let now = stamp.read().expect("a valid header");
            assert!(!seen.contains(&now), "commit {n} left the stamp as it was");
            seen.push(now);
        }
        s.certificate_count().await.expect("a read");
        assert_eq!(
            s.status(&"5A00".parse().expect("serial")).await.ok(),
            Some(crate::StatusOf::Good)
        );
        assert_eq!(stamp.read(), seen.last().copied(), "reads changed the stamp");
    }

    #[test]
    fn a_database_not_in_wal_mode_has_no_stamp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.sqlite3");
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch("PRAGMA journal_mode = DELETE; CREATE TABLE t (x);").expect("setup");
        assert!(matches!(WalStamp::open(&path), Err(NoStamp::NotWal(m)) if m == "delete"));
        assert!(matches!(WalStamp::open(&dir.path().join("missing")), Err(NoStamp::Sqlite(_))));
        assert!(matches!(
            WalStamp::open(Path::new(":memory:")),
            Err(NoStamp::NoFile | NoStamp::NotWal(_))
        ));
    }
}
