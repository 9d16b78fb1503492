//! The OCSP responder (RFC 6960): a DER request in, a DER response out, always. A request that
//! cannot be read gets a `malformedRequest` answer, a store failure `internalError`; nothing
//! here panics or leaves the caller without a proper OCSP response.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use der::asn1::{Null, OctetString};
use der::{Decode, Encode};
use dojang_ca::CertificateAuthority;
use dojang_pki::{oid, RevocationReason, Serial};
use dojang_profile::time::to_generalized;
use dojang_store::{StatusOf, Store};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::Extension;
use x509_ocsp::{
    CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse, OcspResponseStatus,
    ResponderId, ResponseBytes, ResponseData, RevokedInfo, SingleResponse, Version,
};

use crate::StatusError;

/// At most this many certificates in one request; RFC 5019 clients ask about one.
const MAX_REQUESTS: usize = 64;
/// RFC 8954: a nonce is 1 to 32 octets. We echo up to 128 for older clients and refuse more.
const MAX_NONCE: usize = 128;
/// How long a signed answer to a request without a nonce may be handed out again while the
/// status it states is still the store's. RFC 5019 §2.2 lets a responder answer from responses
/// produced earlier; relying parties here accept a thisUpdate up to an hour old.
const REUSE: Duration = Duration::seconds(60);
/// At most this many answers kept for reuse (one per distinct request); then they all go.
const MAX_KEPT: usize = 16_384;

/// A signed answer and the statuses it states, in the order asked.
struct Kept {
    statuses: Vec<CertStatus>,
    produced: OffsetDateTime,
    /// Shared, not copied, with every request it answers.
    der: Bytes,
}

/// How the issuing CA is identified in a CertID, per hash algorithm.
struct IssuerHashes {
    sha1_name: [u8; 20],
    sha1_key: [u8; 20],
    sha256_name: [u8; 32],
    sha256_key: [u8; 32],
}

/// The responder for the issuing CA's certificates.
pub struct Responder {
    ca: Arc<CertificateAuthority>,
    store: Store,
    issuer: IssuerHashes,
    key_hash: [u8; 20],
    /// Answers to nonce-less requests by the request's bytes: an RSA signature is not spent
    /// again on the same question while the answer would be the same.
    kept: Mutex<HashMap<Vec<u8>, Kept>>,
}

/// What became of one request, for logs and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Malformed,
    InternalError,
}

fn unsuccessful(status: OcspResponseStatus) -> Bytes {
    let resp = OcspResponse { response_status: status, response_bytes: None };
    // Encoding a one-field enum cannot fail; the fallback is the same DER written by hand.
    resp.to_der().unwrap_or_else(|_| vec![0x30, 0x03, 0x0a, 0x01, status as u8]).into()
}

impl Responder {
    pub fn new(ca: Arc<CertificateAuthority>, store: Store) -> Result<Self, StatusError> {
        let cert = ca.issuing_certificate();
        let name = cert.tbs_certificate.subject.to_der()?;
        let key = cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
        let issuer = IssuerHashes {
            sha1_name: Sha1::digest(&name).into(),
            sha1_key: Sha1::digest(key).into(),
            sha256_name: Sha256::digest(&name).into(),
            sha256_key: Sha256::digest(key).into(),
        };
        let key_hash = ca.ocsp_responder_key_hash();
        Ok(Responder { ca, store, issuer, key_hash, kept: Mutex::default() })
    }

    fn is_our_issuer(&self, id: &CertId) -> bool {
        let name = id.issuer_name_hash.as_bytes();
        let key = id.issuer_key_hash.as_bytes();
        if id.hash_algorithm.oid == oid::SHA1 {
            name == self.issuer.sha1_name && key == self.issuer.sha1_key
        } else if id.hash_algorithm.oid == oid::SHA256 {
            name == self.issuer.sha256_name && key == self.issuer.sha256_key
        } else {
            false
        }
    }

    async fn status_of(&self, id: &CertId, now: OffsetDateTime) -> Result<CertStatus, StatusError> {
        if !self.is_our_issuer(id) {
            // RFC 6960 §2.2: "unknown" covers a request about an issuer we do not serve.
            return Ok(CertStatus::Unknown(Null));
        }
        let Ok(serial) = Serial::from_x509(&id.serial_number) else {
            return Ok(CertStatus::Unknown(Null));
        };
        let status = self.store.status(&serial).await?;
        let label = match status {
            StatusOf::Unknown => "unknown",
            StatusOf::Good => "good",
            StatusOf::Revoked(_) => "revoked",
        };
        metrics::counter!("dojang_ocsp_cert_status_total", "status" => label).increment(1);
        Ok(match status {
            StatusOf::Unknown => CertStatus::Unknown(Null),
            StatusOf::Good => CertStatus::Good(Null),
            StatusOf::Revoked(r) => CertStatus::Revoked(RevokedInfo {
                revocation_time: OcspGeneralizedTime(to_generalized(r.at.min(now))?),
                revocation_reason: Some(crl_reason(r.reason)),
            }),
        })
    }

