//! `dojang admin backup | restore | migrate`: the whole center's data, copied whole.
//!
//! - `backup --to FILE`: a consistent copy of the store (taken while the center serves), with
//!   the CA's files (`ca/`) and the vault (`vault.key`), into one new file.
//! - `restore --from FILE`: into an empty store and a data directory holding no other CA.
//! - `migrate --from URL --to URL`: the store from one database into another, empty one —
//!   typically from the embedded SQLite file to the PostgreSQL database replicas will share.
//!
//! Each copy is checked after it is made: every table is read back and must hold the same rows
//! (count and digest), and the audit chain must verify. The CA passphrase is never in a backup:
//! the key files in it stay encrypted under it (or name keys in an HSM).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use dojang_store::{AuditVerdict, Backup, BackupWriter, CopyProgress, CopyReport, KeptFile, Store};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::common::{self, DataArgs};

/// The vault's file in the data directory (see `common::open_vault`).
const VAULT_FILE: &str = "vault.key";
/// The CA's directory in the data directory.
const CA_DIR: &str = "ca";

#[derive(Args)]
pub struct BackupArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The backup file to write; it must not exist yet.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The backup file (`dojang admin backup --to`).
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
}

#[derive(Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The store to copy from, e.g. sqlite:/var/lib/dojang/dojang.sqlite3; default
    /// $DOJANG_MIGRATE_FROM, else the center's own store (the SQLite file in --data, or
    /// --database-url).
    #[arg(long, value_name = "URL", env = "DOJANG_MIGRATE_FROM", hide_env_values = true)]
    from: Option<String>,
    /// The empty store to copy into, e.g. postgres://dojang@db.bank:5432/center; default
    /// $DOJANG_MIGRATE_TO (which keeps a password off the command line).
    #[arg(long, value_name = "URL", env = "DOJANG_MIGRATE_TO", hide_env_values = true)]
    to: String,
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let config = common::load_config(&args.data.flags())?;
    let store = common::open_store(&config).await?;
    let files = kept_files(&config.data_dir)?;
    let started = Instant::now();
    let writing = || format!("writing the backup {}", args.to.display());
    let writer = BackupWriter::create(&args.to).await.with_context(writing)?;
    // A backup that fails takes its temporary file with it, so a retry finds nothing in its way.
    let (report, audit) = match fill(&store, &writer, &files).await {
        Ok(filled) => filled,
        Err(e) => {
            writer.abandon().await;
            return Err(e.context(writing()));
        }
    };
    let path = writer.finish().await.with_context(writing)?;
    let digest = file_sha256(&path)?;

    println!("backup written (백업 완료): {}", path.display());
    print_counts(&report);
    println!(
        "files        {}",
        files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", ")
    );
    print_audit(&audit);
    println!("sha-256      {digest}");
    println!("took         {:.1} s", started.elapsed().as_secs_f64());
    println!(
        "The CA passphrase is not in the backup; keep it apart from the file. Restore with \
         `dojang admin restore --from {}` into an empty data directory.",
        path.display()
    );
    if let AuditVerdict::Broken { .. } = audit {
        bail!("the backup was written, but the audit log it copied is broken (see above)");
    }
    Ok(())
}

