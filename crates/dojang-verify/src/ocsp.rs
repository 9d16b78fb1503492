//! OCSP as a client (RFC 6960): one CertID (SHA-1, as every NPKI responder understands) and a
//! fresh nonce in; the answer checked before it is believed — signed by the issuer or by a
//! delegated responder the issuer certified for OCSP signing, our nonce echoed if any nonce
//! is, fresh, and about our certificate.

use der::asn1::{Null, OctetString};
use der::{Any, Decode, Encode};
use dojang_pki::oid;
use sha1::{Digest, Sha1};
use spki::AlgorithmIdentifierOwned;
use time::{Duration, OffsetDateTime};
use x509_cert::ext::Extension;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    ResponderId, TbsRequest,
};

use crate::cert::Cert;
use crate::chain::signed_by;
use crate::status::{reason_of, Status};
use dojang_pki::sig;

/// Clocks of two banks differ a little.
const SKEW: Duration = Duration::minutes(5);
/// Without a nonce echoed or a nextUpdate, an answer older than this is stale.
const MAX_AGE: Duration = Duration::hours(1);

/// A request ready to send, and what its answer must match.
pub struct Query {
    pub der: Vec<u8>,
    nonce: Vec<u8>,
    cert_id: CertId,
}

fn gtime(t: &x509_ocsp::OcspGeneralizedTime) -> OffsetDateTime {
    let secs = i64::try_from(t.0.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The OCSP request for `leaf` issued by `issuer`, with a random nonce.
pub fn request(leaf: &Cert, issuer: &Cert) -> Result<Query, String> {
    let name = issuer.cert.tbs_certificate.subject.to_der().map_err(|e| e.to_string())?;
    let enc = |e: der::Error| e.to_string();
    let cert_id = CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: oid::SHA1,
            parameters: Some(Any::encode_from(&Null).map_err(enc)?),
        },
        issuer_name_hash: OctetString::new(Sha1::digest(&name).to_vec()).map_err(enc)?,
        issuer_key_hash: OctetString::new(issuer.key_sha1().to_vec()).map_err(enc)?,
        serial_number: leaf.cert.tbs_certificate.serial_number.clone(),
    };
    let mut nonce = vec![0u8; 16];
    aws_lc_rs::rand::fill(&mut nonce)
        .map_err(|_| "no randomness for the OCSP nonce".to_string())?;
    let nonce_ext = Extension {
        extn_id: oid::OCSP_NONCE,
        critical: false,
        extn_value: OctetString::new(
            OctetString::new(nonce.clone()).map_err(enc)?.to_der().map_err(enc)?,
        )
        .map_err(enc)?,
    };
    let req = OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id.clone(),
                single_request_extensions: None,
            }],
            request_extensions: Some(vec![nonce_ext]),
        },
        optional_signature: None,
    };
    Ok(Query { der: req.to_der().map_err(enc)?, nonce, cert_id })
}

fn same_cert_id(a: &CertId, b: &CertId) -> bool {
    a.hash_algorithm.oid == b.hash_algorithm.oid
        && a.issuer_name_hash == b.issuer_name_hash
        && a.issuer_key_hash == b.issuer_key_hash
        && a.serial_number == b.serial_number
}

/// The certificate that signed the response: the issuer itself, or a delegated responder
/// among the attached certificates that the issuer certified for OCSP signing.
fn signer(resp: &BasicOcspResponse, issuer: &Cert, now: OffsetDateTime) -> Result<Cert, String> {
    let named = |c: &Cert| match &resp.tbs_response_data.responder_id {
        ResponderId::ByName(n) => &c.cert.tbs_certificate.subject == n,
        ResponderId::ByKey(k) => k.as_bytes() == c.key_sha1().as_slice(),
    };
    if named(issuer) {
        return Ok(issuer.clone());
    }
    for c in resp.certs.iter().flatten() {
        let der = c.to_der().map_err(|e| e.to_string())?;
        let c = Cert { cert: c.clone(), der };
        if !named(&c) {
            continue;
        }
        signed_by(&c, issuer).map_err(|_| {
            format!("the responder certificate {} is not signed by the issuer", c.subject())
        })?;
        if !c.extended_key_usage().contains(&oid::KP_OCSP_SIGNING) {
            return Err(format!(
                "the responder certificate {} is not for OCSP signing",
                c.subject()
            ));
        }
        if now + SKEW < c.not_before() || now - SKEW > c.not_after() {
            return Err(format!("the responder certificate {} is not valid now", c.subject()));
        }
        return Ok(c);
    }
    Err("the response is signed by a responder the issuer did not authorize".into())
}

/// Checks the DER answer to `query` about a certificate of `issuer`.
pub fn check_response(
    der: &[u8],
    query: &Query,
    issuer: &Cert,
    now: OffsetDateTime,
) -> Result<Status, String> {
    let resp = OcspResponse::from_der(der).map_err(|e| format!("not an OCSP response: {e}"))?;
    if resp.response_status != OcspResponseStatus::Successful {
        return Err(format!("the responder answered {:?}", resp.response_status));
    }
    let bytes = resp.response_bytes.ok_or("the response is empty")?;
    if bytes.response_type != oid::OCSP_BASIC {
        return Err(format!("unknown response type {}", bytes.response_type));
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|e| format!("not a basic OCSP response: {e}"))?;
    let signer = signer(&basic, issuer, now)?;
    let tbs = basic.tbs_response_data.to_der().map_err(|e| e.to_string())?;
    let signature =
        basic.signature.as_bytes().ok_or("the response's signature is not whole octets")?;
    sig::verify(
        &signer.cert.tbs_certificate.subject_public_key_info,
        &basic.signature_algorithm,
        &tbs,
        signature,
    )
    .map_err(|e| format!("the response's signature: {e}"))?;
    let echoed = match basic.nonce() {
        Some(n) if n.0.as_bytes() != query.nonce.as_slice() => {
            return Err("the response's nonce is not ours (a replayed answer?)".into())
        }
        Some(_) => true,
        None => false,
    };
    let single = basic
        .tbs_response_data
        .responses
        .iter()
        .find(|r| same_cert_id(&r.cert_id, &query.cert_id))
        .ok_or("the response is not about our certificate")?;
    let this_update = gtime(&single.this_update);
    if this_update > now + SKEW {
        return Err("the response is from the future (clocks differ?)".into());
    }
    match &single.next_update {
        Some(next) if gtime(next) + SKEW < now => {
            return Err("the response is stale (past its nextUpdate)".into())
        }
        None if !echoed && this_update + MAX_AGE < now => {
            return Err("the response is stale".into())
        }
        _ => {}
    }
    Ok(match &single.cert_status {
        CertStatus::Good(_) => Status::Good,
        CertStatus::Revoked(info) => Status::Revoked {
            at: gtime(&info.revocation_time),
            reason: reason_of(info.revocation_reason.map(|r| r as u32).unwrap_or(0)),
        },
        CertStatus::Unknown(_) => Status::Unknown,
    })
}
