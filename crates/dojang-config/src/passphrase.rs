//! Where the CA passphrase comes from.

use std::io::Write;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::{Config, ConfigError, Env};

/// The demo passphrase file, in the data directory. Its name says what it is.
pub const DEMO_PASSPHRASE_FILE: &str = "DEMO-ONLY-ca-passphrase.txt";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassphraseSource {
    /// `ca.passphrase_file` or `DOJANG_CA_PASSPHRASE_FILE`.
    File(PathBuf),
    /// `DOJANG_CA_PASSPHRASE`.
    Environment,
    /// The demo file, made just now because nothing was configured and there was no CA yet.
    DemoGenerated(PathBuf),
    /// The demo file made on an earlier first start.
    Demo(PathBuf),
}

impl PassphraseSource {
    pub fn is_demo(&self) -> bool {
        matches!(self, Self::DemoGenerated(_) | Self::Demo(_))
    }
}

/// A passphrase and where it came from. The text is wiped on drop and never printed.
pub struct ResolvedPassphrase {
    pub secret: Zeroizing<String>,
    pub source: PassphraseSource,
}

impl std::fmt::Debug for ResolvedPassphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResolvedPassphrase(hidden, from {:?})", self.source)
    }
}

fn first_line(text: &str) -> Zeroizing<String> {
    Zeroizing::new(text.lines().next().unwrap_or("").trim_end_matches('\r').to_string())
}

pub(crate) fn resolve(config: &Config, env: &dyn Env) -> Result<ResolvedPassphrase, ConfigError> {
    if let Some(path) = &config.ca.passphrase_file {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            ConfigError::Passphrase(format!("cannot read passphrase file {}: {e}", path.display()))
        })?);
        let secret = first_line(&text);
        if secret.is_empty() {
            return Err(ConfigError::Passphrase(format!(
                "passphrase file {} is empty",
                path.display()
            )));
        }
        return Ok(ResolvedPassphrase { secret, source: PassphraseSource::File(path.clone()) });
    }
    if let Some(p) = env.get("DOJANG_CA_PASSPHRASE") {
        return Ok(ResolvedPassphrase {
            secret: Zeroizing::new(p),
            source: PassphraseSource::Environment,
        });
    }
    let demo = config.data_dir.join(DEMO_PASSPHRASE_FILE);
    if demo.exists() {
        let text = Zeroizing::new(std::fs::read_to_string(&demo).map_err(|e| {
            ConfigError::Passphrase(format!("cannot read {}: {e}", demo.display()))
        })?);
        return Ok(ResolvedPassphrase {
            secret: first_line(&text),
            source: PassphraseSource::Demo(demo),
        });
    }
    if config.ca_dir().exists() {
        return Err(ConfigError::Passphrase(format!(
            "the CA in {} is encrypted but no passphrase is configured; set DOJANG_CA_PASSPHRASE or ca.passphrase_file",
            config.ca_dir().display()
        )));
    }
    // First start with nothing configured: make a demo passphrase so the center runs at once,
    // and keep it beside the data where its name warns that it is for demos only.
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        ConfigError::Passphrase(format!("cannot create {}: {e}", config.data_dir.display()))
    })?;
    let mut bytes = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let secret = Zeroizing::new(hex::encode(bytes));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let write = |opts: &std::fs::OpenOptions| -> std::io::Result<()> {
        let mut f = opts.open(&demo)?;
        writeln!(f, "{}", secret.as_str())?;
        writeln!(
            f,
            "# DEMO ONLY: this passphrase protects the CA keys in ca/. A real center keeps it"
        )?;
        writeln!(f, "# elsewhere (DOJANG_CA_PASSPHRASE or ca.passphrase_file) or uses an HSM.")?;
        f.sync_all()
    };
    write(&opts)
        .map_err(|e| ConfigError::Passphrase(format!("cannot write {}: {e}", demo.display())))?;
    Ok(ResolvedPassphrase { secret, source: PassphraseSource::DemoGenerated(demo) })
}

/// The HSM user PIN, read like the passphrase (a file's first line, or the environment).
pub(crate) fn hsm_pin(
    config: &Config,
    env: &dyn Env,
) -> Result<Option<Zeroizing<String>>, ConfigError> {
    let Some(hsm) = &config.ca.hsm else { return Ok(None) };
    let pin = match &hsm.pin_file {
        Some(path) => first_line(&Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            ConfigError::HsmPin(format!("cannot read the PIN file {}: {e}", path.display()))
        })?)),
        None => Zeroizing::new(env.get("DOJANG_HSM_PIN").unwrap_or_default()),
    };
    if pin.is_empty() {
        return Err(ConfigError::HsmPin(
            "[ca.hsm] is set but there is no PIN: set DOJANG_HSM_PIN or ca.hsm.pin_file".into(),
        ));
    }
    Ok(Some(pin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Flags, ProcessEnv};

    struct NoEnv;
    impl Env for NoEnv {
        fn get(&self, _: &str) -> Option<String> {
            None
        }
    }

    #[test]
    fn demo_passphrase_is_made_once_and_then_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let flags = Flags { data_dir: Some(dir.path().join("data")), ..Default::default() };
        let config = Config::load(&flags, &NoEnv).expect("config");
        let first = config.ca_passphrase(&NoEnv).expect("generated");
        assert!(matches!(first.source, PassphraseSource::DemoGenerated(_)));
        let again = config.ca_passphrase(&NoEnv).expect("reused");
        assert!(matches!(again.source, PassphraseSource::Demo(_)));
        assert_eq!(first.secret, again.secret);
        assert!(!format!("{first:?}").contains(first.secret.as_str()));
        let _ = ProcessEnv;
    }

    #[test]
    fn an_existing_ca_without_a_passphrase_is_an_error_not_a_new_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("ca")).expect("mkdir");
        let flags = Flags { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
        let config = Config::load(&flags, &NoEnv).expect("config");
        let err = config.ca_passphrase(&NoEnv).expect_err("no passphrase");
        assert!(err.to_string().contains("DOJANG_CA_PASSPHRASE"));
    }
}