/// Copies the store and the files into the backup being written, with the facts about it.
async fn fill(
    store: &Store,
    writer: &BackupWriter,
    files: &[KeptFile],
) -> anyhow::Result<(CopyReport, AuditVerdict)> {
    let report = store.copy_into(writer.store(), &mut Bar::new()).await?;
    for f in files {
        writer.keep_file(f).await?;
    }
    let made_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    writer.info("made_at", &made_at).await?;
    writer.info("source", store.backend().name()).await?;
    writer.info("rows", &report.total_rows().to_string()).await?;
    writer.info("dojang_version", env!("CARGO_PKG_VERSION")).await?;
    let audit = writer.store().verify_audit().await?;
    Ok((report, audit))
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let config = common::load_config(&args.data.flags())?;
    if !args.from.is_file() {
        bail!("there is no backup file {}", args.from.display());
    }
    let started = Instant::now();
    let backup = Backup::open(&args.from).await?;
    let files = backup.files().await?;
    // Check everything before writing anything: a data directory holding another CA, or a
    // store holding data, is refused as it is.
    let to_write = files_to_write(&config.data_dir, &files)?;
    let made_dir = !config.data_dir.exists();
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("making {}", config.data_dir.display()))?;
    let made_db = config.database_url.is_none() && !config.database_path().exists();
    // Whatever fails from here, what this restore made is taken out again, so the data
    // directory is as it was and a retry can run.
    let undo = || {
        if made_db {
            remove_sqlite(&config.database_path());
        }
        if made_dir {
            let _ = std::fs::remove_dir(&config.data_dir);
        }
    };
    let store = match dojang_server::open_store(&config).await {
        Ok(store) => store,
        Err(e) => {
            undo();
            return Err(e.into());
        }
    };
    let report = match restore_into(&store, &backup, &config, &to_write).await {
        Ok(report) => report,
        Err(e) => {
            store.close().await;
            undo();
            return Err(e);
        }
    };
    let audit = store.verify_audit().await?;
    store.close().await;

    println!(
        "restored (복원 완료) from {} into {}",
        args.from.display(),
        common::shown_store(&config)
    );
    for (key, value) in backup.info().await? {
        if key != "format" {
            println!("backup {key:<6}{value}");
        }
    }
    print_counts(&report);
    let written: Vec<&str> = to_write.iter().map(|f| f.path.as_str()).collect();
    println!(
        "files        {} written to {}{}",
        written.len(),
        config.data_dir.display(),
        if written.len() < files.len() { " (the rest were there already, the same)" } else { "" }
    );
    print_audit(&audit);
    println!("took         {:.1} s", started.elapsed().as_secs_f64());
    if let AuditVerdict::Broken { .. } = audit {
        bail!("the rows were restored, but the audit log is broken (see above)");
    }
    println!("Start the center with the CA passphrase it had: `dojang serve`.");
    Ok(())
}

/// Writes the backup's files into the data directory, then copies its rows into the empty
/// store: the files first, as they are what fails most (a folder that cannot be written), and
/// the rows in one transaction. On a failure the files written are removed again (and the
/// rows' transaction rolls back).
async fn restore_into(
    store: &Store,
    backup: &Backup,
    config: &dojang_config::Config,
    to_write: &[KeptFile],
) -> anyhow::Result<CopyReport> {
    if let Some(table) = store.holds_data().await? {
        bail!(
            "the store at {} already holds data (table {table} is not empty); restore into a new, \
             empty database (another --data directory or --database-url)",
            common::shown_store(config)
        );
    }
    let mut placed = Placed::default();
    write_files(&config.data_dir, to_write, &mut placed)?;
    let report = backup.store().copy_into(store, &mut Bar::new()).await?;
    placed.keep();
    Ok(report)
}

/// The SQLite file at `path` with its side files, made by a restore that then failed.
fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let from = match args.from {
        Some(url) => url,
        None => {
            let config = common::load_config(&args.data.flags())?;
            match &config.database_url {
                Some(url) => url.expose().to_string(),
                None => format!("sqlite:{}", config.database_path().display()),
            }
        }
    };
    let shown_from = dojang_store::redact_url(&from);
    let shown_to = dojang_store::redact_url(&args.to);
    if from.trim() == args.to.trim() {
        bail!(
            "--from and --to name the same store ({shown_from}); give the new, empty one as --to"
        );
    }
    // A mistyped SQLite path must not be made into a new, empty source.
    if let Some(path) = sqlite_path(&from) {
        if !path.is_file() {
            bail!(
                "there is no SQLite store at {}; give the file `dojang serve` uses",
                path.display()
            );
        }
    }
    let started = Instant::now();
    let from = Store::open(&from).await.with_context(|| format!("opening {shown_from}"))?;
    let to = Store::open(&args.to).await.with_context(|| format!("opening {shown_to}"))?;
    let report = from.copy_into(&to, &mut Bar::new()).await?;
    let audit = to.verify_audit().await?;
    from.close().await;
    to.close().await;

    println!(
        "migrated (이전 완료): {shown_from} ({}) → {shown_to} ({})",
        from.backend().name(),
        to.backend().name()
    );
    print_counts(&report);
    print_audit(&audit);
    println!("took         {:.1} s", started.elapsed().as_secs_f64());
    if let AuditVerdict::Broken { .. } = audit {
        bail!("the rows were copied, but the audit log is broken (see above)");
    }
    println!(
        "Point the center at the new store (database_url in dojang.toml, or DOJANG_DATABASE_URL) \
         and start it; keep the old one until you have checked the new."
    );
    Ok(())
}

/// The SQLite file a `sqlite:` URL names, if it is one.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    Some(PathBuf::from(path))
}

