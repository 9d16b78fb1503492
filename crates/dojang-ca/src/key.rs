//! Signing keys. The software key uses aws-lc-rs (constant-time RSA, unlike the pure-Rust `rsa`
//! crate, RUSTSEC-2023-0071).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, RSA_PKCS1_SHA256,
};
use der::asn1::Any;
use der::Decode;
use dojang_pki::{oid, KeyType};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use crate::error::CaError;

/// Anything that can sign for the CA: a key in memory or, later, in an HSM.
pub trait Signer: Send + Sync {
    /// The public key, as it appears in the certificate.
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned;
    /// The signature algorithm this key signs with (SHA-256 always).
    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned;
    /// Signs `message` (hashing it with SHA-256 first).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CaError>;
}

/// sha256WithRSAEncryption, whose parameters are NULL (RFC 4055).
pub fn rsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: oid::SHA256_WITH_RSA, parameters: Some(Any::null()) }
}

/// ecdsa-with-SHA256, whose parameters are absent (RFC 5758).
pub fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: oid::ECDSA_WITH_SHA256, parameters: None }
}

enum Pair {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
}

/// A key held in this process's memory.
pub struct SoftwareKey {
    pair: Pair,
    spki: SubjectPublicKeyInfoOwned,
    rng: SystemRandom,
}

impl std::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.pair {
            Pair::Rsa(_) => "SoftwareKey(rsa, private)",
            Pair::P256(_) => "SoftwareKey(p256, private)",
        })
    }
}

impl SoftwareKey {
    pub fn generate(kind: KeyType) -> Result<Self, CaError> {
        let pair = match kind {
            KeyType::Rsa2048 => Pair::Rsa(
                RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| CaError::KeyGeneration)?,
            ),
            KeyType::EcdsaP256 => Pair::P256(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(|_| CaError::KeyGeneration)?,
            ),
        };
        Self::from_pair(pair)
    }

    /// From a PKCS#8 PrivateKeyInfo (RSA or P-256).
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, CaError> {
        if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
            return Self::from_pair(Pair::Rsa(k));
        }
        match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der) {
            Ok(k) => Self::from_pair(Pair::P256(k)),
            Err(e) => Err(CaError::UnsupportedKey(format!("neither RSA nor P-256 ({e})"))),
        }
    }

    fn from_pair(pair: Pair) -> Result<Self, CaError> {
        let spki_der = match &pair {
            Pair::Rsa(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Pair::P256(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|_| CaError::UnsupportedKey("public key cannot be encoded".into()))?;
        let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der)?;
        Ok(SoftwareKey { pair, spki, rng: SystemRandom::new() })
    }

    /// The private key as PKCS#8 PrivateKeyInfo DER, wiped when dropped.
    pub fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>, CaError> {
        let der = match &self.pair {
            Pair::Rsa(k) => k.as_der().map(|d| d.as_ref().to_vec()),
            Pair::P256(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|_| CaError::UnsupportedKey("private key cannot be encoded".into()))?;
        Ok(Zeroizing::new(der))
    }

    pub fn key_type(&self) -> KeyType {
        match self.pair {
            Pair::Rsa(_) => KeyType::Rsa2048,
            Pair::P256(_) => KeyType::EcdsaP256,
        }
    }
}

impl Signer for SoftwareKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.spki
    }

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match self.pair {
            Pair::Rsa(_) => rsa_sha256(),
            Pair::P256(_) => ecdsa_sha256(),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CaError> {
        match &self.pair {
            Pair::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| CaError::Signing)?;
                Ok(sig)
            }
            Pair::P256(k) => k
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| CaError::Signing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{
        UnparsedPublicKey, ECDSA_P256_SHA256_ASN1, RSA_PKCS1_2048_8192_SHA256,
    };

    #[test]
    fn keys_sign_verifiably_and_survive_pkcs8() {
        for (kind, alg) in [
            (
                KeyType::Rsa2048,
                &RSA_PKCS1_2048_8192_SHA256 as &dyn aws_lc_rs::signature::VerificationAlgorithm,
            ),
            (KeyType::EcdsaP256, &ECDSA_P256_SHA256_ASN1),
        ] {
            let key = SoftwareKey::generate(kind).expect("generates");
            let again =
                SoftwareKey::from_pkcs8(&key.to_pkcs8().expect("encodes")).expect("decodes");
            assert_eq!(again.public_key(), key.public_key());
            assert_eq!(again.key_type(), kind);
            let sig = again.sign(b"dojang").expect("signs");
            let raw = key.public_key().subject_public_key.raw_bytes();
            UnparsedPublicKey::new(alg, raw).verify(b"dojang", &sig).expect("verifies");
        }
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(matches!(SoftwareKey::from_pkcs8(b"not a key"), Err(CaError::UnsupportedKey(_))));
    }
}
