//! The customer's certificate store: the NPKI folders Korean certificate software shares.
//!
//! A certificate lives in `NPKI/<CA>/USER/<subject>/` as `signCert.der` and `signPri.key`
//! (the key encrypted under the certificate password), with `kmCert.der` and `kmPri.key`
//! beside them where the CA issued a key-management pair. The NPKI folder is on the hard disk
//! (where every Korean client looks), on a removable disk, or in the phone store: a
//! [`Location`] names which. [`Store`] lists, finds, saves, deletes, re-keys (password
//! change), exports and imports (PFX or NPKI files) certificates there.
//!
//! Files are the interchange format, so this crate writes exactly what other clients write
//! and reads what they wrote; every write is atomic, so a failure never costs a stored
//! certificate. A crash in the middle of a folder swap leaves only hidden folders; the next
//! [`Store::list`] or save finishes (or undoes) it and removes the hidden copies of keys
//! (`recover`).
#![forbid(unsafe_code)]

pub mod atomic;
pub mod error;
pub mod info;
mod keys;
pub mod location;
pub mod medium;
mod mount;
pub mod names;
pub mod password;
mod recover;
pub mod store;

pub use error::{FileAction, KeystoreError};
pub use info::{
    default_products, CertInfo, ProductLookup, ProductName, Validity, RENEWAL_WINDOW_DAYS,
};
pub use location::{Location, ENV_NPKI_HOME, ENV_PHONE_HOME};
pub use medium::{Medium, TokenLabel};
pub use store::{pick, Entry, Existing, Listing, NpkiPair, Store};
