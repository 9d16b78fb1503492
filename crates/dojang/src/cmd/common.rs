//! What every operator command shares: where the data is and how the center is configured.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use dojang_ca::Passphrase;
use dojang_config::{Config, Flags, PassphraseSource, ProcessEnv};
use dojang_server::{Center, Opening};

#[derive(Args, Clone, Debug, Default)]
pub struct DataArgs {
    /// The center's data directory (SQLite database, CA files). Default ./dojang-data,
    /// or $DOJANG_DATA.
    #[arg(long = "data", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TOML configuration file. Default <DIR>/dojang.toml when present, or $DOJANG_CONFIG.
    #[arg(long = "config", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// The store: postgres://USER@HOST:PORT/DATABASE (shared by replicas) or sqlite:PATH.
    /// Default the SQLite file in DIR, or $DOJANG_DATABASE_URL (which keeps a password off
    /// the command line).
    #[arg(long = "database-url", value_name = "URL")]
    pub database_url: Option<String>,
}

impl DataArgs {
    pub fn flags(&self) -> Flags {
        Flags {
            data_dir: self.data_dir.clone(),
            config_file: self.config_file.clone(),
            database_url: self.database_url.clone(),
            ..Flags::default()
        }
    }
}

pub fn load_config(flags: &Flags) -> anyhow::Result<Config> {
    Ok(Config::load(flags, &ProcessEnv)?)
}

/// Opens the whole center (store and CA), making it first if the data directory holds none:
/// for `serve`, whose first start is what makes a center.
pub async fn open_or_make_center(
    config: Config,
) -> anyhow::Result<(Center, Opening, PassphraseSource)> {
    let resolved = config.ca_passphrase(&ProcessEnv)?;
    let passphrase = Passphrase::new(resolved.secret.to_string());
    let source = resolved.source.clone();
    let now = config.clock.now();
    let (center, opening) =
        Center::open(config, &passphrase, now).await.context("opening the center")?;
    Ok((center, opening, source))
}

/// Opens a center `serve` has made, for the operator's tools. Refuses a data directory that
/// holds none, before anything is written there: a mistyped --data must not make a new root
/// CA, vault and passphrase file beside the real ones.
pub async fn open_center(config: Config) -> anyhow::Result<Center> {
    let ca = config.ca_dir();
    if !ca.is_dir() {
        return Err(no_center(&config, &ca));
    }
    require_store(&config)?;
    Ok(open_or_make_center(config).await?.0)
}

/// The refusal for a data directory without `missing`, the part of a center it should hold.
fn no_center(config: &Config, missing: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "no dojang data in {dir} (no {missing}); check --data, or start the center there once \
         with `dojang serve --data {dir}`",
        dir = config.data_dir.display(),
        missing = missing.display()
    )
}

/// An embedded store must be there already (PostgreSQL's database is the operator's to make).
fn require_store(config: &Config) -> anyhow::Result<()> {
    let path = config.database_path();
    if config.database_url.is_none() && !path.exists() {
        return Err(no_center(config, &path));
    }
    Ok(())
}

/// Where the center's store is, fit to print: the database URL without its password, or the
/// SQLite file in the data directory.
pub fn shown_store(config: &Config) -> String {
    match &config.database_url {
        Some(url) => dojang_store::redact_url(url.expose()),
        None => config.database_path().display().to_string(),
    }
}

/// Opens only the store, for commands that need no CA key. Refuses to make a new, empty
/// database: a mistyped --data should be an error, not a silent empty center.
pub async fn open_store(config: &Config) -> anyhow::Result<dojang_store::Store> {
    require_store(config)?;
    Ok(dojang_server::open_store(config).await?)
}

/// Opens the center's vault (`<DIR>/vault.key`: the data key that seals RRNs, security-card
/// codes and OTP seeds), making it on first use. It is sealed under the CA passphrase, so the
/// operator keeps one secret, not two.
pub fn open_vault(config: &Config) -> anyhow::Result<dojang_vault::Vault> {
    let resolved = config.ca_passphrase(&ProcessEnv)?;
    let path = config.data_dir.join("vault.key");
    let (vault, _created) = dojang_vault::Vault::open_or_create(&path, resolved.secret.as_bytes())
        .with_context(|| format!("opening the vault {}", path.display()))?;
    Ok(vault)
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

/// Who may read a file the operator's tools write.
#[derive(Clone, Copy)]
pub enum Readers {
    /// As any new file (the umask decides): certificates, CRLs.
    Anyone,
    /// The user alone: R, which belongs in the holder's key file.
    Owner,
}

/// A file a command will write once it has the contents. Its temporary file is made at once,
/// beside `path` under a name no one else uses, so that a directory that cannot be written,
/// or a file that is there already, is found before the command does anything that cannot be
/// undone (issuing a certificate). [`NewFile::write`] renames it into place whole; dropped
/// unwritten, or on a failure, the temporary file is removed.
pub struct NewFile {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    force: bool,
}

impl NewFile {
    /// Refuses an existing `path` unless `force` (as `cert export --force`).
    pub fn create(path: &Path, force: bool, readers: Readers) -> anyhow::Result<NewFile> {
        if path.is_dir() {
            anyhow::bail!("{} is a directory; give a file name", path.display());
        }
        if path.exists() && !force {
            anyhow::bail!("{} exists already; to overwrite it, use --force", path.display());
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            anyhow::bail!(
                "cannot write {}: there is no directory {}",
                path.display(),
                dir.display()
            );
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mode = match readers {
            Readers::Anyone => 0o666,
            Readers::Owner => 0o600,
        };
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(dir)
            // Said by kind: tempfile's message adds its random name, which means nothing.
            .map_err(|e| std::io::Error::from(e.kind()))
            .with_context(|| {
                format!("cannot write {} (making a file in {})", path.display(), dir.display())
            })?;
        Ok(NewFile { path: path.to_path_buf(), temp, force })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to disk and renames the file into place: whoever reads `path` sees the
    /// old file or the whole new one, never a part.
    pub fn write(mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let shown = self.path.display().to_string();
        self.temp.write_all(bytes).with_context(|| format!("writing {shown}"))?;
        self.temp.as_file().sync_all().with_context(|| format!("writing {shown}"))?;
        // Without --force, a file that appeared meanwhile is still not overwritten.
        let placed = if self.force {
            self.temp.persist(&self.path)
        } else {
            self.temp.persist_noclobber(&self.path)
        };
        placed.map_err(|e| e.error).with_context(|| format!("writing {shown}"))?;
        Ok(())
    }
}
