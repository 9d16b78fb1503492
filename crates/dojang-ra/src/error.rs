use crate::csr::CsrError;

/// Why a request was refused or failed. Refusals change nothing in the store.
#[derive(Debug, thiserror::Error)]
pub enum RaError {
    #[error(transparent)]
    Csr(#[from] CsrError),
    #[error("the subject does not fit the product: {0}")]
    Subject(#[from] dojang_profile::SubjectError),
    #[error("the CSR asks for the subject {found}, but the center gave {required}; make the CSR with the subject the center gave")]
    SubjectNotAsGiven { found: String, required: String },
    #[error("{product} certificates take {allowed} keys; this request has a {found} key")]
    KeyTypeNotAllowed { product: String, allowed: String, found: String },
    #[error(transparent)]
    Profile(#[from] dojang_profile::tbs::ProfileError),
    #[error(transparent)]
    Ca(#[from] dojang_ca::CaError),
    #[error(transparent)]
    Store(#[from] dojang_store::StoreError),
    #[error("could not find a free serial number after several tries; this should never happen, check the random source")]
    SerialExhausted,
    #[error("encoding failed: {0}")]
    Encoding(#[from] der::Error),
}
