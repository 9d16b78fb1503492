//! How long codes live, how many tries they take, and when things lock. Defaults follow what
//! Korean banks do; an operator may change them (TOML, `[identity.limits]`).

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::check::Check;

/// Limits of the identity checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Minutes an ARS approval number is good for.
    pub ars_minutes: u32,
    /// Minutes an SMS code is good for.
    pub sms_minutes: u32,
    /// Minutes the one-won transfer's memo code is good for (the customer has to open the
    /// banking app and find the deposit).
    pub one_won_minutes: u32,
    /// Minutes a security-card challenge is good for.
    pub security_card_minutes: u32,
    /// Minutes an ID-card check stays open.
    pub id_card_minutes: u32,
    /// Wrong answers one code or challenge takes before it is dead.
    pub attempts_per_challenge: u32,
    /// Wrong answers in a row that lock the security card, the OTP device, an account
    /// password and the internet-banking login, until staff unlock them.
    pub lock_after: u32,
    /// Codes of one kind a single flow may ask for (re-sends); stops guessing by asking anew.
    pub sends_per_flow: u32,
    /// Codes of one kind a customer may be sent in 24 hours, over all their flows, that were
    /// never answered rightly: starting a new flow does not start the count again. The
    /// window passes by itself (the code goes to the customer's own phone, and a lock only
    /// staff can lift would let anyone who knows an ID and RRN shut the customer out).
    pub unanswered_per_day: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ars_minutes: 3,
            sms_minutes: 3,
            one_won_minutes: 10,
            security_card_minutes: 5,
            id_card_minutes: 10,
            attempts_per_challenge: 3,
            lock_after: 5,
            sends_per_flow: 5,
            unanswered_per_day: 10,
        }
    }
}

impl Limits {
    /// How long a challenge of `check` lives.
    pub fn ttl(&self, check: Check) -> Duration {
        let minutes = match check {
            Check::Ars => self.ars_minutes,
            Check::Sms => self.sms_minutes,
            Check::OneWonTransfer => self.one_won_minutes,
            Check::SecurityCard | Check::SecondFactor => self.security_card_minutes,
            Check::IdCard => self.id_card_minutes,
            Check::RrnName | Check::BankingLogin | Check::Otp | Check::AccountPassword => 0,
        };
        Duration::minutes(i64::from(minutes.max(1)))
    }

    pub(crate) fn minutes(&self, check: Check) -> i64 {
        self.ttl(check).whole_minutes()
    }
}
