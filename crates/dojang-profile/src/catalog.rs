//! The catalogue of products with the defaults of the source documents, and the operator's
//! changes to them.

use const_oid::ObjectIdentifier;
use dojang_pki::KeyType;

use crate::product::{FeePeriod, HolderKind, KeyLocation, Product, ProductId, UnknownProduct};

/// Validity bounds an operator may configure: one to three years (DESIGN.md).
pub const MIN_VALIDITY_DAYS: u32 = 365;
pub const MAX_VALIDITY_DAYS: u32 = 1095;

/// An operator's change to one product; absent fields keep the default.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProductOverride {
    pub validity_days: Option<u32>,
    pub fee_krw: Option<u64>,
    pub policy_oid: Option<String>,
    pub subject_ou: Option<String>,
    pub key_types: Option<Vec<KeyType>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    #[error(transparent)]
    UnknownProduct(#[from] UnknownProduct),
    #[error("product {product}: validity of {days} days is outside {MIN_VALIDITY_DAYS}..={MAX_VALIDITY_DAYS} (one to three years)")]
    Validity { product: ProductId, days: u32 },
    #[error("product {product}: policy OID {oid:?} is not a dotted object identifier such as 1.2.410.200005.1.1.4")]
    PolicyOid { product: ProductId, oid: String },
    #[error("product {product}: subject OU must be 1 to 64 letters, digits or . - _")]
    SubjectOu { product: ProductId },
    #[error("product {product}: at least one key type is needed")]
    NoKeyTypes { product: ProductId },
}

/// All products, in the order a customer sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    products: Vec<Product>,
}

/// Policy OIDs Korean software recognises for the same products (NPKI-NOTES.md).
const POLICY_PERSONAL_BANK: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.410.200005.1.1.4");
const POLICY_PERSONAL_GENERAL: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.410.200005.1.1.1");
const POLICY_CORPORATE_GENERAL: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.410.200005.1.1.5");
/// For products with no OID in common use the defaults sit under IANA's documentation arc
/// (enterprise number 32473, RFC 5612): a bank must set its own CA's arc in configuration.
const POLICY_LIMITED: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.3");
const POLICY_FINANCIAL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.5");

impl Catalog {
    /// The defaults of DESIGN.md. Policy OIDs of the joint products are the ones Korean
    /// software recognises for the same products (NPKI-NOTES.md); validity is two years.
    pub fn defaults() -> Self {
        let both = vec![KeyType::Rsa2048, KeyType::EcdsaP256];
        let products = vec![
            Product {
                id: ProductId::PersonalBank,
                name_ko: "공동인증서 (은행·신용카드·보험용)".into(),
                name_en: "Joint certificate (banking, cards, insurance)".into(),
                holder: HolderKind::Person,
                key_location: KeyLocation::CustomerDevice,
                fee_krw: 0,
                fee_period: FeePeriod::PerIssue,
                validity_days: 730,
                policy_oid: POLICY_PERSONAL_BANK,
                subject_ou: "personal4IB".into(),
                key_types: both.clone(),
                usable_at_ko: "은행, 신용카드, 보험".into(),
                usable_at_en: "banking, cards, insurance".into(),
            },
            Product {
                id: ProductId::PersonalGeneral,
                name_ko: "범용 공동인증서 (개인)".into(),
                name_en: "Joint certificate, general purpose (personal)".into(),
                holder: HolderKind::Person,
                key_location: KeyLocation::CustomerDevice,
                fee_krw: 4_400,
                fee_period: FeePeriod::PerIssue,
                validity_days: 730,
                policy_oid: POLICY_PERSONAL_GENERAL,
                subject_ou: "personal".into(),
                key_types: both.clone(),
                usable_at_ko: "모든 기관 (은행, 증권, 보험, 정부·공공기관 등)".into(),
                usable_at_en: "everywhere (banks, securities, insurance, government)".into(),
            },
            Product {
                id: ProductId::Limited,
                name_ko: "용도제한 공동인증서 (특화)".into(),
                name_en: "Joint certificate, purpose-limited".into(),
                holder: HolderKind::PersonOrBusiness,
                key_location: KeyLocation::CustomerDevice,
                fee_krw: 0,
                fee_period: FeePeriod::PerIssue,
                validity_days: 730,
                policy_oid: POLICY_LIMITED,
                subject_ou: "limited".into(),
                key_types: both.clone(),
                usable_at_ko: "지정된 사이트·용도만 (예: 전자세금계산서)".into(),
                usable_at_en: "only the named site or use (e.g. tax invoices)".into(),
            },
            Product {
                id: ProductId::CorporateGeneral,
                name_ko: "범용 공동인증서 (법인)".into(),
                name_en: "Joint certificate, general purpose (corporate)".into(),
                holder: HolderKind::Business,
                key_location: KeyLocation::CustomerDevice,
                fee_krw: 110_000,
                fee_period: FeePeriod::PerYear,
                validity_days: 730,
                policy_oid: POLICY_CORPORATE_GENERAL,
                subject_ou: "corporation".into(),
                key_types: both.clone(),
                usable_at_ko: "모든 기관 (법인)".into(),
                usable_at_en: "everywhere (corporate)".into(),
            },
            Product {
                id: ProductId::Financial,
                name_ko: "금융인증서".into(),
                name_en: "Financial certificate (cloud)".into(),
                holder: HolderKind::Person,
                key_location: KeyLocation::BankCloud,
                fee_krw: 0,
                fee_period: FeePeriod::PerIssue,
                validity_days: 730,
                policy_oid: POLICY_FINANCIAL,
                subject_ou: "personal4FC".into(),
                key_types: both,
                usable_at_ko: "모든 은행 (클라우드 보관, PIN 6자리)".into(),
                usable_at_en: "any bank (kept in the cloud, 6-digit PIN)".into(),
            },
        ];
        Catalog { products }
    }

