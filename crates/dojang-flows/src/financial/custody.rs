//! Key custody: how the center keeps a customer's certificate keys so that neither a database
//! dump nor the operator alone can use them, while the automatic-renewal job can still put a
//! new key away without ever learning the PIN.
//!
//! Two layers:
//!
//! 1. **The holder key** — one X25519 key pair per customer. The public half is stored in the
//!    clear. The private half is sealed (AES-256-GCM) under
//!    `HKDF-SHA256(salt, V ‖ P)`, where `V` = the vault's keyed hash (purpose `CustomerKey`,
//!    so under the CA passphrase) over the customer and a per-seal random salt, and `P` =
//!    Argon2id(PIN, salt). Without the vault there is no `V`; without the PIN there is no `P`.
//!    A wrong PIN fails the GCM tag: that is how a wrong PIN is told from a right one, and it
//!    is counted (five in a row lock).
//! 2. **Certificate keys** — each certificate's PKCS#8 is encrypted to the holder's public
//!    key: a fresh X25519 key agrees with the holder key, and the AES-256-GCM key is
//!    `HKDF-SHA256(ephemeral ‖ holder public, shared secret ‖ V')`, `V'` again a vault keyed
//!    hash. The serial and the customer are bound in as associated data, so a blob cannot be
//!    moved to another certificate.
//!
//! Why this shape: the renewal job (and any issue) only needs the *public* holder key to put a
//! new certificate key away, so renewal works without the PIN and without keeping any key that
//! could open the old ones. Only the PIN (with the vault) opens the holder key, and only the
//! holder key opens certificate keys.
//!
//! What it does not do: someone holding the database *and* the vault file *and* the CA
//! passphrase could try all 10⁶ PINs offline, each costing one Argon2id; a six-digit PIN cannot
//! stand against that. The five-try lock holds only inside the center. Against that insider, the
//! holder key belongs in an HSM that counts tries itself (the `Signer`/PKCS#11 seam of
//! `dojang-ca`), which this embedded default does not have.
//!
//! Signing happens after `credentials/authorize`: the opened certificate key is re-sealed under
//! a key derived from the signature activation data (SAD), which only the caller holds; the store
//! keeps a hash of the SAD and that ciphertext, wiped when the SAD is used or expires.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, X25519};
use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin};
use aws_lc_rs::{hkdf, rand};
use dojang_vault::{Purpose, Vault};
use zeroize::Zeroizing;

use super::pin::Pin;

/// Why a key could not be kept or opened. Nothing secret in it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CustodyError {
    /// The PIN did not open the holder key (or the blob was altered, or another center's).
    #[error("the PIN is wrong")]
    WrongPin,
    #[error("a kept key could not be opened: it was altered or belongs to another certificate")]
    Damaged,
    #[error("the crypto library failed")]
    Crypto,
}

const VERSION: u8 = 1;
const SALT_LEN: usize = 16;
const X25519_LEN: usize = 32;
/// Argon2id at OWASP's recommended minimum (19 MiB, 2 passes): each guess costs that much.
const ARGON2_M_KIB: u32 = 19 * 1024;
const ARGON2_T: u32 = 2;

struct Len(usize);
impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn random<const N: usize>() -> Result<[u8; N], CustodyError> {
    let mut b = [0u8; N];
    rand::fill(&mut b).map_err(|_| CustodyError::Crypto)?;
    Ok(b)
}

fn aead_key(salt: &[u8], ikm: &[&[u8]], info: &[&[u8]]) -> Result<LessSafeKey, CustodyError> {
    let mut joined = Zeroizing::new(Vec::new());
    for part in ikm {
        joined.extend_from_slice(part);
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&joined);
    let okm = prk.expand(info, Len(32)).map_err(|_| CustodyError::Crypto)?;
    let mut k = Zeroizing::new([0u8; 32]);
    okm.fill(k.as_mut()).map_err(|_| CustodyError::Crypto)?;
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, k.as_ref()).map_err(|_| CustodyError::Crypto)?,
    ))
}

/// The vault's part of a key: a keyed hash only the vault (under the CA passphrase) can make.
fn vault_part(
    vault: &Vault,
    label: &[u8],
    context: &[&[u8]],
) -> Result<Zeroizing<[u8; 32]>, CustodyError> {
    let mut msg = label.to_vec();
    for c in context {
        msg.extend_from_slice(&(c.len() as u32).to_be_bytes());
        msg.extend_from_slice(c);
    }
    vault
        .lookup_hash(Purpose::CustomerKey, &msg)
        .map(Zeroizing::new)
        .map_err(|_| CustodyError::Crypto)
}

