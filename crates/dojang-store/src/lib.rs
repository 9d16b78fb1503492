//! Storage for dojang: issued certificates, their revocations, and CRL numbers, behind one
//! narrow interface. SQLite (one file, WAL, full fsync on commit) is the embedded default;
//! PostgreSQL serves several replicas of the center from one database (`Store::open(url)`).
#![forbid(unsafe_code)]

mod accounts;
mod audit;
mod backup;
mod bulk;
mod cert_login;
mod certificates;
mod challenges;
mod copy;
mod credentials;
mod customers;
mod direct_reads;
mod error;
mod events;
mod financial;
mod finish;
mod flows;
mod group_commit;
mod inbox;
mod inquiries;
mod leases;
mod locks;
mod record;
mod rows;
mod sim_id_cards;
mod staff;
mod status_reads;
mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod transfers;
mod tx;
mod wal_stamp;

pub use accounts::{Account, LedgerEntry, NewAccount};
pub use audit::{Actor, AuditEntry, AuditEvent, AuditVerdict};
pub use backup::{Backup, BackupWriter, KeptFile, BACKUP_FORMAT};
pub use cert_login::{
    CertChallengeTake, LoginSession, NewRegistration, Registration, TakenCertChallenge,
};
pub use challenges::{Challenge, NewChallenge};
pub use copy::{CopyProgress, CopyReport, Fingerprint, Quiet};
pub use credentials::{OtpDeviceRecord, SecurityCardRecord};
pub use customers::{Customer, CustomerKind, NewCustomer};
pub use error::StoreError;
pub use financial::{FinancialHolder, FinancialKey, SadTaking, TakenSad};
pub use finish::{FinishFee, Finished, FlowFinish, Superseded};
pub use flows::FlowRecord;
pub use group_commit::Work;
pub use inbox::{inbox_address, Channel, InboxMessage};
pub use inquiries::{mask_rrns, Inquiry, InquiryStatus, NewInquiry, MASK_VERSION};
pub use locks::{FailureCount, Lockable, Unlocked, BANKING_PASSWORD_LOCK};
pub use record::{
    CertificateRecord, CrlRecord, NewCertificate, Revocation, RevokedEntry, StatusOf,
};
pub use sim_id_cards::SimIdCard;
pub use staff::{NewStaff, StaffMember, StaffRole, StaffSession, UnknownRole};
pub use store::{redact_url, Backend, Store};
pub use transfers::{
    NewOffer, NewTransfer, OfferRefused, TransferClash, TransferRecord, TransferState,
};
pub use tx::Tx;
