//! Password → key (and IV) derivations the key-file schemes use.

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use super::Prf;

/// PBKDF1 with SHA-1 (RFC 8018 §5.1): `T1 = SHA1(P ‖ S)`, `Ti = SHA1(Ti−1)`, `DK = Tc`.
pub(crate) fn pbkdf1_sha1(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 20]> {
    let mut hasher = Sha1::new();
    hasher.update(password);
    hasher.update(salt);
    let mut t = Zeroizing::new([0u8; 20]);
    t.copy_from_slice(&hasher.finalize());
    for _ in 1..iterations {
        let next = Sha1::digest(t.as_slice());
        t.copy_from_slice(&next);
    }
    t
}

/// seedCBCWithSHA1 (KISA): `DK = PBKDF1-SHA1(P, S, c)`, key = `DK[0..16]`,
/// IV = `SHA1(DK[16..20])[0..16]`.
pub(crate) fn seed_cbc_with_sha1(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> (Zeroizing<[u8; 16]>, [u8; 16]) {
    let dk = pbkdf1_sha1(password, salt, iterations);
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&dk[..16]);
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&Sha1::digest(&dk[16..20])[..16]);
    (key, iv)
}

/// PBKDF2 (RFC 8018 §5.2) with the HMAC named by `prf`, filling `out`.
pub(crate) fn pbkdf2(prf: Prf, password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    use pbkdf2::pbkdf2_hmac;
    match prf {
        Prf::HmacSha1 => pbkdf2_hmac::<Sha1>(password, salt, iterations, out),
        Prf::HmacSha224 => pbkdf2_hmac::<sha2::Sha224>(password, salt, iterations, out),
        Prf::HmacSha256 => pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out),
        Prf::HmacSha384 => pbkdf2_hmac::<sha2::Sha384>(password, salt, iterations, out),
        Prf::HmacSha512 => pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf1_with_one_iteration_is_one_hash() {
        let dk = pbkdf1_sha1(b"pw", b"salt", 1);
        assert_eq!(dk.as_slice(), Sha1::digest(b"pwsalt").as_slice());
    }

    #[test]
    fn pbkdf1_iterates_the_hash() {
        let dk = pbkdf1_sha1(b"pw", b"salt", 3);
        let t1 = Sha1::digest(b"pwsalt");
        let t2 = Sha1::digest(t1);
        let t3 = Sha1::digest(t2);
        assert_eq!(dk.as_slice(), t3.as_slice());
    }

    #[test]
    fn pbkdf2_sha1_matches_rfc_6070() {
        // RFC 6070 test vector 2.
        let mut out = [0u8; 20];
        pbkdf2(Prf::HmacSha1, b"password", b"salt", 2, &mut out);
        assert_eq!(
            out,
            [
                0xea, 0x6c, 0x01, 0x4d, 0xc7, 0x2d, 0x6f, 0x8c, 0xcd, 0x1e, 0xd9, 0x2a, 0xce, 0x1d,
                0x41, 0xf0, 0xd8, 0xde, 0x89, 0x57
            ]
        );
    }
}
