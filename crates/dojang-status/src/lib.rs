//! Status publishing (상태 공개): the CRL (RFC 5280) and the OCSP responder (RFC 6960; the
//! nonce of RFC 9654; GET and one certificate per request as RFC 5019's clients send). Both
//! read the store fresh, so a revocation made by any process is in the very next OCSP answer
//! and makes the next CRL fetch a new CRL.
//!
//! Answers carry no nextUpdate and are served `no-store`: RFC 6960 §2.4 lets a responder whose
//! status is always current leave it out, and a bank wants a revocation believed at once, not
//! after a cache's lifetime. That departs from RFC 5019 §2.2.4, which asks pre-produced answers
//! to carry one so that HTTP caches can hold them; no cache is needed here (see
//! docs/benchmarks.md for the rate one center answers at).
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
