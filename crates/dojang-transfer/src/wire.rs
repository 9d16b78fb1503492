//! The JSON the devices and the center exchange under `/api/v1/transfers` (byte strings in
//! standard base64). The center stores and relays these; it never sees the secret digits.
//!
//! | call | who | body → answer |
//! |---|---|---|
//! | `POST /api/v1/transfers` | receiver | [`CreateTransfer`] → 201 [`TransferCreated`] |
//! | `GET /api/v1/transfers/code/{code}` | sender | → [`TransferLookup`] |
//! | `POST /api/v1/transfers/{id}/offer` | sender | [`OfferBody`] → 202 [`OfferAccepted`] |
//! | `GET /api/v1/transfers/{id}` | receiver (bearer receiver token) | → [`ReceiverView`] |
//! | `POST /api/v1/transfers/{id}/reject` | receiver | [`Reject`] → [`RejectOutcome`] |
//! | `POST /api/v1/transfers/{id}/accept` | receiver | [`Accept`] → 204 |
//! | `GET /api/v1/transfers/{id}/attempt` | sender (bearer attempt token) | → [`AttemptView`] |
//! | `POST /api/v1/transfers/{id}/finish` | sender | → 204, the transfer is deleted |
//! | `POST /api/v1/transfers/{id}/cancel` | receiver | → 204, cancelled and deleted |

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::TransferError;

/// Standard base64 with padding, as every byte string here is sent.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Reads a base64 field, naming it when it is not.
pub fn unb64(text: &str, what: &'static str) -> Result<Vec<u8>, TransferError> {
    STANDARD.decode(text.trim()).map_err(|_| TransferError::Malformed(what))
}

/// The receiver opens a transfer: its own random id and its first SPAKE2 message.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateTransfer {
    /// 32 lowercase hex digits drawn by the receiver (the SPAKE2 identities name it, so it is
    /// fixed before the center answers).
    pub id: String,
    /// SPAKE2 side B's message (33 bytes).
    pub receiver_message: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferCreated {
    pub id: String,
    /// The four digits the receiver shows in front of its eight secret ones.
    pub code: String,
    /// The receiver's bearer token for this transfer (the center keeps only its hash).
    pub receiver_token: String,
    /// RFC 3339; after this the transfer is refused.
    pub expires_at: String,
    pub attempts_left: u32,
}

/// What a sender learns from the code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferLookup {
    pub id: String,
    /// Which receiver message this is; an offer names the round it answers.
    pub round: u32,
    pub receiver_message: String,
    pub expires_at: String,
    pub attempts_left: u32,
}

/// One try of the sender: its SPAKE2 message, key confirmation and the sealed NPKI pair.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferBody {
    pub round: u32,
    pub sender_message: String,
    pub sender_confirm: String,
    pub sealed: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferAccepted {
    /// The sender's bearer token for this try.
    pub attempt_token: String,
    /// Tries left after this one, should it be wrong.
    pub attempts_left: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReceiverState {
    /// No sender has offered yet (or the last try was wrong).
    Waiting,
    /// An offer waits for the receiver's verdict.
    Offered,
}

/// The receiver's poll.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiverView {
    pub state: ReceiverState,
    pub round: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<OfferBody>,
    pub attempts_left: u32,
    pub expires_at: String,
}

/// The receiver found the sender's confirmation wrong; here is its message for the next try.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reject {
    pub receiver_message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AfterReject {
    /// Another try is allowed.
    Waiting,
    /// That was the last try: the transfer is dead and its messages are gone.
    Dead,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectOutcome {
    pub state: AfterReject,
    pub attempts_left: u32,
}

/// The receiver kept the files; its confirmation goes to the sender.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accept {
    pub receiver_confirm: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The receiver has not judged the try yet.
    Pending,
    /// The receiver found the number wrong.
    WrongNumber,
    /// The number was wrong and no tries are left: the transfer is dead.
    Dead,
    /// The receiver kept the certificate; its confirmation is attached.
    Accepted,
}

/// The sender's poll on its try.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptView {
    pub outcome: AttemptOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_confirm: Option<String>,
    pub attempts_left: u32,
}
