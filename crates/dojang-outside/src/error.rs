use dojang_store::{Channel, StoreError};
use dojang_vault::VaultError;

/// Why the outside world could not be reached. Never carries a message body (it may hold a
/// code) or an ID-card number.
#[derive(Debug, thiserror::Error)]
pub enum OutsideError {
    /// The address is not one this channel can reach (say, an SMS to an e-mail address).
    #[error("{address:?} is not a valid {what}; correct the customer's record")]
    BadAddress { what: &'static str, address: String },
    /// The gateway (SMS, ARS, mail, issuer) refused or did not answer.
    #[error("the {} service could not be reached ({reason}); try again in a moment", .channel.map_or("ID-card issuer", Channel::as_str))]
    Unreachable { channel: Option<Channel>, reason: String },
    /// The simulator's store failed.
    #[error("the simulated outside world could not record the message: {0}")]
    Store(#[from] StoreError),
    /// The simulator could not hash an ID-card number.
    #[error("the simulated ID-card issuer failed: {0}")]
    Vault(#[from] VaultError),
}
