//! What can go wrong in an identity check, in words a customer can act on.
//!
//! Every variant has [`IdentityError::message_ko`] (shown first) and
//! [`IdentityError::message_en`] (also its `Display`). No variant carries an answer, a code, a
//! password or an RRN, so neither the messages nor `Debug` can leak one.

use std::fmt;

use dojang_outside::OutsideError;
use dojang_store::StoreError;
use dojang_vault::VaultError;

use crate::check::Check;
use crate::ko::{eul_reul, i_ga};

/// Where the customer can get help; in every message that sends them there.
pub(crate) const SUPPORT_KO: &str = "고객센터(평일 09:00–18:00)";
pub(crate) const SUPPORT_EN: &str = "the customer center (weekdays 09:00–18:00)";

/// Something that locks after too many wrong answers in a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockedThing {
    SecurityCard,
    Otp,
    AccountPassword,
    BankingLogin,
}

impl LockedThing {
    fn korean(self) -> &'static str {
        match self {
            LockedThing::SecurityCard => "보안카드",
            LockedThing::Otp => "OTP",
            LockedThing::AccountPassword => "계좌 비밀번호",
            LockedThing::BankingLogin => "인터넷뱅킹 로그인",
        }
    }

    fn english(self) -> &'static str {
        match self {
            LockedThing::SecurityCard => "security card",
            LockedThing::Otp => "OTP device",
            LockedThing::AccountPassword => "account password",
            LockedThing::BankingLogin => "internet banking login",
        }
    }
}

/// What the customer does not have (or the bank has no record of).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Missing {
    SecurityCard,
    Otp,
    /// Neither a security card nor an OTP device.
    SecondFactor,
    /// No withdrawal account.
    Account,
    /// No RRN on record (a business enrolled without its representative's).
    Rrn,
}

/// Why an identity check did not pass.
#[derive(Debug)]
#[non_exhaustive]
pub enum IdentityError {
    /// The internet-banking ID and the RRN (or business number) do not identify a customer.
    /// Deliberately does not say which of the two was wrong.
    CustomerNotFound,
    /// The customer is locked (by staff, or by wrong banking passwords).
    CustomerLocked,
    /// The answer was wrong; `attempts_left` more wrong answers are allowed (0: this one was
    /// the last for this code; ask for a new one).
    WrongAnswer {
        check: Check,
        attempts_left: u32,
    },
    /// The code (or challenge) has expired.
    Expired {
        check: Check,
    },
    /// This challenge already took all its wrong answers; ask for a new one.
    TooManyAttempts {
        check: Check,
    },
    /// The flow asked for more codes of this kind than allowed.
    TooManyRequests {
        check: Check,
    },
    /// The customer was sent `limit` codes of this kind in the last 24 hours, over all flows,
    /// without answering one rightly.
    TooManyRequestsToday {
        check: Check,
        limit: u32,
    },
    /// The code was already used once (codes are single-use), or an OTP code was replayed.
    AlreadyUsed {
        check: Check,
    },
    /// `answer` before `start`: no code was sent for this flow.
    NotStarted {
        check: Check,
    },
    /// Locked after `limit` wrong answers in a row, until staff unlock it.
    Locked {
        what: LockedThing,
        limit: u32,
    },
    /// The customer holds no such thing (e.g. an OTP check for a customer with a card only).
    NotEnrolled {
        what: Missing,
    },
    /// The account is not one of this customer's withdrawal accounts (or does not exist).
    AccountNotFound,
    /// The issuer says the ID card was reported lost.
    IdCardReportedLost,
    /// The answer is not even of the right form (e.g. 5 digits for a 6-digit code); not
    /// counted as a wrong answer.
    Malformed {
        check: Check,
        expected: &'static str,
    },
    /// The caller passed an answer of another kind than the check (a programming error in
    /// the flow engine, not the customer's).
    AnswerDoesNotFit {
        check: Check,
    },
    /// This check does not take a `start` / an `answer` of this shape.
    Unsupported {
        check: Check,
        what: &'static str,
    },
    /// The message could not be delivered (SMS gateway, ARS, issuer).
    Unreachable {
        check: Check,
        source: OutsideError,
    },
    Store(StoreError),
    Vault(VaultError),
    /// A password hash could not be made or read.
    PasswordHash,
}

