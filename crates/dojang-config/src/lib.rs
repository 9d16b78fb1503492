//! Configuration of the center. Every setting has a default; a TOML file, the environment and
//! command-line flags override it, in that order (flags win). See `docs/configuration.md`.
#![forbid(unsafe_code)]

mod clock;
mod passphrase;
mod proxies;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use dojang_pki::KeyType;
use dojang_profile::catalog::{CatalogError, ProductOverride};
use dojang_profile::{Catalog, PublicationUrls, SubjectRules};

pub use clock::Clock;
pub use passphrase::{PassphraseSource, ResolvedPassphrase};
pub use proxies::TrustedProxies;

/// The default data directory, relative to where the center is started.
pub const DEFAULT_DATA_DIR: &str = "dojang-data";
/// The default address: loopback only, so a demo is never exposed by accident.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The configuration file looked for inside the data directory.
pub const CONFIG_FILE_NAME: &str = "dojang.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the configuration file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{name}={value:?} is not valid: {why}")]
    Env { name: &'static str, value: String, why: String },
    #[error("listen address {0:?} is not an address such as 127.0.0.1:8080")]
    Listen(String),
    #[error("base URL {0:?} must start with http:// or https:// and have a host")]
    BaseUrl(String),
    #[error("in the configuration: {0}")]
    Catalog(#[from] CatalogError),
    #[error("the CA passphrase: {0}")]
    Passphrase(String),
    #[error("the HSM's PIN: {0}")]
    HsmPin(String),
    #[error(
        "the database URL must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE (given: {0})"
    )]
    DatabaseUrl(String),
    #[error("trusted proxy {0:?} is neither an address (10.0.0.5) nor a range (10.0.0.0/8)")]
    TrustedProxy(String),
    #[error("[http] {key} must be at least 1 (given: 0)")]
    Http { key: &'static str },
}

/// The `[ca]` table.
#[derive(Clone, Debug, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CaSection {
    /// `o=` of the CA and every subject.
    pub organization: String,
    /// The bank's `ou=` in every subject.
    pub bank_ou: String,
    pub root_cn: String,
    pub issuing_cn: String,
    pub key_type: KeyType,
    /// A file holding the passphrase of the CA key files (first line). Overrides the
    /// environment variable `DOJANG_CA_PASSPHRASE`.
    pub passphrase_file: Option<PathBuf>,
    /// `[ca.hsm]`: make the CA keys in a PKCS#11 HSM instead of key files.
    pub hsm: Option<HsmSection>,
}

/// The `[ca.hsm]` table: the CA, OCSP-signing keys are made and kept in a PKCS#11 token.
#[derive(Clone, Debug, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HsmSection {
    /// The vendor's PKCS#11 library; by default `$DOJANG_PKCS11_MODULE`, else SoftHSM2 where
    /// it is installed.
    pub module: Option<PathBuf>,
    /// The token's label.
    pub token: String,
    /// A file holding the token's user PIN (first line); else `$DOJANG_HSM_PIN`.
    pub pin_file: Option<PathBuf>,
}

impl Default for CaSection {
    fn default() -> Self {
        CaSection {
            organization: "dojang".into(),
            bank_ou: "DOJANGBANK".into(),
            root_cn: "dojang Root CA".into(),
            issuing_cn: "dojangCA Class 1".into(),
            key_type: KeyType::Rsa2048,
            passphrase_file: None,
            hsm: None,
        }
    }
}

/// The `[crl]` table.
#[derive(Clone, Debug, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CrlSection {
    /// Hours from thisUpdate to nextUpdate.
    pub validity_hours: u32,
    /// Minutes after which a CRL is rebuilt even if nothing changed.
    pub refresh_minutes: u32,
}

impl Default for CrlSection {
    fn default() -> Self {
        CrlSection { validity_hours: 24, refresh_minutes: 60 }
    }
}

