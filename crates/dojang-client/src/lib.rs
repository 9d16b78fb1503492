//! The customer's side of the certificate center's flows (발급, 재발급, 갱신, 폐기, 효력정지,
//! 효력회복).
//!
//! The center runs each flow as server-side state (`/api/v1/flows`); this crate is what the
//! customer's software needs to take part, and no more:
//!
//! - [`api::Client`]: the blocking JSON client — `start`, `view`, `step` — with the center's
//!   refusals as [`ApiError`] (its code and its Korean and English sentences, and the
//!   attempts left for a code);
//! - [`view`]: the flow as the center shows it, and each step's output typed
//!   ([`view::Prompt`], [`view::Summary`], [`view::Issued`]…); [`input::Input`]: each
//!   step's input, secrets never in `Debug`;
//! - [`keys::KeyPair`]: the key pair made here (RSA-2048, or P-256 where the product allows
//!   it) — the private key never leaves the customer's machine;
//! - [`csr`]: the PKCS#10 request for the subject the center named;
//! - [`possession`]: the signature that proves the customer holds the current certificate's
//!   key (renew, and revoke/suspend/resume by certificate);
//! - [`save`]: the issued certificate and the new key as an NPKI pair (`signCert.der`,
//!   `signPri.key` with R) in the store the customer chose.
//!
//! ```text
//! let client = Client::new("http://127.0.0.1:8080")?;
//! let mut flow = client.start(FlowKind::Issue, None)?;
//! flow = client.step(&flow.id, &Step::Terms, Input::Terms { accepted: &ids })?;
//! …                                              // identify, product, checks, payment
//! flow = client.step(&flow.id, &Step::Confirm, Input::Confirm)?;
//! let summary: Summary = flow.output_as("the summary")?;
//! let key = KeyPair::generate(KeyType::Rsa2048)?;
//! let req = csr::build(csr::parse_openssl_subject(&subject)?, &key)?;
//! flow = client.step(&flow.id, &Step::Csr, Input::Csr { pem: &csr::to_pem(&req)? })?;
//! let issued: Issued = flow.output_as("the certificate")?;
//! let entry = save::save(&store, &save::pair(&issued, &key, &password)?, Existing::Replace)?;
//! ```
#![forbid(unsafe_code)]

pub mod api;
pub mod csr;
pub mod error;
pub mod input;
pub mod keys;
pub mod possession;
pub mod save;
pub mod transfer;
pub mod view;

pub use api::Client;
pub use error::{ApiError, ClientError};
pub use input::Input;
pub use keys::{KeyError, KeyPair};
pub use view::{FlowKind, FlowView, Method, Step, StepInfo};
