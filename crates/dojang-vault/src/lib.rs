//! The vault (금고): one random master key per center, kept in a file sealed under the CA
//! passphrase, from which purpose-bound keys are derived (HKDF-SHA256):
//! - sealing (AES-256-GCM) of secrets the center must read back: RRNs, security-card codes,
//!   OTP seeds;
//! - a keyed hash (HMAC-SHA256) to find a customer by RRN without storing it in the clear.
//!
//! A database dump alone reveals none of them; the vault file alone is useless without the
//! passphrase.
#![forbid(unsafe_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::{hkdf, hmac, pbkdf2, rand};
use base64::Engine;
use zeroize::Zeroizing;

/// What a sealed value or hash is for. The label is bound into every seal (as AAD) and every
/// hash, so a value sealed as one purpose cannot be opened or matched as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Rrn,
    SecurityCard,
    OtpSeed,
    /// Keys kept for customers (the financial certificate's key, issue 6).
    CustomerKey,
    /// The keyed hashes of one-time answers (ARS/SMS codes, security-card challenges).
    Challenge,
    /// ID-card numbers in the simulated issuer's registry.
    IdCard,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Rrn => b"dojang rrn v1",
            Purpose::SecurityCard => b"dojang security-card v1",
            Purpose::OtpSeed => b"dojang otp-seed v1",
            Purpose::CustomerKey => b"dojang customer-key v1",
            Purpose::Challenge => b"dojang challenge v1",
            Purpose::IdCard => b"dojang id-card v1",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "the vault file {0} could not be opened: the passphrase is wrong or the file is damaged"
    )]
    WrongPassphrase(PathBuf),
    #[error("the vault file {path} is damaged: {what}")]
    Damaged { path: PathBuf, what: &'static str },
    #[error("reading or writing {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("a sealed value could not be opened: it was altered, or sealed by another center or for another purpose")]
    Unseal,
    #[error("the crypto library failed")]
    Crypto,
    #[error("the vault file {0} is sealed under the HSM's key-encryption key as well; configure [ca.hsm] to open it")]
    NeedsKek(PathBuf),
    #[error("the HSM's key-encryption key: {0}")]
    Kek(String),
}

/// A key-encryption key held outside this process — in an HSM. With one, the master key is
/// sealed under it inside the passphrase's seal, so that neither the vault file with the
/// passphrase nor the HSM alone gives the master key.
pub trait Kek: Send + Sync {
    /// Seals `plain` (AEAD; the nonce inside the result).
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String>;
    /// Opens what [`seal`](Self::seal) made.
    fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, String>;
}

const PEM_BEGIN: &str = "-----BEGIN DOJANG VAULT KEY-----";
const PEM_END: &str = "-----END DOJANG VAULT KEY-----";
const VERSION: u8 = 1;
/// The master key sealed under a [`Kek`] first.
const VERSION_KEK: u8 = 2;
const SALT_LEN: usize = 16;
const MASTER_LEN: usize = 32;
/// Same cost as the CA key files: paid once per process start.
const PBKDF2_ROUNDS: u32 = 600_000;

/// The vault, open.
pub struct Vault {
    master: Zeroizing<[u8; MASTER_LEN]>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(open)")
    }
}

struct Len(usize);
impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn wrapping_key(passphrase: &[u8], salt: &[u8]) -> Result<LessSafeKey, VaultError> {
    let mut k = Zeroizing::new([0u8; 32]);
    let rounds = std::num::NonZeroU32::new(PBKDF2_ROUNDS).ok_or(VaultError::Crypto)?;
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, rounds, salt, passphrase, k.as_mut());
    Ok(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, k.as_ref()).map_err(|_| VaultError::Crypto)?))
}

impl Vault {
    /// Opens the vault at `path`, making a new master key there first if there is none.
    /// Returns whether it was made now.
    pub fn open_or_create(path: &Path, passphrase: &[u8]) -> Result<(Vault, bool), VaultError> {
        Self::open_or_create_with(path, passphrase, None)
    }

