//! Certificate verification for relying parties (this bank's login, other sites, other
//! banks): is this certificate valid, and whose is it?
//!
//! ```text
//! let verifier = Verifier::new(vec![IssuerSpec { name, own, certificates, certificate_urls, ocsp_url, crl_url }])?;
//! let path = verifier.path(&leaf_der, &chain, now)?;       // chain, signatures, constraints, validity
//! let (status, source) = verifier.remote_status(&path, now)?; // OCSP, then CRL (or the store, for our own)
//! status::judge(status)?;                                 // revoked / suspended / unknown refuse
//! vid::check(&path.leaf, &rrn, &r)?;                      // wrong person refuses
//! ```
//!
//! Every refusal is a [`Refusal`] that names its reason with a Korean and an English sentence
//! saying what to do. The verifier never sees a password or a key; the RRN and R are passed to
//! [`vid::check`] only and appear in no error.
#![forbid(unsafe_code)]

pub mod cert;
mod chain;
pub mod crl;
mod fetch;
pub mod ocsp;
mod refusal;
pub use dojang_pki::sig;
pub mod status;
mod verifier;
pub mod vid;

pub use cert::Cert;
pub use refusal::Refusal;
pub use status::{judge, Source, Status};
pub use verifier::{parse_certificates, IssuerSpec, Path, SpecError, Verifier};