fn pin_part(pin: &Pin, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, CustodyError> {
    let params = argon2::Params::new(ARGON2_M_KIB, ARGON2_T, 1, Some(32))
        .map_err(|_| CustodyError::Crypto)?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .map_err(|_| CustodyError::Crypto)?;
    Ok(out)
}

fn seal(
    key: &LessSafeKey,
    aad: &[u8],
    plain: &[u8],
) -> Result<(Vec<u8>, [u8; NONCE_LEN]), CustodyError> {
    let nonce: [u8; NONCE_LEN] = random()?;
    let mut body = plain.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
        .map_err(|_| CustodyError::Crypto)?;
    Ok((body, nonce))
}

fn open(
    key: &LessSafeKey,
    aad: &[u8],
    nonce: &[u8],
    body: &[u8],
    err: CustodyError,
) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CustodyError::Damaged)?;
    let mut buf = Zeroizing::new(body.to_vec());
    let plain = key
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf.as_mut_slice())
        .map_err(|_| err)?;
    Ok(Zeroizing::new(plain.to_vec()))
}

fn holder_aad(customer_id: i64, public: &[u8]) -> Vec<u8> {
    let mut aad = b"dojang financial holder v1".to_vec();
    aad.extend_from_slice(&customer_id.to_be_bytes());
    aad.extend_from_slice(public);
    aad
}

/// A newly made holder key: its public half, and its private half sealed under vault + PIN.
pub struct NewHolder {
    pub public: Vec<u8>,
    pub sealed: Vec<u8>,
}

/// Makes a customer's holder key and seals it under the vault and `pin`.
pub fn new_holder(vault: &Vault, customer_id: i64, pin: &Pin) -> Result<NewHolder, CustodyError> {
    let private = PrivateKey::generate(&X25519).map_err(|_| CustodyError::Crypto)?;
    let public = private.compute_public_key().map_err(|_| CustodyError::Crypto)?.as_ref().to_vec();
    let seed: Curve25519SeedBin<'static> =
        private.as_be_bytes().map_err(|_| CustodyError::Crypto)?;
    let salt: [u8; SALT_LEN] = random()?;
    let v = vault_part(vault, b"holder", &[&customer_id.to_be_bytes(), &salt])?;
    let p = pin_part(pin, &salt)?;
    let key = aead_key(&salt, &[v.as_ref(), p.as_ref()], &[b"dojang financial holder kek v1"])?;
    let (body, nonce) = seal(&key, &holder_aad(customer_id, &public), seed.as_ref())?;
    let mut sealed = vec![VERSION];
    sealed.extend_from_slice(&salt);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&body);
    Ok(NewHolder { public, sealed })
}

/// An opened holder key: can open the customer's certificate keys. Prints nothing of itself.
pub struct OpenHolder {
    private: PrivateKey,
    customer_id: i64,
}

impl std::fmt::Debug for OpenHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenHolder(customer {})", self.customer_id)
    }
}

/// Opens the holder key with the vault and `pin`; a wrong PIN is [`CustodyError::WrongPin`].
pub fn open_holder(
    vault: &Vault,
    customer_id: i64,
    public: &[u8],
    sealed: &[u8],
    pin: &Pin,
) -> Result<OpenHolder, CustodyError> {
    if sealed.len() < 1 + SALT_LEN + NONCE_LEN + AES_256_GCM.tag_len() || sealed[0] != VERSION {
        return Err(CustodyError::Damaged);
    }
    let salt = &sealed[1..1 + SALT_LEN];
    let nonce = &sealed[1 + SALT_LEN..1 + SALT_LEN + NONCE_LEN];
    let body = &sealed[1 + SALT_LEN + NONCE_LEN..];
    let v = vault_part(vault, b"holder", &[&customer_id.to_be_bytes(), salt])?;
    let p = pin_part(pin, salt)?;
    let key = aead_key(salt, &[v.as_ref(), p.as_ref()], &[b"dojang financial holder kek v1"])?;
    let seed = open(&key, &holder_aad(customer_id, public), nonce, body, CustodyError::WrongPin)?;
    let private =
        PrivateKey::from_private_key(&X25519, &seed).map_err(|_| CustodyError::Damaged)?;
    Ok(OpenHolder { private, customer_id })
}

fn cert_aad(customer_id: i64, serial: &str) -> Vec<u8> {
    let mut aad = b"dojang financial key v1".to_vec();
    aad.extend_from_slice(&customer_id.to_be_bytes());
    aad.extend_from_slice(serial.as_bytes());
    aad
}

fn cert_key(
    vault: &Vault,
    customer_id: i64,
    serial: &str,
    shared: &[u8],
    eph: &[u8],
    holder: &[u8],
) -> Result<LessSafeKey, CustodyError> {
    let v =
        vault_part(vault, b"certificate", &[&customer_id.to_be_bytes(), serial.as_bytes(), eph])?;
    let mut salt = eph.to_vec();
    salt.extend_from_slice(holder);
    aead_key(&salt, &[shared, v.as_ref()], &[b"dojang financial key kek v1", serial.as_bytes()])
}

