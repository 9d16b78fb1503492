//! The key files, through dojang-npki's `keyfile` (seedCBCWithSHA1, PBES2 with SEED or AES,
//! legacy seedCBC): this module turns its errors into store errors that name the file, and
//! checks that an opened key is the private half of its certificate.

use std::path::Path;

use der::Decode;
use dojang_npki::keyfile::{
    self, same_public_key, KeyFileError, PrivateKey, PublicKeyError, Scheme,
};

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

/// Decrypts the key file `key_path` holds (`bytes`) and checks that it is the private half of
/// the certificate `cert` (its DER, from `cert_path`): the PKCS#8 PrivateKeyInfo, attributes
/// (randomNum) included.
pub(crate) fn open_for(
    bytes: &[u8],
    password: &str,
    key_path: &Path,
    cert: &[u8],
    cert_path: &Path,
) -> Result<PrivateKey, KeystoreError> {
    let key = keyfile::decrypt(bytes, password.as_bytes()).map_err(|e| map(e, key_path))?;
    check_belongs(&key, key_path, cert, cert_path)?;
    Ok(key)
}

/// The same key file under a new password, in the scheme it already uses, R kept.
pub(crate) fn reseal(
    bytes: &[u8],
    key: &PrivateKey,
    new: &str,
    path: &Path,
) -> Result<Vec<u8>, KeystoreError> {
    let scheme = keyfile::scheme_of(bytes).map_err(|e| map(e, path))?.writable();
    keyfile::encrypt(key, new.as_bytes(), scheme).map_err(|e| map(e, path))
}

/// Refuses a key that is not the private half of the certificate's public key: another
/// certificate's key put beside it, or a key damaged inside its encryption (the password
/// still opens it, but the numbers no longer fit together). dojang-npki derives the public
/// half (aws-lc-rs checks the key's own consistency as it reads it), which must be the
/// certificate's SubjectPublicKeyInfo (algorithm and key bits; RSA's NULL parameters may be
/// left out).
pub(crate) fn check_belongs(
    key: &PrivateKey,
    key_path: &Path,
    cert: &[u8],
    cert_path: &Path,
) -> Result<(), KeystoreError> {
    let mismatch = || KeystoreError::KeyMismatch {
        key: key_path.to_path_buf(),
        cert: cert_path.to_path_buf(),
    };
    let derived = key.public_key().map_err(|e| match e {
        PublicKeyError::UnsupportedAlgorithm(_) | PublicKeyError::UnsupportedSize(_) => {
            KeystoreError::UnsupportedKeyFile {
                path: key_path.to_path_buf(),
                reason: format!("{e}; only RSA (2048 bits or more) and P-256 keys can be used"),
            }
        }
        PublicKeyError::Inconsistent => mismatch(),
    })?;
    let certificate =
        x509_cert::Certificate::from_der(cert).map_err(|e| KeystoreError::CorruptCertificate {
            path: cert_path.to_path_buf(),
            reason: format!("not DER X.509: {e}"),
        })?;
    if !same_public_key(&certificate.tbs_certificate.subject_public_key_info, &derived) {
        return Err(mismatch());
    }
    Ok(())
}

/// A new key file for a key (from a PFX), in the default scheme both Korean clients and
/// OpenSSL read.
pub(crate) fn seal(key: &PrivateKey, password: &str) -> Result<Vec<u8>, KeystoreError> {
    keyfile::encrypt(key, password.as_bytes(), Scheme::default())
        .map_err(|e| KeystoreError::KeyWrite(e.to_string()))
}
