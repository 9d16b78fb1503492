//! Why a certificate was revoked: the CRLReason codes of RFC 5280 §5.3.1.

use std::fmt;
use std::str::FromStr;

/// A revocation reason. `certificateHold` is how suspension (효력정지) is published; it is the
/// one reason that can be undone (회복).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    PrivilegeWithdrawn,
    AaCompromise,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown revocation reason {0:?}; use one of: {list}", list = RevocationReason::NAMES.join(", "))]
pub struct UnknownReason(pub String);

impl RevocationReason {
    pub const ALL: [RevocationReason; 9] = [
        Self::Unspecified,
        Self::KeyCompromise,
        Self::CaCompromise,
        Self::AffiliationChanged,
        Self::Superseded,
        Self::CessationOfOperation,
        Self::CertificateHold,
        Self::PrivilegeWithdrawn,
        Self::AaCompromise,
    ];
    const NAMES: [&'static str; 9] = [
        "unspecified",
        "keyCompromise",
        "caCompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
        "privilegeWithdrawn",
        "aACompromise",
    ];

    /// The CRLReason code (note: 7 is unused in RFC 5280).
    pub fn code(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::KeyCompromise => 1,
            Self::CaCompromise => 2,
            Self::AffiliationChanged => 3,
            Self::Superseded => 4,
            Self::CessationOfOperation => 5,
            Self::CertificateHold => 6,
            Self::PrivilegeWithdrawn => 9,
            Self::AaCompromise => 10,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The RFC 5280 name, as `openssl` prints and accepts it.
    pub fn name(self) -> &'static str {
        let idx = Self::ALL.iter().position(|r| *r == self).unwrap_or(0);
        Self::NAMES[idx]
    }

    /// What a Korean customer reads.
    pub fn korean(self) -> &'static str {
        match self {
            Self::Unspecified => "사유 없음",
            Self::KeyCompromise => "개인키 유출",
            Self::CaCompromise => "인증기관 키 유출",
            Self::AffiliationChanged => "소속 변경",
            Self::Superseded => "재발급으로 대체",
            Self::CessationOfOperation => "사용 중지",
            Self::CertificateHold => "효력정지",
            Self::PrivilegeWithdrawn => "권한 철회",
            Self::AaCompromise => "속성기관 키 유출",
        }
    }
}

impl FromStr for RevocationReason {
    type Err = UnknownReason;

    /// Accepts the RFC names in any case, with or without `-`/`_` (`key-compromise`,
    /// `KEY_COMPROMISE`, `keyCompromise`), and the numeric code.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String =
            s.trim().chars().filter(|c| *c != '-' && *c != '_').collect::<String>().to_lowercase();
        if let Ok(code) = norm.parse::<u8>() {
            return Self::from_code(code).ok_or_else(|| UnknownReason(s.to_string()));
        }
        Self::ALL
            .into_iter()
            .find(|r| r.name().to_lowercase() == norm)
            .ok_or_else(|| UnknownReason(s.to_string()))
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_spellings_round_trip() {
        for r in RevocationReason::ALL {
            assert_eq!(RevocationReason::from_code(r.code()), Some(r));
            assert_eq!(r.name().parse::<RevocationReason>(), Ok(r));
        }
        assert_eq!("key-compromise".parse(), Ok(RevocationReason::KeyCompromise));
        assert_eq!("SUPERSEDED".parse(), Ok(RevocationReason::Superseded));
        assert_eq!("6".parse(), Ok(RevocationReason::CertificateHold));
        assert!("7".parse::<RevocationReason>().is_err());
        let err = "lost".parse::<RevocationReason>().expect_err("unknown");
        assert!(err.to_string().contains("keyCompromise"));
    }
}
