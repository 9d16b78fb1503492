//! The center assembled: store, CA, registration authority and status publishers.

use std::path::PathBuf;
use std::sync::Arc;

use dojang_ca::{
    CaError, CaNames, CertificateAuthority, Hsm, HsmConfig, KeyHome, Passphrase, SignerCheck,
};
use dojang_config::Config;
use dojang_flows::{FlowSettings, Flows};
use dojang_identity::{Identity, Limits};
use dojang_outside::{Outside, Simulator};
use dojang_pki::Serial;
use dojang_ra::RegistrationAuthority;
use dojang_status::{CrlPolicy, CrlPublisher, Responder, StatusError};
use dojang_store::{Actor, AuditEvent, Store, StoreError};
use dojang_vault::{Vault, VaultError};
use time::{Duration, OffsetDateTime};

#[derive(Debug, thiserror::Error)]
pub enum CenterError {
    #[error("creating the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error(transparent)]
    Status(#[from] StatusError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("the [identity] policy in the configuration: {0}")]
    Policy(#[from] dojang_identity::PolicyError),
    #[error("the [[trusted_issuers]] configuration: {0}")]
    TrustedIssuers(String),
}

/// The label of the vault's key-encryption key in the HSM.
const VAULT_KEK_LABEL: &str = "dojang vault KEK";

/// The HSM's key-encryption key, as the vault uses it.
struct VaultKek(dojang_ca::hsm::HsmKek);

impl dojang_vault::Kek for VaultKek {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
        self.0.seal(plain).map_err(|e| e.to_string())
    }
    fn open(&self, sealed: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
        self.0.open(sealed).map_err(|e| e.to_string())
    }
}

/// The HSM the configuration names (`[ca.hsm]`), with its PIN from the environment or file.
fn hsm_config(config: &Config) -> Result<Option<HsmConfig>, CaError> {
    let Some(section) = &config.ca.hsm else { return Ok(None) };
    let pin = config
        .hsm_pin(&dojang_config::ProcessEnv)
        .map_err(|e| CaError::Hsm(e.to_string()))?
        .ok_or_else(|| CaError::Hsm("no PIN".into()))?;
    let module = match &section.module {
        Some(m) => m.clone(),
        None => dojang_ca::hsm::default_module()?,
    };
    Ok(Some(HsmConfig { module, token: section.token.clone(), pin }))
}

/// Opens the store the configuration names, applying migrations: `database_url` when set (a
/// PostgreSQL database replicas share, or another SQLite file), else the SQLite file in the
/// data directory.
pub async fn open_store(config: &Config) -> Result<Store, StoreError> {
    match &config.database_url {
        Some(url) => Store::open(url.expose()).await,
        None => Store::open_sqlite(&config.database_path()).await,
    }
}

/// What happened while opening, for the operator to read.
#[derive(Clone, Debug, Default)]
pub struct Opening {
    pub ca_created: bool,
    pub ocsp_signer_renewed: bool,
}

/// Every part of the running center.
pub struct Center {
    pub config: Config,
    pub store: Store,
    pub ca: Arc<CertificateAuthority>,
    pub ra: Arc<RegistrationAuthority>,
    pub crl: CrlPublisher,
    pub ocsp: Responder,
    pub vault: Arc<Vault>,
    /// The outside world (telephone, SMS, e-mail, ID-card issuer); the local simulator by default.
    pub outside: Arc<dyn Outside>,
    pub identity: Arc<Identity>,
    pub flows: Flows,
    /// Certificate verification for login and relying parties: our CA and the trusted issuers.
    pub verifier: Arc<dojang_verify::Verifier>,
    /// What replacing the OCSP signer takes while the center runs.
    ca_keys: Arc<CaKeys>,
}

/// Where the CA's files are, how its keys open and what it is called: kept so the OCSP signer
/// can be replaced without a restart ([`Center::maintain_ca`]).
struct CaKeys {
    dir: PathBuf,
    passphrase: Passphrase,
    hsm: Option<Arc<Hsm>>,
    names: CaNames,
}

impl Center {
    /// Opens the store (applying migrations) and the CA (making it on first start).
    pub async fn open(
        config: Config,
        passphrase: &Passphrase,
        now: OffsetDateTime,
    ) -> Result<(Center, Opening), CenterError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| CenterError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let store = open_store(&config).await?;
        // Inquiries masked by an older mask_rrns (or before the name and note were masked)
        // lose what it let through.
        let remasked = store.remask_inquiries(now).await?;
        if remasked > 0 {
            tracing::info!(inquiries = remasked, "masked the RRNs older inquiries still held");
        }
        let names = CaNames {
            organization: config.ca.organization.clone(),
            root_cn: config.ca.root_cn.clone(),
            issuing_cn: config.ca.issuing_cn.clone(),
            key_type: config.ca.key_type,
        };
        let urls = config.urls();
        // Key generation, PBKDF2 and the HSM's library are blocking work: off the async workers.
        let hsm = match hsm_config(&config)? {
            Some(h) => Some(Arc::new(
                tokio::task::spawn_blocking(move || Hsm::open(h))
                    .await
                    .map_err(|e| CaError::Refused(format!("HSM start-up task failed: {e}")))??,
            )),
            None => None,
        };
        let ca_keys = Arc::new(CaKeys {
            dir: config.ca_dir(),
            passphrase: passphrase.clone(),
            hsm: hsm.clone(),
            names,
        });
        let opened = tokio::task::spawn_blocking({
            let urls = urls.clone();
            let ca_keys = ca_keys.clone();
            move || {
                let k = &ca_keys;
                let keys = KeyHome { passphrase: &k.passphrase, hsm: k.hsm.as_deref() };
                CertificateAuthority::open_or_create(&k.dir, &keys, &k.names, &urls, now)
            }
        })
        .await
        .map_err(|e| CaError::Refused(format!("CA start-up task failed: {e}")))??;
        let ca = Arc::new(opened.ca);
        let policy = CrlPolicy {
            validity: Duration::hours(i64::from(config.crl.validity_hours.max(1))),
            refresh: Duration::minutes(i64::from(config.crl.refresh_minutes.max(1))),
        };
        let ra = Arc::new(RegistrationAuthority::new(
            ca.clone(),
            store.clone(),
            config.catalog.clone(),
            config.subject_rules(),
            urls,
        ));
        let crl = CrlPublisher::new(ca.clone(), store.clone(), policy);
        let ocsp = Responder::new(ca.clone(), store.clone())?;
        let vault_path = config.data_dir.join("vault.key");
        let (vault, _) = tokio::task::spawn_blocking({
            let passphrase = passphrase.clone();
            move || {
                let kek = match hsm.as_deref() {
                    Some(h) => Some(VaultKek(
                        h.kek(VAULT_KEK_LABEL).map_err(|e| VaultError::Kek(e.to_string()))?,
                    )),
                    None => None,
                };
                let kek = kek.as_ref().map(|k| k as &dyn dojang_vault::Kek);
                Vault::open_or_create_with(&vault_path, passphrase.expose().as_bytes(), kek)
            }
        })
        .await
        .map_err(|e| CaError::Refused(format!("vault start-up task failed: {e}")))??;
        let vault = Arc::new(vault);
        let outside: Arc<dyn Outside> = Arc::new(Simulator::new(store.clone(), vault.clone()));
        let identity = Arc::new(Identity::new(
            store.clone(),
            vault.clone(),
            outside.clone(),
            Limits::default(),
        ));
        let flows = Flows::new(
            store.clone(),
            ra.clone(),
            ca.clone(),
            identity.clone(),
            vault.clone(),
            config.catalog.clone(),
            config.subject_rules(),
            dojang_flows::Policy(match &config.identity_policy {
                Some(text) => dojang_identity::Policy::from_toml(text)?,
                None => dojang_identity::Policy::default(),
            }),
            FlowSettings::default(),
        );
        let verifier = Arc::new(crate::routes::verify::verifier(&config, &ca)?);
        let opening = Opening {
            ca_created: opened.created,
            ocsp_signer_renewed: opened.ocsp_signer != SignerCheck::Current,
        };
        let center = Center {
            config,
            store,
            ca,
            ra,
            crl,
            ocsp,
            vault,
            outside,
            identity,
            flows,
            verifier,
            ca_keys,
        };
        center.audit_ocsp_signer(opened.ocsp_signer, true, now).await;
        Ok((center, opening))
    }

