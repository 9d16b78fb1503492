//! The customer's key pair, made and used on the customer's side only (aws-lc-rs): RSA-2048,
//! the NPKI norm, or ECDSA P-256 where the product allows it. The private key leaves this
//! module only as PKCS#8 for the password-encrypted `signPri.key`; the center sees the public
//! key (in the CSR) and signatures.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING, RSA_PKCS1_SHA256,
};
use der::asn1::{AnyRef, ObjectIdentifier};
use der::Decode;
use dojang_npki::keyfile::{self, KeyFileError};
use dojang_pki::{oid, KeyType};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key pair could not be generated")]
    Generate,
    /// The PKCS#8 is neither an RSA key nor a P-256 key aws-lc-rs accepts.
    #[error("the private key is not an RSA (2048 bits or more) or P-256 key: {0}")]
    Unsupported(String),
    /// An RSA or P-256 key whose parts do not fit together or do not parse: the key file is
    /// damaged (its password still opened it).
    #[error("the private key file (signPri.key) is damaged: the key in it is not whole; copy signPri.key again from where it came from (a backup, the other device), or reissue the certificate")]
    Damaged,
    /// The `signPri.key` password is wrong.
    #[error("the certificate password is wrong")]
    WrongPassword,
    /// `signPri.key` could not be opened (damaged, unknown scheme).
    #[error("the key file cannot be opened: {0}")]
    KeyFile(String),
    #[error("signing failed")]
    Sign,
    #[error("the public key cannot be encoded: {0}")]
    Encode(String),
}

enum Inner {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
}

/// A private key with its public half.
pub struct KeyPair {
    inner: Inner,
}

/// Only the key type: never key material.
impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPair({})", self.key_type())
    }
}

impl KeyPair {
    /// A fresh key pair of `key_type`.
    pub fn generate(key_type: KeyType) -> Result<KeyPair, KeyError> {
        let inner = match key_type {
            KeyType::Rsa2048 => {
                Inner::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?)
            }
            KeyType::EcdsaP256 => Inner::P256(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(|_| KeyError::Generate)?,
            ),
        };
        Ok(KeyPair { inner })
    }

    /// Reads a PKCS#8 PrivateKeyInfo without attributes (RSA or P-256).
    pub fn from_pkcs8(der: &[u8]) -> Result<KeyPair, KeyError> {
        let info = pkcs8_algorithm(der)?;
        let inner = if info == oid::RSA_ENCRYPTION {
            Inner::Rsa(RsaKeyPair::from_pkcs8(der).map_err(rejected)?)
        } else if info == oid::EC_PUBLIC_KEY {
            Inner::P256(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der).map_err(rejected)?,
            )
        } else {
            return Err(KeyError::Unsupported(format!("key algorithm {info}")));
        };
        Ok(KeyPair { inner })
    }

    /// Opens a `signPri.key` (any scheme dojang-npki reads) with the certificate password.
    pub fn from_key_file(file: &[u8], password: &str) -> Result<KeyPair, KeyError> {
        let key = keyfile::decrypt(file, password.as_bytes()).map_err(|e| match e {
            KeyFileError::WrongPassword => KeyError::WrongPassword,
            other => KeyError::KeyFile(other.to_string()),
        })?;
        // aws-lc-rs rejects PKCS#8 attributes such as randomNum; signing does not need R.
        let plain = key.without_attributes().map_err(|e| KeyError::KeyFile(e.to_string()))?;
        KeyPair::from_pkcs8(&plain)
    }

    pub fn key_type(&self) -> KeyType {
        match self.inner {
            Inner::Rsa(_) => KeyType::Rsa2048,
            Inner::P256(_) => KeyType::EcdsaP256,
        }
    }

    /// The private key as PKCS#8 v1 DER (for the key file), wiped when dropped.
    pub fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        match &self.inner {
            Inner::Rsa(k) => {
                let der: Pkcs8V1Der<'static> =
                    k.as_der().map_err(|_| KeyError::Encode("PKCS#8".into()))?;
                Ok(Zeroizing::new(der.as_ref().to_vec()))
            }
            Inner::P256(k) => {
                let doc = k.to_pkcs8v1().map_err(|_| KeyError::Encode("PKCS#8".into()))?;
                Ok(Zeroizing::new(doc.as_ref().to_vec()))
            }
        }
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub fn public_key_der(&self) -> Result<Vec<u8>, KeyError> {
        let der: PublicKeyX509Der<'static> = match &self.inner {
            Inner::Rsa(k) => k.public_key().as_der(),
            Inner::P256(k) => k.public_key().as_der(),
        }
        .map_err(|_| KeyError::Encode("SubjectPublicKeyInfo".into()))?;
        Ok(der.as_ref().to_vec())
    }

    /// The public key as the CSR carries it.
    pub fn public_key_info(&self) -> Result<SubjectPublicKeyInfoOwned, KeyError> {
        SubjectPublicKeyInfoOwned::from_der(&self.public_key_der()?)
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// The signature algorithm of [`KeyPair::sign`]: sha256WithRSAEncryption (NULL
    /// parameters, as RFC 4055 asks) or ecdsa-with-SHA256 (no parameters).
    pub fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match self.inner {
            Inner::Rsa(_) => AlgorithmIdentifierOwned {
                oid: oid::SHA256_WITH_RSA,
                parameters: Some(AnyRef::NULL.into()),
            },
            Inner::P256(_) => {
                AlgorithmIdentifierOwned { oid: oid::ECDSA_WITH_SHA256, parameters: None }
            }
        }
    }

    /// Signs `message` with SHA-256: RSA PKCS#1 v1.5, or ECDSA with a DER signature — what
    /// `openssl dgst -sha256 -sign` makes and the center verifies.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match &self.inner {
            Inner::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig).map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
            Inner::P256(k) => {
                k.sign(&rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| KeyError::Sign)
            }
        }
    }
}

