//! The outside world of the certificate center (바깥 세상): the telephone (ARS calls), SMS,
//! e-mail, the deposit notice a one-won transfer shows in the customer's banking app, and the
//! ID-card issuer's verification service (신분증 진위확인). The center reaches all of them
//! through one adapter trait, [`Outside`], so that a bank plugs in its SMS gateway, ARS vendor
//! and issuer connections without touching the identity checks.
//!
//! The default adapter is the [`Simulator`]: it writes every message to the store's `inbox`
//! table, where a person (`dojang phone 010-1234-5678`), the web page or a test reads it, and
//! it answers ID-card checks from a registry filled at enrolment.
//!
//! ```text
//! #[async_trait] trait Outside: Send + Sync {
//!     async fn send(&self, &Message, now) -> Result<Receipt, OutsideError>;
//!     async fn verify_id_card(&self, &IdCard, now) -> Result<IdCardVerdict, OutsideError>;
//!     async fn register_id_card(&self, &IdCard, now) -> Result<(), OutsideError>; // simulators only
//! }
//! Message::{Sms{to,text}, ArsCall{to,script}, Email{to,subject,body}, DepositNotice{account,amount,memo}}
//! Simulator::new(Store, Arc<Vault>)        .report_lost(&IdCard, now)
//! list_inbox(&Store, address, after_id) -> Vec<InboxMessage>      find_code(body) -> Option<String>
//! ```
//!
//! Messages carry one-time codes, so their `Debug` shows where they go, never what they say.
#![forbid(unsafe_code)]

mod error;
mod id_card;
mod message;
mod simulator;

use async_trait::async_trait;
use time::OffsetDateTime;

pub use dojang_store::{inbox_address, Channel, InboxMessage};
pub use error::OutsideError;
pub use id_card::{IdCard, IdCardKind, IdCardVerdict};
pub use message::{find_code, Message, Receipt};
pub use simulator::{list_inbox, Simulator};

/// The outside world, as the center sees it. Object-safe: the center holds an
/// `Arc<dyn Outside>`.
#[async_trait]
pub trait Outside: Send + Sync {
    /// Delivers `message` (an SMS, an ARS call, an e-mail, a deposit notice). An error means
    /// it did not go out; the caller tells the customer to try again.
    async fn send(&self, message: &Message, now: OffsetDateTime) -> Result<Receipt, OutsideError>;

    /// Asks the card's issuer whether a card of this kind and number, issued on this date to
    /// this holder, exists and is valid.
    async fn verify_id_card(
        &self,
        card: &IdCard,
        now: OffsetDateTime,
    ) -> Result<IdCardVerdict, OutsideError>;

    /// Tells the issuer about a card seen at enrolment. Only a simulator keeps anything: a
    /// real issuer already knows the cards it issued, so the default does nothing.
    async fn register_id_card(
        &self,
        card: &IdCard,
        now: OffsetDateTime,
    ) -> Result<(), OutsideError> {
        let _ = (card, now);
        Ok(())
    }
}
