//! One center for the targets that need the whole server (OCSP, the JSON API): a fresh data
//! directory with its CA and store, opened once per fuzzing process and shared by every run.

use std::sync::{Arc, OnceLock};

use dojang_ca::Passphrase;
use dojang_config::{Config, Env, Flags};
use dojang_server::Center;

/// No environment: the fuzzed center is configured by defaults only.
struct NoEnv;

impl Env for NoEnv {
    fn get(&self, _name: &str) -> Option<String> {
        None
    }
}

// Each target uses part of it (the OCSP target the center, the API target the router).
#[allow(dead_code)]
pub struct Shared {
    pub runtime: tokio::runtime::Runtime,
    pub center: Arc<Center>,
    pub router: axum::Router,
    _dir: tempfile::TempDir,
}

pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let flags = Flags { data_dir: Some(dir.path().join("data")), ..Flags::default() };
        let config = Config::load(&flags, &NoEnv).expect("the default configuration");
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let passphrase = Passphrase::new("fuzzing-passphrase-1".to_string());
        let now = time::OffsetDateTime::now_utc();
        let (center, _) =
            runtime.block_on(Center::open(config, &passphrase, now)).expect("the center opens");
        let center = Arc::new(center);
        let router = dojang_server::router(center.clone());
        Shared { runtime, center, router, _dir: dir }
    })
}
