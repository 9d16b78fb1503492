//! ID cards (신분증) as a customer photographs them in the app (document 003): the kind, the
//! number and the issue date, checked with the issuer (진위확인).

use std::fmt;

use time::Date;
use zeroize::Zeroizing;

/// Which card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdCardKind {
    /// 주민등록증: its number is the RRN.
    Resident,
    /// 운전면허증.
    Driver,
    /// 여권.
    Passport,
}

impl IdCardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdCardKind::Resident => "resident",
            IdCardKind::Driver => "driver",
            IdCardKind::Passport => "passport",
        }
    }

    pub fn korean(self) -> &'static str {
        match self {
            IdCardKind::Resident => "주민등록증",
            IdCardKind::Driver => "운전면허증",
            IdCardKind::Passport => "여권",
        }
    }
}

impl std::str::FromStr for IdCardKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "resident" | "주민등록증" => Ok(IdCardKind::Resident),
            "driver" | "운전면허증" => Ok(IdCardKind::Driver),
            "passport" | "여권" => Ok(IdCardKind::Passport),
            other => Err(format!(
                "unknown ID card kind {other:?}; the kinds are resident (주민등록증), driver (운전면허증), passport (여권)"
            )),
        }
    }
}

/// A card as read from the photo. The number may be the RRN (a resident card), so it is
/// wiped on drop and `Debug` does not show it.
#[derive(Clone)]
pub struct IdCard {
    pub kind: IdCardKind,
    number: Zeroizing<String>,
    pub issue_date: Date,
    /// The holder's name as printed.
    pub holder_name: String,
}

impl IdCard {
    /// The number is kept in its normal form: upper-case letters and digits only, so
    /// `900101-1234567` and `9001011234567`, or `m1234` and `M1234`, are one card.
    pub fn new(kind: IdCardKind, number: &str, issue_date: Date, holder_name: &str) -> IdCard {
        let normal: String = number
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        IdCard {
            kind,
            number: Zeroizing::new(normal),
            issue_date,
            holder_name: holder_name.trim().to_string(),
        }
    }

    /// The normalised number, for the adapter that must send it to the issuer.
    pub fn expose_number(&self) -> &str {
        &self.number
    }
}

impl fmt::Debug for IdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCard")
            .field("kind", &self.kind)
            .field("number", &"<redacted>")
            .field("issue_date", &self.issue_date)
            .field("holder_name", &self.holder_name)
            .finish()
    }
}

/// The issuer's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdCardVerdict {
    /// A valid card with exactly these data (진위확인 일치).
    Genuine,
    /// No card with these data: a wrong number, issue date or name, or an older card replaced
    /// by a reissued one (불일치).
    Mismatch,
    /// The card was reported lost (분실 신고된 신분증).
    ReportedLost,
}