/// The files of the data directory a center cannot run without: the CA's (`ca/`) and the vault.
/// Not the passphrase file, nor the configuration.
fn kept_files(data_dir: &Path) -> anyhow::Result<Vec<KeptFile>> {
    // Read while no process replaces the OCSP signer, so its key and certificate match.
    let ca = data_dir.join(CA_DIR);
    let out = dojang_ca::authority::with_ca_files_steady(&ca, || read_kept_files(data_dir))
        .with_context(|| format!("locking {}", ca.display()))??;
    if !out.iter().any(|f| f.path.starts_with(CA_DIR)) {
        bail!(
            "no CA files in {}; give the data directory `dojang serve --data` uses",
            data_dir.join(CA_DIR).display()
        );
    }
    Ok(out)
}

/// The CA's files and the vault, read.
fn read_kept_files(data_dir: &Path) -> anyhow::Result<Vec<KeptFile>> {
    let mut out = Vec::new();
    let ca = data_dir.join(CA_DIR);
    let mut names: Vec<String> = Vec::new();
    if ca.is_dir() {
        for entry in std::fs::read_dir(&ca).with_context(|| format!("reading {}", ca.display()))? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                // Not the OCSP signer's lock, nor a replacement's half-written file.
                let name = entry.file_name();
                match name.to_str() {
                    Some(n) if n.ends_with(".lock") || n.ends_with(".new") => {}
                    Some(n) => names.push(format!("{CA_DIR}/{n}")),
                    None => {}
                }
            }
        }
    }
    if data_dir.join(VAULT_FILE).is_file() {
        names.push(VAULT_FILE.to_string());
    }
    names.sort();
    for name in names {
        let path = data_dir.join(&name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        out.push(KeptFile { path: name, bytes });
    }
    Ok(out)
}

/// The backup's files missing from `data_dir`. A file there already must be the same as the
/// backup's; another CA or vault is refused before anything is written.
fn files_to_write(data_dir: &Path, files: &[KeptFile]) -> anyhow::Result<Vec<KeptFile>> {
    let mut out = Vec::new();
    for f in files {
        let relative = Path::new(&f.path);
        let safe = relative.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !safe {
            bail!(
                "the backup names a file outside the data directory ({}); it is not ours",
                f.path
            );
        }
        let path = data_dir.join(relative);
        match std::fs::read(&path) {
            Ok(there) if there == f.bytes => {}
            Ok(_) => bail!(
                "{} is already there and differs from the backup's: this data directory holds \
                 another center. Restore into a new, empty data directory (--data).",
                path.display()
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => out.push(f.clone()),
            Err(e) => bail!("reading {}: {e}", path.display()),
        }
    }
    Ok(out)
}

/// What a restore has put into the data directory: removed when dropped, unless kept.
#[derive(Default)]
struct Placed {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    kept: bool,
}

impl Placed {
    fn keep(&mut self) {
        self.kept = true;
    }
}

impl Drop for Placed {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        for file in self.files.iter().rev() {
            let _ = std::fs::remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

fn write_files(data_dir: &Path, files: &[KeptFile], placed: &mut Placed) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    for f in files {
        // The folders it lies in, each noted if this restore makes it.
        let mut dir = data_dir.to_path_buf();
        let relative = Path::new(&f.path);
        for part in relative.parent().into_iter().flat_map(Path::components) {
            dir.push(part);
            if !dir.is_dir() {
                std::fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&dir)
                    .with_context(|| format!("making {}", dir.display()))?;
                placed.dirs.push(dir.clone());
            }
        }
        let path = data_dir.join(relative);
        // Keys and the vault: readable by the center's user only. Never over a file there.
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        placed.files.push(path.clone());
        out.write_all(&f.bytes)
            .and_then(|()| out.sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

fn print_counts(report: &CopyReport) {
    println!("certificates {}", report.rows("certificates"));
    println!("customers    {}", report.rows("customers"));
    println!("audit log    {} entries", report.rows("audit_log"));
    println!("all rows     {} in {} tables", report.total_rows(), report.tables.len());
}

fn print_audit(audit: &AuditVerdict) {
    match audit {
        AuditVerdict::Intact { entries, .. } => {
            println!("audit chain  intact ({entries} entries verified)")
        }
        AuditVerdict::Broken { seq, problem } => {
            println!("audit chain  BROKEN at entry {seq}: {problem}")
        }
    }
}

/// One progress bar, table by table, on standard error (only on a terminal).
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>26} [{bar:30}] {pos}/{len} rows")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar(bar)
    }
}

impl CopyProgress for Bar {
    fn table(&mut self, name: &str, rows: u64) {
        self.0.set_message(name.to_string());
        self.0.set_length(rows);
        self.0.set_position(0);
    }

    fn rows(&mut self, n: u64) {
        self.0.inc(n);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
