//! The message a certificate's key signs to prove possession (renewal, revocation by the
//! customer, and later certificate login): a fixed label, the flow (or session) id and the
//! server's random nonce, so a signature made for one purpose or flow is useless in another.

/// `"dojang proof of possession v1\n" ‖ id ‖ "\n" ‖ nonce`.
pub fn message(id: &str, nonce: &[u8]) -> Vec<u8> {
    let mut m = b"dojang proof of possession v1\n".to_vec();
    m.extend_from_slice(id.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(nonce);
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_layout_is_fixed() {
        assert_eq!(
            super::message("ab", &[1, 2]),
            b"dojang proof of possession v1\nab\n\x01\x02".to_vec()
        );
    }
}
