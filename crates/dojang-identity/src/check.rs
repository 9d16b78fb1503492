//! The identity checks (본인확인 수단) a flow can ask for.

use serde::{Deserialize, Serialize};

/// One identity check. Names in configuration are kebab-case (`second-factor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Real name and resident registration number against the customer record.
    RrnName,
    /// Internet banking ID and password (인터넷뱅킹 ID·비밀번호).
    BankingLogin,
    /// An ARS call to the registered phone that says an approval number (승인번호, doc. 004).
    Ars,
    /// A code by text message (SMS 인증번호).
    Sms,
    /// Two digits of two numbered codes of the security card (보안카드, doc. 001).
    SecurityCard,
    /// The 6-digit code of the OTP device (RFC 6238 TOTP).
    Otp,
    /// The security card or the OTP, whichever the customer holds (OTP first).
    SecondFactor,
    /// The ID card's kind, number and issue date, checked with the issuer (doc. 003).
    IdCard,
    /// One won deposited into the customer's account with a code in the memo (doc. 003).
    OneWonTransfer,
    /// The withdrawal account's 4-digit password (출금계좌 비밀번호, doc. 000).
    AccountPassword,
}

impl Check {
    pub const ALL: [Check; 10] = [
        Check::RrnName,
        Check::BankingLogin,
        Check::Ars,
        Check::Sms,
        Check::SecurityCard,
        Check::Otp,
        Check::SecondFactor,
        Check::IdCard,
        Check::OneWonTransfer,
        Check::AccountPassword,
    ];

    /// The configuration name, also the `kind` of its challenges.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::RrnName => "rrn-name",
            Check::BankingLogin => "banking-login",
            Check::Ars => "ars",
            Check::Sms => "sms",
            Check::SecurityCard => "security-card",
            Check::Otp => "otp",
            Check::SecondFactor => "second-factor",
            Check::IdCard => "id-card",
            Check::OneWonTransfer => "one-won-transfer",
            Check::AccountPassword => "account-password",
        }
    }

    /// The middle word of its audit actions: `identity.<this>.fail`.
    pub fn audit_name(self) -> &'static str {
        match self {
            Check::RrnName => "rrn_name",
            Check::BankingLogin => "banking_login",
            Check::Ars => "ars",
            Check::Sms => "sms",
            Check::SecurityCard => "security_card",
            Check::Otp => "otp",
            Check::SecondFactor => "second_factor",
            Check::IdCard => "id_card",
            Check::OneWonTransfer => "one_won",
            Check::AccountPassword => "account_password",
        }
    }

    /// As a Korean customer reads it.
    pub fn korean(self) -> &'static str {
        match self {
            Check::RrnName => "주민등록번호·이름 확인",
            Check::BankingLogin => "인터넷뱅킹 ID·비밀번호",
            Check::Ars => "ARS 인증",
            Check::Sms => "SMS 인증",
            Check::SecurityCard => "보안카드",
            Check::Otp => "OTP",
            Check::SecondFactor => "보안카드 또는 OTP",
            Check::IdCard => "신분증 확인",
            Check::OneWonTransfer => "1원 송금 계좌인증",
            Check::AccountPassword => "출금계좌 비밀번호",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            Check::RrnName => "name and resident registration number",
            Check::BankingLogin => "internet banking ID and password",
            Check::Ars => "ARS phone check",
            Check::Sms => "SMS code",
            Check::SecurityCard => "security card",
            Check::Otp => "OTP",
            Check::SecondFactor => "security card or OTP",
            Check::IdCard => "ID card check",
            Check::OneWonTransfer => "one-won transfer check",
            Check::AccountPassword => "withdrawal account password",
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Check {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Check::ALL.into_iter().find(|c| c.as_str() == s.trim()).ok_or_else(|| {
            let names: Vec<&str> = Check::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown identity check {s:?}; the checks are: {}", names.join(", "))
        })
    }
}
