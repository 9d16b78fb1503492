//! The secrets of the checks: random codes, keyed hashes of expected answers, Argon2id
//! password hashes. Nothing here is ever logged or returned in an error.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use dojang_vault::{Purpose, Vault};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::check::Check;
use crate::error::IdentityError;

/// `n` random decimal digits, uniformly drawn from the OS generator.
pub(crate) fn digits(n: usize) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(n));
    for _ in 0..n {
        s.push(char::from(b'0' + OsRng.gen_range(0..10u8)));
    }
    s
}

/// A random identifier (challenge ids): 128 bits, hex.
pub(crate) fn random_id() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Distinct random numbers in `1..=max`, `count` of them.
pub(crate) fn distinct(count: usize, max: u8) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(count);
    while out.len() < count.min(usize::from(max)) {
        let n = OsRng.gen_range(1..=max);
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// The keyed hash a challenge keeps of its expected answer. The challenge id (random) and the
/// check are bound in, so equal codes in two challenges hash differently and a hash cannot be
/// replayed into another challenge. Keyed by the vault: a database dump cannot be searched for
/// the 10^6 possible codes.
pub(crate) fn answer_hash(
    vault: &Vault,
    challenge_id: &str,
    check: Check,
    answer: &str,
) -> Result<[u8; 32], IdentityError> {
    let mut input = Zeroizing::new(Vec::with_capacity(64));
    input.extend_from_slice(b"dojang challenge v1\0");
    input.extend_from_slice(challenge_id.as_bytes());
    input.push(0);
    input.extend_from_slice(check.as_str().as_bytes());
    input.push(0);
    input.extend_from_slice(answer.as_bytes());
    Ok(vault.lookup_hash(Purpose::Challenge, &input)?)
}

/// Constant-time equality of two hashes.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// An Argon2id PHC string of `password` (default parameters: m=19 MiB, t=2, p=1; OWASP).
pub(crate) fn hash_password(password: &str) -> Result<String, IdentityError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|_| IdentityError::PasswordHash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| IdentityError::PasswordHash)
}

/// Whether `password` matches the PHC string `phc`.
pub(crate) fn verify_password(password: &str, phc: &str) -> Result<bool, IdentityError> {
    let parsed = PasswordHash::new(phc).map_err(|_| IdentityError::PasswordHash)?;
    Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Whether `s` is exactly `n` ASCII digits.
pub(crate) fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_digits_and_ids_are_unique() {
        let c = digits(6);
        assert!(is_digits(&c, 6));
        assert_ne!(random_id(), random_id());
        let d = distinct(2, 30);
        assert_eq!(d.len(), 2);
        assert_ne!(d[0], d[1]);
        assert!(d.iter().all(|&n| (1..=30).contains(&n)));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let phc = hash_password("correct horse 1").expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(!phc.contains("correct"));
        assert!(verify_password("correct horse 1", &phc).expect("verify"));
        assert!(!verify_password("correct horse 2", &phc).expect("verify"));
        assert!(matches!(verify_password("x", "not a phc"), Err(IdentityError::PasswordHash)));
    }
}