/// Encrypts a certificate key (PKCS#8) to the holder's public key — what issue and the renewal
/// job do, neither needing the PIN.
pub fn wrap_for_holder(
    vault: &Vault,
    customer_id: i64,
    holder_public: &[u8],
    serial: &str,
    pkcs8: &[u8],
) -> Result<Vec<u8>, CustodyError> {
    let eph = PrivateKey::generate(&X25519).map_err(|_| CustodyError::Crypto)?;
    let eph_public = eph.compute_public_key().map_err(|_| CustodyError::Crypto)?.as_ref().to_vec();
    let peer = UnparsedPublicKey::new(&X25519, holder_public);
    let key = agreement::agree(&eph, peer, CustodyError::Damaged, |shared| {
        cert_key(vault, customer_id, serial, shared, &eph_public, holder_public)
    })?;
    let (body, nonce) = seal(&key, &cert_aad(customer_id, serial), pkcs8)?;
    let mut out = vec![VERSION];
    out.extend_from_slice(&eph_public);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

impl OpenHolder {
    /// Opens a certificate key this holder's public key was given.
    pub fn unwrap_key(
        &self,
        vault: &Vault,
        holder_public: &[u8],
        serial: &str,
        wrapped: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
        if wrapped.len() < 1 + X25519_LEN + NONCE_LEN + AES_256_GCM.tag_len()
            || wrapped[0] != VERSION
        {
            return Err(CustodyError::Damaged);
        }
        let eph = &wrapped[1..1 + X25519_LEN];
        let nonce = &wrapped[1 + X25519_LEN..1 + X25519_LEN + NONCE_LEN];
        let body = &wrapped[1 + X25519_LEN + NONCE_LEN..];
        let peer = UnparsedPublicKey::new(&X25519, eph);
        let key = agreement::agree(&self.private, peer, CustodyError::Damaged, |shared| {
            cert_key(vault, self.customer_id, serial, shared, eph, holder_public)
        })?;
        open(&key, &cert_aad(self.customer_id, serial), nonce, body, CustodyError::Damaged)
    }
}

/// Seals an opened certificate key under the SAD (which only the caller keeps) and the vault,
/// for the one `signHash` the SAD allows.
pub fn seal_for_sad(
    vault: &Vault,
    sad: &[u8],
    serial: &str,
    pkcs8: &[u8],
) -> Result<Vec<u8>, CustodyError> {
    let v = vault_part(vault, b"sad", &[serial.as_bytes()])?;
    let key = aead_key(b"dojang sad", &[sad, v.as_ref()], &[serial.as_bytes()])?;
    let (body, nonce) = seal(&key, serial.as_bytes(), pkcs8)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens what [`seal_for_sad`] sealed.
pub fn open_for_sad(
    vault: &Vault,
    sad: &[u8],
    serial: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
    if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return Err(CustodyError::Damaged);
    }
    let v = vault_part(vault, b"sad", &[serial.as_bytes()])?;
    let key = aead_key(b"dojang sad", &[sad, v.as_ref()], &[serial.as_bytes()])?;
    open(&key, serial.as_bytes(), &sealed[..NONCE_LEN], &sealed[NONCE_LEN..], CustodyError::Damaged)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn vault(dir: &tempfile::TempDir, name: &str) -> Vault {
        Vault::open_or_create(&dir.path().join(name), b"passphrase").unwrap().0
    }

    #[test]
    fn a_key_opens_with_vault_and_pin_only() {
        let dir = tempfile::tempdir().unwrap();
        let v = vault(&dir, "a");
        let other = vault(&dir, "b");
        let pin = Pin::parse("482916").unwrap();
        let h = new_holder(&v, 7, &pin).unwrap();
        let wrapped = wrap_for_holder(&v, 7, &h.public, "0A", b"the pkcs8").unwrap();
        let open = open_holder(&v, 7, &h.public, &h.sealed, &pin).unwrap();
        assert_eq!(
            open.unwrap_key(&v, &h.public, "0A", &wrapped).unwrap().as_slice(),
            b"the pkcs8"
        );
        // Wrong PIN, another vault, another customer, another serial: nothing opens.
        let wrong = Pin::parse("482917").unwrap();
        assert_eq!(
            open_holder(&v, 7, &h.public, &h.sealed, &wrong).err(),
            Some(CustodyError::WrongPin)
        );
        assert!(open_holder(&other, 7, &h.public, &h.sealed, &pin).is_err());
        assert!(open_holder(&v, 8, &h.public, &h.sealed, &pin).is_err());
        assert!(open.unwrap_key(&v, &h.public, "0B", &wrapped).is_err());
        assert!(open.unwrap_key(&other, &h.public, "0A", &wrapped).is_err());
        // The SAD layer.
        let s = seal_for_sad(&v, b"sad-bytes", "0A", b"the pkcs8").unwrap();
        assert_eq!(open_for_sad(&v, b"sad-bytes", "0A", &s).unwrap().as_slice(), b"the pkcs8");
        assert!(open_for_sad(&v, b"sad-bytez", "0A", &s).is_err());
    }
}
