//! The OCSP responder (RFC 6960): a DER request in, a DER response out, always. A request that
//! cannot be read gets a `malformedRequest` answer, a store failure `internalError`; nothing
//! here panics or leaves the caller without a proper OCSP response.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use der::asn1::{Null, OctetString};
use der::{Decode, Encode};
use dojang_ca::CertificateAuthority;
use dojang_pki::{oid, RevocationReason, Serial};
use dojang_profile::time::to_generalized;
use dojang_store::{StatusOf, Store};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use time::{Duration, OffsetDateTime};
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::Extension;
use x509_ocsp::{
    CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse, OcspResponseStatus,
    ResponseBytes, RevokedInfo, SingleResponse,
};

use crate::StatusError;

/// At most this many certificates in one request; RFC 5019 clients ask about one.
const MAX_REQUESTS: usize = 64;
/// RFC 9654 (which raised RFC 8954's 32): a nonce is an OCTET STRING of 1 to 128 octets, and
/// a request with one shorter or longer is refused as `malformedRequest`.
const MAX_NONCE: usize = 128;
/// How long a signed answer to a request without a nonce may be handed out again while the
/// status it states is still the store's. RFC 5019 §2.2 lets a responder answer from responses
/// produced earlier; relying parties here accept a thisUpdate up to an hour old.
const REUSE: Duration = Duration::seconds(60);
/// At most this many answers kept for reuse (one per distinct request), holding at most
/// `MAX_KEPT_BYTES` of requests and answers; then they all go.
const MAX_KEPT: usize = 16_384;
const MAX_KEPT_BYTES: usize = 64 << 20;
/// Requests longer than this are answered but their answers not kept: one about a single
/// certificate is about 100 bytes, and without a bound a client padding distinct requests
/// (with extensions we ignore) filled the memory with kept answers.
const MAX_KEPT_REQUEST: usize = 1024;

/// What one entry of a request asks about, as far as its answer depends on it.
#[derive(Clone, Debug)]
enum Asked {
    /// A certificate of our issuing CA: its status is the store's.
    Ours(Serial),
    /// Another issuer, or a serial no certificate can have: always "unknown".
    NotOurs,
}

/// A signed answer, what its request asked and the statuses it states, in the order asked.
struct Kept {
    asked: Vec<Asked>,
    statuses: Vec<CertStatus>,
    produced: OffsetDateTime,
    /// Shared, not copied, with every request it answers.
    der: Bytes,
}

/// The kept answers, and the bytes they hold (requests and answers).
#[derive(Default)]
struct KeptAnswers {
    by_request: HashMap<Vec<u8>, Arc<Kept>>,
    bytes: usize,
}

/// A request refused as `malformedRequest` for what its extensions say.
struct Malformed;

/// The request's nonce, if it has one, once its extensions pass: RFC 6960 §4.4 lets a
/// responder ignore an extension it does not understand only when it is not critical, and
/// RFC 9654 makes the nonce an OCTET STRING of 1 to 128 octets, given once.
fn nonce_of(req: &OcspRequest) -> Result<Option<Extension>, Malformed> {
    let mut nonce = None;
    for e in req.tbs_request.request_extensions.iter().flatten() {
        if e.extn_id == oid::OCSP_NONCE {
            let value = OctetString::from_der(e.extn_value.as_bytes()).map_err(|_| Malformed)?;
            if nonce.is_some() || !(1..=MAX_NONCE).contains(&value.as_bytes().len()) {
                return Err(Malformed);
            }
            nonce = Some(e.clone());
        } else if e.critical {
            return Err(Malformed);
        }
    }
    // No single-request extension is understood here, so none may be critical.
    let single = req.tbs_request.request_list.iter();
    if single.flat_map(|r| r.single_request_extensions.iter().flatten()).any(|e| e.critical) {
        return Err(Malformed);
    }
    Ok(nonce)
}

