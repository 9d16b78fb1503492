//! Storage for dojang: issued certificates, their revocations, and CRL numbers, behind one
//! narrow interface. SQLite (one file, WAL, full fsync on commit) is the embedded default.
#![forbid(unsafe_code)]

mod audit;
mod error;
mod record;
mod sqlite;
mod tx;

pub use error::StoreError;
pub use record::{
    CertificateRecord, CrlRecord, NewCertificate, Revocation, RevokedEntry, StatusOf,
};
pub use audit::{Actor, AuditEntry, AuditEvent, AuditVerdict};
pub use sqlite::Store;
pub use tx::Tx;