impl IdentityError {
    /// The message for the customer, in Korean: what failed and what to do.
    pub fn message_ko(&self) -> String {
        use IdentityError as E;
        match self {
            E::CustomerNotFound => "입력하신 인터넷뱅킹 ID 또는 주민등록번호(사업자등록번호)가 등록된 정보와 일치하지 않습니다. 다시 확인해 주세요. 인터넷뱅킹에 가입하지 않으셨다면 먼저 영업점에서 가입해 주세요.".into(),
            E::CustomerLocked => format!("고객님의 인터넷뱅킹 이용이 잠겨 있어 본인확인을 진행할 수 없습니다. 신분증을 가지고 영업점을 방문하거나 {SUPPORT_KO}에 문의해 주세요."),
            E::WrongAnswer { check, attempts_left: 0 } => format!("{} 일치하지 않습니다. 입력 가능 횟수를 모두 사용했습니다. {}", i_ga(wrong_thing_ko(*check)), retry_ko(*check)),
            E::WrongAnswer { check, attempts_left } => format!("{} 일치하지 않습니다. 다시 확인하고 입력해 주세요. (남은 입력 횟수 {attempts_left}회)", i_ga(wrong_thing_ko(*check))),
            E::Expired { check } => format!("{} 입력 시간이 지났습니다. {}", check.korean(), retry_ko(*check)),
            E::TooManyAttempts { check } => format!("{} 입력 가능 횟수를 모두 사용했습니다. {}", check.korean(), retry_ko(*check)),
            E::TooManyRequests { check } => format!("{} 요청 횟수를 초과했습니다. 처음부터 다시 진행하거나 {SUPPORT_KO}에 문의해 주세요.", check.korean()),
            E::TooManyRequestsToday { check, limit } => format!("최근 24시간 동안 확인되지 않은 {} 요청이 {limit}회에 이르러 더 요청할 수 없습니다. 보안을 위한 제한이니 24시간 뒤 다시 시도하거나 {SUPPORT_KO}에 문의해 주세요.", check.korean()),
            E::AlreadyUsed { check } => format!("이미 사용한 {}입니다. {}", code_word_ko(*check), retry_ko(*check)),
            E::NotStarted { check } => format!("{} 먼저 요청해 주세요. 요청하신 내역이 없습니다.", eul_reul(check.korean())),
            E::Locked { what: LockedThing::BankingLogin, limit } => format!("인터넷뱅킹 ID·비밀번호 등 본인확인 정보 입력 오류가 {limit}회 연속되어 인터넷뱅킹 이용이 잠겼습니다. 신분증을 가지고 영업점을 방문하거나 {SUPPORT_KO}에 문의해 주세요."),
            E::Locked { what, limit } => format!("{} 입력 오류가 {limit}회 연속되어 {} 잠겼습니다. 신분증을 가지고 영업점을 방문하거나 {SUPPORT_KO}에 문의해 주세요.", what.korean(), i_ga(what.korean())),
            E::NotEnrolled { what } => match what {
                Missing::SecurityCard => "등록된 보안카드가 없습니다. 영업점에서 보안카드를 발급받거나 OTP로 인증해 주세요.".into(),
                Missing::Otp => "등록된 OTP가 없습니다. 영업점에서 OTP를 발급받거나 보안카드로 인증해 주세요.".into(),
                Missing::SecondFactor => "등록된 보안카드나 OTP가 없습니다. 신분증을 가지고 영업점을 방문해 보안카드 또는 OTP를 발급받아 주세요.".into(),
                Missing::Account => "인터넷뱅킹에 등록된 출금계좌가 없습니다. 영업점에서 출금계좌를 등록해 주세요.".into(),
                Missing::Rrn => format!("등록된 주민등록번호가 없어 이 방법으로 확인할 수 없습니다. {SUPPORT_KO}에 문의해 주세요."),
            },
            E::AccountNotFound => "입력하신 계좌는 고객님의 인터넷뱅킹 출금계좌로 등록되어 있지 않습니다. 계좌번호를 다시 확인해 주세요.".into(),
            E::IdCardReportedLost => format!("분실 신고된 신분증입니다. 다른 신분증으로 다시 진행하거나 {SUPPORT_KO}에 문의해 주세요."),
            E::Malformed { check, expected } => format!("{} 입력 형식이 올바르지 않습니다: {}. (입력 횟수에는 포함되지 않습니다)", check.korean(), expected_ko(expected)),
            E::AnswerDoesNotFit { .. } | E::Unsupported { .. } => format!("본인확인 처리 중 오류가 발생했습니다. 처음부터 다시 진행해 주세요. 계속되면 {SUPPORT_KO}에 문의해 주세요."),
            E::Unreachable { check, .. } => format!("{} 보내지 못했습니다. 잠시 후 다시 요청해 주세요. 등록된 연락처가 바뀌었다면 영업점에서 변경해 주세요.", eul_reul(code_word_ko(*check))),
            E::Store(_) | E::Vault(_) | E::PasswordHash => format!("일시적인 오류로 본인확인을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요. 계속되면 {SUPPORT_KO}에 문의해 주세요."),
        }
    }

