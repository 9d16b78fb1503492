//! Backup files (백업): one SQLite file holding a consistent copy of the whole store, the files
//! the center cannot run without (CA certificates and keys as they lie in `ca/`, the vault), and
//! a few facts about the copy.
//!
//! A backup is itself a dojang store — `sqlite3` opens it, and so would `dojang serve
//! --database-url sqlite:FILE` — with two tables of its own (`backup_files`, `backup_info`)
//! that a copy never carries over. It is written under a temporary name beside it (one no other
//! run uses, so neither a backup running at the same time nor one a crash cut off is in the
//! way) and renamed when whole, so a backup that was cut off is never mistaken for one. A
//! backup that fails removes its temporary file.

use std::path::{Path, PathBuf};

use sqlx::migrate::MigrateError;

use crate::error::StoreError;
use crate::store::Store;

/// The layout of the backup's own tables; a restore refuses other versions.
pub const BACKUP_FORMAT: &str = "dojang-backup-1";

/// A file of the center's data directory kept in a backup.
#[derive(Clone, PartialEq, Eq)]
pub struct KeptFile {
    /// Relative to the data directory, with `/` between parts (`ca/root.key`).
    pub path: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for KeptFile {
    // Key files are encrypted, but there is still no reason to print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeptFile({}, {} bytes)", self.path, self.bytes.len())
    }
}

/// A backup being written: [`BackupWriter::finish`] makes it a backup,
/// [`BackupWriter::abandon`] (or dropping it) removes what was written.
pub struct BackupWriter {
    store: Store,
    partial: Partial,
    path: PathBuf,
}

/// The file a backup is written into until it is whole, removed with SQLite's side files
/// unless it was renamed into place.
struct Partial(Option<tempfile::TempPath>);

impl Partial {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = remove_leftovers(path);
        }
        // The TempPath, dropped next, removes the file itself.
    }
}

impl BackupWriter {
    /// Starts a backup that will be at `path` (which must not exist yet).
    pub async fn create(path: &Path) -> Result<BackupWriter, StoreError> {
        if path.exists() {
            return Err(StoreError::Copy(format!(
                "{} already exists; give a new file name (a backup is never written over)",
                path.display()
            )));
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Readable by its owner alone, as the data directory's files are.
        let file = tempfile::Builder::new()
            .prefix(&format!("{name}."))
            .suffix(".partial")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .tempfile_in(dir)
            .map_err(|e| {
                StoreError::Copy(format!(
                    "cannot write {} (making a file in {}): {}",
                    path.display(),
                    dir.display(),
                    std::io::Error::from(e.kind())
                ))
            })?;
        let partial = Partial(Some(file.into_temp_path()));
        let store = Store::open_sqlite(partial.path()).await?;
        let writer = BackupWriter { store, partial, path: path.to_path_buf() };
        sqlx::query(
            "CREATE TABLE backup_files (path TEXT PRIMARY KEY NOT NULL, bytes BLOB NOT NULL)",
        )
        .execute(&writer.store.pool)
        .await?;
        sqlx::query(
            "CREATE TABLE backup_info (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
        )
        .execute(&writer.store.pool)
        .await?;
        writer.info("format", BACKUP_FORMAT).await?;
        Ok(writer)
    }

    /// The store the rows are copied into.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn keep_file(&self, file: &KeptFile) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO backup_files (path, bytes) VALUES ($1, $2)")
            .bind(&file.path)
            .bind(&file.bytes)
            .execute(&self.store.pool)
            .await?;
        Ok(())
    }

    /// Records a fact about the backup (when, from where, how many rows).
    pub async fn info(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO backup_info (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.store.pool)
        .await?;
        Ok(())
    }

    /// Closes the file (SQLite checkpoints its WAL into it), makes it durable and gives it its
    /// name. Returns the path.
    pub async fn finish(self) -> Result<PathBuf, StoreError> {
        let BackupWriter { store, mut partial, path } = self;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&store.pool).await?;
        store.close().await;
        let io = |e: std::io::Error| StoreError::Copy(format!("{}: {e}", path.display()));
        std::fs::File::open(partial.path()).and_then(|f| f.sync_all()).map_err(io)?;
        remove_leftovers(partial.path())?;
        if let Some(temp) = partial.0.take() {
            // Another backup to the same name may have finished meanwhile: it is kept.
            if let Err(e) = temp.persist_noclobber(&path) {
                partial.0 = Some(e.path);
                return Err(if path.exists() {
                    StoreError::Copy(format!(
                        "{} appeared while the backup was written; give a new file name",
                        path.display()
                    ))
                } else {
                    io(e.error)
                });
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        Ok(path)
    }

    /// Gives up the backup: closes it and removes what was written.
    pub async fn abandon(self) {
        self.store.close().await;
    }
}

/// SQLite's side files of a closed (or abandoned) database at `path`.
fn remove_leftovers(path: &Path) -> Result<(), StoreError> {
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::Copy(format!("{}: {e}", path.display()))),
        }
    }
    Ok(())
}

