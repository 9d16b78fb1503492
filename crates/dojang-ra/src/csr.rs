//! Certificate signing requests (PKCS#10, RFC 2986): parsed, their self-signature checked
//! (proof that the requester holds the private key), their key judged.

use std::borrow::Cow;

use const_oid::db::rfc5912;
use der::asn1::{ObjectIdentifier, UintRef};
use der::{Decode, Header, Reader, Sequence, SliceReader, Tag};
use dojang_pki::sig::{self, SignatureError};
use dojang_pki::{oid, KeyType};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::name::Name;
use x509_cert::request::CertReq;

/// The smallest and largest RSA moduli we sign for. 2048 is the NPKI norm and the floor of
/// every current guideline; above 4096 nothing is gained and verification gets slow.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;

/// The signature algorithms a CSR may be signed with. Narrower than what `dojang_pki::sig`
/// verifies (it also takes SHA-1 and ECDSA with SHA-384, for older CAs' certificates): a new
/// request has no reason to use them.
const CSR_SIGNATURE_ALGORITHMS: [ObjectIdentifier; 4] = [
    rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
    rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
    rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
    rfc5912::ECDSA_WITH_SHA_256,
];

/// Why a CSR was refused. Each says what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsrError {
    #[error("the CSR could not be read: it is neither PEM (-----BEGIN CERTIFICATE REQUEST-----) nor DER PKCS#10 ({0})")]
    Unreadable(String),
    #[error("the CSR's signature does not verify: it was altered, or signed with a key other than the one it carries; make a new CSR with the key pair")]
    BadSignature,
    #[error("the CSR is signed with {0}, which is not accepted; sign it with SHA-256 (RSA PKCS#1 v1.5 or ECDSA)")]
    SignatureAlgorithm(String),
    #[error("the CSR's RSA key has {0} bits; at least {RSA_MIN_BITS} and at most {RSA_MAX_BITS} are required")]
    RsaKeySize(usize),
    #[error("the CSR's RSA key has an invalid public exponent; use 65537")]
    RsaExponent,
    #[error("the CSR's key is {0}, which is not accepted; use RSA-2048 or ECDSA P-256")]
    KeyAlgorithm(String),
    #[error("the CSR is version {0}; only version 1 (value 0) exists")]
    Version(u8),
}

/// A CSR whose signature verified and whose key is acceptable.
#[derive(Clone, Debug)]
pub struct CheckedCsr {
    pub subject: Name,
    pub public_key: SubjectPublicKeyInfoOwned,
    pub key_type: KeyType,
}

#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

fn bit_length(be: &[u8]) -> usize {
    match be.iter().position(|b| *b != 0) {
        None => 0,
        Some(i) => (be.len() - i) * 8 - be[i].leading_zeros() as usize,
    }
}

/// Judges a public key: RSA 2048–4096 with exponent 65537, or P-256.
pub fn check_key(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyType, CsrError> {
    let alg = spki.algorithm.oid;
    if alg == oid::RSA_ENCRYPTION {
        let raw = spki.subject_public_key.raw_bytes();
        let key = RsaPublicKey::from_der(raw)
            .map_err(|e| CsrError::Unreadable(format!("RSA key: {e}")))?;
        let bits = bit_length(key.modulus.as_bytes());
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(CsrError::RsaKeySize(bits));
        }
        if key.public_exponent.as_bytes() != [0x01, 0x00, 0x01] {
            return Err(CsrError::RsaExponent);
        }
        Ok(KeyType::Rsa2048)
    } else if alg == oid::EC_PUBLIC_KEY {
        let curve =
            spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        if curve == Some(oid::P256) {
            Ok(KeyType::EcdsaP256)
        } else {
            Err(CsrError::KeyAlgorithm(format!(
                "an elliptic-curve key on {}",
                curve.map(|c| c.to_string()).unwrap_or_else(|| "an unnamed curve".into())
            )))
        }
    } else {
        Err(CsrError::KeyAlgorithm(format!("algorithm {alg}")))
    }
}

/// The PEM labels a CSR is found under (RFC 7468 §7, and the older one some tools write).
const PEM_LABELS: [&str; 2] = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

/// The CSR's DER: the input itself, or the PEM's body decoded.
fn der_of(input: &[u8]) -> Result<Cow<'_, [u8]>, CsrError> {
    let trimmed = input.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        // The whole PEM is decoded first, then the DER (dojang_pki::pem says why).
        let der = dojang_pki::pem::decode(trimmed, &PEM_LABELS)
            .map_err(|e| CsrError::Unreadable(e.to_string()))?;
        Ok(Cow::Owned(der))
    } else {
        Ok(Cow::Borrowed(input))
    }
}

/// The bytes the requester signed: the CertificationRequestInfo as it stands in `der` (a CSR
/// that decoded), so that the signature is checked over what was sent, not over our encoding.
fn signed_part(der: &[u8]) -> der::Result<&[u8]> {
    let mut reader = SliceReader::new(der)?;
    Header::decode(&mut reader)?.tag.assert_eq(Tag::Sequence)?;
    reader.tlv_bytes()
}

