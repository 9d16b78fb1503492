//! The full CRL of each CA, rebuilt whenever a status has changed since the last one and on a
//! schedule (so that it never passes its nextUpdate).

use std::sync::Arc;

use der::Encode;
use dojang_ca::{CertificateAuthority, CrlScope};
use dojang_pki::RevocationReason;
use dojang_profile::ext;
use dojang_profile::time::to_x509;
use dojang_store::{CrlRecord, RevokedEntry, Store};
use time::{Duration, OffsetDateTime};
use tokio::sync::Mutex;
use x509_cert::certificate::Version;
use x509_cert::crl::{RevokedCert, TbsCertList};
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::CrlNumber;

use crate::StatusError;

/// How often CRLs are made and how long each one holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrlPolicy {
    /// nextUpdate − thisUpdate.
    pub validity: Duration,
    /// A CRL older than this is rebuilt even when nothing changed.
    pub refresh: Duration,
}

impl Default for CrlPolicy {
    fn default() -> Self {
        CrlPolicy { validity: Duration::hours(24), refresh: Duration::hours(1) }
    }
}

fn scope_name(scope: CrlScope) -> &'static str {
    match scope {
        CrlScope::Issuing => "issuing",
        CrlScope::Root => "root",
    }
}

pub(crate) fn to_crl_reason(r: RevocationReason) -> CrlReason {
    match r {
        RevocationReason::Unspecified => CrlReason::Unspecified,
        RevocationReason::KeyCompromise => CrlReason::KeyCompromise,
        RevocationReason::CaCompromise => CrlReason::CaCompromise,
        RevocationReason::AffiliationChanged => CrlReason::AffiliationChanged,
        RevocationReason::Superseded => CrlReason::Superseded,
        RevocationReason::CessationOfOperation => CrlReason::CessationOfOperation,
        RevocationReason::CertificateHold => CrlReason::CertificateHold,
        RevocationReason::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
        RevocationReason::AaCompromise => CrlReason::AaCompromise,
    }
}

fn entry(e: &RevokedEntry) -> Result<RevokedCert, StatusError> {
    // RFC 5280 §5.3.1: reasonCode unspecified SHOULD be left out rather than written.
    let extensions = match e.revocation.reason {
        RevocationReason::Unspecified => None,
        r => Some(vec![ext::extension(
            const_oid::db::rfc5280::ID_CE_CRL_REASONS,
            false,
            &to_crl_reason(r),
        )?]),
    };
    Ok(RevokedCert {
        serial_number: e.serial.to_x509(),
        revocation_date: to_x509(e.revocation.at)?,
        crl_entry_extensions: extensions,
    })
}

/// Builds, signs and keeps a new CRL of `scope`.
pub async fn build(
    ca: &CertificateAuthority,
    store: &Store,
    scope: CrlScope,
    policy: CrlPolicy,
    now: OffsetDateTime,
) -> Result<CrlRecord, StatusError> {
    // The generation and the entries come from one snapshot: the CRL lists exactly what its
    // generation counts, and a revocation after it makes the next fetch rebuild.
    let (generation, entries) = match scope {
        CrlScope::Issuing => store.crl_entries(now).await?,
        // No CA certificate has been revoked; the root's CRL is empty until one is.
        CrlScope::Root => (store.status_generation().await?, Vec::new()),
    };
    let number = store.next_crl_number(scope_name(scope)).await?;
    let issuer = ca.crl_issuer(scope);
    let revoked = entries.iter().map(entry).collect::<Result<Vec<_>, _>>()?;
    let next_update = now + policy.validity;
    let tbs = TbsCertList {
        version: Version::V2,
        signature: issuer.signature_algorithm.clone(),
        issuer: issuer.name.clone(),
        this_update: to_x509(now)?,
        next_update: Some(to_x509(next_update)?),
        // An empty list is left out altogether (RFC 5280 §5.1.2.6).
        revoked_certificates: if revoked.is_empty() { None } else { Some(revoked) },
        crl_extensions: Some(vec![
            ext::authority_key_identifier(&issuer.key_id)?,
            ext::extension(
                const_oid::db::rfc5280::ID_CE_CRL_NUMBER,
                false,
                &CrlNumber(der::asn1::Uint::new(&number.to_be_bytes())?),
            )?,
        ]),
    };
    let crl = ca.sign_crl(scope, tbs)?;
    let record =
        CrlRecord { number, this_update: now, next_update, generation, der: crl.to_der()? };
    if store.save_crl(scope_name(scope), &record).await? {
        return Ok(record);
    }
    // Another process kept a CRL made from a later snapshot meanwhile: that one is current, and
    // this one (which may lack a revocation it lists) is never handed out.
    match store.latest_crl(scope_name(scope)).await? {
        Some(kept) => Ok(kept),
        None => Ok(record),
    }
}

