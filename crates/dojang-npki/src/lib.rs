//! Korean NPKI formats: the files a joint certificate (공동인증서) lives in on the customer's
//! side, and the identity binding inside the certificate.
//!
//! - [`keyfile`]: `signPri.key` / `kmPri.key`, the password-encrypted PKCS#8 private key, in
//!   the KISA seedCBCWithSHA1 scheme, PBES2 with SEED-CBC or AES-CBC, and the legacy
//!   top-level seedCBC (read-only). Keeps the key's `randomNum` attribute (R) byte for byte.
//! - [`vid`]: KISA identifyData, the subjectAltName otherName carrying the real name and the
//!   VID hash over the resident registration number (RRN) and R; computing, encoding,
//!   parsing and verifying it.
//! - [`pfx`]: PKCS#12 export and import.
//!
//! # API for the key store and the `dojang cert` commands
//!
//! ```text
//! keyfile::decrypt(file: &[u8], password: &[u8]) -> Result<PrivateKey, KeyFileError>
//! keyfile::encrypt(&PrivateKey, password: &[u8], Scheme) -> Result<Vec<u8>, KeyFileError>
//! keyfile::change_password(file, old, new) -> Result<Vec<u8>, KeyFileError>   // same scheme, R kept
//! keyfile::scheme_of(file) -> Result<FileScheme, KeyFileError>                 // no password needed
//! keyfile::Scheme::default()  // PBES2, PBKDF2-HMAC-SHA1 ×1,300,000, SEED-CBC
//! PrivateKey::from_pkcs8_der(&[u8]) / ::with_random_num(pkcs8, r)
//!     .pkcs8_der() -> &[u8]  .random_num() -> Option<&[u8]>  .without_attributes()
//!     .public_key() -> Result<SubjectPublicKeyInfoOwned, PublicKeyError>  // RSA, P-256
//! keyfile::same_public_key(&spki, &spki) -> bool
//! KeyFileError::{WrongPassword, Truncated{..}, Corrupt(_), UnknownScheme{what, oid},
//!                TooManyIterations(_), InvalidPrivateKey(_), InvalidInput(_), Random}
//!
//! vid::Rrn::new("900101-1234567")                   // 13 digits, zeroized, never printed
//! vid::generate_random_num() -> Result<Zeroizing<[u8; 20]>, VidError>
//! vid::IdentifyData::new(real_name, &rrn, r, VidHash::Sha256)
//!     .to_other_name() / .to_general_name() / .to_subject_alt_name() / .subject_alt_name_der()
//! vid::IdentifyData::from_certificate(&Certificate) / ::from_subject_alt_name(..) / ::from_other_name(..)
//! vid::verify(&Certificate, &rrn, r) -> Result<bool, VidError>                  // constant-time
//! ```
//!
//! Secrets (passwords, RRNs, keys, R) never appear in an error or in `Debug` output.

#![forbid(unsafe_code)]

mod der_util;
pub mod keyfile;
pub mod pfx;
pub mod vid;
