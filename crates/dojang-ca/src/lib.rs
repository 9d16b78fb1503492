//! The certificate authority: it holds the CA keys and signs what the profile laid out —
//! certificates, CRLs and OCSP responses — and nothing else. Deciding *what* to sign is
//! `dojang-profile`'s and `dojang-ra`'s job; storing it is `dojang-store`'s.
//!
//! Keys sit behind [`Signer`], so that a PKCS#11 HSM key can take the place of the encrypted
//! key file ([`keyfile`]) of the embedded default.
#![forbid(unsafe_code)]

pub mod authority;
pub mod error;
pub mod hsm;
pub mod key;
pub mod keyfile;

pub use authority::{
    CaNames, CertificateAuthority, CrlScope, KeyHome, Opened, Signed, SignerCheck,
};
pub use error::CaError;
pub use hsm::{Hsm, HsmConfig};
pub use key::{Signer, SoftwareKey};
pub use keyfile::Passphrase;
