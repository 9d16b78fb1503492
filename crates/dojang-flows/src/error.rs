//! Why a step was refused. Each error has a stable code for programs and a sentence in Korean
//! and in English for people, saying what failed and what to do next ("인증서 발급이
//! 실패했습니다" alone is never enough). None holds a secret.

use dojang_pki::Serial;
use time::OffsetDateTime;

use crate::step::Step;

/// The kind of HTTP answer an error deserves; the server maps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    BadInput,
    NotFound,
    Conflict,
    Gone,
    Forbidden,
    Locked,
    Refused,
    Internal,
}

fn date(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("no such flow; start again")]
    UnknownFlow,
    #[error("the flow expired after being left idle; start again")]
    Expired,
    #[error("the flow is already finished")]
    Finished,
    #[error("step {got} is not the next step; the next step is {expected}")]
    OutOfOrder { expected: &'static str, got: String },
    #[error("no step is called {0}")]
    UnknownStep(String),
    #[error("the step was taken twice at once; only one counted")]
    Conflict,
    #[error("the input of step {step} is not valid: {why}")]
    BadInput { step: &'static str, why: String, ko: String },
    /// A step's input that is not the JSON the step takes; what was sent is not repeated.
    #[error("the input of step {step} is not valid: {error}")]
    BadJson { step: &'static str, error: dojang_json::JsonError },
    #[error("terms not accepted: {0}")]
    TermsNotAccepted(String),
    #[error("the challenge of this check was not started; ask for it first")]
    NotStarted,
    #[error("{en}")]
    Identity {
        code: String,
        ko: String,
        en: String,
        locked: bool,
        internal: bool,
        attempts_left: Option<u32>,
    },
    #[error("the product {product} is not for {holder} customers")]
    ProductNotForCustomer { product: String, holder: &'static str },
    #[error("not enough money in account {account}: balance {balance} won, fee {fee} won")]
    InsufficientFunds { account: String, balance: i64, fee: i64 },
    #[error("certificate {0} is not one of this customer's certificates")]
    NotYourCertificate(Serial),
    /// The customer's own financial certificate, chosen in a joint certificate's flow.
    #[error("certificate {0} is a financial certificate (금융인증서): its own flows (financial-reissue) and the cloud's certificate management handle it")]
    FinancialNotHere(Serial),
    #[error("no certificate fits: {0}")]
    NoCertificate(String),
    #[error("certificate {serial} can be renewed from {from} until it ends on {until}")]
    TooEarlyToRenew { serial: Serial, from: OffsetDateTime, until: OffsetDateTime },
    #[error("certificate {serial} ended on {ended}; an expired certificate cannot be renewed, issue a new one")]
    ExpiredCertificate { serial: Serial, ended: OffsetDateTime },
    #[error("certificate {serial} is {state}")]
    CertificateState { serial: Serial, state: &'static str },
    #[error("the signature does not prove possession of the certificate's key")]
    BadPossession,
    #[error("the certificate request was refused: {0}")]
    Ra(String),
    #[error("the customer's account is locked")]
    CustomerLocked,
    /// A new financial-certificate PIN broke a rule (named).
    #[error("the PIN was refused ({}): {}", .0.code(), .0.en())]
    WeakPin(crate::financial::PinRule),
    /// Financial issue for a customer who has a financial certificate already.
    #[error(
        "the customer already has financial certificate {0}; use financial-reissue to replace it"
    )]
    FinancialExists(Serial),
    #[error("internal error: {0}")]
    Internal(String),
}

impl FlowError {
    /// A refusal of what was typed: `ko` for the customer, `why` in English.
    pub fn bad_input(step: Step, ko: impl Into<String>, why: impl Into<String>) -> Self {
        FlowError::BadInput { step: step.name(), why: why.into(), ko: ko.into() }
    }

    pub fn bad_json(step: Step, error: dojang_json::JsonError) -> Self {
        FlowError::BadJson { step: step.name(), error }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        FlowError::Internal(e.to_string())
    }

    /// A stable code for programs.
    pub fn code(&self) -> String {
        match self {
            FlowError::UnknownFlow => "unknown_flow".into(),
            FlowError::Expired => "flow_expired".into(),
            FlowError::Finished => "flow_finished".into(),
            FlowError::OutOfOrder { .. } => "step_out_of_order".into(),
            FlowError::UnknownStep(_) => "unknown_step".into(),
            FlowError::Conflict => "step_conflict".into(),
            FlowError::BadInput { .. } | FlowError::BadJson { .. } => "bad_input".into(),
            FlowError::TermsNotAccepted(_) => "terms_not_accepted".into(),
            FlowError::NotStarted => "check_not_started".into(),
            FlowError::Identity { code, .. } => code.clone(),
            FlowError::ProductNotForCustomer { .. } => "product_not_for_customer".into(),
            FlowError::InsufficientFunds { .. } => "insufficient_funds".into(),
            FlowError::NotYourCertificate(_) => "not_your_certificate".into(),
            FlowError::FinancialNotHere(_) => "financial_certificate".into(),
            FlowError::NoCertificate(_) => "no_certificate".into(),
            FlowError::TooEarlyToRenew { .. } => "renewal_too_early".into(),
            FlowError::ExpiredCertificate { .. } => "certificate_expired".into(),
            FlowError::CertificateState { .. } => "certificate_state".into(),
            FlowError::BadPossession => "bad_possession".into(),
            FlowError::Ra(_) => "request_refused".into(),
            FlowError::CustomerLocked => "customer_locked".into(),
            FlowError::WeakPin(_) => "weak_pin".into(),
            FlowError::FinancialExists(_) => "financial_exists".into(),
            FlowError::Internal(_) => "internal".into(),
        }
    }

    pub fn category(&self) -> Category {
        match self {
            FlowError::UnknownFlow => Category::NotFound,
            FlowError::Expired => Category::Gone,
            FlowError::Finished | FlowError::OutOfOrder { .. } | FlowError::Conflict => {
                Category::Conflict
            }
            FlowError::UnknownStep(_)
            | FlowError::BadInput { .. }
            | FlowError::BadJson { .. }
            | FlowError::TermsNotAccepted(_)
            | FlowError::WeakPin(_)
            | FlowError::Ra(_) => Category::BadInput,
            FlowError::Identity { internal: true, .. } => Category::Internal,
            FlowError::Identity { locked: true, .. } | FlowError::CustomerLocked => {
                Category::Locked
            }
            FlowError::Identity { .. }
            | FlowError::BadPossession
            | FlowError::NotYourCertificate(_) => Category::Forbidden,
            FlowError::NotStarted
            | FlowError::ProductNotForCustomer { .. }
            | FlowError::InsufficientFunds { .. }
            | FlowError::NoCertificate(_)
            | FlowError::TooEarlyToRenew { .. }
            | FlowError::ExpiredCertificate { .. }
            | FlowError::CertificateState { .. }
            | FlowError::FinancialNotHere(_)
            | FlowError::FinancialExists(_) => Category::Refused,
            FlowError::Internal(_) => Category::Internal,
        }
    }

    /// Attempts left, for checks that count them.
    pub fn attempts_left(&self) -> Option<u32> {
        match self {
            FlowError::Identity { attempts_left, .. } => *attempts_left,
            _ => None,
        }
    }

    /// What a Korean customer reads.
    pub fn message_ko(&self) -> String {
        match self {
            FlowError::UnknownFlow => "진행 중인 신청을 찾을 수 없습니다. 처음부터 다시 진행해 주세요.".into(),
            FlowError::Expired => "입력 시간이 지나 신청이 취소되었습니다. 처음부터 다시 진행해 주세요.".into(),
            FlowError::Finished => "이미 완료된 신청입니다. 인증서 관리에서 결과를 확인해 주세요.".into(),
            FlowError::OutOfOrder { expected, .. } => format!(
                "단계를 건너뛰거나 같은 단계를 다시 보낼 수 없습니다. 지금은 '{}' 단계입니다.",
                Step::from_name(expected).map(|s| s.title_ko()).unwrap_or(expected)
            ),
            FlowError::UnknownStep(_) => "알 수 없는 단계입니다. 화면을 새로 고친 뒤 다시 진행해 주세요.".into(),
            FlowError::Conflict => "같은 요청이 동시에 두 번 들어왔습니다. 화면을 새로 고쳐 진행 상태를 확인해 주세요.".into(),
            FlowError::BadInput { ko, .. } => ko.clone(),
            FlowError::BadJson { error, .. } => format!("입력한 내용을 확인해 주세요: {}", error.message_ko()),
            FlowError::TermsNotAccepted(missing) => {
                format!("필수 약관에 모두 동의해야 발급을 진행할 수 있습니다. 동의하지 않은 약관: {missing}")
            }
            FlowError::NotStarted => "인증번호를 먼저 요청해 주세요.".into(),
            FlowError::Identity { ko, .. } => ko.clone(),
            FlowError::ProductNotForCustomer { holder, .. } => format!(
                "선택한 인증서는 {} 고객이 발급받을 수 없습니다. 다른 인증서 종류를 선택해 주세요.",
                if *holder == "business" { "법인" } else { "개인" }
            ),
            FlowError::InsufficientFunds { balance, fee, .. } => format!(
                "출금계좌의 잔액이 부족합니다 (잔액 {balance}원, 수수료 {fee}원). 잔액을 확인하거나 다른 계좌를 선택해 주세요."
            ),
            FlowError::NotYourCertificate(_) => "본인 명의의 인증서가 아닙니다. 인증서를 다시 선택해 주세요.".into(),
            FlowError::FinancialNotHere(_) => "금융인증서는 여기서 처리할 수 없습니다. 금융인증서 메뉴(재발급, 관리)를 이용하거나 공동인증서를 선택해 주세요.".into(),
            FlowError::NoCertificate(_) => "해당하는 인증서가 없습니다. 인증서 관리에서 보유한 인증서를 확인해 주세요.".into(),
            FlowError::TooEarlyToRenew { from, until, .. } => format!(
                "인증서 갱신은 만료 30일 전부터 가능합니다. {}부터 {}까지 갱신해 주세요.",
                date(*from),
                date(*until)
            ),
            FlowError::ExpiredCertificate { ended, .. } => format!(
                "유효기간이 지난 인증서({} 만료)는 갱신할 수 없습니다. 인증서를 새로 발급받아 주세요.",
                date(*ended)
            ),
            FlowError::CertificateState { state, .. } => format!(
                "이 인증서는 {} 상태라 요청을 처리할 수 없습니다. 인증서 관리에서 상태를 확인해 주세요.",
                match *state {
                    "revoked" => "폐기",
                    "suspended" => "효력정지",
                    "expired" => "만료",
                    "good" => "정상",
                    other => other,
                }
            ),
            FlowError::BadPossession => {
                "인증서 확인에 실패했습니다. 인증서와 인증서 비밀번호를 확인한 뒤 다시 시도해 주세요.".into()
            }
            FlowError::Ra(why) => format!("인증서 요청이 거절되었습니다: {why}"),
            FlowError::WeakPin(rule) => format!("{} 다른 비밀번호를 정해 주세요.", rule.ko()),
            FlowError::FinancialExists(_) => "이미 금융인증서가 있습니다. 새로 받으려면 금융인증서 재발급을 이용해 주세요.".into(),
            FlowError::CustomerLocked => {
                "고객님의 전자금융 이용이 잠겨 있습니다. 영업점을 방문하거나 고객센터(평일 09:00–18:00)에 문의해 주세요.".into()
            }
            FlowError::Internal(_) => "일시적인 오류로 처리하지 못했습니다. 잠시 후 다시 시도해 주세요. 계속되면 고객센터(평일 09:00–18:00)에 문의해 주세요.".into(),
        }
    }

    /// What an English reader sees.
    pub fn message_en(&self) -> String {
        match self {
            FlowError::Identity { en, .. } => en.clone(),
            FlowError::TooEarlyToRenew { serial, from, until } => format!(
                "certificate {serial} can be renewed only in its last 30 days: from {} until {}",
                date(*from),
                date(*until)
            ),
            FlowError::ExpiredCertificate { serial, ended } => format!(
                "certificate {serial} ended on {}; an expired certificate cannot be renewed: issue a new one",
                date(*ended)
            ),
            FlowError::Internal(_) => {
                "the center could not complete the step; try again later, and call the help desk (weekdays 09:00-18:00) if it persists".into()
            }
            other => {
                let mut s = other.to_string();
                if let Some(first) = s.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                s
            }
        }
    }
}