    /// The message for the customer, in English.
    pub fn message_en(&self) -> String {
        use IdentityError as E;
        match self {
            E::CustomerNotFound => "The internet banking ID or the resident (business) registration number does not match our records. Check both and try again; if you have not signed up for internet banking, do so at a branch first.".into(),
            E::CustomerLocked => format!("Your internet banking is locked, so identity checks cannot go on. Visit a branch with your ID card or call {SUPPORT_EN}."),
            E::WrongAnswer { check, attempts_left: 0 } => format!("The {} is wrong and no tries are left. {}", check.english(), retry_en(*check)),
            E::WrongAnswer { check, attempts_left } => format!("The {} is wrong. Check it and enter it again ({attempts_left} {} left).", check.english(), if *attempts_left == 1 { "try" } else { "tries" }),
            E::Expired { check } => format!("The time to enter the {} has passed. {}", check.english(), retry_en(*check)),
            E::TooManyAttempts { check } => format!("All tries for this {} are used. {}", check.english(), retry_en(*check)),
            E::TooManyRequests { check } => format!("Too many requests for a {} in this procedure. Start again, or call {SUPPORT_EN}.", check.english()),
            E::TooManyRequestsToday { check, limit } => format!("{limit} requests for a {} in the last 24 hours were not confirmed, so no more can be sent for now. This limit is for your security: try again after 24 hours, or call {SUPPORT_EN}.", check.english()),
            E::AlreadyUsed { check } => format!("This {} was already used; each is good once. {}", check.english(), retry_en(*check)),
            E::NotStarted { check } => format!("Ask for the {} first: none was sent in this procedure.", check.english()),
            E::Locked { what, limit } => format!("Your {} is locked after {limit} wrong entries in a row. Visit a branch with your ID card or call {SUPPORT_EN} to unlock it.", what.english()),
            E::NotEnrolled { what } => match what {
                Missing::SecurityCard => "You have no security card registered. Get one at a branch, or use your OTP device.".into(),
                Missing::Otp => "You have no OTP device registered. Get one at a branch, or use your security card.".into(),
                Missing::SecondFactor => "You have neither a security card nor an OTP device. Get one at a branch (bring your ID card).".into(),
                Missing::Account => "You have no withdrawal account registered for internet banking. Register one at a branch.".into(),
                Missing::Rrn => format!("No resident registration number is on record, so this check cannot be used. Call {SUPPORT_EN}."),
            },
            E::AccountNotFound => "That account is not registered as one of your internet banking withdrawal accounts. Check the number.".into(),
            E::IdCardReportedLost => format!("This ID card was reported lost. Use another ID card, or call {SUPPORT_EN}."),
            E::Malformed { check, expected } => format!("The {} is not in the right form: {expected}. (This does not count as a try.)", check.english()),
            E::AnswerDoesNotFit { check } => format!("Internal error: the answer given does not fit the {} check. Start again; if it persists, call {SUPPORT_EN}.", check.english()),
            E::Unsupported { check, what } => format!("Internal error: the {} check does not support {what}. Start again; if it persists, call {SUPPORT_EN}.", check.english()),
            E::Unreachable { check, source } => format!("The {} could not be sent ({source}). Ask again in a moment; if your phone number changed, update it at a branch.", check.english()),
            E::Store(e) => format!("A temporary error stopped the identity check (store: {e}). Try again in a moment; if it persists, call {SUPPORT_EN}."),
            E::Vault(e) => format!("A temporary error stopped the identity check (vault: {e}). Try again in a moment; if it persists, call {SUPPORT_EN}."),
            E::PasswordHash => format!("A stored password could not be read. Call {SUPPORT_EN}."),
        }
    }

    /// Whether the customer did something wrong (as opposed to the center failing): the flow
    /// engine shows these and stays on the step; the others are worth an alert.
    pub fn is_customer_error(&self) -> bool {
        !matches!(
            self,
            IdentityError::Store(_)
                | IdentityError::Vault(_)
                | IdentityError::PasswordHash
                | IdentityError::AnswerDoesNotFit { .. }
                | IdentityError::Unsupported { .. }
                | IdentityError::Unreachable { .. }
        )
    }

