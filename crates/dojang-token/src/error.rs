//! What can go wrong with a token. No variant carries a PIN.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no PKCS#11 library for the security token: install the token's software (SoftHSM2 for tests: apt-get install softhsm2) or set ${env} to its .so")]
    NoModule { env: &'static str },
    #[error("the PKCS#11 library {path} cannot be used: {reason}")]
    Module { path: PathBuf, reason: String },
    #[error("no security token labelled {label:?} is connected (present: {present:?}); plug it in, or check --location token:LABEL")]
    NoToken { label: String, present: Vec<String> },
    #[error("there is no blank token to initialise")]
    NoBlankToken,
    #[error("the security token's PIN is wrong; the token locks itself after repeated wrong PINs")]
    WrongPin,
    #[error("the security token's PIN is locked after too many wrong PINs; unlock it with the security officer's PIN")]
    PinLocked,
    #[error("the security token holds no certificate{0}")]
    NoCertificate(String),
    #[error("the security token holds {0} certificates; choose one by its serial")]
    Ambiguous(usize),
    #[error("the token's key with id {id} is missing")]
    NoKey { id: String },
    #[error("the token's answer cannot be read: {0}")]
    Malformed(String),
    #[error("the security token refused: {0}")]
    Pkcs11(String),
}

impl From<cryptoki::error::Error> for TokenError {
    fn from(e: cryptoki::error::Error) -> Self {
        TokenError::Pkcs11(e.to_string())
    }
}
