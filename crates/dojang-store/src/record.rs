//! What the store keeps, as plain values.

use dojang_pki::{RevocationReason, Serial};
use time::OffsetDateTime;

/// A certificate about to be stored.
#[derive(Clone, Debug)]
pub struct NewCertificate {
    pub serial: Serial,
    pub product: String,
    pub subject: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub issued_at: OffsetDateTime,
    pub der: Vec<u8>,
    /// Whose it is; `None` for the operator's `ca issue`.
    pub customer_id: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub at: OffsetDateTime,
    pub reason: RevocationReason,
}

/// A stored certificate.
#[derive(Clone, Debug)]
pub struct CertificateRecord {
    pub serial: Serial,
    pub product: String,
    pub subject: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub issued_at: OffsetDateTime,
    pub der: Vec<u8>,
    pub revocation: Option<Revocation>,
    pub customer_id: Option<i64>,
}

/// The status of a serial, as OCSP needs it: just enough, without the certificate bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusOf {
    /// Never issued here.
    Unknown,
    Good,
    Revoked(Revocation),
}

/// One line of a CRL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    pub serial: Serial,
    pub revocation: Revocation,
}

/// The latest CRL of a scope.
#[derive(Clone, Debug)]
pub struct CrlRecord {
    pub number: u64,
    pub this_update: OffsetDateTime,
    pub next_update: OffsetDateTime,
    pub generation: i64,
    pub der: Vec<u8>,
}
