//! What can go wrong with a key file, in terms a customer and a support desk can act on.

use const_oid::ObjectIdentifier;

use super::MAX_ITERATIONS;

/// Why a key file could not be read or written.
///
/// The three failures people meet are kept apart on purpose: a wrong password
/// ([`WrongPassword`](Self::WrongPassword)) is not a damaged file
/// ([`Truncated`](Self::Truncated), [`Corrupt`](Self::Corrupt)), and neither is a file from
/// software using an algorithm we do not implement ([`UnknownScheme`](Self::UnknownScheme),
/// which names the OID). No variant ever carries a password, key or plaintext byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file is intact but the password does not open it: after decryption the padding or
    /// the PKCS#8 structure is wrong. (The format has no integrity check, so bytes changed
    /// *inside* the ciphertext also end here; damage anywhere else is reported as such.)
    #[error("wrong password: the key file does not decrypt with it (인증서 암호가 틀렸습니다)")]
    WrongPassword,

    /// The file ends before its own structure says it does.
    #[error(
        "the key file is truncated: its structure needs {expected} bytes but the file has {actual}"
    )]
    Truncated {
        /// Bytes the outer structure announces.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },

    /// The file is not a well-formed EncryptedPrivateKeyInfo; says which part is wrong.
    #[error("the key file is damaged or not a key file: {0}")]
    Corrupt(String),

    /// An algorithm we do not implement, named by its OID.
    #[error("the key file uses {what} {oid}, which dojang does not support")]
    UnknownScheme {
        /// Which slot held it: "encryption scheme", "key derivation function", ….
        what: &'static str,
        /// The OID found in the file.
        oid: ObjectIdentifier,
    },

    /// The file asks for more password-hashing iterations than we are willing to spend
    /// (a hostile file could otherwise stall the client).
    #[error("the key file asks for {0} iterations of password hashing, more than the {MAX_ITERATIONS} dojang allows")]
    TooManyIterations(u64),

    /// The bytes handed over as a private key are not a PKCS#8 PrivateKeyInfo.
    #[error("not a PKCS#8 private key: {0}")]
    InvalidPrivateKey(String),

    /// What was handed to [`encrypt`](super::encrypt) cannot be written (bad scheme parameters, empty password).
    #[error("cannot encrypt the key file: {0}")]
    InvalidInput(String),

    /// The operating system's random number generator failed (salt or IV).
    #[error("the system random number generator failed")]
    Random,
}

impl KeyFileError {
    pub(crate) fn corrupt(part: &str, err: impl std::fmt::Display) -> Self {
        KeyFileError::Corrupt(format!("{part}: {err}"))
    }
}