/// How the issuing CA is identified in a CertID: its name's and key's hashes, for each hash
/// algorithm a client may use (RFC 6960 leaves the choice to the client; SHA-1 is the norm,
/// newer clients send SHA-256 or longer).
struct IssuerHashes {
    by_algorithm: Vec<(const_oid::ObjectIdentifier, Vec<u8>, Vec<u8>)>,
}

impl IssuerHashes {
    fn of(name: &[u8], key: &[u8]) -> Self {
        fn both<D: Digest>(name: &[u8], key: &[u8]) -> (Vec<u8>, Vec<u8>) {
            (D::digest(name).to_vec(), D::digest(key).to_vec())
        }
        let by_algorithm = [
            (oid::SHA1, both::<Sha1>(name, key)),
            (oid::SHA256, both::<Sha256>(name, key)),
            (oid::SHA384, both::<Sha384>(name, key)),
            (oid::SHA512, both::<Sha512>(name, key)),
        ]
        .into_iter()
        .map(|(alg, (n, k))| (alg, n, k))
        .collect();
        IssuerHashes { by_algorithm }
    }
}

/// The responder for the issuing CA's certificates.
pub struct Responder {
    ca: Arc<CertificateAuthority>,
    store: Store,
    issuer: IssuerHashes,
    /// Answers to nonce-less requests by the request's bytes: an RSA signature is not spent
    /// again on the same question while the answer would be the same.
    kept: Mutex<KeptAnswers>,
    /// Made at the first answer, when the server's metrics recorder is in place, and kept:
    /// looking a labelled counter up costs a hash of its name and labels every time.
    counted: OnceLock<StatusCounters>,
}

/// `dojang_ocsp_cert_status_total` by status: unknown, good, revoked.
type StatusCounters = [metrics::Counter; 3];

