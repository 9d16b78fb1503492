//! The shared vocabulary of dojang's PKI: serial numbers, revocation reasons, key types and the
//! object identifiers every other crate names. No I/O, no keys: just the words.
#![forbid(unsafe_code)]

pub mod key;
pub mod oid;
pub mod pem;
pub mod possession;
pub mod revocation;
pub mod serial;

pub use key::KeyType;
pub use revocation::RevocationReason;
pub use serial::Serial;
