//! `signPri.key` and `kmPri.key`: the password-encrypted private key files of an NPKI folder
//! (PKCS#8 EncryptedPrivateKeyInfo).
//!
//! Three schemes are found in the wild (NPKI-NOTES.md) and all three are read:
//!
//! | scheme | algorithm OID | key / IV from the password | cipher |
//! |---|---|---|---|
//! | seedCBCWithSHA1 (KISA) | 1.2.410.200004.1.15 | PBKDF1-SHA1: key = DK[0..16], IV = SHA1(DK[16..20])[0..16] | SEED-CBC |
//! | PBES2 (RFC 8018) | 1.2.840.113549.1.5.13 | PBKDF2 (HMAC-SHA1 or SHA-2), IV in the file | SEED-CBC (1.2.410.200004.1.4) or AES-CBC |
//! | seedCBC at the top (legacy, read-only) | 1.2.410.200004.1.4 | PBKDF1-SHA1 or PBKDF2-HMAC-SHA1, key = first 16 bytes; IV = `"0123456789012345"` | SEED-CBC |
//!
//! [`encrypt`] writes the first two (and PBES2 with AES) — [`Scheme::default()`] is PBES2 with
//! PBKDF2-HMAC-SHA1 and SEED-CBC, see [`DEFAULT_ITERATIONS`] for why.
//!
//! ```no_run
//! use dojang_npki::keyfile::{self, Scheme};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let file = std::fs::read("signPri.key")?;
//! let key = keyfile::decrypt(&file, b"old password 1!")?; // WrongPassword, Corrupt, …
//! let r = key.random_num(); // the VID random value R
//! let same_scheme = keyfile::scheme_of(&file)?.writable();
//! let rewritten = keyfile::encrypt(&key, b"new password 2@", same_scheme)?; // R kept
//! # let _ = (r, rewritten); Ok(()) }
//! ```
//!
//! The password is the bytes the customer typed; the bank password rule keeps them ASCII.

mod asn1;
mod block;
mod error;
mod kdf;
mod private_key;
mod public_key;

use std::fmt;

use const_oid::ObjectIdentifier;
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use asn1::Protection;
use block::{CbcCipher, BLOCK_LEN};
pub use error::KeyFileError;
pub use private_key::PrivateKey;
pub use public_key::{same_public_key, PublicKeyError};

/// Object identifiers of the key-file schemes.
pub mod oid {
    use const_oid::ObjectIdentifier;

    /// KISA seedCBCWithSHA1 (PBKDF1-SHA1 + SEED-CBC), the classic `signPri.key` scheme.
    pub const SEED_CBC_WITH_SHA1: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.410.200004.1.15");
    /// KISA seedCBC: SEED in CBC mode (a PBES2 encryption scheme; also a legacy top-level
    /// key-file algorithm).
    pub const SEED_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.410.200004.1.4");
    /// PKCS#5 PBES2.
    pub const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
    /// PKCS#5 PBKDF2.
    pub const PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
    /// hmacWithSHA1 (the PBKDF2 default PRF).
    pub const HMAC_WITH_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.7");
    /// hmacWithSHA224.
    pub const HMAC_WITH_SHA224: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.8");
    /// hmacWithSHA256.
    pub const HMAC_WITH_SHA256: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.9");
    /// hmacWithSHA384.
    pub const HMAC_WITH_SHA384: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.10");
    /// hmacWithSHA512.
    pub const HMAC_WITH_SHA512: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.2.11");
    /// aes128-CBC.
    pub const AES_128_CBC: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2");
    /// aes192-CBC.
    pub const AES_192_CBC: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.22");
    /// aes256-CBC.
    pub const AES_256_CBC: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
    /// KISA randomNum: the private-key attribute holding the VID random value R.
    pub const RANDOM_NUM: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.410.200004.10.1.1.3");
}

/// PBKDF2 iterations [`Scheme::default()`] writes: 1,300,000.
///
/// Why so many, when Korean software customarily writes 2048: the realistic attack on a
/// `signPri.key` is offline guessing after malware copies the NPKI folder, a theft seen at
/// scale. The iteration count is the only brake on that guessing, and 1,300,000 is the OWASP
/// (2023) figure for PBKDF2-HMAC-SHA1 — 635 times the customary cost per guess. The price is
/// paid once per opening: about 0.1 s on a current x86 core with SHA extensions, well under
/// a second on a phone. Readers (OpenSSL, Korean clients) take the count from the file, so
/// this costs no compatibility; a caller that must match an old writer picks
/// `Scheme::Pbes2Seed { iterations: 2048, .. }` or [`Scheme::SeedCbcWithSha1`].
pub const DEFAULT_ITERATIONS: u32 = 1_300_000;

