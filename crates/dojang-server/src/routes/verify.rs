//! The center as a relying party: the verifier built from our CA and the configured trusted
//! issuers, a certificate checked end to end (path, validity, status), and whose it is here
//! (issued here to a customer, or registered as another institution's, with the VID checked
//! against the customer's RRN). Shared by login, registration and `POST /api/v1/verify`.

use dojang_ca::CertificateAuthority;
use dojang_config::Config;
use dojang_npki::vid::Rrn;
use dojang_pki::Serial;
use dojang_store::{Customer, CustomerKind, StatusOf};
use dojang_verify::{IssuerSpec, Path, Refusal, Source, Status, Verifier};
use time::OffsetDateTime;

use crate::center::{Center, CenterError};

/// Our own CA first (its status comes from the store), then `[[trusted_issuers]]`.
pub(crate) fn verifier(
    config: &Config,
    ca: &CertificateAuthority,
) -> Result<Verifier, CenterError> {
    let mut specs = vec![IssuerSpec {
        name: format!("{} (this bank)", config.ca.organization),
        own: true,
        certificates: vec![ca.root_der().to_vec(), ca.issuing_der().to_vec()],
        ..IssuerSpec::default()
    }];
    for t in &config.trusted_issuers {
        let mut certificates = Vec::new();
        for path in &t.certificates {
            certificates.push(std::fs::read(path).map_err(|e| {
                CenterError::TrustedIssuers(format!(
                    "{:?}: reading {}: {e}",
                    t.name,
                    path.display()
                ))
            })?);
        }
        specs.push(IssuerSpec {
            name: t.name.clone(),
            own: false,
            certificates,
            certificate_urls: t.certificate_urls.clone(),
            ocsp_url: t.ocsp_url.clone(),
            crl_url: t.crl_url.clone(),
        });
    }
    Verifier::new(specs).map_err(|e| CenterError::TrustedIssuers(e.to_string()))
}

/// A failure that is not the certificate's fault.
#[derive(Debug)]
pub(crate) enum CheckError {
    Refused(Refusal),
    Internal(String),
}

impl From<Refusal> for CheckError {
    fn from(r: Refusal) -> Self {
        CheckError::Refused(r)
    }
}

fn internal(e: impl std::fmt::Display) -> CheckError {
    CheckError::Internal(e.to_string())
}

/// A certificate that passed: its path and where its status came from.
pub(crate) struct Checked {
    pub path: Path,
    pub source: Source,
}

/// Path, validity and status. The verifier may fetch over HTTP, so it runs off the async
/// workers; our own certificates' status is read from the store, fresh.
pub(crate) async fn check(
    c: &Center,
    leaf: Vec<u8>,
    chain: Vec<Vec<u8>>,
    now: OffsetDateTime,
) -> Result<Checked, CheckError> {
    let verifier = c.verifier.clone();
    let path = tokio::task::spawn_blocking(move || verifier.path(&leaf, &chain, now))
        .await
        .map_err(internal)??;
    let (status, source) = if path.own {
        let serial = Serial::from_x509(&path.leaf.cert.tbs_certificate.serial_number)
            .map_err(|e| Refusal::Malformed { why: e.to_string() })?;
        let status = match c.store.status(&serial).await.map_err(internal)? {
            StatusOf::Good => Status::Good,
            StatusOf::Revoked(r) => Status::Revoked { at: r.at, reason: r.reason },
            StatusOf::Unknown => Status::Unknown,
        };
        (status, Source::Local)
    } else {
        let verifier = c.verifier.clone();
        let p = path.clone();
        tokio::task::spawn_blocking(move || verifier.remote_status(&p, now))
            .await
            .map_err(internal)??
    };
    dojang_verify::judge(status)?;
    Ok(Checked { path, source })
}

/// The customer's RRN, opened from the vault (never logged, dropped wiped).
pub(crate) fn customer_rrn(c: &Center, customer: &Customer) -> Result<Option<Rrn>, CheckError> {
    let Some(sealed) = &customer.rrn_sealed else { return Ok(None) };
    let plain = c.vault.open_sealed(dojang_vault::Purpose::Rrn, sealed).map_err(internal)?;
    let text = std::str::from_utf8(&plain).map_err(|_| internal("a sealed RRN is not text"))?;
    Rrn::new(text).map(Some).map_err(|_| internal("a sealed RRN is not an RRN"))
}

/// The VID check for a person: the certificate must carry a VID made from the customer's RRN
/// and `r`. A business customer's certificate carries none and is bound by record alone.
pub(crate) fn check_person(
    c: &Center,
    customer: &Customer,
    path: &Path,
    r: &[u8],
) -> Result<(), CheckError> {
    if customer.kind == CustomerKind::Business {
        return Ok(());
    }
    let rrn = customer_rrn(c, customer)?.ok_or(Refusal::WrongPerson)?;
    if r.is_empty() {
        return Err(Refusal::WrongPerson.into());
    }
    Ok(dojang_verify::vid::check(&path.leaf, &rrn, r)?)
}

/// Whose certificate this is here: issued here to a customer, or registered. `banking_id`,
/// when the customer typed it, must name that same customer (else: another person's
/// certificate). A certificate issued here with no customer on record (the operator's
/// `ca issue`) belongs to the customer named by `banking_id`, if the VID agrees.
pub(crate) async fn owner(
    c: &Center,
    path: &Path,
    banking_id: Option<&str>,
) -> Result<Customer, CheckError> {
    let named = match banking_id.filter(|b| !b.trim().is_empty()) {
        Some(b) => Some(
            c.store
                .customer_by_banking_id(b.trim())
                .await
                .map_err(internal)?
                .ok_or(Refusal::NotRegistered)?,
        ),
        None => None,
    };
    let recorded = if path.own {
        let serial = Serial::from_x509(&path.leaf.cert.tbs_certificate.serial_number)
            .map_err(|e| Refusal::Malformed { why: e.to_string() })?;
        c.store.certificate(&serial).await.map_err(internal)?.and_then(|r| r.customer_id)
    } else {
        c.store
            .registration_by_fingerprint(&path.leaf.fingerprint())
            .await
            .map_err(internal)?
            .map(|r| r.customer_id)
    };
    match (recorded, named) {
        (Some(id), Some(n)) if id != n.id => Err(Refusal::WrongPerson.into()),
        (Some(_), Some(n)) => Ok(n),
        (Some(id), None) => {
            Ok(c.store.customer(id).await.map_err(internal)?.ok_or(Refusal::NotRegistered)?)
        }
        (None, Some(n)) if path.own => Ok(n),
        (None, _) => Err(Refusal::NotRegistered.into()),
    }
}
