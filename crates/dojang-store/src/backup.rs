//! Backup files (백업): one SQLite file holding a consistent copy of the whole store, the files
//! the center cannot run without (CA certificates and keys as they lie in `ca/`, the vault), and
//! a few facts about the copy.
//!
//! A backup is itself a dojang store — `sqlite3` opens it, and so would `dojang serve
//! --database-url sqlite:FILE` — with two tables of its own (`backup_files`, `backup_info`)
//! that a copy never carries over. It is written under a temporary name and renamed when whole,
//! so a backup that was cut off is never mistaken for one.

use std::path::{Path, PathBuf};

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

/// A backup being written: [`BackupWriter::finish`] makes it a backup.
pub struct BackupWriter {
    store: Store,
    partial: PathBuf,
    path: PathBuf,
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
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = path.with_file_name(name);
        remove_leftovers(&partial)?;
        let store = Store::open_sqlite(&partial).await?;
        sqlx::query(
            "CREATE TABLE backup_files (path TEXT PRIMARY KEY NOT NULL, bytes BLOB NOT NULL)",
        )
        .execute(&store.pool)
        .await?;
        sqlx::query(
            "CREATE TABLE backup_info (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
        )
        .execute(&store.pool)
        .await?;
        let writer = BackupWriter { store, partial, path: path.to_path_buf() };
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
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.store.pool).await?;
        self.store.close().await;
        let io = |e: std::io::Error| StoreError::Copy(format!("{}: {e}", self.partial.display()));
        std::fs::File::open(&self.partial).and_then(|f| f.sync_all()).map_err(io)?;
        remove_leftovers(&self.partial)?;
        std::fs::rename(&self.partial, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        Ok(self.path)
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

/// A backup opened to restore from. The file itself is never changed: it is copied to a
/// temporary directory first (opening applies migrations, which would write to it).
pub struct Backup {
    store: Store,
    _dir: TempDir,
}

impl Backup {
    pub async fn open(path: &Path) -> Result<Backup, StoreError> {
        let dir = TempDir::new(path)?;
        let working = dir.0.join("backup.sqlite3");
        std::fs::copy(path, &working)
            .map_err(|e| StoreError::Copy(format!("reading the backup {}: {e}", path.display())))?;
        let not_a_backup = || {
            StoreError::Copy(format!(
                "{} is not a dojang backup (made by `dojang admin backup`)",
                path.display()
            ))
        };
        let store = Store::open_sqlite(&working).await.map_err(|e| match e {
            // A store of another schema: most likely a newer dojang made it.
            StoreError::Migrate(why) => StoreError::Copy(format!(
                "{} was made by another version of dojang ({why}); restore it with that version",
                path.display()
            )),
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

/// A working directory in the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(near: &Path) -> Result<TempDir, StoreError> {
        let base = std::env::temp_dir();
        for n in 0..100u32 {
            let dir = base.join(format!("dojang-restore-{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(StoreError::Copy(format!(
                        "making a working directory for {}: {e}",
                        near.display()
                    )))
                }
            }
        }
        Err(StoreError::Copy("no free working directory name in the temporary directory".into()))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
