//! Proof of possession: the current certificate's key signs the message the center fixed for
//! this flow ([`dojang_pki::possession::message`]: a label, the flow id and the center's
//! random nonce), so the signature is good for this flow only and shows that the customer
//! holds the key and knew its password.

use base64::Engine as _;

use crate::keys::{KeyError, KeyPair};

/// The signature (base64, as the `possession` step takes it) of `key` over the possession
/// message of flow `flow_id` with the center's `nonce` (decoded).
pub fn sign(key: &KeyPair, flow_id: &str, nonce: &[u8]) -> Result<String, KeyError> {
    let message = dojang_pki::possession::message(flow_id, nonce);
    let signature = key.sign(&message)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use dojang_pki::KeyType;

    /// The center's check (dojang-flows `possession::verify`, certificate login's too) over
    /// the same message.
    fn center_verifies(key: &KeyPair, flow_id: &str, nonce: &[u8], signature_b64: &str) -> bool {
        let spki = key.public_key_info().unwrap();
        let sig = base64::engine::general_purpose::STANDARD.decode(signature_b64).unwrap();
        let message = dojang_pki::possession::message(flow_id, nonce);
        dojang_pki::sig::verify_possession(&spki, &message, &sig).is_ok()
    }

    #[test]
    fn the_center_accepts_the_signature_for_its_flow_only() {
        let nonce = [9u8; 32];
        for kt in [KeyType::Rsa2048, KeyType::EcdsaP256] {
            let key = KeyPair::generate(kt).unwrap();
            let sig = sign(&key, "flow-a", &nonce).unwrap();
            assert!(center_verifies(&key, "flow-a", &nonce, &sig), "{kt}");
            // Another flow, another nonce, another key: refused.
            assert!(!center_verifies(&key, "flow-b", &nonce, &sig), "{kt}");
            assert!(!center_verifies(&key, "flow-a", &[8u8; 32], &sig), "{kt}");
            let other = KeyPair::generate(kt).unwrap();
            assert!(!center_verifies(&other, "flow-a", &nonce, &sig), "{kt}");
        }
    }
}
