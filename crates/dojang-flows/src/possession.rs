//! Proof of possession: the customer's software signs the flow's random nonce with the
//! certificate's private key, which shows it holds the key and knew its password.

use aws_lc_rs::signature::{
    UnparsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_ASN1, RSA_PKCS1_2048_8192_SHA256,
};
use dojang_pki::oid;
use spki::SubjectPublicKeyInfoOwned;

pub use dojang_pki::possession::message;

/// Checks `signature` over `message` with the certificate's key: RSA PKCS#1 v1.5 or ECDSA
/// P-256, both with SHA-256 (what `openssl dgst -sha256 -sign` makes).
pub fn verify(spki: &SubjectPublicKeyInfoOwned, message: &[u8], signature: &[u8]) -> bool {
    let alg: &dyn VerificationAlgorithm = if spki.algorithm.oid == oid::RSA_ENCRYPTION {
        &RSA_PKCS1_2048_8192_SHA256
    } else if spki.algorithm.oid == oid::EC_PUBLIC_KEY {
        &ECDSA_P256_SHA256_ASN1
    } else {
        return false;
    };
    UnparsedPublicKey::new(alg, spki.subject_public_key.raw_bytes())
        .verify(message, signature)
        .is_ok()
}
