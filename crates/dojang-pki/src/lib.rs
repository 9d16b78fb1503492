//! The shared vocabulary of dojang's PKI: serial numbers, revocation reasons, key types and the
//! object identifiers every other crate names, and the check of a signature over signed bytes
//! ([`sig`]) that the CA and relying parties both make. No I/O, no private keys.
#![forbid(unsafe_code)]

pub mod key;
pub mod oid;
pub mod pem;
pub mod possession;
pub mod revocation;
pub mod serial;
pub mod sig;

pub use key::KeyType;
pub use revocation::RevocationReason;
pub use serial::Serial;
