//! A certificate's status as its issuer publishes it, and what a refusal makes of it.

use dojang_pki::RevocationReason;
use time::OffsetDateTime;

use crate::refusal::Refusal;

/// What the issuer says about a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked {
        at: OffsetDateTime,
        reason: RevocationReason,
    },
    /// The responder does not know the certificate.
    Unknown,
}

/// Where the status came from (shown to relying parties, kept in the audit log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Ocsp,
    Crl,
    /// Our own store: a certificate issued here.
    Local,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ocsp => "ocsp",
            Source::Crl => "crl",
            Source::Local => "local",
        }
    }
}

/// A good status passes; anything else is the refusal that names it.
pub fn judge(status: Status) -> Result<(), Refusal> {
    match status {
        Status::Good => Ok(()),
        Status::Revoked { at, reason: RevocationReason::CertificateHold } => {
            Err(Refusal::Suspended { at })
        }
        Status::Revoked { at, reason } => Err(Refusal::Revoked { at, reason }),
        Status::Unknown => Err(Refusal::StatusUnknown),
    }
}

pub(crate) fn reason_of(code: u32) -> RevocationReason {
    u8::try_from(code)
        .ok()
        .and_then(RevocationReason::from_code)
        .unwrap_or(RevocationReason::Unspecified)
}
