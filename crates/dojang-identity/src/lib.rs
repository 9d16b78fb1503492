//! Identity checks of the certificate center (본인확인): each check a module of its own,
//! composed per flow and product by a [`Policy`].
//!
//! The flow engine finds the customer by internet-banking ID and RRN, then runs the checks its
//! policy lists, each as `start` (send the code, make the challenge, say what to show) and
//! `answer` (check what the customer typed):
//!
//! ```text
//! let identity = Identity::new(store, Arc<Vault>, Arc<dyn Outside>, Limits::default());
//! identity.find_customer(banking_id, &rrn, now) -> Result<Customer, IdentityError>      // ID + RRN step
//! identity.find_business(banking_id, business_number, now) -> Result<Customer, IdentityError>
//! identity.start(check, &customer, flow_id, now) -> Result<Prompt, IdentityError>
//! identity.start_one_won(&customer, flow_id, account, now) -> Result<Prompt, IdentityError>
//! identity.answer(check, &customer, flow_id, &answer, now) -> Result<Passed, IdentityError>
//! Policy::default().checks(FlowKind::Issue, ProductId::PersonalBank) -> &[Check]
//! identity.enrol(&Enrolment, actor, now) -> Result<Enrolled, EnrolError>               // at the branch
//! identity.lock_customer(id, reason, actor, now) / identity.unlock_customer(id, actor, now)
//! ```
//!
//! | check | start | answer |
//! |---|---|---|
//! | `RrnName` | prompt only | `Answer::RrnName` |
//! | `BankingLogin` | prompt only | `Answer::BankingLogin` (5 wrong in a row lock the login) |
//! | `Ars` | calls the phone; the voice says a 6-digit approval number | `Answer::Code` |
//! | `Sms` | texts a 6-digit code | `Answer::Code` |
//! | `SecurityCard` | asks two digits of two numbered codes | `Answer::SecurityCard` (locks at 5) |
//! | `Otp` | prompt only | `Answer::Otp` / `Answer::Code` (locks at 5; a code is good once) |
//! | `SecondFactor` | OTP if the customer has one, else the security card | either answer |
//! | `IdCard` | opens the check | `Answer::IdCard`, verified with the issuer |
//! | `OneWonTransfer` | deposits 1 won (a ledger entry) with a 4-digit code in the memo | `Answer::Code` |
//! | `AccountPassword` | prompt only | `Answer::AccountPassword` (locks the account password at 5) |
//!
//! Every one-time secret is single-use, expires ([`Limits`]: ARS/SMS 3 min, one-won 10 min,
//! security card 5 min), takes at most 3 wrong answers, and is kept only as a vault keyed hash.
//! A flow may ask for at most 5 codes of a kind (then it must start over), and a customer may
//! be sent at most 10 of a kind in 24 hours, over all flows, without answering one rightly,
//! so new flows do not give a guesser new codes without end. Every start, pass, failure and lock is in the
//! audit log with the customer as actor, never with a secret. Errors say what failed and what
//! to do, in Korean and English ([`IdentityError::message_ko`]).
#![forbid(unsafe_code)]

mod answer;
mod audit;
mod check;
mod checks;
mod enrol;
mod error;
mod ko;
mod limits;
mod mask;
mod messages;
mod policy;
mod prompt;
mod secret;
mod staff;

use std::sync::Arc;

use dojang_npki::vid::Rrn;
use dojang_outside::Outside;
use dojang_store::Store;
use dojang_vault::Vault;
use time::OffsetDateTime;

pub use answer::Answer;
pub use check::Check;
pub use checks::otp::code_at as otp_code_at;
pub use dojang_store::{Customer, CustomerKind, Unlocked};
pub use enrol::{
    AccountSpec, EnrolError, Enrolled, Enrolment, IdCardSpec, IssuedOtp, IssuedSecurityCard,
    SecondFactorKind, SECURITY_CARD_CODES,
};
pub use error::{IdentityError, LockedThing, Missing};
pub use limits::Limits;
pub use mask::{mask_account, mask_email, mask_phone, mask_rrn};
pub use messages::Bank;
pub use policy::{FlowChecks, FlowKind, Policy, PolicyError, Preset};
pub use prompt::{CardQuestion, Passed, Prompt};
pub use staff::StaffError;

/// The identity checks, wired to the store, the vault and the outside world.
pub struct Identity {
    store: Store,
    vault: Arc<Vault>,
    outside: Arc<dyn Outside>,
    limits: Limits,
    bank: Bank,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Identity {
    pub fn new(
        store: Store,
        vault: Arc<Vault>,
        outside: Arc<dyn Outside>,
        limits: Limits,
    ) -> Identity {
        Identity { store, vault, outside, limits, bank: Bank::default() }
    }

    /// The bank's name and support number as messages show them.
    pub fn with_bank(mut self, bank: Bank) -> Identity {
        self.bank = bank;
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The ID + RRN step (인터넷뱅킹 ID·주민등록번호): the customer whose internet-banking
    /// ID is `banking_id` and whose RRN is `rrn`. Which of the two was wrong is not said (it
    /// is in the audit log).
    pub async fn find_customer(
        &self,
        banking_id: &str,
        rrn: &Rrn,
        now: OffsetDateTime,
    ) -> Result<Customer, IdentityError> {
        checks::find::person(self, banking_id, rrn, now).await
    }

    /// The same for a business customer (법인): ID and business registration number.
    pub async fn find_business(
        &self,
        banking_id: &str,
        business_number: &str,
        now: OffsetDateTime,
    ) -> Result<Customer, IdentityError> {
        checks::find::business(self, banking_id, business_number, now).await
    }

    /// Starts `check` for `customer` in flow `flow_id`: sends the code or makes the challenge,
    /// and says what to show. Asking again replaces the earlier code.
    pub async fn start(
        &self,
        check: Check,
        customer: &Customer,
        flow_id: &str,
        now: OffsetDateTime,
    ) -> Result<Prompt, IdentityError> {
        checks::start(self, check, customer, flow_id, None, now).await
    }

    /// Starts the one-won transfer to a named account of the customer (the flow asked which);
    /// [`Identity::start`] uses the customer's first account.
    pub async fn start_one_won(
        &self,
        customer: &Customer,
        flow_id: &str,
        account: &str,
        now: OffsetDateTime,
    ) -> Result<Prompt, IdentityError> {
        checks::start(self, Check::OneWonTransfer, customer, flow_id, Some(account), now).await
    }

    /// Checks the customer's `answer` to `check` in flow `flow_id`.
    pub async fn answer(
        &self,
        check: Check,
        customer: &Customer,
        flow_id: &str,
        answer: &Answer,
        now: OffsetDateTime,
    ) -> Result<Passed, IdentityError> {
        checks::answer(self, check, customer, flow_id, answer, now).await
    }
}
