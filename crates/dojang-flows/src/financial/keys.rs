//! The certificate key pairs the center makes for financial certificates (RSA-2048, the NPKI
//! norm), their certificate requests, and signing a hash the caller computed (CSC `signHash`).

use aws_lc_rs::digest::{Digest, SHA256};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING, RSA_PKCS1_SHA256,
};
use der::asn1::{BitString, ObjectIdentifier, SetOfVec};
use der::{Decode, Encode};
use dojang_npki::keyfile::PrivateKey;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, Version};
use zeroize::Zeroizing;

/// sha256WithRSAEncryption (RFC 4055).
pub const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// ecdsa-with-SHA256 (RFC 5758).
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// id-sha256, the only hash `signHash` takes.
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the key pair could not be made")]
    Generate,
    #[error("the kept key is not an RSA or P-256 PKCS#8 key")]
    Unreadable,
    #[error("the certificate request could not be encoded")]
    Encode,
    #[error("the credential's key cannot sign with {0}")]
    WrongAlgorithm(String),
    #[error("a hash is not 32 bytes (SHA-256)")]
    HashLength,
    #[error("signing failed")]
    Sign,
}

enum Inner {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
}

/// A certificate's private key, in memory only while it is used.
pub struct CertKey(Inner);

impl std::fmt::Debug for CertKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key_type())
    }
}

impl CertKey {
    /// A fresh RSA-2048 key pair.
    pub fn generate() -> Result<CertKey, KeyError> {
        Ok(CertKey(Inner::Rsa(
            RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?,
        )))
    }

    /// Reads a PKCS#8 PrivateKeyInfo (RSA or P-256).
    pub fn from_pkcs8(der: &[u8]) -> Result<CertKey, KeyError> {
        let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(|_| KeyError::Unreadable)?;
        let alg = info.algorithm.oid;
        if alg == RSA_ENCRYPTION {
            Ok(CertKey(Inner::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|_| KeyError::Unreadable)?)))
        } else if alg == EC_PUBLIC_KEY {
            Ok(CertKey(Inner::P256(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der)
                    .map_err(|_| KeyError::Unreadable)?,
            )))
        } else {
            Err(KeyError::Unreadable)
        }
    }

    pub fn key_type(&self) -> &'static str {
        match self.0 {
            Inner::Rsa(_) => "rsa2048",
            Inner::P256(_) => "p256",
        }
    }

    pub fn pkcs8(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        match &self.0 {
            Inner::Rsa(k) => {
                let der: Pkcs8V1Der<'static> = k.as_der().map_err(|_| KeyError::Encode)?;
                Ok(Zeroizing::new(der.as_ref().to_vec()))
            }
            Inner::P256(k) => {
                Ok(Zeroizing::new(k.to_pkcs8v1().map_err(|_| KeyError::Encode)?.as_ref().to_vec()))
            }
        }
    }

    /// The signature algorithm this key signs with.
    pub fn sign_algo(&self) -> ObjectIdentifier {
        match self.0 {
            Inner::Rsa(_) => SHA256_WITH_RSA,
            Inner::P256(_) => ECDSA_WITH_SHA256,
        }
    }

    fn spki(&self) -> Result<SubjectPublicKeyInfoOwned, KeyError> {
        let der: PublicKeyX509Der<'static> = match &self.0 {
            Inner::Rsa(k) => k.public_key().as_der(),
            Inner::P256(k) => k.public_key().as_der(),
        }
        .map_err(|_| KeyError::Encode)?;
        SubjectPublicKeyInfoOwned::from_der(der.as_ref()).map_err(|_| KeyError::Encode)
    }

    /// Signs `message` (hashing it with SHA-256).
    fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.0 {
            Inner::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message, &mut sig)
                    .map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
            Inner::P256(k) => Ok(k
                .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
                .map_err(|_| KeyError::Sign)?
                .as_ref()
                .to_vec()),
        }
    }

    /// A PKCS#10 request for `subject`, signed by this key (the RA checks it like any other).
    pub fn csr(&self, subject: Name) -> Result<Vec<u8>, KeyError> {
        let info = CertReqInfo {
            version: Version::V1,
            subject,
            public_key: self.spki()?,
            attributes: SetOfVec::new(),
        };
        let tbs = info.to_der().map_err(|_| KeyError::Encode)?;
        let signature = self.sign_message(&tbs)?;
        let algorithm = match self.0 {
            Inner::Rsa(_) => AlgorithmIdentifierOwned {
                oid: SHA256_WITH_RSA,
                parameters: Some(der::asn1::Null.into()),
            },
            Inner::P256(_) => AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA256, parameters: None },
        };
        let req = CertReq {
            info,
            algorithm,
            signature: BitString::from_bytes(&signature).map_err(|_| KeyError::Encode)?,
        };
        req.to_der().map_err(|_| KeyError::Encode)
    }

    /// Signs a SHA-256 hash the caller computed, with `sign_algo` (which must be this key's).
    pub fn sign_hash(&self, sign_algo: ObjectIdentifier, hash: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sign_algo != self.sign_algo() {
            return Err(KeyError::WrongAlgorithm(sign_algo.to_string()));
        }
        let digest = Digest::import_less_safe(hash, &SHA256).map_err(|_| KeyError::HashLength)?;
        match &self.0 {
            Inner::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign_digest(&RSA_PKCS1_SHA256, &digest, &mut sig).map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
            Inner::P256(k) => {
                Ok(k.sign_digest(&digest).map_err(|_| KeyError::Sign)?.as_ref().to_vec())
            }
        }
    }
}

