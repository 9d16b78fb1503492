//! Signature checks with aws-lc-rs: a certificate's, a CRL's or an OCSP response's signature
//! over its to-be-signed bytes, with the algorithm the signed object names and the signer's
//! public key. Only the algorithms Korean CAs use are accepted; anything else is refused by
//! name rather than guessed at.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use const_oid::db::rfc5912;
use const_oid::ObjectIdentifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature does not verify")]
    Invalid,
    #[error("the signature algorithm {0} is not supported")]
    Unsupported(ObjectIdentifier),
    #[error("the signer's key ({0}) does not fit the signature algorithm")]
    KeyMismatch(ObjectIdentifier),
}

/// The named curve of an EC public key, if it names one.
fn curve(spki: &SubjectPublicKeyInfoOwned) -> Option<ObjectIdentifier> {
    spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
}

fn algorithm(
    alg: &AlgorithmIdentifierOwned,
    key: &SubjectPublicKeyInfoOwned,
) -> Result<&'static dyn VerificationAlgorithm, SignatureError> {
    let rsa = key.algorithm.oid == rfc5912::RSA_ENCRYPTION;
    let ec = key.algorithm.oid == rfc5912::ID_EC_PUBLIC_KEY;
    let mismatch = || SignatureError::KeyMismatch(key.algorithm.oid);
    let oid = alg.oid;
    if oid == rfc5912::SHA_256_WITH_RSA_ENCRYPTION {
        return if rsa { Ok(&signature::RSA_PKCS1_2048_8192_SHA256) } else { Err(mismatch()) };
    }
    if oid == rfc5912::SHA_384_WITH_RSA_ENCRYPTION {
        return if rsa { Ok(&signature::RSA_PKCS1_2048_8192_SHA384) } else { Err(mismatch()) };
    }
    if oid == rfc5912::SHA_512_WITH_RSA_ENCRYPTION {
        return if rsa { Ok(&signature::RSA_PKCS1_2048_8192_SHA512) } else { Err(mismatch()) };
    }
    // Older NPKI certificates and responders still sign with SHA-1.
    if oid == rfc5912::SHA_1_WITH_RSA_ENCRYPTION {
        return if rsa {
            Ok(&signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY)
        } else {
            Err(mismatch())
        };
    }
    if oid == rfc5912::ECDSA_WITH_SHA_256 || oid == rfc5912::ECDSA_WITH_SHA_384 {
        if !ec {
            return Err(mismatch());
        }
        let c = curve(key);
        let sha256 = oid == rfc5912::ECDSA_WITH_SHA_256;
        return match (c, sha256) {
            (Some(c), true) if c == rfc5912::SECP_256_R_1 => Ok(&signature::ECDSA_P256_SHA256_ASN1),
            (Some(c), false) if c == rfc5912::SECP_256_R_1 => {
                Ok(&signature::ECDSA_P256_SHA384_ASN1)
            }
            (Some(c), true) if c == rfc5912::SECP_384_R_1 => Ok(&signature::ECDSA_P384_SHA256_ASN1),
            (Some(c), false) if c == rfc5912::SECP_384_R_1 => {
                Ok(&signature::ECDSA_P384_SHA384_ASN1)
            }
            _ => Err(mismatch()),
        };
    }
    Err(SignatureError::Unsupported(oid))
}

/// Checks `sig` over `message` made with `alg` by the holder of `key`.
pub fn verify(
    key: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    message: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    let algorithm = algorithm(alg, key)?;
    UnparsedPublicKey::new(algorithm, key.subject_public_key.raw_bytes())
        .verify(message, sig)
        .map_err(|_| SignatureError::Invalid)
}

/// Checks a proof-of-possession signature (what `dojang login` and the cloud signer make):
/// RSA PKCS#1 v1.5 or ECDSA P-256, both with SHA-256, chosen by the certificate's key.
pub fn verify_possession(
    key: &SubjectPublicKeyInfoOwned,
    message: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    let alg: &dyn VerificationAlgorithm = if key.algorithm.oid == rfc5912::RSA_ENCRYPTION {
        &signature::RSA_PKCS1_2048_8192_SHA256
    } else if key.algorithm.oid == rfc5912::ID_EC_PUBLIC_KEY
        && curve(key) == Some(rfc5912::SECP_256_R_1)
    {
        &signature::ECDSA_P256_SHA256_ASN1
    } else {
        return Err(SignatureError::KeyMismatch(key.algorithm.oid));
    };
    UnparsedPublicKey::new(alg, key.subject_public_key.raw_bytes())
        .verify(message, sig)
        .map_err(|_| SignatureError::Invalid)
}