    /// The defaults with the operator's overrides applied, each checked.
    pub fn with_overrides<'a>(
        overrides: impl IntoIterator<Item = (&'a str, &'a ProductOverride)>,
    ) -> Result<Self, CatalogError> {
        let mut catalog = Self::defaults();
        for (id, o) in overrides {
            let id: ProductId = id.parse()?;
            let Some(p) = catalog.products.iter_mut().find(|p| p.id == id) else { continue };
            if let Some(days) = o.validity_days {
                if !(MIN_VALIDITY_DAYS..=MAX_VALIDITY_DAYS).contains(&days) {
                    return Err(CatalogError::Validity { product: id, days });
                }
                p.validity_days = days;
            }
            if let Some(fee) = o.fee_krw {
                p.fee_krw = fee;
            }
            if let Some(s) = &o.policy_oid {
                p.policy_oid = ObjectIdentifier::new(s)
                    .map_err(|_| CatalogError::PolicyOid { product: id, oid: s.clone() })?;
            }
            if let Some(ou) = &o.subject_ou {
                let ok = !ou.is_empty()
                    && ou.len() <= 64
                    && ou.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
                if !ok {
                    return Err(CatalogError::SubjectOu { product: id });
                }
                p.subject_ou = ou.clone();
            }
            if let Some(kt) = &o.key_types {
                if kt.is_empty() {
                    return Err(CatalogError::NoKeyTypes { product: id });
                }
                p.key_types = kt.clone();
            }
        }
        Ok(catalog)
    }

    pub fn get(&self, id: ProductId) -> &Product {
        // Every ProductId is in every catalogue: `defaults` lists all five and overrides only
        // change fields. The index search cannot fail.
        self.products.iter().find(|p| p.id == id).unwrap_or(&self.products[0])
    }

    pub fn all(&self) -> &[Product] {
        &self.products
    }

    /// The product whose policy OID a certificate carries.
    pub fn by_policy(&self, oid: &ObjectIdentifier) -> Option<&Product> {
        self.products.iter().find(|p| &p.policy_oid == oid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_every_product_with_two_years_and_distinct_oids() {
        let c = Catalog::defaults();
        for id in ProductId::ALL {
            let p = c.get(id);
            assert_eq!(p.id, id);
            assert_eq!(p.validity_days, 730);
            assert_eq!(c.by_policy(&p.policy_oid).map(|q| q.id), Some(id));
        }
        assert_eq!(c.get(ProductId::PersonalGeneral).fee_krw, 4_400);
        assert_eq!(c.get(ProductId::CorporateGeneral).fee_for(730), 220_000);
        assert_eq!(c.get(ProductId::PersonalBank).fee_for(730), 0);
    }

    #[test]
    fn overrides_apply_and_are_checked() {
        let good = ProductOverride { validity_days: Some(1095), ..Default::default() };
        let c = Catalog::with_overrides([("personal-bank", &good)]).expect("valid");
        assert_eq!(c.get(ProductId::PersonalBank).validity_days, 1095);

        let long = ProductOverride { validity_days: Some(2000), ..Default::default() };
        assert_eq!(
            Catalog::with_overrides([("limited", &long)]),
            Err(CatalogError::Validity { product: ProductId::Limited, days: 2000 })
        );
        let bad_oid = ProductOverride { policy_oid: Some("x.y".into()), ..Default::default() };
        assert!(matches!(
            Catalog::with_overrides([("financial", &bad_oid)]),
            Err(CatalogError::PolicyOid { .. })
        ));
        assert!(matches!(
            Catalog::with_overrides([("gold", &good)]),
            Err(CatalogError::UnknownProduct(_))
        ));
    }
}
