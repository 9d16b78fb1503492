//! TEMPORARY stub until dojang-npki's keyfile module lands.
use std::path::Path;
use zeroize::Zeroizing;
use crate::error::KeystoreError;

pub(crate) fn check_shape(_bytes: &[u8], _path: &Path) -> Result<(), KeystoreError> {
    Ok(())
}
pub(crate) fn open(_bytes: &[u8], _password: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    Err(KeystoreError::UnsupportedKeyFile { path: path.to_path_buf(), reason: "keyfile pending".into() })
}
pub(crate) fn reseal(_bytes: &[u8], _old: &str, _new: &str, path: &Path) -> Result<Vec<u8>, KeystoreError> {
    Err(KeystoreError::UnsupportedKeyFile { path: path.to_path_buf(), reason: "keyfile pending".into() })
}
pub(crate) fn seal(_pkcs8: &[u8], _password: &str) -> Result<Vec<u8>, KeystoreError> {
    Err(KeystoreError::KeyWrite("keyfile pending".into()))
}