/// The most iterations a file may ask for before we refuse to spend the time (RFC 8018
/// §4.2's figure for "especially critical keys"); a hostile file cannot stall the client
/// for more than a few seconds.
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// Salt length we write: 8 bytes, as KISA's seedCBCWithSHA1 files and OpenSSL 3.0's PBES2
/// files have it (64 random bits already defeat precomputed tables; the count does the rest).
const SALT_LEN: usize = 8;

/// The legacy top-level seedCBC scheme's fixed IV.
const LEGACY_IV: &[u8; 16] = b"0123456789012345";

/// The HMAC under PBKDF2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prf {
    /// HMAC-SHA1: RFC 8018's default and what Korean clients use (some ignore the field and
    /// always use it), hence what we write.
    HmacSha1,
    /// HMAC-SHA-224 (read and write).
    HmacSha224,
    /// HMAC-SHA-256: OpenSSL's default PRF.
    HmacSha256,
    /// HMAC-SHA-384.
    HmacSha384,
    /// HMAC-SHA-512.
    HmacSha512,
}

impl Prf {
    /// The PRF's AlgorithmIdentifier OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Prf::HmacSha1 => oid::HMAC_WITH_SHA1,
            Prf::HmacSha224 => oid::HMAC_WITH_SHA224,
            Prf::HmacSha256 => oid::HMAC_WITH_SHA256,
            Prf::HmacSha384 => oid::HMAC_WITH_SHA384,
            Prf::HmacSha512 => oid::HMAC_WITH_SHA512,
        }
    }

    /// The PRF named by `oid`, if we implement it.
    pub fn from_oid(oid: ObjectIdentifier) -> Option<Prf> {
        [Prf::HmacSha1, Prf::HmacSha224, Prf::HmacSha256, Prf::HmacSha384, Prf::HmacSha512]
            .into_iter()
            .find(|p| p.oid() == oid)
    }
}

impl fmt::Display for Prf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Prf::HmacSha1 => "HMAC-SHA1",
            Prf::HmacSha224 => "HMAC-SHA224",
            Prf::HmacSha256 => "HMAC-SHA256",
            Prf::HmacSha384 => "HMAC-SHA384",
            Prf::HmacSha512 => "HMAC-SHA512",
        })
    }
}

/// A scheme [`encrypt`] can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// KISA seedCBCWithSHA1 (OID 1.2.410.200004.1.15): PBKDF1-SHA1, SEED-CBC. What most
    /// Korean bank software writes; every Korean client reads it. OpenSSL does not.
    SeedCbcWithSha1 {
        /// PBKDF1 iterations (Korean software writes 2048).
        iterations: u32,
    },
    /// PBES2 with PBKDF2 and SEED-CBC (OID 1.2.410.200004.1.4). Read by Korean clients
    /// (with HMAC-SHA1) and by OpenSSL 3 with its legacy provider.
    Pbes2Seed {
        /// The PBKDF2 PRF.
        prf: Prf,
        /// PBKDF2 iterations.
        iterations: u32,
    },
    /// PBES2 with PBKDF2 and AES-CBC: readable by OpenSSL's default provider and most
    /// non-Korean software, not by older Korean clients.
    Pbes2Aes {
        /// 128, 192 or 256.
        key_bits: u16,
        /// The PBKDF2 PRF.
        prf: Prf,
        /// PBKDF2 iterations.
        iterations: u32,
    },
}

/// PBES2, PBKDF2-HMAC-SHA1 ([`DEFAULT_ITERATIONS`]), SEED-CBC: the one scheme both Korean
/// clients and OpenSSL read, with SEED kept because Korean clients expect it in `signPri.key`
/// and HMAC-SHA1 because some of them derive with it whatever the file says.
impl Default for Scheme {
    fn default() -> Self {
        Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: DEFAULT_ITERATIONS }
    }
}

impl Scheme {
    /// The password-hashing iteration count.
    pub fn iterations(&self) -> u32 {
        match *self {
            Scheme::SeedCbcWithSha1 { iterations }
            | Scheme::Pbes2Seed { iterations, .. }
            | Scheme::Pbes2Aes { iterations, .. } => iterations,
        }
    }