    /// [`open_or_create`](Self::open_or_create) with a key-encryption key: a vault made now
    /// is sealed under `kek` too; one made earlier without it opens as before.
    pub fn open_or_create_with(
        path: &Path,
        passphrase: &[u8],
        kek: Option<&dyn Kek>,
    ) -> Result<(Vault, bool), VaultError> {
        if path.exists() {
            return Ok((Self::open_with(path, passphrase, kek)?, false));
        }
        let mut master = Zeroizing::new([0u8; MASTER_LEN]);
        rand::fill(master.as_mut()).map_err(|_| VaultError::Crypto)?;
        let mut salt = [0u8; SALT_LEN];
        rand::fill(&mut salt).map_err(|_| VaultError::Crypto)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce).map_err(|_| VaultError::Crypto)?;
        let key = wrapping_key(passphrase, &salt)?;
        let (version, mut body) = match kek {
            None => (VERSION, Zeroizing::new(master.to_vec())),
            Some(k) => {
                (VERSION_KEK, Zeroizing::new(k.seal(master.as_ref()).map_err(VaultError::Kek)?))
            }
        };
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from([version]),
            &mut *body,
        )
        .map_err(|_| VaultError::Crypto)?;
        let mut blob = vec![version];
        blob.extend_from_slice(&salt);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&body);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&blob);
        let text = format!("{PEM_BEGIN}\n{b64}\n{PEM_END}\n");
        let io = |source| VaultError::Io { path: path.to_path_buf(), source };
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok((Vault { master }, true))
    }

    /// Opens an existing vault file.
    pub fn open(path: &Path, passphrase: &[u8]) -> Result<Vault, VaultError> {
        Self::open_with(path, passphrase, None)
    }

    /// Opens an existing vault file, with the key-encryption key it may need.
    pub fn open_with(
        path: &Path,
        passphrase: &[u8],
        kek: Option<&dyn Kek>,
    ) -> Result<Vault, VaultError> {
        let damaged = |what| VaultError::Damaged { path: path.to_path_buf(), what };
        let text = fs::read_to_string(path)
            .map_err(|source| VaultError::Io { path: path.to_path_buf(), source })?;
        let b64: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != PEM_BEGIN && *l != PEM_END)
            .collect();
        if !text.contains(PEM_BEGIN) {
            return Err(damaged("it does not start with the vault header"));
        }
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| damaged("its body is not base64"))?;
        let version = *blob.first().ok_or_else(|| damaged("its body is empty"))?;
        let expected = 1 + SALT_LEN + NONCE_LEN + MASTER_LEN + AES_256_GCM.tag_len();
        match version {
            VERSION if blob.len() != expected => {
                return Err(damaged("its body has the wrong length"))
            }
            VERSION => {}
            VERSION_KEK if kek.is_none() => return Err(VaultError::NeedsKek(path.to_path_buf())),
            VERSION_KEK if blob.len() <= expected => {
                return Err(damaged("its body has the wrong length"))
            }
            VERSION_KEK => {}
            _ => return Err(damaged("it is of an unknown version")),
        }
        let salt = &blob[1..1 + SALT_LEN];
        let nonce: [u8; NONCE_LEN] = blob[1 + SALT_LEN..1 + SALT_LEN + NONCE_LEN]
            .try_into()
            .map_err(|_| VaultError::Crypto)?;
        let mut body = Zeroizing::new(blob[1 + SALT_LEN + NONCE_LEN..].to_vec());
        let key = wrapping_key(passphrase, salt)?;
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from([version]),
                body.as_mut_slice(),
            )
            .map_err(|_| VaultError::WrongPassphrase(path.to_path_buf()))?;
        let inner = match kek {
            Some(k) if version == VERSION_KEK => k.open(plain).map_err(VaultError::Kek)?,
            _ => Zeroizing::new(plain.to_vec()),
        };
        if inner.len() != MASTER_LEN {
            return Err(damaged("its master key has the wrong length"));
        }
        let mut master = Zeroizing::new([0u8; MASTER_LEN]);
        master.copy_from_slice(&inner);
        Ok(Vault { master })
    }

    fn derive(&self, purpose: Purpose, kind: &[u8]) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"dojang vault").extract(self.master.as_ref());
        let info = [purpose.label(), kind];
        let okm = prk.expand(&info, Len(32)).map_err(|_| VaultError::Crypto)?;
        let mut out = Zeroizing::new([0u8; 32]);
        okm.fill(out.as_mut()).map_err(|_| VaultError::Crypto)?;
        Ok(out)
    }

    fn aead(&self, purpose: Purpose) -> Result<LessSafeKey, VaultError> {
        let k = self.derive(purpose, b"seal")?;
        Ok(LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, k.as_ref()).map_err(|_| VaultError::Crypto)?,
        ))
    }

    /// Seals `plaintext` for `purpose`: random nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, purpose: Purpose, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce).map_err(|_| VaultError::Crypto)?;
        let mut body = plaintext.to_vec();
        self.aead(purpose)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.label()),
                &mut body,
            )
            .map_err(|_| VaultError::Crypto)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens what [`Vault::seal`] sealed for the same purpose.
    pub fn open_sealed(
        &self,
        purpose: Purpose,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(VaultError::Unseal);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| VaultError::Unseal)?;
        let mut body = Zeroizing::new(body.to_vec());
        let plain = self
            .aead(purpose)?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.label()),
                body.as_mut_slice(),
            )
            .map_err(|_| VaultError::Unseal)?;
        Ok(Zeroizing::new(plain.to_vec()))
    }

    /// The keyed lookup hash of `value` for `purpose` (e.g. to find a customer by RRN).
    pub fn lookup_hash(&self, purpose: Purpose, value: &[u8]) -> Result<[u8; 32], VaultError> {
        let k = self.derive(purpose, b"lookup")?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, k.as_ref());
        let tag = hmac::sign(&key, value);
        tag.as_ref().try_into().map_err(|_| VaultError::Crypto)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn made_once_reopened_and_refuses_a_wrong_passphrase() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vault.key");
        let (v, created) = Vault::open_or_create(&path, b"pass").expect("create");
        assert!(created);
        let sealed = v.seal(Purpose::Rrn, b"9001011234567").expect("seal");
        assert!(!sealed.windows(13).any(|w| w == b"9001011234567"));
        let (again, created) = Vault::open_or_create(&path, b"pass").expect("open");
        assert!(!created);
        assert_eq!(
            again.open_sealed(Purpose::Rrn, &sealed).expect("open").as_slice(),
            b"9001011234567"
        );
        assert_eq!(
            v.lookup_hash(Purpose::Rrn, b"x").expect("hash"),
            again.lookup_hash(Purpose::Rrn, b"x").expect("hash")
        );
        assert!(matches!(Vault::open(&path, b"wrong"), Err(VaultError::WrongPassphrase(_))));
    }

    #[test]
    fn purposes_do_not_mix_and_tampering_is_caught() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (v, _) = Vault::open_or_create(&dir.path().join("v"), b"p").expect("create");
        let sealed = v.seal(Purpose::OtpSeed, b"seed").expect("seal");
        assert!(matches!(v.open_sealed(Purpose::Rrn, &sealed), Err(VaultError::Unseal)));
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(v.open_sealed(Purpose::OtpSeed, &bad), Err(VaultError::Unseal)));
        assert!(matches!(v.open_sealed(Purpose::OtpSeed, b"short"), Err(VaultError::Unseal)));
        assert_ne!(
            v.lookup_hash(Purpose::Rrn, b"x").expect("hash"),
            v.lookup_hash(Purpose::SecurityCard, b"x").expect("hash")
        );
        // Two seals of the same value differ (random nonce).
        assert_ne!(
            v.seal(Purpose::Rrn, b"a").expect("seal"),
            v.seal(Purpose::Rrn, b"a").expect("seal")
        );
    }

    #[test]
    fn a_damaged_file_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v");
        fs::write(&path, "hello").expect("write");
        assert!(matches!(Vault::open(&path, b"p"), Err(VaultError::Damaged { .. })));
    }

    /// A key-encryption key for the test: AES-256-GCM with a key in memory (the HSM's is
    /// exercised end to end in crates/dojang/tests/hsm_ca.rs).
    struct MemoryKek(LessSafeKey);

    impl MemoryKek {
        fn new(byte: u8) -> Self {
            MemoryKek(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[byte; 32]).unwrap()))
        }
    }

    impl Kek for MemoryKek {
        fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
            let mut body = plain.to_vec();
            self.0
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key([0; 12]),
                    Aad::empty(),
                    &mut body,
                )
                .map_err(|_| "seal".to_string())?;
            Ok(body)
        }
        fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
            let mut body = sealed.to_vec();
            let n = self
                .0
                .open_in_place(Nonce::assume_unique_for_key([0; 12]), Aad::empty(), &mut body)
                .map_err(|_| "open".to_string())?
                .len();
            body.truncate(n);
            Ok(Zeroizing::new(body))
        }
    }

    #[test]
    fn a_vault_sealed_under_a_kek_needs_it_and_the_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        let kek = MemoryKek::new(7);
        let (v, created) = Vault::open_or_create_with(&path, b"pass", Some(&kek)).unwrap();
        assert!(created);
        let sealed = v.seal(Purpose::Rrn, b"9001011234567").unwrap();
        let again = Vault::open_with(&path, b"pass", Some(&kek)).unwrap();
        assert_eq!(again.open_sealed(Purpose::Rrn, &sealed).unwrap().as_slice(), b"9001011234567");
        assert!(matches!(Vault::open(&path, b"pass"), Err(VaultError::NeedsKek(_))));
        assert!(matches!(
            Vault::open_with(&path, b"pass", Some(&MemoryKek::new(8))),
            Err(VaultError::Kek(_))
        ));
        assert!(matches!(
            Vault::open_with(&path, b"wrong", Some(&kek)),
            Err(VaultError::WrongPassphrase(_))
        ));
    }
}