/// Hands out the current CRL, rebuilding it when stale.
pub struct CrlPublisher {
    ca: Arc<CertificateAuthority>,
    store: Store,
    policy: CrlPolicy,
    /// One rebuild at a time in this process; other processes may race, which the store's
    /// "newer number wins" rule makes harmless.
    building: Mutex<()>,
}

impl CrlPublisher {
    pub fn new(ca: Arc<CertificateAuthority>, store: Store, policy: CrlPolicy) -> Self {
        CrlPublisher { ca, store, policy, building: Mutex::new(()) }
    }

    fn is_fresh(
        &self,
        crl: &CrlRecord,
        generation: i64,
        scope: CrlScope,
        now: OffsetDateTime,
    ) -> bool {
        let status_unchanged = scope == CrlScope::Root || crl.generation == generation;
        status_unchanged && now < crl.this_update + self.policy.refresh && now < crl.next_update
    }

    /// The current CRL of `scope`, rebuilt first if any status changed since it was made, or it
    /// is older than the refresh interval.
    pub async fn current(
        &self,
        scope: CrlScope,
        now: OffsetDateTime,
    ) -> Result<CrlRecord, StatusError> {
        let generation = self.store.status_generation().await?;
        if let Some(crl) = self.store.latest_crl(scope_name(scope)).await? {
            if self.is_fresh(&crl, generation, scope, now) {
                return Ok(crl);
            }
        }
        let _guard = self.building.lock().await;
        // Someone may have rebuilt it while we waited.
        let generation = self.store.status_generation().await?;
        if let Some(crl) = self.store.latest_crl(scope_name(scope)).await? {
            if self.is_fresh(&crl, generation, scope, now) {
                return Ok(crl);
            }
        }
        build(&self.ca, &self.store, scope, self.policy, now).await
    }

    /// A new CRL now, whatever the state (the operator's `dojang ca crl`).
    pub async fn rebuild(
        &self,
        scope: CrlScope,
        now: OffsetDateTime,
    ) -> Result<CrlRecord, StatusError> {
        let _guard = self.building.lock().await;
        build(&self.ca, &self.store, scope, self.policy, now).await
    }

    pub fn policy(&self) -> CrlPolicy {
        self.policy
    }
}

/// The CRL number kept in a CRL's DER, for tests and `ca crl`'s report.
pub fn crl_number(der: &[u8]) -> Option<u64> {
    use der::Decode;
    let crl = x509_cert::crl::CertificateList::from_der(der).ok()?;
    let exts = crl.tbs_cert_list.crl_extensions?;
    let e = exts.iter().find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_NUMBER)?;
    let n = CrlNumber::from_der(e.extn_value.as_bytes()).ok()?;
    let bytes = n.0.as_bytes();
    if bytes.len() > 8 {
        return None;
    }
    let mut buf = [0u8; 8];
    buf[8 - bytes.len()..].copy_from_slice(bytes);
    Some(u64::from_be_bytes(buf))
}