/// Reads a CSR (PEM or DER), checks its key and verifies its self-signature.
pub fn check(input: &[u8]) -> Result<CheckedCsr, CsrError> {
    let der = der_of(input)?;
    let req = CertReq::from_der(&der).map_err(|e| CsrError::Unreadable(e.to_string()))?;
    let version = req.info.version as u8;
    if version != 0 {
        return Err(CsrError::Version(version));
    }
    let key_type = check_key(&req.info.public_key)?;
    let sig_alg = req.algorithm.oid;
    if !CSR_SIGNATURE_ALGORITHMS.contains(&sig_alg) {
        return Err(CsrError::SignatureAlgorithm(sig_alg.to_string()));
    }
    let signed = signed_part(&der).map_err(|e| CsrError::Unreadable(e.to_string()))?;
    let signature = req.signature.as_bytes().ok_or(CsrError::BadSignature)?;
    // An accepted algorithm that does not fit the key (ECDSA with an RSA key) is refused as
    // the algorithm, as before: the requester has to sign differently, not make a new key.
    sig::verify(&req.info.public_key, &req.algorithm, signed, signature).map_err(|e| match e {
        SignatureError::Invalid => CsrError::BadSignature,
        SignatureError::Unsupported(_) | SignatureError::KeyMismatch(_) => {
            CsrError::SignatureAlgorithm(sig_alg.to_string())
        }
    })?;
    Ok(CheckedCsr { subject: req.info.subject, public_key: req.info.public_key, key_type })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        for input in [
            &b""[..],
            b"hello",
            b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            &[0x30, 0x82, 0xff, 0xff],
        ] {
            assert!(matches!(check(input), Err(CsrError::Unreadable(_))), "{input:?}");
        }
    }

    const RSA: &[&str] = &["-newkey", "rsa:2048"];
    const P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

    /// A DER CSR for CN=hong made by OpenSSL with a new `key`, signed with `digest`.
    fn openssl_csr(dir: &std::path::Path, key: &[&str], digest: &str) -> Vec<u8> {
        let out = dir.join("req.der");
        let status = std::process::Command::new("openssl")
            .args(["req", "-new", "-nodes", "-subj", "/C=KR/O=dojang/CN=hong", "-outform"])
            .args(["DER", digest, "-keyout"])
            .arg(dir.join("key.pem"))
            .args(key)
            .arg("-out")
            .arg(&out)
            .status()
            .expect("openssl runs (scripts/install-test-deps installs it)");
        assert!(status.success());
        std::fs::read(&out).expect("the CSR")
    }

    // A CSR made by OpenSSL verifies, as DER and as PEM; one letter of its subject changed, the
    // signature no longer covers what was sent.
    #[test]
    fn an_openssl_csr_verifies_and_an_altered_one_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (key, want) in [(RSA, KeyType::Rsa2048), (P256, KeyType::EcdsaP256)] {
            let mut der = openssl_csr(dir.path(), key, "-sha256");
            assert_eq!(check(&der).expect("verifies").key_type, want);
            let pem =
                der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, &der)
                    .expect("PEM");
            assert_eq!(check(pem.as_bytes()).expect("verifies as PEM").key_type, want);
            let at = der.windows(4).position(|w| w == b"hong").expect("the CN") + 3;
            der[at] = b'e';
            assert_eq!(check(&der).expect_err("altered"), CsrError::BadSignature);
        }
    }

    // dojang_pki::sig verifies SHA-1 RSA and ECDSA with SHA-384 (older CAs' certificates); a
    // CSR may use neither, even correctly signed. SHA-512 RSA it may.
    #[test]
    fn a_csr_signed_with_an_algorithm_not_accepted_is_refused_as_such() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (key, digest, alg) in [
            (RSA, "-sha1", rfc5912::SHA_1_WITH_RSA_ENCRYPTION),
            (P256, "-sha384", rfc5912::ECDSA_WITH_SHA_384),
        ] {
            let der = openssl_csr(dir.path(), key, digest);
            assert_eq!(
                check(&der).expect_err(digest),
                CsrError::SignatureAlgorithm(alg.to_string())
            );
        }
        let der = openssl_csr(dir.path(), RSA, "-sha512");
        assert_eq!(check(&der).expect("SHA-512 RSA").key_type, KeyType::Rsa2048);
    }

    // An accepted algorithm that does not fit the key is refused as the algorithm, not as a
    // bad signature.
    #[test]
    fn an_algorithm_that_does_not_fit_the_key_is_refused_as_such() {
        use der::Encode;
        let dir = tempfile::tempdir().expect("tempdir");
        for (key, relabel) in
            [(RSA, rfc5912::ECDSA_WITH_SHA_256), (P256, rfc5912::SHA_256_WITH_RSA_ENCRYPTION)]
        {
            let der = openssl_csr(dir.path(), key, "-sha256");
            let mut req = CertReq::from_der(&der).expect("decodes");
            req.algorithm = spki::AlgorithmIdentifierOwned { oid: relabel, parameters: None };
            let der = req.to_der().expect("encodes");
            assert_eq!(
                check(&der).expect_err("relabelled"),
                CsrError::SignatureAlgorithm(relabel.to_string())
            );
        }
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[0, 0]), 0);
    }
}
