//! The terms a customer reads and accepts (약관) before a certificate is issued.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Term {
    pub id: &'static str,
    pub title_ko: &'static str,
    pub title_en: &'static str,
    pub mandatory: bool,
    pub text_ko: &'static str,
}

/// The terms of the certificate service, mandatory ones first.
pub const TERMS: &[Term] = &[
    Term {
        id: "electronic-finance",
        title_ko: "전자금융거래 기본약관",
        title_en: "Electronic financial transactions terms",
        mandatory: true,
        text_ko: "이 약관은 은행과 고객 사이의 전자금융거래에 관한 기본적인 사항을 정합니다. 고객은 인증서와 비밀번호 등 접근매체를 타인에게 양도하거나 누설해서는 안 됩니다.",
    },
    Term {
        id: "certificate-service",
        title_ko: "공동인증서 이용약관",
        title_en: "Joint certificate service terms",
        mandatory: true,
        text_ko: "인증서는 본인만 사용할 수 있으며, 분실하거나 유출된 경우 즉시 폐기를 신청해야 합니다. 인증서 비밀번호는 은행도 알 수 없으므로 잊어버린 경우 재발급을 받아야 합니다.",
    },
    Term {
        id: "personal-data-collection",
        title_ko: "개인정보 수집·이용 동의",
        title_en: "Consent to the collection and use of personal data",
        mandatory: true,
        text_ko: "인증서 발급과 관리를 위해 성명, 주민등록번호, 연락처를 수집·이용하며, 인증서 유효기간이 끝난 뒤 관련 법령이 정한 기간 동안 보관합니다.",
    },
    Term {
        id: "personal-data-to-ca",
        title_ko: "개인정보 제3자(인증기관) 제공 동의",
        title_en: "Consent to providing personal data to the certification authority",
        mandatory: true,
        text_ko: "인증서 발급을 위해 성명과 본인확인 정보(VID)를 인증기관에 제공합니다.",
    },
    Term {
        id: "marketing",
        title_ko: "마케팅 정보 수신 동의 (선택)",
        title_en: "Marketing messages (optional)",
        mandatory: false,
        text_ko: "새로운 상품과 서비스 안내를 SMS와 이메일로 받습니다. 동의하지 않아도 인증서를 발급받을 수 있습니다.",
    },
];

/// The mandatory terms missing from `accepted`.
pub fn missing_mandatory(accepted: &[String]) -> Vec<&'static Term> {
    TERMS.iter().filter(|t| t.mandatory && !accepted.iter().any(|a| a == t.id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mandatory_term_must_be_accepted() {
        let all: Vec<String> = TERMS.iter().map(|t| t.id.to_string()).collect();
        assert!(missing_mandatory(&all).is_empty());
        let without_optional: Vec<String> =
            TERMS.iter().filter(|t| t.mandatory).map(|t| t.id.to_string()).collect();
        assert!(missing_mandatory(&without_optional).is_empty());
        assert_eq!(missing_mandatory(&all[1..]).len(), 1);
        assert_eq!(missing_mandatory(&[]).len(), 4);
    }
}
