//! What a flow is for.

use serde::{Deserialize, Serialize};

/// The flows of DESIGN.md's "What the center does".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FlowKind {
    /// 신규 발급.
    Issue,
    /// 재발급: lost, forgotten password, formatted PC. The old certificate is revoked
    /// (superseded) and the new one keeps its end date.
    Reissue,
    /// 갱신: inside the last 30 days, with the current certificate (proof of possession).
    Renew,
    /// 폐기.
    Revoke,
    /// 효력정지 (published as certificateHold).
    Suspend,
    /// 효력회복.
    Resume,
    /// 금융인증서 발급: the key pair is made and kept by the center, unlocked by a PIN.
    FinancialIssue,
    /// 금융인증서 재발급: the identity checks again and a new PIN; it also unlocks a PIN
    /// locked after five wrong tries. The current financial certificate is revoked (superseded).
    FinancialReissue,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Issue => "issue",
            FlowKind::Reissue => "reissue",
            FlowKind::Renew => "renew",
            FlowKind::Revoke => "revoke",
            FlowKind::Suspend => "suspend",
            FlowKind::Resume => "resume",
            FlowKind::FinancialIssue => "financial-issue",
            FlowKind::FinancialReissue => "financial-reissue",
        }
    }

    pub fn korean(self) -> &'static str {
        match self {
            FlowKind::Issue => "인증서 발급",
            FlowKind::Reissue => "인증서 재발급",
            FlowKind::Renew => "인증서 갱신",
            FlowKind::Revoke => "인증서 폐기",
            FlowKind::Suspend => "인증서 효력정지",
            FlowKind::Resume => "인증서 효력회복",
            FlowKind::FinancialIssue => "금융인증서 발급",
            FlowKind::FinancialReissue => "금융인증서 재발급",
        }
    }

    /// Whether the flow ends with a new certificate.
    pub fn issues(self) -> bool {
        matches!(
            self,
            FlowKind::Issue
                | FlowKind::Reissue
                | FlowKind::Renew
                | FlowKind::FinancialIssue
                | FlowKind::FinancialReissue
        )
    }

    /// The financial certificate's flows: the center makes the key, the last step is the PIN.
    pub fn is_financial(self) -> bool {
        matches!(self, FlowKind::FinancialIssue | FlowKind::FinancialReissue)
    }
}

/// How a customer proves it is them when changing a certificate's status: by using the
/// certificate itself (its key and password), or by identity checks (a lost certificate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Certificate,
    Identity,
}
