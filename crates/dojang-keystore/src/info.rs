//! What a customer wants to know about a certificate: whose it is, who issued it, which
//! product, its serial, and how long it is still good for.

use std::fmt;
use std::sync::Arc;

use const_oid::ObjectIdentifier;
use der::Decode;
use dojang_pki::Serial;
use time::OffsetDateTime;
use x509_cert::ext::pkix::CertificatePolicies;
use x509_cert::Certificate;

/// From 30 days before expiry a certificate may be renewed (document 002) and the customer is
/// reminded (document 004); `list` flags it.
pub const RENEWAL_WINDOW_DAYS: i64 = 30;

/// A product's display names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductName {
    /// dojang's product id (`personal-bank`…) when it is one of ours.
    pub id: Option<String>,
    pub ko: String,
    pub en: String,
}

/// Maps a certificate-policy OID to a product. The CLI passes one built from the center's
/// product catalogue; [`default_products`] knows dojang's defaults and the public OIDs of
/// NPKI-NOTES.md.
pub type ProductLookup = Arc<dyn Fn(&ObjectIdentifier) -> Option<ProductName> + Send + Sync>;

/// dojang's default catalogue, then the yessign policy OIDs seen in the wild for products the
/// catalogue does not carry.
pub fn default_products() -> ProductLookup {
    let catalog = dojang_profile::Catalog::defaults();
    Arc::new(move |oid| {
        if let Some(p) = catalog.by_policy(oid) {
            return Some(ProductName {
                id: Some(p.id.as_str().to_string()),
                ko: p.name_ko.clone(),
                en: p.name_en.clone(),
            });
        }
        let (ko, en) = match oid.to_string().as_str() {
            "1.2.410.200005.1.1.2" => {
                ("기업뱅킹용 공동인증서 (법인)", "Joint certificate, corporate banking")
            }
            "1.2.410.200005.1.1.6.2" => {
                ("신용카드용 공동인증서", "Joint certificate, credit-card use")
            }
            _ => return None,
        };
        Some(ProductName { id: None, ko: ko.into(), en: en.into() })
    })
}

/// The parsed facts of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject in the Korean text form (`cn=…,ou=…,o=…,c=kr`).
    pub subject: String,
    /// Issuer in the same form.
    pub issuer: String,
    pub serial: Serial,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Certificate-policy OIDs, in certificate order.
    pub policies: Vec<ObjectIdentifier>,
    /// The product of the first policy the lookup knows.
    pub product: Option<ProductName>,
}

/// Where a certificate stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    NotYetValid,
    Valid {
        days_left: i64,
    },
    /// Within [`RENEWAL_WINDOW_DAYS`] of the end: renew now.
    ExpiringSoon {
        days_left: i64,
    },
    Expired {
        days_ago: i64,
    },
}

impl Validity {
    /// Needs the customer's attention (renew or reissue).
    pub fn is_flagged(self) -> bool {
        matches!(self, Validity::ExpiringSoon { .. } | Validity::Expired { .. })
    }
}

/// Why a certificate could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertParseError {
    #[error("not DER X.509: {0}")]
    Der(String),
    #[error("bad serial number: {0}")]
    Serial(String),
    #[error("validity dates out of range")]
    Time,
    #[error("bad certificate-policies extension: {0}")]
    Policies(String),
}