/// The `[http]` table: how long the server waits for a client, and how many it serves at once,
/// so that idle or slow clients cannot hold every connection (and file descriptor) it has.
#[derive(Clone, Debug, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    /// Seconds from the moment the server waits for a request — on a new connection, or on a
    /// kept-alive one after its last answer — until the request's header is whole; a client
    /// that takes longer is disconnected. So it is also how long an idle keep-alive connection
    /// stays open (hyper starts one timer for both). Behind a load balancer, make it longer
    /// than the balancer's own idle timeout.
    pub header_timeout_seconds: u64,
    /// Seconds a request's body has, from the end of its header, to arrive whole; a client
    /// still sending then is refused and disconnected. The center's bodies are small (JSON, a
    /// CSR, an OCSP request), so this is generous for any real network.
    pub body_timeout_seconds: u64,
    /// Seconds the server waits for room to write more of an answer; a client that takes none
    /// of it for that long (its receive window closed) is disconnected. A slow client that keeps
    /// taking is never cut off, however long the whole answer takes.
    pub send_timeout_seconds: u64,
    /// Connections served at once; further ones wait in the listen backlog until one ends.
    /// Lowered at start to fit the process's open-file limit.
    pub max_connections: usize,
}

impl Default for HttpSection {
    fn default() -> Self {
        HttpSection {
            header_timeout_seconds: 30,
            body_timeout_seconds: 30,
            send_timeout_seconds: 30,
            max_connections: 1024,
        }
    }
}

impl HttpSection {
    fn check(self) -> Result<HttpSection, ConfigError> {
        let zero = [
            ("header_timeout_seconds", self.header_timeout_seconds == 0),
            ("body_timeout_seconds", self.body_timeout_seconds == 0),
            ("send_timeout_seconds", self.send_timeout_seconds == 0),
            ("max_connections", self.max_connections == 0),
        ];
        match zero.iter().find(|(_, z)| *z) {
            Some((key, _)) => Err(ConfigError::Http { key }),
            None => Ok(self),
        }
    }
}

/// One `[[trusted_issuers]]` entry: another institution whose certificates log in here once
/// registered (타기관 인증서). Relative paths are relative to the configuration file.
#[derive(Clone, Debug, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    /// Shown to customers and kept with each registration, e.g. "A은행".
    pub name: String,
    /// CA certificate files (PEM or DER): the institution's root and/or issuing CA.
    #[serde(default)]
    pub certificates: Vec<PathBuf>,
    /// CA certificates to fetch over HTTP instead (fetched on first use, retried until they answer).
    #[serde(default)]
    pub certificate_urls: Vec<String>,
    /// Overrides the OCSP URL of the certificates' AIA.
    pub ocsp_url: Option<String>,
    /// Overrides the CRL URL of the certificates' CRL distribution point.
    pub crl_url: Option<String>,
}

/// The file's shape.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    base_url: Option<String>,
    database_url: Option<String>,
    #[serde(default)]
    ca: CaSection,
    #[serde(default)]
    crl: CrlSection,
    #[serde(default)]
    http: HttpSection,
    #[serde(default)]
    products: BTreeMap<String, ProductOverride>,
    /// The identity policy (which checks each flow needs); read by the identity crate.
    identity: Option<toml::Table>,
    #[serde(default)]
    trusted_issuers: Vec<TrustedIssuer>,
    /// Load balancers whose X-Forwarded-For names the client (addresses or ranges).
    #[serde(default)]
    trusted_proxies: Vec<String>,
}

/// What the command line says; `None` leaves the lower layers' value.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub data_dir: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub base_url: Option<String>,
    pub database_url: Option<String>,
}

