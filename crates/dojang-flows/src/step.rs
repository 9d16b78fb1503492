//! The steps a flow can have. A flow's plan is an ordered list of them.

use serde::{Deserialize, Serialize};

/// One step. Its name (kebab-case) is the last segment of the step's URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// 약관 동의: every mandatory term accepted.
    Terms,
    /// 본인 확인: internet-banking ID and resident registration number.
    Identify,
    /// 인증서 종류 선택.
    Product,
    /// 대상 인증서 선택: which of the customer's certificates (reissue, revoke, suspend, resume).
    Select,
    /// 인증서 확인: the current certificate and a signature with its key (proof of possession).
    Possession,
    /// ARS 인증: an approval number told by a call to the registered phone.
    CheckArs,
    /// SMS 인증.
    CheckSms,
    /// 보안카드.
    CheckSecurityCard,
    /// OTP.
    CheckOtp,
    /// 보안카드 또는 OTP, whichever the customer holds.
    CheckSecondFactor,
    /// 신분증 확인.
    CheckIdCard,
    /// 1원 송금 인증.
    CheckOneWon,
    /// 출금계좌 및 비밀번호, with the fee shown.
    Payment,
    /// 폐기 사유.
    Reason,
    /// 최종 확인.
    Confirm,
    /// 인증서 발급: the CSR of a key made on the customer's side.
    Csr,
    /// 금융인증서 비밀번호 등록: six digits; the center makes and keeps the key (financial flows).
    Pin,
}

impl Step {
    pub const ALL: [Step; 17] = [
        Step::Terms,
        Step::Identify,
        Step::Product,
        Step::Select,
        Step::Possession,
        Step::CheckArs,
        Step::CheckSms,
        Step::CheckSecurityCard,
        Step::CheckOtp,
        Step::CheckSecondFactor,
        Step::CheckIdCard,
        Step::CheckOneWon,
        Step::Payment,
        Step::Reason,
        Step::Confirm,
        Step::Csr,
        Step::Pin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Terms => "terms",
            Step::Identify => "identify",
            Step::Product => "product",
            Step::Select => "select",
            Step::Possession => "possession",
            Step::CheckArs => "check-ars",
            Step::CheckSms => "check-sms",
            Step::CheckSecurityCard => "check-security-card",
            Step::CheckOtp => "check-otp",
            Step::CheckSecondFactor => "check-second-factor",
            Step::CheckIdCard => "check-id-card",
            Step::CheckOneWon => "check-one-won",
            Step::Payment => "payment",
            Step::Reason => "reason",
            Step::Confirm => "confirm",
            Step::Csr => "csr",
            Step::Pin => "pin",
        }
    }

    pub fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn title_ko(self) -> &'static str {
        match self {
            Step::Terms => "약관 동의",
            Step::Identify => "본인 확인 (아이디·주민등록번호)",
            Step::Product => "인증서 종류 선택",
            Step::Select => "대상 인증서 선택",
            Step::Possession => "인증서 확인",
            Step::CheckArs => "ARS 인증",
            Step::CheckSms => "SMS 인증",
            Step::CheckSecurityCard => "보안카드 입력",
            Step::CheckOtp => "OTP 입력",
            Step::CheckSecondFactor => "보안카드·OTP 입력",
            Step::CheckIdCard => "신분증 확인",
            Step::CheckOneWon => "1원 송금 인증",
            Step::Payment => "출금계좌 및 수수료",
            Step::Reason => "폐기 사유",
            Step::Confirm => "최종 확인",
            Step::Csr => "인증서 발급",
            Step::Pin => "금융인증서 비밀번호 등록",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            Step::Terms => "Terms",
            Step::Identify => "Identification (banking ID and RRN)",
            Step::Product => "Certificate product",
            Step::Select => "Which certificate",
            Step::Possession => "Current certificate",
            Step::CheckArs => "ARS phone check",
            Step::CheckSms => "SMS check",
            Step::CheckSecurityCard => "Security card",
            Step::CheckOtp => "OTP",
            Step::CheckSecondFactor => "Security card or OTP",
            Step::CheckIdCard => "ID card check",
            Step::CheckOneWon => "One-won transfer check",
            Step::Payment => "Withdrawal account and fee",
            Step::Reason => "Reason",
            Step::Confirm => "Confirm",
            Step::Csr => "Issue the certificate",
            Step::Pin => "Financial certificate PIN",
        }
    }

    /// Checks that send something or pose a challenge first (`start`), then take the answer.
    pub fn is_challenge(self) -> bool {
        matches!(
            self,
            Step::CheckArs
                | Step::CheckSms
                | Step::CheckSecurityCard
                | Step::CheckOtp
                | Step::CheckSecondFactor
                | Step::CheckIdCard
                | Step::CheckOneWon
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for s in Step::ALL {
            assert_eq!(Step::from_name(s.name()), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::String(s.name().into()))
            );
        }
        assert_eq!(Step::from_name("nonsense"), None);
    }
}