    /// Answers one DER-encoded OCSP request.
    pub async fn respond(&self, request: &[u8], now: OffsetDateTime) -> (Bytes, Outcome) {
        let Ok(req) = OcspRequest::from_der(request) else {
            return (unsuccessful(OcspResponseStatus::MalformedRequest), Outcome::Malformed);
        };
        let list = &req.tbs_request.request_list;
        if list.is_empty() || list.len() > MAX_REQUESTS {
            return (unsuccessful(OcspResponseStatus::MalformedRequest), Outcome::Malformed);
        }
        let nonce = req
            .tbs_request
            .request_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == oid::OCSP_NONCE)
            .cloned();
        if nonce.as_ref().is_some_and(|n| n.extn_value.as_bytes().len() > MAX_NONCE + 4) {
            return (unsuccessful(OcspResponseStatus::MalformedRequest), Outcome::Malformed);
        }
        match self.answer(request, &req, nonce, now).await {
            Ok(der) => (der, Outcome::Answered),
            Err(e) => {
                tracing::error!(error = %e, "OCSP answer failed");
                (unsuccessful(OcspResponseStatus::InternalError), Outcome::InternalError)
            }
        }
    }

    /// The statuses are read from the store on every call, so that a revocation committed by
    /// any process is in the very next answer; only the signature over them may be reused.
    async fn answer(
        &self,
        request: &[u8],
        req: &OcspRequest,
        nonce: Option<Extension>,
        now: OffsetDateTime,
    ) -> Result<Bytes, StatusError> {
        let mut statuses = Vec::with_capacity(req.tbs_request.request_list.len());
        for r in &req.tbs_request.request_list {
            statuses.push(self.status_of(&r.req_cert, now).await?);
        }
        let reusable = nonce.is_none();
        if reusable {
            if let Some(der) = self.kept_answer(request, &statuses, now) {
                return Ok(der);
            }
        }
        let produced = OcspGeneralizedTime(to_generalized(now)?);
        let mut responses = Vec::with_capacity(statuses.len());
        for (r, cert_status) in req.tbs_request.request_list.iter().zip(statuses.iter().cloned()) {
            responses.push(SingleResponse {
                cert_id: r.req_cert.clone(),
                cert_status,
                this_update: produced,
                // No nextUpdate: status is read live, so newer information is always at hand
                // (RFC 6960 §4.2.2.1) and a cache must not hide a revocation.
                next_update: None,
                single_extensions: None,
            });
        }
        let data = ResponseData {
            version: Version::V1,
            responder_id: ResponderId::ByKey(OctetString::new(self.key_hash.as_slice())?),
            produced_at: produced,
            responses,
            response_extensions: nonce.map(|n| vec![n]),
        };
        let basic = self.ca.sign_ocsp(data)?;
        let resp = OcspResponse {
            response_status: OcspResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: oid::OCSP_BASIC,
                response: OctetString::new(basic.to_der()?)?,
            }),
        };
        let der = Bytes::from(resp.to_der()?);
        if reusable {
            self.keep(request, statuses, now, der.clone());
        }
        Ok(der)
    }

    /// The answer kept for `request` if it states `statuses` and is recent enough.
    fn kept_answer(
        &self,
        request: &[u8],
        statuses: &[CertStatus],
        now: OffsetDateTime,
    ) -> Option<Bytes> {
        let kept = self.kept.lock().ok()?;
        let k = kept.get(request)?;
        let fresh = k.produced <= now && now - k.produced < REUSE;
        (fresh && k.statuses == statuses).then(|| k.der.clone())
    }

    fn keep(&self, request: &[u8], statuses: Vec<CertStatus>, now: OffsetDateTime, der: Bytes) {
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() >= MAX_KEPT {
                kept.clear();
            }
            kept.insert(request.to_vec(), Kept { statuses, produced: now, der });
        }
    }
}

fn crl_reason(r: RevocationReason) -> CrlReason {
    crate::crl::to_crl_reason(r)
}