/// The environment, as a lookup so tests can supply their own.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    /// The file that was read, if any.
    pub config_file: Option<PathBuf>,
    pub listen: SocketAddr,
    /// The base of every URL put into certificates (CDP, AIA). Relying parties must reach it.
    pub base_url: String,
    pub ca: CaSection,
    pub crl: CrlSection,
    pub http: HttpSection,
    pub catalog: Catalog,
    /// The center's clock (shifted only by `DOJANG_CLOCK_OFFSET`).
    pub clock: Clock,
    /// The `[identity]` table as TOML text, when the file has one (the identity crate reads it).
    pub identity_policy: Option<String>,
    /// Other institutions whose certificates may be registered here (paths made absolute).
    pub trusted_issuers: Vec<TrustedIssuer>,
    /// Where the store is when not the SQLite file in the data directory
    /// ([`Config::database_path`]): a PostgreSQL database that replicas share, or another
    /// SQLite file.
    pub database_url: Option<DatabaseUrl>,
    /// Load balancers in front of the replicas, whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

/// A database URL: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`. It may
/// hold a password, so `Debug` shows only its kind; [`DatabaseUrl::expose`] gives it whole to
/// the store.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, ConfigError> {
        let url = url.trim();
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") if url.len() > "sqlite:".len() => Ok(DatabaseUrl(url.to_string())),
            Some("postgres" | "postgresql") if url.contains("://") => {
                Ok(DatabaseUrl(url.to_string()))
            }
            _ => Err(ConfigError::DatabaseUrl(match scheme {
                Some(s) => format!("a {s}: URL"),
                None => "no URL".to_string(),
            })),
        }
    }

    /// The URL, password and all: for opening the store, never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_postgres(&self) -> bool {
        self.0.to_ascii_lowercase().starts_with("postgres")
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.is_postgres() { "postgres" } else { "sqlite" };
        write!(f, "DatabaseUrl({kind}:…)")
    }
}

fn check_base_url(s: &str) -> Result<String, ConfigError> {
    let rest = s.strip_prefix("http://").or_else(|| s.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty() && !host.starts_with('/') && !s.contains(char::is_whitespace) =>
        {
            Ok(s.trim_end_matches('/').to_string())
        }
        _ => Err(ConfigError::BaseUrl(s.to_string())),
    }
}

impl Config {
    /// Resolves the configuration from defaults, the file, `env` and `flags`.
    pub fn load(flags: &Flags, env: &dyn Env) -> Result<Config, ConfigError> {
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env.get("DOJANG_DATA").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let config_file = flags
            .config_file
            .clone()
            .or_else(|| env.get("DOJANG_CONFIG").map(PathBuf::from))
            .or_else(|| Some(data_dir.join(CONFIG_FILE_NAME)).filter(|p| p.exists()));
        let file = match &config_file {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };

        let listen_text = flags
            .listen
            .clone()
            .or_else(|| env.get("DOJANG_LISTEN"))
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr =
            listen_text.parse().map_err(|_| ConfigError::Listen(listen_text.clone()))?;
        let base_url =
            match flags.base_url.clone().or_else(|| env.get("DOJANG_BASE_URL")).or(file.base_url) {
                Some(u) => check_base_url(&u)?,
                None => format!("http://{listen}"),
            };

        let mut ca = file.ca;
        if let Some(p) = env.get("DOJANG_CA_PASSPHRASE_FILE") {
            ca.passphrase_file.get_or_insert(PathBuf::from(p));
        }
        let catalog = Catalog::with_overrides(file.products.iter().map(|(k, v)| (k.as_str(), v)))?;
        let clock = Clock::from_env(env)?;
        let identity_policy = file.identity.map(|t| t.to_string());
        let database_url = flags
            .database_url
            .clone()
            .or_else(|| env.get("DOJANG_DATABASE_URL"))
            .or(file.database_url)
            .map(|u| DatabaseUrl::parse(&u))
            .transpose()?;
        let trusted_proxies = match env.get("DOJANG_TRUSTED_PROXIES") {
            Some(list) => TrustedProxies::parse(list.split(','))?,
            None => TrustedProxies::parse(file.trusted_proxies.iter().map(String::as_str))?,
        };
        let base_dir = config_file.as_deref().and_then(Path::parent).map(Path::to_path_buf);
        let trusted_issuers = file
            .trusted_issuers
            .into_iter()
            .map(|mut t| {
                if let Some(dir) = &base_dir {
                    t.certificates = t.certificates.iter().map(|p| dir.join(p)).collect();
                }
                t
            })
            .collect();
        Ok(Config {
            data_dir,
            config_file,
            listen,
            base_url,
            ca,
            crl: file.crl,
            http: file.http.check()?,
            catalog,
            clock,
            identity_policy,
            trusted_issuers,
            database_url,
            trusted_proxies,
        })
    }

