//! The key files, through dojang-npki's `keyfile` (seedCBCWithSHA1, PBES2 with SEED or AES,
//! legacy seedCBC): this module only turns its errors into store errors that name the file.

use std::path::Path;

use dojang_npki::keyfile::{self, KeyFileError, PrivateKey, Scheme};
use zeroize::Zeroizing;

use crate::error::KeystoreError;

fn map(e: KeyFileError, path: &Path) -> KeystoreError {
    let path = path.to_path_buf();
    match e {
        KeyFileError::WrongPassword => KeystoreError::WrongPassword { path },
        KeyFileError::Truncated { .. }
        | KeyFileError::Corrupt(_)
        | KeyFileError::InvalidPrivateKey(_) => {
            KeystoreError::CorruptKeyFile { path, reason: e.to_string() }
        }
        KeyFileError::UnknownScheme { .. } | KeyFileError::TooManyIterations(_) => {
            KeystoreError::UnsupportedKeyFile { path, reason: e.to_string() }
        }
        other => KeystoreError::KeyWrite(other.to_string()),
    }
}

/// Checks that `bytes` is a key file in a scheme we can open, without the password.
pub(crate) fn check_shape(bytes: &[u8], path: &Path) -> Result<(), KeystoreError> {
    keyfile::scheme_of(bytes).map(|_| ()).map_err(|e| map(e, path))
}

/// Decrypts a key file: the PKCS#8 PrivateKeyInfo, attributes (randomNum) included.
pub(crate) fn open(
    bytes: &[u8],
    password: &str,
    path: &Path,
) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    let key = keyfile::decrypt(bytes, password.as_bytes()).map_err(|e| map(e, path))?;
    Ok(Zeroizing::new(key.pkcs8_der().to_vec()))
}

/// The same key file under a new password, in the scheme it already uses, R kept.
pub(crate) fn reseal(
    bytes: &[u8],
    old: &str,
    new: &str,
    path: &Path,
) -> Result<Vec<u8>, KeystoreError> {
    keyfile::change_password(bytes, old.as_bytes(), new.as_bytes()).map_err(|e| map(e, path))
}

/// A new key file for a PKCS#8 key (from a PFX), in the default scheme both Korean clients
/// and OpenSSL read.
pub(crate) fn seal(pkcs8: &[u8], password: &str) -> Result<Vec<u8>, KeystoreError> {
    let key =
        PrivateKey::from_pkcs8_der(pkcs8).map_err(|e| KeystoreError::KeyWrite(e.to_string()))?;
    keyfile::encrypt(&key, password.as_bytes(), Scheme::default())
        .map_err(|e| KeystoreError::KeyWrite(e.to_string()))
}
