//! The public half of a private key (공개키), derived from the private key itself: what ties a
//! key to its certificate when nothing else does (a PFX without `localKeyId`, a `signPri.key`
//! copied beside a `signCert.der`).
//!
//! aws-lc-rs reads the key, checking its own consistency as it does (an RSA key whose numbers
//! no longer fit together is refused), and gives the SubjectPublicKeyInfo a certificate for it
//! carries. RSA (2048 bits or more) and P-256 are the NPKI key types; others are refused as
//! unsupported rather than guessed at.

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
use const_oid::db::rfc5912::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION};
use const_oid::ObjectIdentifier;
use der::Decode;
use spki::SubjectPublicKeyInfoOwned;

use super::PrivateKey;

/// Why the public half of a key could not be derived. Carries no key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicKeyError {
    /// Neither RSA nor a P-256 elliptic-curve key (the OID is the key's algorithm).
    #[error("the key algorithm {0} (or its curve) is not supported")]
    UnsupportedAlgorithm(ObjectIdentifier),
    /// An RSA key of a size aws-lc-rs does not take (under 2048 or over 8192 bits).
    #[error("the key size is not supported ({0})")]
    UnsupportedSize(&'static str),
    /// The key does not hold together: its parts do not fit (damaged inside its encryption,
    /// or made wrongly).
    #[error("the private key is damaged: its parts do not fit together")]
    Inconsistent,
}

impl PrivateKey {
    /// The SubjectPublicKeyInfo of this key, as a certificate for it carries it.
    pub fn public_key(&self) -> Result<SubjectPublicKeyInfoOwned, PublicKeyError> {
        // aws-lc-rs rejects PKCS#8 attributes (the Korean randomNum): parse a copy without.
        let plain = self.without_attributes().map_err(|_| PublicKeyError::Inconsistent)?;
        let algorithm = self.algorithm();
        let rejected = |e: aws_lc_rs::error::KeyRejected| match e.description_() {
            "TooSmall" | "TooLarge" => PublicKeyError::UnsupportedSize(e.description_()),
            "WrongAlgorithm" => PublicKeyError::UnsupportedAlgorithm(algorithm),
            _ => PublicKeyError::Inconsistent,
        };
        let public: Result<PublicKeyX509Der<'static>, _> = if algorithm == RSA_ENCRYPTION {
            aws_lc_rs::rsa::KeyPair::from_pkcs8(&plain).map_err(rejected)?.public_key().as_der()
        } else if algorithm == ID_EC_PUBLIC_KEY {
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &plain)
                .map_err(rejected)?
                .public_key()
                .as_der()
        } else {
            return Err(PublicKeyError::UnsupportedAlgorithm(algorithm));
        };
        let public = public.map_err(|_| PublicKeyError::Inconsistent)?;
        SubjectPublicKeyInfoOwned::from_der(public.as_ref())
            .map_err(|_| PublicKeyError::Inconsistent)
    }
}

/// Whether two SubjectPublicKeyInfos hold the same key: the algorithm and the key bits. The
/// parameters are not compared, since RSA's NULL may be present or left out (and an EC point
/// names its curve by itself in practice).
pub fn same_public_key(a: &SubjectPublicKeyInfoOwned, b: &SubjectPublicKeyInfoOwned) -> bool {
    a.algorithm.oid == b.algorithm.oid && a.subject_public_key == b.subject_public_key
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_public_half_of_rsa_and_p256_keys() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let ec = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = PrivateKey::from_pkcs8_der(ec.as_ref()).unwrap();
        let with_r = PrivateKey::with_random_num(ec.as_ref(), &[9; 20]).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, ec.as_ref()).unwrap();
        let expected =
            SubjectPublicKeyInfoOwned::from_der(pair.public_key().as_der().unwrap().as_ref())
                .unwrap();
        assert!(same_public_key(&key.public_key().unwrap(), &expected));
        assert!(same_public_key(&with_r.public_key().unwrap(), &expected), "R is no obstacle");

        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let rsa_der = rsa.as_der().unwrap();
        let rsa_key = PrivateKey::from_pkcs8_der(rsa_der.as_ref()).unwrap();
        let rsa_expected =
            SubjectPublicKeyInfoOwned::from_der(rsa.public_key().as_der().unwrap().as_ref())
                .unwrap();
        assert!(same_public_key(&rsa_key.public_key().unwrap(), &rsa_expected));
        assert!(!same_public_key(&rsa_key.public_key().unwrap(), &expected));
    }
}
