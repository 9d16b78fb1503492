//! Why a certificate is not accepted, with what the holder should do — in Korean and English.
//! Every refusal names its reason: a customer told only "로그인 실패" cannot tell a revoked
//! certificate from a mistyped password.

use dojang_pki::RevocationReason;
use time::OffsetDateTime;

/// A certificate refused, and why. Holds no secret: no RRN, no R, no key, no password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a certificate we can read (or not the kind that signs in).
    #[error("the certificate cannot be used: {why}")]
    Malformed { why: String },
    #[error("the certificate expired on {not_after}")]
    Expired { not_after: OffsetDateTime },
    #[error("the certificate is not valid until {not_before}")]
    NotYetValid { not_before: OffsetDateTime },
    #[error("the certificate was revoked on {at} ({reason})")]
    Revoked { at: OffsetDateTime, reason: RevocationReason },
    /// Revoked with certificateHold (효력정지): it can be resumed.
    #[error("the certificate is suspended since {at}")]
    Suspended { at: OffsetDateTime },
    /// It does not chain to any issuer trusted here.
    #[error("the certificate's issuer ({issuer}) is not trusted here")]
    UnknownIssuer { issuer: String },
    #[error("a signature in the certificate's chain does not verify ({which})")]
    BadSignature { which: String },
    #[error("the certificate's chain is not acceptable: {why}")]
    BadChain { why: String },
    /// Neither OCSP nor the CRL could be used.
    #[error("the certificate's status could not be checked: {why}")]
    StatusUnavailable { why: String },
    /// The issuer's responder does not know the certificate.
    #[error("the issuer does not know this certificate")]
    StatusUnknown,
    /// The VID does not match the person's RRN and R.
    #[error("the certificate belongs to another person")]
    WrongPerson,
    /// The certificate carries no VID (identifyData), so whose it is cannot be checked.
    #[error("the certificate carries no VID (identifyData)")]
    NoVid,
    /// Valid, but not issued here to a customer nor registered here.
    #[error("the certificate is not registered at this bank")]
    NotRegistered,
}

fn ymd(t: &OffsetDateTime) -> String {
    let kst = t.to_offset(time::macros::offset!(+9));
    format!("{:04}-{:02}-{:02}", kst.year(), u8::from(kst.month()), kst.day())
}

impl Refusal {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed { .. } => "malformed",
            Refusal::Expired { .. } => "expired",
            Refusal::NotYetValid { .. } => "not_yet_valid",
            Refusal::Revoked { .. } => "revoked",
            Refusal::Suspended { .. } => "suspended",
            Refusal::UnknownIssuer { .. } => "unknown_issuer",
            Refusal::BadSignature { .. } => "bad_signature",
            Refusal::BadChain { .. } => "bad_chain",
            Refusal::StatusUnavailable { .. } => "status_unavailable",
            Refusal::StatusUnknown => "status_unknown",
            Refusal::WrongPerson => "wrong_person",
            Refusal::NoVid => "no_vid",
            Refusal::NotRegistered => "not_registered",
        }
    }

    /// What happened and what to do, in Korean.
    pub fn message_ko(&self) -> String {
        match self {
            Refusal::Malformed { why } => format!("인증서를 사용할 수 없습니다 ({why}). 공동인증서(signCert.der)가 맞는지 확인해 주세요."),
            Refusal::Expired { not_after } => format!("인증서가 만료되었습니다 (만료일 {}). 만료된 인증서는 갱신할 수 없으니 새로 발급받아 주세요.", ymd(not_after)),
            Refusal::NotYetValid { not_before } => format!("인증서의 유효기간이 아직 시작되지 않았습니다 (시작일 {}). 컴퓨터의 날짜와 시간을 확인해 주세요.", ymd(not_before)),
            Refusal::Revoked { at, reason } => format!("폐기된 인증서입니다 (폐기일 {}, 사유 {reason}). 인증서를 새로 발급받아 주세요.", ymd(at)),
            Refusal::Suspended { at } => format!("효력이 정지된 인증서입니다 (정지일 {}). 발급기관에서 효력회복 후 사용해 주세요.", ymd(at)),
            Refusal::UnknownIssuer { issuer } => format!("이 은행이 신뢰하지 않는 기관이 발급한 인증서입니다 (발급자 {issuer}). 공동인증서를 발급하는 은행이나 인증기관의 인증서를 사용해 주세요."),
            Refusal::BadSignature { which } => format!("인증서의 서명이 올바르지 않습니다 ({which}). 위조되었거나 손상된 인증서일 수 있으니 재발급받아 주세요."),
            Refusal::BadChain { why } => format!("인증서의 발급 경로가 올바르지 않습니다 ({why}). 발급기관에 문의해 주세요."),
            Refusal::StatusUnavailable { why } => format!("발급기관에서 인증서 상태(폐지 여부)를 확인할 수 없습니다 ({why}). 잠시 후 다시 시도해 주세요."),
            Refusal::StatusUnknown => "발급기관이 이 인증서를 알지 못한다고 답했습니다. 발급기관에 문의해 주세요.".into(),
            Refusal::WrongPerson => "본인의 인증서가 아닙니다 (주민등록번호와 인증서의 식별번호(VID)가 일치하지 않습니다). 본인 명의의 인증서를 선택해 주세요.".into(),
            Refusal::NoVid => "인증서에 본인확인 정보(VID)가 없어 본인 여부를 확인할 수 없습니다. 개인 공동인증서를 사용해 주세요.".into(),
            Refusal::NotRegistered => "이 은행에 등록되지 않은 인증서입니다. 다른 기관에서 발급받은 인증서는 먼저 타기관 인증서 등록(dojang cert register)을 해 주세요.".into(),
        }
    }

    /// The same in English.
    pub fn message_en(&self) -> String {
        match self {
            Refusal::Malformed { why } => format!("The certificate cannot be used ({why}); check that it is a joint certificate (signCert.der)."),
            Refusal::Expired { not_after } => format!("The certificate expired on {}. An expired certificate cannot be renewed: get a new one.", ymd(not_after)),
            Refusal::NotYetValid { not_before } => format!("The certificate is not valid until {}; check this computer's date and time.", ymd(not_before)),
            Refusal::Revoked { at, reason } => format!("The certificate was revoked on {} ({reason}). Get a new certificate.", ymd(at)),
            Refusal::Suspended { at } => format!("The certificate is suspended (since {}). Have its issuer resume it first.", ymd(at)),
            Refusal::UnknownIssuer { issuer } => format!("The certificate was issued by an institution this bank does not trust ({issuer}). Use a certificate from a bank or accredited CA."),
            Refusal::BadSignature { which } => format!("A signature in the certificate's chain is wrong ({which}); the certificate may be forged or damaged: get it reissued."),
            Refusal::BadChain { why } => format!("The certificate's chain is not acceptable ({why}); ask its issuer."),
            Refusal::StatusUnavailable { why } => format!("The certificate's status (revoked or not) could not be checked with its issuer ({why}); try again in a moment."),
            Refusal::StatusUnknown => "The issuer says it does not know this certificate; ask the issuer.".into(),
            Refusal::WrongPerson => "This is not your certificate: its VID does not match your resident registration number. Choose a certificate in your own name.".into(),
            Refusal::NoVid => "The certificate carries no VID, so whose it is cannot be checked; use a personal joint certificate.".into(),
            Refusal::NotRegistered => "The certificate is not registered at this bank. Register a certificate from another institution first (dojang cert register).".into(),
        }
    }
}
