//! What can go wrong in a copy, on either device.

/// Why a copy step failed. None of these carries the number or key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TransferError {
    /// What was typed is not a number of the right form.
    #[error("the authentication number cannot be read: {0}")]
    BadNumber(&'static str),
    /// The sender's key confirmation does not match: the number typed on the sending device is
    /// not the one this device shows (or someone in between tried a guess).
    #[error("the authentication number entered on the sending device is wrong")]
    WrongNumber,
    /// The receiver's confirmation does not match: the other side did not get the same key,
    /// so the certificate did not arrive (a sender must not delete its copy).
    #[error("the receiving device did not confirm the copy")]
    NotConfirmed,
    /// A protocol message has the wrong size, side or encoding.
    #[error("the {0} is malformed")]
    Malformed(&'static str),
    /// The sealed certificate did not open although the key was confirmed: it was changed on
    /// the way.
    #[error("the sealed certificate was altered on the way")]
    Tampered,
    /// The opened payload is not a certificate pair we can read.
    #[error("the copied certificate cannot be read: {0}")]
    Payload(String),
    /// The system's random generator or cipher failed.
    #[error("the cryptographic library failed ({0})")]
    Crypto(&'static str),
}