/// SQLite's file header: the magic string, then (big-endian) the page size at 16, the change
/// counter at 24, the size in pages at 28 and the counter it was valid for at 92.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const SQLITE_HEADER: usize = 100;

/// Refuses `working` (the copy of `shown`) if it is no SQLite file, or shorter than its header
/// says it is: a copy or download cut short. Said at once, before SQLite is asked.
fn whole_sqlite_file(shown: &Path, working: &Path) -> Result<(), StoreError> {
    let io = |e: std::io::Error| {
        StoreError::Copy(format!("reading the backup {}: {e}", shown.display()))
    };
    let len = std::fs::metadata(working).map_err(io)?.len();
    let mut header = [0u8; SQLITE_HEADER];
    let read = std::fs::File::open(working)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut header))
        .map_err(io)?;
    if read < SQLITE_MAGIC.len() || header[..SQLITE_MAGIC.len()] != SQLITE_MAGIC[..] {
        return Err(StoreError::Copy(format!(
            "{} is not a dojang backup (made by `dojang admin backup`): it is no SQLite file",
            shown.display()
        )));
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    // The size in pages counts only when written by the change that wrote the header.
    let pages = if read == SQLITE_HEADER && be32(24) == be32(92) { u64::from(be32(28)) } else { 0 };
    let expected = page_size * pages;
    let cut = read < SQLITE_HEADER || page_size < 512 || len < expected || len % page_size != 0;
    if cut {
        let should = if expected > len {
            format!(" of the {expected} it should have")
        } else {
            String::new()
        };
        return Err(StoreError::Copy(format!(
            "{} looks damaged or cut short ({len} bytes{should}): was its copy interrupted? \
             Restore from a whole copy of the backup (its SHA-256 was printed when it was made)",
            shown.display()
        )));
    }
    Ok(())
}

/// A backup opened to restore from. The file itself is never changed: it is copied to a
/// temporary directory first (opening applies migrations, which would write to it).
pub struct Backup {
    store: Store,
    _dir: tempfile::TempDir,
}

impl Backup {
    pub async fn open(path: &Path) -> Result<Backup, StoreError> {
        let dir = tempfile::Builder::new().prefix("dojang-restore-").tempdir().map_err(|e| {
            StoreError::Copy(format!("making a working directory for {}: {e}", path.display()))
        })?;
        let working = dir.path().join("backup.sqlite3");
        std::fs::copy(path, &working)
            .map_err(|e| StoreError::Copy(format!("reading the backup {}: {e}", path.display())))?;
        whole_sqlite_file(path, &working)?;
        let not_a_backup = || {
            StoreError::Copy(format!(
                "{} is not a dojang backup (made by `dojang admin backup`), or it is damaged",
                path.display()
            ))
        };
        let damaged = |why: &dyn std::fmt::Display| {
            StoreError::Copy(format!(
                "{} looks damaged ({why}); restore from a whole copy of the backup (its SHA-256 \
                 was printed when it was made)",
                path.display()
            ))
        };
        let store = Store::open_sqlite(&working).await.map_err(|e| match e {
            // A store of another schema: most likely a newer dojang made it.
            StoreError::Migrate(
                why @ (MigrateError::VersionMissing(_)
                | MigrateError::VersionMismatch(_)
                | MigrateError::VersionNotPresent(_)
                | MigrateError::VersionTooOld(..)
                | MigrateError::VersionTooNew(..)
                | MigrateError::Dirty(_)),
            ) => StoreError::Copy(format!(
                "{} was made by another version of dojang ({why}); restore it with that version",
                path.display()
            )),
            // A SQLite file whose pages SQLite cannot read.
            StoreError::Migrate(why) => damaged(&why),
            StoreError::Open { cause, .. } => damaged(&cause),
            _ => not_a_backup(),
        })?;
        let format: Option<String> =
            sqlx::query_scalar("SELECT value FROM backup_info WHERE key = 'format'")
                .fetch_optional(&store.pool)
                .await
                .map_err(|_| not_a_backup())?;
        match format.as_deref() {
            Some(BACKUP_FORMAT) => Ok(Backup { store, _dir: dir }),
            Some(other) => Err(StoreError::Copy(format!(
                "{} is a backup of format {other}; this dojang reads {BACKUP_FORMAT}",
                path.display()
            ))),
            None => Err(not_a_backup()),
        }
    }

    /// The store the rows are copied from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn files(&self) -> Result<Vec<KeptFile>, StoreError> {
        let rows: Vec<(String, Vec<u8>)> =
            sqlx::query_as("SELECT path, bytes FROM backup_files ORDER BY path")
                .fetch_all(&self.store.pool)
                .await?;
        Ok(rows.into_iter().map(|(path, bytes)| KeptFile { path, bytes }).collect())
    }

    pub async fn info(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT key, value FROM backup_info ORDER BY key")
            .fetch_all(&self.store.pool)
            .await?)
    }
}
