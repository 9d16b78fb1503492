//! The financial certificate (금융인증서): a certificate whose key pair the center makes and
//! keeps for the customer, used only after a six-digit PIN — in the issue and reissue flows
//! (`financial-issue`, `financial-reissue`: document 004's checks, then the `pin` step), by the
//! remote-signing API (`csc`, in the shape of the Cloud Signature Consortium API v1), and by
//! the automatic renewal job (`renew`).
//!
//! - `pin`: the PIN rules (six digits, nothing trivial, not the birth date).
//! - `custody`: how keys are kept — see its documentation for the key hierarchy and why the
//!   renewal job can put a new key away without ever learning the PIN.
//! - `keys`: the certificate key pairs (RSA-2048), their CSRs, signing a given hash.
//! - `issue`: the last step of the financial flows.
//! - `renew`: the scheduled automatic renewal.
//! - `csc`: the remote-signing service (login, credentials, authorize with the PIN, signHash);
//!   five wrong PINs in a row lock the holder until `financial-reissue` checks identity again.

pub mod csc;
pub mod custody;
mod issue;
pub mod keys;
pub mod pin;
pub mod renew;

use dojang_profile::ProductId;

pub use pin::PinRule;

use crate::kind::FlowKind;

/// Wrong PINs in a row before the holder is locked.
pub const PIN_TRIES: u32 = 5;

/// The product a flow kind is about before the customer picks one (financial flows have one).
pub(crate) fn product_of(kind: FlowKind) -> ProductId {
    if kind.is_financial() {
        ProductId::Financial
    } else {
        ProductId::PersonalBank
    }
}