    /// A short stable name for APIs and audit details, e.g. `wrong-answer`.
    pub fn code(&self) -> &'static str {
        use IdentityError as E;
        match self {
            E::CustomerNotFound => "customer-not-found",
            E::CustomerLocked => "customer-locked",
            E::WrongAnswer { .. } => "wrong-answer",
            E::Expired { .. } => "expired",
            E::TooManyAttempts { .. } => "too-many-attempts",
            E::TooManyRequests { .. } => "too-many-requests",
            E::TooManyRequestsToday { .. } => "too-many-requests-today",
            E::AlreadyUsed { .. } => "already-used",
            E::NotStarted { .. } => "not-started",
            E::Locked { .. } => "locked",
            E::NotEnrolled { .. } => "not-enrolled",
            E::AccountNotFound => "account-not-found",
            E::IdCardReportedLost => "id-card-reported-lost",
            E::Malformed { .. } => "malformed",
            E::AnswerDoesNotFit { .. } => "answer-does-not-fit",
            E::Unsupported { .. } => "unsupported",
            E::Unreachable { .. } => "unreachable",
            E::Store(_) => "store",
            E::Vault(_) => "vault",
            E::PasswordHash => "password-hash",
        }
    }
}

fn wrong_thing_ko(check: Check) -> &'static str {
    match check {
        Check::RrnName => "이름 또는 주민등록번호",
        Check::BankingLogin => "인터넷뱅킹 ID 또는 비밀번호",
        Check::Ars => "ARS 승인번호",
        Check::Sms => "SMS 인증번호",
        Check::SecurityCard => "보안카드 번호",
        Check::Otp | Check::SecondFactor => "OTP 번호",
        Check::IdCard => "신분증 정보",
        Check::OneWonTransfer => "입금자명(적요)의 인증번호",
        Check::AccountPassword => "계좌 비밀번호",
    }
}

fn code_word_ko(check: Check) -> &'static str {
    match check {
        Check::Ars => "ARS 승인번호",
        Check::Sms => "SMS 인증번호",
        Check::SecurityCard => "보안카드 질문",
        Check::Otp | Check::SecondFactor => "OTP 번호",
        Check::OneWonTransfer => "1원 송금 인증번호",
        Check::IdCard => "신분증 확인 요청",
        Check::RrnName | Check::BankingLogin | Check::AccountPassword => "확인 요청",
    }
}

/// What to do next after a code stopped working.
fn retry_ko(check: Check) -> &'static str {
    match check {
        Check::Ars => "ARS 인증을 다시 요청해 새 승인번호를 받아 주세요.",
        Check::Sms => "인증번호를 다시 요청해 새로 받은 번호를 입력해 주세요.",
        Check::SecurityCard => "보안카드 인증을 다시 요청하면 새 번호를 묻습니다.",
        Check::OneWonTransfer => "1원 송금을 다시 요청해 새 인증번호를 받아 주세요.",
        Check::IdCard => "신분증 확인을 처음부터 다시 진행해 주세요.",
        Check::Otp | Check::SecondFactor => "OTP 생성기에 새로 표시되는 번호를 입력해 주세요.",
        Check::RrnName | Check::BankingLogin | Check::AccountPassword => {
            "처음부터 다시 진행해 주세요."
        }
    }
}

fn retry_en(check: Check) -> &'static str {
    match check {
        Check::Ars => "Ask for a new ARS call and enter the new approval number.",
        Check::Sms => "Ask for a new code and enter the one you receive.",
        Check::SecurityCard => "Ask again and you will be asked for other codes.",
        Check::OneWonTransfer => "Ask for a new one-won transfer and enter its code.",
        Check::IdCard => "Start the ID card check again.",
        Check::Otp | Check::SecondFactor => "Enter the next code your OTP device shows.",
        Check::RrnName | Check::BankingLogin | Check::AccountPassword => "Start again.",
    }
}

fn expected_ko(expected: &str) -> String {
    match expected {
        "6 digits" => "숫자 6자리".into(),
        "4 digits" => "숫자 4자리".into(),
        "2 digits each" => "각 숫자 2자리".into(),
        "a name" => "이름을 입력해 주세요".into(),
        "an ID and a password" => "ID와 비밀번호를 입력해 주세요".into(),
        "an account number" => "계좌번호(숫자)를 입력해 주세요".into(),
        "an ID card number" => "신분증 번호를 입력해 주세요".into(),
        other => other.to_string(),
    }
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for IdentityError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdentityError::Unreachable { source, .. } => Some(source),
            IdentityError::Store(e) => Some(e),
            IdentityError::Vault(e) => Some(e),
            _ => None,
        }
    }
}

impl From<StoreError> for IdentityError {
    fn from(e: StoreError) -> Self {
        IdentityError::Store(e)
    }
}

impl From<VaultError> for IdentityError {
    fn from(e: VaultError) -> Self {
        IdentityError::Vault(e)
    }
}
