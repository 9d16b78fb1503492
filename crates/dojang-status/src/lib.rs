//! Status publishing (상태 공개): the CRL (RFC 5280) and the OCSP responder (RFC 6960, with the
//! lightweight profile of RFC 5019). Both read the store fresh, so a revocation made by any
//! process is in the very next OCSP answer and makes the next CRL fetch a new CRL.
#![forbid(unsafe_code)]

pub mod crl;
pub mod ocsp;

pub use crl::{CrlPolicy, CrlPublisher};
pub use ocsp::{Outcome, Responder};

/// Why status could not be published.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Store(#[from] dojang_store::StoreError),
    #[error(transparent)]
    Ca(#[from] dojang_ca::CaError),
    #[error("encoding failed: {0}")]
    Encoding(#[from] der::Error),
    #[error(transparent)]
    Time(#[from] dojang_profile::time::TimeOutOfRange),
}