    fn cipher(&self) -> Result<CbcCipher, KeyFileError> {
        match *self {
            Scheme::SeedCbcWithSha1 { .. } | Scheme::Pbes2Seed { .. } => Ok(CbcCipher::Seed),
            Scheme::Pbes2Aes { key_bits: 128, .. } => Ok(CbcCipher::Aes128),
            Scheme::Pbes2Aes { key_bits: 192, .. } => Ok(CbcCipher::Aes192),
            Scheme::Pbes2Aes { key_bits: 256, .. } => Ok(CbcCipher::Aes256),
            Scheme::Pbes2Aes { key_bits, .. } => Err(KeyFileError::InvalidInput(format!(
                "AES keys are 128, 192 or 256 bits, not {key_bits}"
            ))),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scheme::SeedCbcWithSha1 { iterations } => {
                write!(f, "seedCBCWithSHA1 (PBKDF1-SHA1, {iterations} iterations, SEED-CBC)")
            }
            Scheme::Pbes2Seed { prf, iterations } => {
                write!(f, "PBES2 (PBKDF2-{prf}, {iterations} iterations, SEED-CBC)")
            }
            Scheme::Pbes2Aes { key_bits, prf, iterations } => {
                write!(f, "PBES2 (PBKDF2-{prf}, {iterations} iterations, AES-{key_bits}-CBC)")
            }
        }
    }
}

/// The scheme of an existing file, as [`scheme_of`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileScheme {
    /// A scheme [`encrypt`] also writes.
    Writable(Scheme),
    /// seedCBC (1.2.410.200004.1.4) as the top-level algorithm, fixed IV: read-only.
    LegacySeedCbc {
        /// Iterations of its key derivation.
        iterations: u32,
    },
}

impl FileScheme {
    /// The scheme to re-encrypt with (password change) so that the same software keeps
    /// reading the file: the same scheme, or seedCBCWithSHA1 for the legacy one, which we do
    /// not write.
    pub fn writable(&self) -> Scheme {
        match *self {
            FileScheme::Writable(scheme) => scheme,
            FileScheme::LegacySeedCbc { iterations } => Scheme::SeedCbcWithSha1 { iterations },
        }
    }
}

impl fmt::Display for FileScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileScheme::Writable(s) => s.fmt(f),
            FileScheme::LegacySeedCbc { iterations } => {
                write!(f, "legacy seedCBC ({iterations} iterations, fixed IV)")
            }
        }
    }
}

/// Which scheme protects a key file, read without the password.
pub fn scheme_of(encrypted_der: &[u8]) -> Result<FileScheme, KeyFileError> {
    let file = asn1::parse(encrypted_der)?;
    Ok(match file.protection {
        Protection::SeedCbcWithSha1 { iterations, .. } => {
            FileScheme::Writable(Scheme::SeedCbcWithSha1 { iterations })
        }
        Protection::LegacySeedCbc { iterations, .. } => FileScheme::LegacySeedCbc { iterations },
        Protection::Pbes2 { prf, iterations, cipher, .. } => FileScheme::Writable(match cipher {
            CbcCipher::Seed => Scheme::Pbes2Seed { prf, iterations },
            aes => Scheme::Pbes2Aes {
                key_bits: u16::try_from(aes.key_len() * 8).unwrap_or(u16::MAX),
                prf,
                iterations,
            },
        }),
    })
}

/// Decrypts a `signPri.key` / `kmPri.key` (DER EncryptedPrivateKeyInfo) in any of the three
/// schemes.
///
/// A wrong password gives [`KeyFileError::WrongPassword`]: the decrypted bytes must have
/// valid padding *and* parse as a PKCS#8 PrivateKeyInfo, so a wrong key is never mistaken for
/// a damaged file, nor the other way round. For PBES2 files whose PRF is not HMAC-SHA1 we
/// also try HMAC-SHA1 before saying so, as some Korean writers derive with it whatever they
/// declare.
pub fn decrypt(encrypted_der: &[u8], password: &[u8]) -> Result<PrivateKey, KeyFileError> {
    let file = asn1::parse(encrypted_der)?;
    let ciphertext = file.ciphertext;
    let opened = match file.protection {
        Protection::SeedCbcWithSha1 { salt, iterations } => {
            let (key, iv) = kdf::seed_cbc_with_sha1(password, salt, iterations);
            open(CbcCipher::Seed, key.as_slice(), &iv, ciphertext)
        }
        Protection::LegacySeedCbc { salt, iterations } => {
            let dk = kdf::pbkdf1_sha1(password, salt, iterations);
            open(CbcCipher::Seed, &dk[..16], LEGACY_IV, ciphertext).or_else(|| {
                let mut key = Zeroizing::new([0u8; 16]);
                kdf::pbkdf2(Prf::HmacSha1, password, salt, iterations, key.as_mut_slice());
                open(CbcCipher::Seed, key.as_slice(), LEGACY_IV, ciphertext)
            })
        }
        Protection::Pbes2 { prf, salt, iterations, cipher, iv } => {
            let attempt = |prf: Prf| {
                let mut key = Zeroizing::new(vec![0u8; cipher.key_len()]);
                kdf::pbkdf2(prf, password, salt, iterations, &mut key);
                open(cipher, &key, iv, ciphertext)
            };
            attempt(prf)
                .or_else(|| (prf != Prf::HmacSha1).then(|| attempt(Prf::HmacSha1)).flatten())
        }
    };
    opened.ok_or(KeyFileError::WrongPassword)
}

