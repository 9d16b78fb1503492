//! What the flow shows the customer when a check starts, and what it learns when one passes.

use serde::Serialize;
use time::OffsetDateTime;

use crate::check::Check;

/// What to show for a started check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Prompt {
    /// The check actually asked for: `SecondFactor` becomes `SecurityCard` or `Otp`.
    pub check: Check,
    /// The instruction in Korean (shown first) and in English.
    pub ko: String,
    pub en: String,
    /// Where the code went, masked (`010-****-5678`, `123-*****-9012`).
    pub sent_to: Option<String>,
    /// Until when the answer is accepted.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Wrong answers allowed.
    pub attempts_left: Option<u32>,
    /// The security-card positions asked for.
    pub card: Option<CardQuestion>,
    /// How many digits the answer has (6 for ARS/SMS/OTP, 4 for the one-won memo code).
    pub digits: Option<u8>,
}

impl Prompt {
    pub(crate) fn new(check: Check, ko: String, en: String) -> Prompt {
        Prompt {
            check,
            ko,
            en,
            sent_to: None,
            expires_at: None,
            attempts_left: None,
            card: None,
            digits: None,
        }
    }
}

/// A security-card challenge: the front two digits of code number `first` and the back two
/// digits of code number `second` (e.g. "07번 코드 앞 2자리, 23번 코드 뒤 2자리").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CardQuestion {
    pub first: u8,
    pub second: u8,
}

/// A check that passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Passed {
    /// The check actually answered (`SecondFactor` resolved).
    pub check: Check,
    /// For the account password and the one-won transfer: the account it proved, in its
    /// stored form (digits), for the flow to charge the fee from.
    pub account: Option<String>,
}
