//! Certificate copy between two devices through the center (인증서 복사 / 이동): the protocol,
//! pure and without I/O.
//!
//! The receiving device (a phone, say) shows a one-time authentication number (인증번호,
//! [`Number`]): four digits the center chose to find the transfer, eight the device drew.
//! The sending device's customer types it; the two devices run SPAKE2 keyed by the eight
//! digits, confirm the key both ways, and the NPKI pair — still encrypted under the
//! certificate password — travels sealed with AES-256-GCM under a key only they have
//! ([`protocol`]). The center relays [`wire`] messages, counts tries, and forgets everything
//! when the copy ends; it cannot read the pair nor test guesses of the number offline.
//!
//! The transcript is written down for other implementations (the web page) in `docs/copy.md`,
//! with a known-answer vector this crate's tests check.
#![forbid(unsafe_code)]

pub mod error;
pub mod number;
pub mod payload;
pub mod protocol;
pub mod wire;

pub use error::TransferError;
pub use number::{Number, Secret, Slot};
pub use payload::Payload;
pub use protocol::{offer, AwaitConfirm, Offer, Opened, ReceiverRound};

/// A fresh transfer id: 32 lowercase hex digits (128 random bits).
pub fn new_transfer_id() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Is `id` shaped like [`new_transfer_id`]'s? (It goes into URLs and identities.)
pub fn is_transfer_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