impl CertInfo {
    /// Parses `der`; products are named by `products`.
    pub fn parse(der: &[u8], products: &ProductLookup) -> Result<Self, CertParseError> {
        let cert = Certificate::from_der(der).map_err(|e| CertParseError::Der(e.to_string()))?;
        let tbs = &cert.tbs_certificate;
        let serial = Serial::from_x509(&tbs.serial_number)
            .map_err(|e| CertParseError::Serial(e.to_string()))?;
        let time = |t: x509_cert::time::Time| {
            let secs =
                i64::try_from(t.to_unix_duration().as_secs()).map_err(|_| CertParseError::Time)?;
            OffsetDateTime::from_unix_timestamp(secs).map_err(|_| CertParseError::Time)
        };
        let mut policies = Vec::new();
        for ext in tbs.extensions.iter().flatten() {
            if ext.extn_id == const_oid::db::rfc5280::ID_CE_CERTIFICATE_POLICIES {
                let cp = CertificatePolicies::from_der(ext.extn_value.as_bytes())
                    .map_err(|e| CertParseError::Policies(e.to_string()))?;
                policies.extend(cp.0.iter().map(|p| p.policy_identifier));
            }
        }
        let product = policies.iter().find_map(|p| products(p));
        Ok(CertInfo {
            subject: dojang_profile::name::korean_text(&tbs.subject),
            issuer: dojang_profile::name::korean_text(&tbs.issuer),
            serial,
            not_before: time(tbs.validity.not_before)?,
            not_after: time(tbs.validity.not_after)?,
            policies,
            product,
        })
    }

    /// Whole days until `not_after` (negative once expired; 0 on the last day).
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days()
    }

    pub fn validity(&self, now: OffsetDateTime) -> Validity {
        if now < self.not_before {
            Validity::NotYetValid
        } else if now >= self.not_after {
            Validity::Expired { days_ago: (now - self.not_after).whole_days() }
        } else {
            let days_left = self.days_left(now);
            if days_left < RENEWAL_WINDOW_DAYS {
                Validity::ExpiringSoon { days_left }
            } else {
                Validity::Valid { days_left }
            }
        }
    }

    /// The CN of the subject, the name people recognise (`홍길동()0011234567890123`).
    pub fn common_name(&self) -> &str {
        self.subject.split(',').find_map(|p| p.strip_prefix("cn=")).unwrap_or(&self.subject)
    }
}

impl fmt::Display for CertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (serial {})", self.subject, self.serial)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn info(not_before: OffsetDateTime, not_after: OffsetDateTime) -> CertInfo {
        CertInfo {
            subject: "cn=홍길동()0011234567890123,ou=BANK,ou=personal4IB,o=yessign,c=kr".into(),
            issuer: "cn=yessignCA Class 1,ou=AccreditedCA,o=yessign,c=kr".into(),
            serial: "0A1B".parse().unwrap(),
            not_before,
            not_after,
            policies: vec![],
            product: None,
        }
    }

    #[test]
    fn validity_and_the_30_day_flag() {
        let c = info(datetime!(2024-01-01 0:00 UTC), datetime!(2026-01-01 0:00 UTC));
        assert_eq!(c.validity(datetime!(2023-12-31 0:00 UTC)), Validity::NotYetValid);
        assert_eq!(c.validity(datetime!(2025-01-01 0:00 UTC)), Validity::Valid { days_left: 365 });
        assert_eq!(c.validity(datetime!(2025-12-02 0:00 UTC)), Validity::Valid { days_left: 30 });
        let soon = c.validity(datetime!(2025-12-02 0:00:01 UTC));
        assert_eq!(soon, Validity::ExpiringSoon { days_left: 29 });
        assert!(soon.is_flagged());
        assert_eq!(
            c.validity(datetime!(2025-12-31 23:00 UTC)),
            Validity::ExpiringSoon { days_left: 0 }
        );
        let gone = c.validity(datetime!(2026-01-03 0:00 UTC));
        assert_eq!(gone, Validity::Expired { days_ago: 2 });
        assert!(gone.is_flagged());
        assert_eq!(c.common_name(), "홍길동()0011234567890123");
    }

    #[test]
    fn products_from_policy_oids() {
        let p = default_products();
        let bank = p(&ObjectIdentifier::new_unwrap("1.2.410.200005.1.1.4")).unwrap();
        assert_eq!(bank.id.as_deref(), Some("personal-bank"));
        let card = p(&ObjectIdentifier::new_unwrap("1.2.410.200005.1.1.6.2")).unwrap();
        assert_eq!(card.id, None);
        assert!(card.en.contains("credit-card"));
        assert_eq!(p(&ObjectIdentifier::new_unwrap("1.2.3.4")), None);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            CertInfo::parse(b"nope", &default_products()),
            Err(CertParseError::Der(_))
        ));
    }
}