    /// The default store: the SQLite file in the data directory (when no `database_url`).
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("dojang.sqlite3")
    }

    pub fn ca_dir(&self) -> PathBuf {
        self.data_dir.join("ca")
    }

    pub fn urls(&self) -> PublicationUrls {
        PublicationUrls::new(&self.base_url)
    }

    pub fn subject_rules(&self) -> SubjectRules {
        SubjectRules {
            organization: self.ca.organization.clone(),
            bank_ou: self.ca.bank_ou.clone(),
        }
    }

    /// Finds the CA passphrase: `ca.passphrase_file`, then `DOJANG_CA_PASSPHRASE`, then the
    /// demo passphrase file in the data directory — generated on first start when nothing
    /// else is configured, and announced as demo-only.
    pub fn ca_passphrase(&self, env: &dyn Env) -> Result<ResolvedPassphrase, ConfigError> {
        passphrase::resolve(self, env)
    }

    /// The HSM's user PIN when `[ca.hsm]` is set: `ca.hsm.pin_file`, else `DOJANG_HSM_PIN`.
    pub fn hsm_pin(
        &self,
        env: &dyn Env,
    ) -> Result<Option<zeroize::Zeroizing<String>>, ConfigError> {
        passphrase::hsm_pin(self, env)
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    toml::from_str(&text)
        .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, String>);
    impl Env for MapEnv {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    #[test]
    fn defaults_then_file_then_env_then_flags() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = MapEnv(HashMap::new());
        let flags = Flags { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
        let c = Config::load(&flags, &empty).expect("defaults");
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.base_url, "http://127.0.0.1:8080");
        assert!(c.config_file.is_none());

        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "listen = \"127.0.0.1:9000\"\n[ca]\norganization = \"testbank\"\n[products.personal-bank]\nvalidity_days = 365\n",
        )
        .expect("write");
        let c = Config::load(&flags, &empty).expect("file");
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.base_url, "http://127.0.0.1:9000");
        assert_eq!(c.ca.organization, "testbank");
        assert_eq!(c.catalog.get(dojang_profile::ProductId::PersonalBank).validity_days, 365);

        let env = MapEnv(HashMap::from([("DOJANG_LISTEN", "127.0.0.1:9100".to_string())]));
        assert_eq!(Config::load(&flags, &env).expect("env").listen.port(), 9100);
        let flags2 = Flags {
            listen: Some("127.0.0.1:9200".into()),
            base_url: Some("https://ca.bank.example/".into()),
            ..flags
        };
        let c = Config::load(&flags2, &env).expect("flags");
        assert_eq!(c.listen.port(), 9200);
        assert_eq!(c.base_url, "https://ca.bank.example");
    }

    #[test]
    fn mistakes_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = MapEnv(HashMap::new());
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "lisen = 1\n").expect("write");
        let flags = Flags { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
        let err = Config::load(&flags, &empty).expect_err("typo");
        assert!(err.to_string().contains("lisen"), "{err}");
        let flags = Flags { config_file: Some(dir.path().join("none.toml")), ..Default::default() };
        assert!(matches!(Config::load(&flags, &empty), Err(ConfigError::Read { .. })));
        let flags = Flags {
            listen: Some("localhost".into()),
            data_dir: Some(dir.path().join("x")),
            ..Default::default()
        };
        assert!(matches!(Config::load(&flags, &empty), Err(ConfigError::Listen(_))));
        let flags = Flags {
            base_url: Some("ftp://x".into()),
            data_dir: Some(dir.path().join("x")),
            ..Default::default()
        };
        assert!(matches!(Config::load(&flags, &empty), Err(ConfigError::BaseUrl(_))));
    }

    #[test]
    fn the_http_limits_have_defaults_and_refuse_zero() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = MapEnv(HashMap::new());
        let flags = Flags { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
        assert_eq!(Config::load(&flags, &empty).expect("defaults").http, HttpSection::default());
        let file = dir.path().join(CONFIG_FILE_NAME);
        std::fs::write(
            &file,
            "[http]\nheader_timeout_seconds = 5\nsend_timeout_seconds = 7\nmax_connections = 10\n",
        )
        .expect("write");
        let http = Config::load(&flags, &empty).expect("file").http;
        assert_eq!((http.header_timeout_seconds, http.body_timeout_seconds), (5, 30));
        assert_eq!(http.send_timeout_seconds, 7);
        assert_eq!(http.max_connections, 10);
        std::fs::write(&file, "[http]\nbody_timeout_seconds = 0\n").expect("write");
        let err = Config::load(&flags, &empty).expect_err("zero");
        assert!(err.to_string().contains("body_timeout_seconds must be at least 1"), "{err}");
        std::fs::write(&file, "[http]\nsend_timeout_seconds = 0\n").expect("write");
        let err = Config::load(&flags, &empty).expect_err("zero");
        assert!(err.to_string().contains("send_timeout_seconds must be at least 1"), "{err}");
        std::fs::write(&file, "[http]\nidle_seconds = 5\n").expect("write");
        let err = Config::load(&flags, &empty).expect_err("unknown key");
        assert!(err.to_string().contains("idle_seconds"), "{err}");
    }

    #[test]
    fn the_database_url_comes_from_file_env_or_flag_and_never_shows_its_password() {
        let dir = tempfile::tempdir().expect("tempdir");
        let flags = Flags { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
        let empty = MapEnv(HashMap::new());
        let c = Config::load(&flags, &empty).expect("defaults");
        assert_eq!(c.database_url, None);
        assert_eq!(c.database_path(), dir.path().join("dojang.sqlite3"));

        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "database_url = \"postgres://dojang:file-secret@db1/center\"\n",
        )
        .expect("write");
        let c = Config::load(&flags, &empty).expect("file");
        let url = c.database_url.clone().expect("url");
        assert_eq!(url.expose(), "postgres://dojang:file-secret@db1/center");
        assert!(url.is_postgres());
        assert!(!format!("{c:?}").contains("file-secret"), "Debug hides the password");

        let env = MapEnv(HashMap::from([(
            "DOJANG_DATABASE_URL",
            "postgresql://dojang@db2:5433/center".to_string(),
        )]));
        let c = Config::load(&flags, &env).expect("env");
        assert_eq!(
            c.database_url.map(|u| u.expose().to_string()).as_deref(),
            Some("postgresql://dojang@db2:5433/center")
        );
        let flags2 =
            Flags { database_url: Some("sqlite:/srv/dojang.sqlite3".into()), ..flags.clone() };
        let c = Config::load(&flags2, &env).expect("flag");
        let url = c.database_url.expect("url");
        assert!(!url.is_postgres());
        assert_eq!(url.expose(), "sqlite:/srv/dojang.sqlite3");

        let flags3 = Flags { database_url: Some("mysql://root:hunter2@db/x".into()), ..flags };
        let err = Config::load(&flags3, &empty).expect_err("mysql");
        let text = err.to_string();
        assert!(text.contains("postgres://") && !text.contains("hunter2"), "{text}");
    }
}