/// The signature algorithm a certificate's key signs with, from its SubjectPublicKeyInfo's
/// algorithm (`None` for a key this module does not make): what `signHash` checks before the
/// key is opened.
pub fn sign_algo_of_public_key(algorithm: ObjectIdentifier) -> Option<ObjectIdentifier> {
    if algorithm == RSA_ENCRYPTION {
        Some(SHA256_WITH_RSA)
    } else if algorithm == EC_PUBLIC_KEY {
        Some(ECDSA_WITH_SHA256)
    } else {
        None
    }
}

/// The length of a SHA-256 hash, the only one `signHash` signs.
pub const SHA256_LEN: usize = 32;

/// What custody keeps for one certificate: the PKCS#8 key with R (the VID random value,
/// 신원확인 난수) as its `randomNum` attribute, exactly as a `signPri.key` holds it. Keeping R
/// beside the key, under the same PIN, lets the holder prove the certificate is theirs (VID)
/// at certificate login, as the NPKI pair does.
pub fn kept_form(pkcs8: &[u8], r: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    match r {
        None => Ok(Zeroizing::new(pkcs8.to_vec())),
        Some(r) => {
            let key = PrivateKey::with_random_num(pkcs8, r).map_err(|_| KeyError::Encode)?;
            Ok(Zeroizing::new(key.pkcs8_der().to_vec()))
        }
    }
}

/// A kept key opened for one use, with R when it was kept (certificates issued before R was
/// kept have none).
pub struct Unsealed {
    pub key: CertKey,
    pub random_num: Option<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Unsealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Unsealed({:?}, R kept: {})", self.key, self.random_num.is_some())
    }
}

/// Reads what [`kept_form`] made.
pub fn from_kept(der: &[u8]) -> Result<Unsealed, KeyError> {
    let kept = PrivateKey::from_pkcs8_der(der).map_err(|_| KeyError::Unreadable)?;
    let random_num = kept.random_num().map(|r| Zeroizing::new(r.to_vec()));
    let bare = kept.without_attributes().map_err(|_| KeyError::Unreadable)?;
    Ok(Unsealed { key: CertKey::from_pkcs8(&bare)?, random_num })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_hash_verifies_as_a_signed_message() {
        let key = CertKey::generate().unwrap();
        let again = CertKey::from_pkcs8(&key.pkcs8().unwrap()).unwrap();
        let message = b"remote signing";
        let hash = aws_lc_rs::digest::digest(&SHA256, message);
        let sig = again.sign_hash(SHA256_WITH_RSA, hash.as_ref()).unwrap();
        // As a relying party checks it: with the algorithm `sign_algo` names.
        let alg = AlgorithmIdentifierOwned { oid: key.sign_algo(), parameters: None };
        dojang_pki::sig::verify(&key.spki().unwrap(), &alg, message, &sig).unwrap();
        assert_eq!(
            key.sign_hash(ECDSA_WITH_SHA256, hash.as_ref()).err(),
            Some(KeyError::WrongAlgorithm(ECDSA_WITH_SHA256.to_string()))
        );
        assert_eq!(key.sign_hash(SHA256_WITH_RSA, &[0u8; 20]).err(), Some(KeyError::HashLength));
    }

    #[test]
    fn the_kept_form_carries_r_and_still_signs() {
        let key = CertKey::generate().unwrap();
        let pkcs8 = key.pkcs8().unwrap();
        let r = [7u8; 20];
        let kept = kept_form(&pkcs8, Some(&r)).unwrap();
        let opened = from_kept(&kept).unwrap();
        assert_eq!(opened.random_num.as_deref().map(Vec::as_slice), Some(&r[..]));
        assert_eq!(opened.key.pkcs8().unwrap().as_slice(), pkcs8.as_slice());
        // Without R (certificates kept before R was): the key alone.
        let plain = from_kept(&kept_form(&pkcs8, None).unwrap()).unwrap();
        assert!(plain.random_num.is_none());
        assert_eq!(plain.key.pkcs8().unwrap().as_slice(), pkcs8.as_slice());
    }
}
