//! What can go wrong in the CA.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("the CA key file {0} could not be decrypted: the passphrase is wrong (set DOJANG_CA_PASSPHRASE or ca.passphrase_file to the one used when the CA was made) or the file is damaged")]
    WrongPassphrase(PathBuf),
    #[error("the CA file {path} is damaged or not what it should be: {what}")]
    BadFile { path: PathBuf, what: String },
    #[error("reading or writing {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the key of {0} does not match its certificate; the CA directory has been mixed up")]
    KeyMismatch(&'static str),
    #[error("key generation failed in the crypto library")]
    KeyGeneration,
    #[error("signing failed in the crypto library")]
    Signing,
    #[error("the key is not one the CA can use: {0}")]
    UnsupportedKey(String),
    #[error("the HSM: {0}")]
    Hsm(String),
    #[error("refusing to sign: {0}")]
    Refused(String),
    #[error(transparent)]
    Profile(#[from] dojang_profile::tbs::ProfileError),
    #[error("encoding failed: {0}")]
    Encoding(#[from] der::Error),
}

impl CaError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CaError {
        let path = path.into();
        move |source| CaError::Io { path, source }
    }
}
