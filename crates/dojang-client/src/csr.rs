//! The certificate request (PKCS#10) the customer's software sends: the subject the center
//! named at the confirm step, the new public key, signed by the new private key (the
//! self-signature is the proof that the requester holds the key).

use const_oid::db::rfc4519;
use der::asn1::{BitString, SetOfVec};
use der::{Encode, EncodePem};
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, Version};

use crate::keys::{KeyError, KeyPair};

/// Why the CSR could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CsrError {
    /// The subject the center gave is not in the `/C=KR/O=…/CN=…` form.
    #[error("the subject {subject:?} cannot be read: {why}")]
    Subject { subject: String, why: String },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("the request cannot be encoded: {0}")]
    Encode(String),
    /// The key's holder (a security token) could not sign.
    #[error("the request cannot be signed: {0}")]
    Signer(String),
}

fn subject_error(subject: &str, why: impl Into<String>) -> CsrError {
    CsrError::Subject { subject: subject.to_string(), why: why.into() }
}

/// Parses a subject in OpenSSL's `-subj` form, root first (`/C=KR/O=dojang/OU=personal4IB/
/// OU=DOJANGBANK/CN=홍길동()0010000000000001`; `\/` is a slash inside a value), into the name
/// the center requires — encoded exactly as the center encodes its own (`C` a
/// PrintableString, the rest UTF8String), since the center compares the names as values.
pub fn parse_openssl_subject(subject: &str) -> Result<Name, CsrError> {
    let text = subject.trim();
    let Some(rest) = text.strip_prefix('/') else {
        return Err(subject_error(subject, "it must start with /"));
    };
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => current.push(escaped),
                None => return Err(subject_error(subject, "it ends with a lone \\")),
            },
            '/' => parts.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    parts.push(current);
    let mut rdns = Vec::with_capacity(parts.len());
    for part in &parts {
        let Some((key, value)) = part.split_once('=') else {
            return Err(subject_error(subject, format!("part {part:?} has no ‘=’")));
        };
        let oid = match key.trim().to_ascii_lowercase().as_str() {
            "c" => rfc4519::C,
            "o" => rfc4519::O,
            "ou" => rfc4519::OU,
            "cn" => rfc4519::CN,
            "l" => rfc4519::L,
            "st" => rfc4519::ST,
            "serialnumber" => rfc4519::SERIAL_NUMBER,
            other => return Err(subject_error(subject, format!("unknown attribute {other:?}"))),
        };
        if value.is_empty() {
            return Err(subject_error(subject, format!("{key} is empty")));
        }
        rdns.push((oid, value));
    }
    dojang_profile::name::build(&rdns).map_err(|e| subject_error(subject, e.to_string()))
}

/// A PKCS#10 request for `subject` with `key`'s public key, signed by `key`. No attributes:
/// the center decides every extension.
pub fn build(subject: Name, key: &KeyPair) -> Result<CertReq, CsrError> {
    let info = CertReqInfo {
        version: Version::V1,
        subject,
        public_key: key.public_key_info()?,
        attributes: SetOfVec::new(),
    };
    let tbs = info.to_der().map_err(|e| CsrError::Encode(e.to_string()))?;
    let signature = key.sign(&tbs)?;
    Ok(CertReq {
        info,
        algorithm: key.signature_algorithm(),
        signature: BitString::from_bytes(&signature)
            .map_err(|e| CsrError::Encode(e.to_string()))?,
    })
}

