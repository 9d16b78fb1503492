//! What the customer typed for a check. Every field is a secret or close to one: `Debug` shows
//! only which kind of answer it is, and strings are wiped on drop.

use std::fmt;

use dojang_npki::vid::Rrn;
use dojang_outside::IdCardKind;
use time::Date;
use zeroize::Zeroize;

/// The customer's answer to a [`Check`](crate::Check).
#[derive(Clone)]
pub enum Answer {
    /// The code of an ARS call, an SMS, or the one-won transfer memo (or an OTP code).
    Code(String),
    /// The two security-card digits pairs asked for: the first code's front two digits and
    /// the second code's back two digits.
    SecurityCard {
        first: String,
        second: String,
    },
    /// The OTP device's 6-digit code.
    Otp(String),
    RrnName {
        rrn: Rrn,
        name: String,
    },
    BankingLogin {
        id: String,
        password: String,
    },
    IdCard {
        kind: IdCardKind,
        number: String,
        issue_date: Date,
    },
    AccountPassword {
        account: String,
        password: String,
    },
}

impl Answer {
    fn kind(&self) -> &'static str {
        match self {
            Answer::Code(_) => "Code",
            Answer::SecurityCard { .. } => "SecurityCard",
            Answer::Otp(_) => "Otp",
            Answer::RrnName { .. } => "RrnName",
            Answer::BankingLogin { .. } => "BankingLogin",
            Answer::IdCard { .. } => "IdCard",
            Answer::AccountPassword { .. } => "AccountPassword",
        }
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Answer::{}(<redacted>)", self.kind())
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        match self {
            Answer::Code(s) | Answer::Otp(s) => s.zeroize(),
            Answer::SecurityCard { first, second } => {
                first.zeroize();
                second.zeroize();
            }
            Answer::RrnName { name, .. } => name.zeroize(),
            Answer::BankingLogin { id, password } => {
                id.zeroize();
                password.zeroize();
            }
            Answer::IdCard { number, .. } => number.zeroize(),
            Answer::AccountPassword { account, password } => {
                account.zeroize();
                password.zeroize();
            }
        }
    }
}
