//! The registration authority (등록대행): decides whether a certificate request may be granted
//! — a well-formed, self-signed CSR with an acceptable key and a subject that fits the product —
//! then has the CA sign it and the store keep it, in that order, before anyone sees it.
//! Revocation goes through here too, so that every status change has one door.
#![forbid(unsafe_code)]

pub mod csr;
mod error;
mod ra;

pub use csr::{CheckedCsr, CsrError};
pub use error::RaError;
pub use ra::{IssueRequest, Issued, Prepared, RegistrationAuthority};