/// A request for a key held elsewhere (a security token): `sign` gets the DER of the
/// CertificationRequestInfo and returns the signature made with `algorithm`.
pub fn build_signed_by<E: std::fmt::Display>(
    subject: Name,
    public_key: spki::SubjectPublicKeyInfoOwned,
    algorithm: spki::AlgorithmIdentifierOwned,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<CertReq, CsrError> {
    let info =
        CertReqInfo { version: Version::V1, subject, public_key, attributes: SetOfVec::new() };
    let tbs = info.to_der().map_err(|e| CsrError::Encode(e.to_string()))?;
    let signature = sign(&tbs).map_err(|e| CsrError::Signer(e.to_string()))?;
    Ok(CertReq {
        info,
        algorithm,
        signature: BitString::from_bytes(&signature)
            .map_err(|e| CsrError::Encode(e.to_string()))?,
    })
}

/// sha256WithRSAEncryption with NULL parameters (RFC 4055), as [`KeyPair::sign`] and a
/// token's `CKM_SHA256_RSA_PKCS` sign.
pub fn sha256_with_rsa() -> spki::AlgorithmIdentifierOwned {
    spki::AlgorithmIdentifierOwned {
        oid: dojang_pki::oid::SHA256_WITH_RSA,
        parameters: Some(der::asn1::AnyRef::NULL.into()),
    }
}

/// The request as PEM (`-----BEGIN CERTIFICATE REQUEST-----`).
pub fn to_pem(req: &CertReq) -> Result<String, CsrError> {
    req.to_pem(der::pem::LineEnding::LF).map_err(|e| CsrError::Encode(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use der::Decode;
    use dojang_pki::KeyType;
    use std::process::Command;

    const SUBJECT: &str = "/C=KR/O=dojang/OU=personal4IB/OU=DOJANGBANK/CN=홍길동()0010000000000001";

    #[test]
    fn the_subject_is_encoded_as_the_center_encodes_it() {
        let name = parse_openssl_subject(SUBJECT).unwrap();
        let expected = dojang_profile::name::build(&[
            (rfc4519::C, "KR"),
            (rfc4519::O, "dojang"),
            (rfc4519::OU, "personal4IB"),
            (rfc4519::OU, "DOJANGBANK"),
            (rfc4519::CN, "홍길동()0010000000000001"),
        ])
        .unwrap();
        assert_eq!(name, expected);
        assert_eq!(
            dojang_profile::name::korean_text(&name),
            "cn=홍길동()0010000000000001,ou=DOJANGBANK,ou=personal4IB,o=dojang,c=kr"
        );
        let slashed = parse_openssl_subject(r"/C=KR/O=a\/b/CN=x()0010000000000001").unwrap();
        assert_eq!(dojang_profile::name::first(&slashed, rfc4519::O).as_deref(), Some("a/b"));
    }

    #[test]
    fn bad_subjects_are_refused() {
        for s in ["C=KR/O=x", "/C=KR/O", "/C=KR/XX=y", "/C=KR/O=", r"/C=KR/O=x\"] {
            assert!(matches!(parse_openssl_subject(s), Err(CsrError::Subject { .. })), "{s}");
        }
    }

    /// The CSR as `openssl req` reads it: its self-signature verifies and it names the subject.
    fn openssl_verifies(pem: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("req.pem");
        std::fs::write(&path, pem).unwrap();
        let out = Command::new("openssl")
            .args(["req", "-verify", "-noout", "-text", "-nameopt", "utf8,sep_comma_plus", "-in"])
            .arg(&path)
            .output()
            .expect("the openssl CLI is needed for this test");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // OpenSSL 3.0 exits 0 even when the signature fails: read what it says.
        assert!(out.status.success() && text.contains("verify OK"), "openssl req -verify:\n{text}");
        text
    }

    #[test]
    fn openssl_verifies_rsa_and_p256_requests() {
        for kt in [KeyType::Rsa2048, KeyType::EcdsaP256] {
            let key = KeyPair::generate(kt).unwrap();
            let req = build(parse_openssl_subject(SUBJECT).unwrap(), &key).unwrap();
            let pem = to_pem(&req).unwrap();
            assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
            let text = openssl_verifies(&pem);
            assert!(text.contains("홍길동()0010000000000001"), "{text}");
            match kt {
                KeyType::Rsa2048 => assert!(
                    text.contains("sha256WithRSAEncryption") && text.contains("2048 bit"),
                    "{text}"
                ),
                KeyType::EcdsaP256 => assert!(
                    text.contains("ecdsa-with-SHA256") && text.contains("prime256v1"),
                    "{text}"
                ),
            }
            // It parses back with the same public key.
            let der = req.to_der().unwrap();
            let back = CertReq::from_der(&der).unwrap();
            assert_eq!(back.info.public_key, key.public_key_info().unwrap());
        }
    }

    #[test]
    fn a_tampered_request_does_not_verify() {
        let key = KeyPair::generate(KeyType::EcdsaP256).unwrap();
        let mut req = build(parse_openssl_subject(SUBJECT).unwrap(), &key).unwrap();
        req.info.subject =
            parse_openssl_subject("/C=KR/O=dojang/CN=someone()0010000000000002").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("req.pem");
        std::fs::write(&path, to_pem(&req).unwrap()).unwrap();
        let out = Command::new("openssl")
            .args(["req", "-verify", "-noout", "-in"])
            .arg(&path)
            .output()
            .expect("openssl");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success()
                || (text.contains("verify failure") && !text.contains("verify OK")),
            "a changed subject must break the self-signature: {text}"
        );
    }
}