fn status_counters() -> StatusCounters {
    ["unknown", "good", "revoked"]
        .map(|status| metrics::counter!("dojang_ocsp_cert_status_total", "status" => status))
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
        let issuer = IssuerHashes::of(&name, key);
        Ok(Responder { ca, store, issuer, kept: Mutex::default(), counted: OnceLock::new() })
    }

    fn is_our_issuer(&self, id: &CertId) -> bool {
        let (name, key) = (id.issuer_name_hash.as_bytes(), id.issuer_key_hash.as_bytes());
        self.issuer
            .by_algorithm
            .iter()
            .any(|(alg, n, k)| *alg == id.hash_algorithm.oid && name == n && key == k)
    }

    fn asked(&self, id: &CertId) -> Asked {
        // RFC 6960 §2.2: "unknown" covers a request about an issuer we do not serve.
        if !self.is_our_issuer(id) {
            return Asked::NotOurs;
        }
        Serial::from_x509(&id.serial_number).map_or(Asked::NotOurs, Asked::Ours)
    }

    async fn status_of(
        &self,
        asked: &Asked,
        now: OffsetDateTime,
    ) -> Result<CertStatus, StatusError> {
        let Asked::Ours(serial) = asked else {
            return Ok(CertStatus::Unknown(Null));
        };
        let status = self.store.status(serial).await?;
        let [unknown, good, revoked] = self.counted.get_or_init(status_counters);
        match status {
            StatusOf::Unknown => unknown,
            StatusOf::Good => good,
            StatusOf::Revoked(_) => revoked,
        }
        .increment(1);
        Ok(match status {
            StatusOf::Unknown => CertStatus::Unknown(Null),
            StatusOf::Good => CertStatus::Good(Null),
            StatusOf::Revoked(r) => CertStatus::Revoked(RevokedInfo {
                revocation_time: OcspGeneralizedTime(to_generalized(r.at.min(now))?),
                revocation_reason: Some(crl_reason(r.reason)),
            }),
        })
    }

    /// The statuses of what `asked` names, read from the store now.
    async fn statuses(
        &self,
        asked: &[Asked],
        now: OffsetDateTime,
    ) -> Result<Vec<CertStatus>, StatusError> {
        let mut statuses = Vec::with_capacity(asked.len());
        for a in asked {
            statuses.push(self.status_of(a, now).await?);
        }
        Ok(statuses)
    }

    /// Answers one DER-encoded OCSP request.
    pub async fn respond(&self, request: &[u8], now: OffsetDateTime) -> (Bytes, Outcome) {
        // The very bytes of a nonce-less request answered lately (RFC 5019 clients ask the
        // same question again and again): what it asks is known, so it is not decoded again —
        // only the store is asked, as for any request, and the kept answer is handed out if it
        // still states what the store says.
        let mut read = None;
        if let Some(kept) = self.kept_for(request, now) {
            match self.statuses(&kept.asked, now).await {
                Ok(statuses) if statuses == kept.statuses => {
                    return (kept.der.clone(), Outcome::Answered)
                }
                // Changed since: signed anew below, over what was just read.
                Ok(statuses) => read = Some(statuses),
                // Read again below, where a failure gets its proper answer.
                Err(_) => {}
            }
        }
        let Ok(req) = OcspRequest::from_der(request) else {
            return (unsuccessful(OcspResponseStatus::MalformedRequest), Outcome::Malformed);
        };
        let list = &req.tbs_request.request_list;
        if list.is_empty() || list.len() > MAX_REQUESTS {
            return (unsuccessful(OcspResponseStatus::MalformedRequest), Outcome::Malformed);
        }
        let Ok(nonce) = nonce_of(&req) else {
            return (unsuccessful(OcspResponseStatus::MalformedRequest), Outcome::Malformed);
        };
        match self.answer(request, &req, nonce, read, now).await {
            Ok(der) => (der, Outcome::Answered),
            Err(e) => {
                tracing::error!(error = %e, "OCSP answer failed");
                (unsuccessful(OcspResponseStatus::InternalError), Outcome::InternalError)
            }
        }
    }

    /// The statuses are read from the store for every request (here, or just before as `read`
    /// when a kept answer turned out stale), so that a revocation committed by any process is
    /// in the very next answer; only the signature over them may be reused.
    async fn answer(
        &self,
        request: &[u8],
        req: &OcspRequest,
        nonce: Option<Extension>,
        read: Option<Vec<CertStatus>>,
        now: OffsetDateTime,
    ) -> Result<Bytes, StatusError> {
        let asked: Vec<Asked> =
            req.tbs_request.request_list.iter().map(|r| self.asked(&r.req_cert)).collect();
        let statuses = match read {
            Some(statuses) => statuses,
            None => self.statuses(&asked, now).await?,
        };
        let reusable = nonce.is_none() && request.len() <= MAX_KEPT_REQUEST;
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
        let basic = self.ca.sign_ocsp(produced, responses, nonce.map(|n| vec![n]))?;
        let resp = OcspResponse {
            response_status: OcspResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: oid::OCSP_BASIC,
                response: OctetString::new(basic.to_der()?)?,
            }),
        };
        let der = Bytes::from(resp.to_der()?);
        if reusable {
            self.keep(request, Kept { asked, statuses, produced: now, der: der.clone() });
        }
        Ok(der)
    }

    /// The answer kept for the same bytes as `request`, if it is recent enough to reuse.
    fn kept_for(&self, request: &[u8], now: OffsetDateTime) -> Option<Arc<Kept>> {
        let kept = self.kept.lock().ok()?;
        let k = kept.by_request.get(request)?;
        (k.produced <= now && now - k.produced < REUSE).then(|| Arc::clone(k))
    }

    fn keep(&self, request: &[u8], answer: Kept) {
        let size = request.len() + answer.der.len();
        if let Ok(mut kept) = self.kept.lock() {
            if kept.by_request.len() >= MAX_KEPT || kept.bytes + size > MAX_KEPT_BYTES {
                *kept = KeptAnswers::default();
            }
            if let Some(old) = kept.by_request.insert(request.to_vec(), Arc::new(answer)) {
                kept.bytes -= request.len() + old.der.len();
            }
            kept.bytes += size;
        }
    }
}

fn crl_reason(r: RevocationReason) -> CrlReason {
    crate::crl::to_crl_reason(r)
}
