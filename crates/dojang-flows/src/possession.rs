//! Proof of possession: the customer's software signs the flow's random nonce with the
//! certificate's private key, which shows it holds the key and knew its password.

use spki::SubjectPublicKeyInfoOwned;

pub use dojang_pki::possession::message;

/// Checks `signature` over `message` with the certificate's key: RSA PKCS#1 v1.5 or ECDSA
/// P-256, both with SHA-256 (what `openssl dgst -sha256 -sign` makes): certificate login's
/// check, [`dojang_pki::sig::verify_possession`]. Only yes or no: the flow answers
/// `BadPossession` whatever the reason.
pub fn verify(spki: &SubjectPublicKeyInfoOwned, message: &[u8], signature: &[u8]) -> bool {
    dojang_pki::sig::verify_possession(spki, message, signature).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use dojang_client::KeyPair;
    use dojang_pki::KeyType;

    #[test]
    fn a_signature_verifies_for_its_key_and_flow_only() {
        let nonce = [1u8; 32];
        for kt in [KeyType::Rsa2048, KeyType::EcdsaP256] {
            let key = KeyPair::generate(kt).unwrap();
            let spki = key.public_key_info().unwrap();
            let sig = key.sign(&message("flow-a", &nonce)).unwrap();
            assert!(verify(&spki, &message("flow-a", &nonce), &sig), "{kt}");
            assert!(!verify(&spki, &message("flow-b", &nonce), &sig), "{kt}");
            let other = KeyPair::generate(kt).unwrap().public_key_info().unwrap();
            assert!(!verify(&other, &message("flow-a", &nonce), &sig), "{kt}");
        }
    }

    // An EC key that does not name P-256 is refused even if its point is one (the check used
    // to look at the point only); the CA issues only keys that name it.
    #[test]
    fn an_ec_key_naming_no_curve_is_refused() {
        let key = KeyPair::generate(KeyType::EcdsaP256).unwrap();
        let mut spki = key.public_key_info().unwrap();
        spki.algorithm.parameters = None;
        let sig = key.sign(&message("flow-a", &[1u8; 32])).unwrap();
        assert!(!verify(&spki, &message("flow-a", &[1u8; 32]), &sig));
    }
}