    /// The center's clock (the system clock unless `DOJANG_CLOCK_OFFSET` shifts it).
    pub fn now(&self) -> OffsetDateTime {
        self.config.clock.now()
    }

    /// Replaces the OCSP signer inside its last 30 days, as at start-up, without a restart
    /// (see [`CertificateAuthority::maintain`]); the blocking work runs off the async workers.
    pub async fn maintain_ca(&self, now: OffsetDateTime) -> Result<SignerCheck, CaError> {
        let ca = self.ca.clone();
        let k = self.ca_keys.clone();
        tokio::task::spawn_blocking(move || {
            let keys = KeyHome { passphrase: &k.passphrase, hsm: k.hsm.as_deref() };
            ca.maintain(&k.dir, &keys, &k.names, now)
        })
        .await
        .map_err(|e| CaError::Refused(format!("OCSP signer check task failed: {e}")))?
    }

    /// Records in the audit log that the OCSP signer in use changed (`ca.ocsp_signer`): which
    /// certificate signs answers now, until when, and how it came (`renewed`, `adopted`, with
    /// ` at start` when the center was opening). Nothing when it did not change.
    pub(crate) async fn audit_ocsp_signer(
        &self,
        check: SignerCheck,
        at_start: bool,
        now: OffsetDateTime,
    ) {
        let how = match check {
            SignerCheck::Current => return,
            SignerCheck::Adopted => "adopted",
            SignerCheck::Renewed => "renewed",
        };
        let how = if at_start { format!("{how} at start") } else { how.to_string() };
        let cert = self.ca.ocsp_certificate();
        let serial = Serial::from_x509(&cert.tbs_certificate.serial_number)
            .map(|s| s.to_hex())
            .unwrap_or_default();
        let until = self.ca.ocsp_signer_not_after();
        let event = AuditEvent::new(
            Actor::System,
            "ca.ocsp_signer",
            format!("certificate:{serial}"),
            serde_json::json!({ "how": how, "not_after": until.unix_timestamp() }),
        );
        if let Err(e) = self.store.audit(&event, now).await {
            tracing::error!(error = %e, "recording the new OCSP signer in the audit log failed");
        }
    }
}