/// Decrypts and checks that a private key came out; `None` means the password was wrong.
fn open(cipher: CbcCipher, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<PrivateKey> {
    let plaintext = cipher.decrypt(key, iv, ciphertext)?;
    PrivateKey::from_owned(plaintext).ok()
}

/// Encrypts `key` under `password` with `scheme` (normally [`Scheme::default()`]), with a
/// fresh random salt (and IV) from the operating system. The PrivateKeyInfo goes in byte for
/// byte, `randomNum` included.
pub fn encrypt(key: &PrivateKey, password: &[u8], scheme: Scheme) -> Result<Vec<u8>, KeyFileError> {
    encrypt_with_rng(key, password, scheme, &mut rand::rngs::OsRng)
}

/// [`encrypt`] drawing the salt and IV from `rng` (tests use a seeded one).
pub fn encrypt_with_rng<R: RngCore + CryptoRng>(
    key: &PrivateKey,
    password: &[u8],
    scheme: Scheme,
    rng: &mut R,
) -> Result<Vec<u8>, KeyFileError> {
    if password.is_empty() {
        return Err(KeyFileError::InvalidInput("the password is empty".into()));
    }
    let iterations = scheme.iterations();
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(KeyFileError::InvalidInput(format!(
            "the iteration count must be 1..={MAX_ITERATIONS}, not {iterations}"
        )));
    }
    let cipher = scheme.cipher()?;
    let mut salt = [0u8; SALT_LEN];
    let mut iv = [0u8; BLOCK_LEN];
    rng.try_fill_bytes(&mut salt).map_err(|_| KeyFileError::Random)?;
    rng.try_fill_bytes(&mut iv).map_err(|_| KeyFileError::Random)?;
    let internal = |e: der::Error| KeyFileError::InvalidInput(format!("encoding failed: {e}"));
    let failed = || KeyFileError::InvalidInput("the cipher rejected its key or IV".into());

    match scheme {
        Scheme::SeedCbcWithSha1 { iterations } => {
            let (k, iv) = kdf::seed_cbc_with_sha1(password, &salt, iterations);
            let ciphertext =
                cipher.encrypt(k.as_slice(), &iv, key.pkcs8_der()).ok_or_else(failed)?;
            asn1::encode_seed_cbc_with_sha1(&salt, iterations, &ciphertext).map_err(internal)
        }
        Scheme::Pbes2Seed { prf, iterations } | Scheme::Pbes2Aes { prf, iterations, .. } => {
            let mut k = Zeroizing::new(vec![0u8; cipher.key_len()]);
            kdf::pbkdf2(prf, password, &salt, iterations, &mut k);
            let ciphertext = cipher.encrypt(&k, &iv, key.pkcs8_der()).ok_or_else(failed)?;
            asn1::encode_pbes2(prf, &salt, iterations, cipher, &iv, &ciphertext).map_err(internal)
        }
    }
}

/// Re-encrypts a key file under a new password in the scheme it already uses (so the same
/// software keeps reading it; a legacy seedCBC file becomes seedCBCWithSHA1). The
/// PrivateKeyInfo, `randomNum` included, is carried over byte for byte.
pub fn change_password(
    encrypted_der: &[u8],
    old: &[u8],
    new: &[u8],
) -> Result<Vec<u8>, KeyFileError> {
    let scheme = scheme_of(encrypted_der)?.writable();
    let key = decrypt(encrypted_der, old)?;
    encrypt(&key, new, scheme)
}

#[cfg(test)]
mod tests;
