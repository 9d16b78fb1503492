//! The certificate products a bank offers (인증서 종류).

use std::fmt;
use std::str::FromStr;

use const_oid::ObjectIdentifier;
use dojang_pki::KeyType;

/// The product ids of DESIGN.md. Configuration can change a product's terms, not the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProductId {
    /// 은행·신용카드·보험용 공동인증서: joint certificate for banking, cards and insurance.
    PersonalBank,
    /// 범용 공동인증서: joint certificate usable everywhere.
    PersonalGeneral,
    /// 용도제한(특화) 공동인증서: limited to a named site or use.
    Limited,
    /// 법인 범용 공동인증서: corporate, usable everywhere.
    CorporateGeneral,
    /// 금융인증서: cloud-held, unlocked by a PIN.
    Financial,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown product {0:?}; the products are: personal-bank, personal-general, limited, corporate-general, financial")]
pub struct UnknownProduct(pub String);

impl ProductId {
    pub const ALL: [ProductId; 5] = [
        Self::PersonalBank,
        Self::PersonalGeneral,
        Self::Limited,
        Self::CorporateGeneral,
        Self::Financial,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PersonalBank => "personal-bank",
            Self::PersonalGeneral => "personal-general",
            Self::Limited => "limited",
            Self::CorporateGeneral => "corporate-general",
            Self::Financial => "financial",
        }
    }
}

impl FromStr for ProductId {
    type Err = UnknownProduct;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| UnknownProduct(s.to_string()))
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ProductId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ProductId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Who may hold a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolderKind {
    Person,
    Business,
    PersonOrBusiness,
}

impl HolderKind {
    pub fn allows_person(self) -> bool {
        matches!(self, Self::Person | Self::PersonOrBusiness)
    }
}

/// Where the private key lives: on the customer's device (joint certificates, NPKI files) or in
/// the bank's cloud (the financial certificate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyLocation {
    CustomerDevice,
    BankCloud,
}

/// How the fee is charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeePeriod {
    /// Once per issuance.
    PerIssue,
    /// Per year of validity (corporate products).
    PerYear,
}

/// A product's terms. Built from the defaults in [`crate::Catalog`] and the operator's
/// configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub name_ko: String,
    pub name_en: String,
    pub holder: HolderKind,
    pub key_location: KeyLocation,
    pub fee_krw: u64,
    pub fee_period: FeePeriod,
    /// Validity in days: 365 to 1,095 (one to three years).
    pub validity_days: u32,
    /// The certificate-policy OID that marks a certificate as this product.
    pub policy_oid: ObjectIdentifier,
    /// The product OU in the subject (e.g. `personal4IB`), which Korean software reads too.
    pub subject_ou: String,
    pub key_types: Vec<KeyType>,
    pub usable_at_ko: String,
    pub usable_at_en: String,
}

impl Product {
    /// The fee for one issuance of `validity_days`.
    pub fn fee_for(&self, validity_days: u32) -> u64 {
        match self.fee_period {
            FeePeriod::PerIssue => self.fee_krw,
            // Charged per started year, as banks price corporate certificates.
            FeePeriod::PerYear => self.fee_krw * u64::from(validity_days.div_ceil(365)),
        }
    }
}