/// Why aws-lc-rs refused a key of a type we use: a size (or curve) it does not take is
/// unsupported; anything else (a bad encoding, parts that do not fit) means a damaged key,
/// and aws-lc-rs's own token for it would tell the customer nothing.
fn rejected(e: aws_lc_rs::error::KeyRejected) -> KeyError {
    match e.description_() {
        "TooSmall" | "TooLarge" | "WrongAlgorithm" | "UnsupportedAlgorithm" => {
            KeyError::Unsupported(e.to_string())
        }
        _ => KeyError::Damaged,
    }
}

/// The algorithm OID of a PKCS#8 PrivateKeyInfo, read without touching the key.
fn pkcs8_algorithm(der: &[u8]) -> Result<ObjectIdentifier, KeyError> {
    let info = pkcs8_shape::PrivateKeyInfoRef::from_der(der)
        .map_err(|e| KeyError::Unsupported(format!("not PKCS#8: {e}")))?;
    Ok(info.algorithm.oid)
}

/// Just enough of PKCS#8 to read the algorithm (the key itself is parsed by aws-lc-rs).
mod pkcs8_shape {
    use der::asn1::{AnyRef, OctetStringRef};
    use der::Sequence;
    use spki::AlgorithmIdentifierRef;

    #[derive(Sequence)]
    pub(super) struct PrivateKeyInfoRef<'a> {
        pub version: u8,
        pub algorithm: AlgorithmIdentifierRef<'a>,
        pub private_key: OctetStringRef<'a>,
        #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
        pub attributes: Option<AnyRef<'a>>,
        #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
        pub public_key: Option<AnyRef<'a>>,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Checked with the algorithm the key says it signs with, as a CSR's or a certificate's
    /// signature is.
    fn verifies(key: &KeyPair, message: &[u8], sig: &[u8]) -> bool {
        let spki = key.public_key_info().unwrap();
        dojang_pki::sig::verify(&spki, &key.signature_algorithm(), message, sig).is_ok()
    }

    #[test]
    fn both_key_types_sign_and_survive_pkcs8() {
        for kt in [KeyType::Rsa2048, KeyType::EcdsaP256] {
            let key = KeyPair::generate(kt).unwrap();
            assert_eq!(key.key_type(), kt);
            let sig = key.sign(b"hello").unwrap();
            assert!(verifies(&key, b"hello", &sig), "{kt}");
            assert!(!verifies(&key, b"hellO", &sig), "{kt}");
            let again = KeyPair::from_pkcs8(&key.pkcs8_der().unwrap()).unwrap();
            assert_eq!(again.public_key_der().unwrap(), key.public_key_der().unwrap());
            assert_eq!(format!("{key:?}"), format!("KeyPair({kt})"));
        }
    }

    #[test]
    fn key_files_open_with_the_password_only() {
        let key = KeyPair::generate(KeyType::EcdsaP256).unwrap();
        let pk = dojang_npki::keyfile::PrivateKey::with_random_num(
            &key.pkcs8_der().unwrap(),
            &[7u8; 20],
        )
        .unwrap();
        let scheme = dojang_npki::keyfile::Scheme::Pbes2Seed {
            prf: dojang_npki::keyfile::Prf::HmacSha1,
            iterations: 2048,
        };
        let file = keyfile::encrypt(&pk, b"Right-pass-1", scheme).unwrap();
        let opened = KeyPair::from_key_file(&file, "Right-pass-1").unwrap();
        assert_eq!(opened.public_key_der().unwrap(), key.public_key_der().unwrap());
        assert!(matches!(
            KeyPair::from_key_file(&file, "Wrong-pass-1"),
            Err(KeyError::WrongPassword)
        ));
        assert!(matches!(KeyPair::from_pkcs8(b"junk"), Err(KeyError::Unsupported(_))));
    }

    #[test]
    fn a_damaged_key_is_called_damaged_not_an_unsupported_type() {
        for kt in [KeyType::Rsa2048, KeyType::EcdsaP256] {
            let mut der = KeyPair::generate(kt).unwrap().pkcs8_der().unwrap();
            // A byte inside the key material, as a flipped ciphertext byte leaves it.
            let at = der.len() - 20;
            der[at] ^= 0x5a;
            let e = KeyPair::from_pkcs8(&der).unwrap_err();
            assert!(matches!(e, KeyError::Damaged), "{kt}: {e}");
            let text = e.to_string();
            assert!(text.contains("damaged") && text.contains("reissue"), "{text}");
            assert!(!text.contains("InvalidEncoding"), "{text}");
        }
    }
}
