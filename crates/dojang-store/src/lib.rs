//! Storage for dojang: issued certificates, their revocations, and CRL numbers, behind one
//! narrow interface. SQLite (one file, WAL, full fsync on commit) is the embedded default.
#![forbid(unsafe_code)]

mod accounts;
mod audit;
mod challenges;
mod credentials;
mod customers;
mod error;
mod flows;
mod inbox;
mod locks;
mod record;
mod rows;
mod sim_id_cards;
mod sqlite;
mod tx;

pub use accounts::{Account, LedgerEntry, NewAccount};
pub use challenges::{Challenge, NewChallenge};
pub use credentials::{OtpDeviceRecord, SecurityCardRecord};
pub use customers::{Customer, CustomerKind, NewCustomer};
pub use error::StoreError;
pub use inbox::{inbox_address, Channel, InboxMessage};
pub use locks::{FailureCount, Lockable, Unlocked, BANKING_PASSWORD_LOCK};
pub use sim_id_cards::SimIdCard;
pub use record::{
    CertificateRecord, CrlRecord, NewCertificate, Revocation, RevokedEntry, StatusOf,
};
pub use audit::{Actor, AuditEntry, AuditEvent, AuditVerdict};
pub use flows::FlowRecord;
pub use sqlite::Store;
pub use tx::Tx;
