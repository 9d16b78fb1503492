//! CRLs (RFC 5280 §5) as a client: the list is believed only when the issuer signed it, it
//! names that issuer, and it is current (thisUpdate passed, nextUpdate not).

use der::{Decode, Encode};
use time::{Duration, OffsetDateTime};
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::CrlReason;

use crate::cert::{time_of, Cert};
use crate::status::{reason_of, Status};
use dojang_pki::sig;

const SKEW: Duration = Duration::minutes(5);

/// Checks the DER CRL and looks `leaf` up in it.
pub fn check(
    der: &[u8],
    leaf: &Cert,
    issuer: &Cert,
    now: OffsetDateTime,
) -> Result<Status, String> {
    let crl = CertificateList::from_der(der).map_err(|e| format!("not a CRL: {e}"))?;
    let tbs = &crl.tbs_cert_list;
    if tbs.issuer != issuer.cert.tbs_certificate.subject {
        return Err(format!("the CRL is issued by {}, not by {}", tbs.issuer, issuer.subject()));
    }
    if crl.signature_algorithm != tbs.signature {
        return Err("the CRL's two signature algorithms differ".into());
    }
    let tbs_der = tbs.to_der().map_err(|e| e.to_string())?;
    let signature = crl.signature.as_bytes().ok_or("the CRL's signature is not whole octets")?;
    sig::verify(
        &issuer.cert.tbs_certificate.subject_public_key_info,
        &crl.signature_algorithm,
        &tbs_der,
        signature,
    )
    .map_err(|e| format!("the CRL's signature: {e}"))?;
    if time_of(&tbs.this_update) > now + SKEW {
        return Err("the CRL is from the future (clocks differ?)".into());
    }
    match &tbs.next_update {
        Some(next) if time_of(next) + SKEW >= now => {}
        Some(next) => return Err(format!("the CRL is stale (nextUpdate {})", time_of(next))),
        None => return Err("the CRL has no nextUpdate".into()),
    }
    let serial = &leaf.cert.tbs_certificate.serial_number;
    let entry = tbs.revoked_certificates.iter().flatten().find(|r| &r.serial_number == serial);
    Ok(match entry {
        None => Status::Good,
        Some(r) => {
            let code = r
                .crl_entry_extensions
                .iter()
                .flatten()
                .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_REASONS)
                .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok())
                .map(|r| r as u32)
                .unwrap_or(0);
            Status::Revoked { at: time_of(&r.revocation_date), reason: reason_of(code) }
        }
    })
}
