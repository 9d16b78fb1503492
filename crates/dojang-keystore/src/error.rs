//! What can go wrong with the store, said so that a customer (or the help desk reading over
//! their shoulder) knows which file and what to do. No variant carries a password or key.

use std::io;
use std::path::PathBuf;

use crate::password::PasswordRuleError;

#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The platform has no home directory and no override is set.
    #[error(
        "cannot find the {what} folder: no home directory; set {env} to the NPKI folder to use"
    )]
    NoHome { what: &'static str, env: &'static str },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// `signCert.der` / `kmCert.der` is not a certificate.
    #[error("{path}: not a valid certificate ({reason}); the file is damaged or truncated: copy it again from where it came from, or reissue the certificate")]
    CorruptCertificate { path: PathBuf, reason: String },

    /// `signPri.key` / `kmPri.key` is not an encrypted private key.
    #[error("{path}: not a valid private key file ({reason}); the file is damaged or truncated: copy it again from where it came from, or reissue the certificate")]
    CorruptKeyFile { path: PathBuf, reason: String },

    /// The key file uses a scheme we cannot open; names its OID.
    #[error("{path}: {reason}")]
    UnsupportedKeyFile { path: PathBuf, reason: String },

    #[error("the certificate password is wrong ({path})")]
    WrongPassword { path: PathBuf },

    #[error("the PFX password is wrong")]
    WrongPfxPassword,

    #[error("{source_name}: {source}")]
    Pfx {
        source_name: String,
        #[source]
        source: dojang_npki::pfx::PfxError,
    },

    #[error(transparent)]
    PasswordRule(#[from] PasswordRuleError),

    #[error("no certificate matches {query:?} in {root}")]
    NotFound { query: String, root: PathBuf },

    #[error("{query:?} matches {} certificates: {}; give the serial number instead", .matches.len(), .matches.join("; "))]
    Ambiguous { query: String, matches: Vec<String> },

    #[error("there is no certificate in {root}")]
    Empty { root: PathBuf },

    /// The subject's folder already holds a different certificate.
    #[error("{path} already holds another certificate of this subject (serial {serial}); delete it first, or replace it")]
    AlreadyStored { path: PathBuf, serial: String },

    /// The removable disk's path does not exist.
    #[error("no removable disk at {path}: is it plugged in and mounted?")]
    NoRemovableDisk { path: PathBuf },

    /// A folder to import from has no NPKI pair in it.
    #[error("{path}: no signCert.der and signPri.key here (nor in an NPKI/<CA>/USER/<subject>/ folder below)")]
    NoPairInFolder { path: PathBuf },

    /// The key file could not be written (an encoding failure in the key-file code).
    #[error("cannot write the private key: {0}")]
    KeyWrite(String),
}

impl KeystoreError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        KeystoreError::Io { action, path: path.into(), source }
    }

    /// True when retrying with another password may help.
    pub fn is_wrong_password(&self) -> bool {
        matches!(self, KeystoreError::WrongPassword { .. } | KeystoreError::WrongPfxPassword)
    }
}
