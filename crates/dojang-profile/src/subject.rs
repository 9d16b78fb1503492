//! The subject rules: a certificate's subject must be in the Korean form for its product,
//! `c=KR, o=<CA organisation>, ou=<product OU>, ou=<bank OU>, cn=<name>()<holder number>`.

use const_oid::db::rfc4519;
use x509_cert::name::Name;

#[cfg(test)]
use crate::name::korean_text;
use crate::name::{attr_string, build, short_name, BadAttribute};
use crate::product::Product;

/// The parts of the subject that are the CA's, not the customer's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectRules {
    /// `o=` of every subject, the CA's organisation (e.g. `yessign`; ours defaults to `dojang`).
    pub organization: String,
    /// The bank's own `ou=` (e.g. `BANK`, `KBSTAR`).
    pub bank_ou: String,
}

/// What a subject says about its holder, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// The real name (실명) or company name, as written before `()`.
    pub name: String,
    /// The holder's number after `()`, which the CA assigns.
    pub number: String,
}

/// Why a subject does not fit the product. Each says what was expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubjectError {
    #[error("the subject has {0} parts; a {product} certificate's subject is c=KR, o={org}, ou={pou}, ou={bou}, cn=<name>()<number>", product = .1, org = .2, pou = .3, bou = .4)]
    Shape(usize, String, String, String, String),
    #[error("subject part {position} should be {expected} but is {found}")]
    Attribute { position: usize, expected: String, found: String },
    #[error("the subject's common name {0:?} is not <name>()<number>: a name of 1 to 64 characters, then \"()\", then 10 to 30 digits")]
    CommonName(String),
    #[error("a subject part has more than one value; use one attribute per part")]
    MultiValued,
    #[error("a subject part is not a text string")]
    NotText,
    #[error(transparent)]
    Encoding(#[from] BadAttribute),
}

impl SubjectRules {
    /// The subject the CA makes for a holder of `product`.
    pub fn subject_for(&self, product: &Product, holder: &Holder) -> Result<Name, SubjectError> {
        let cn = format!("{}(){}", holder.name, holder.number);
        check_common_name(&cn)?;
        Ok(build(&[
            (rfc4519::C, "KR"),
            (rfc4519::O, &self.organization),
            (rfc4519::OU, &product.subject_ou),
            (rfc4519::OU, &self.bank_ou),
            (rfc4519::CN, &cn),
        ])?)
    }

    /// Checks a requested subject (from a CSR) against `product` and returns its holder.
    pub fn check(&self, product: &Product, subject: &Name) -> Result<Holder, SubjectError> {
        let expected: [(const_oid::ObjectIdentifier, &str, Option<&str>); 5] = [
            (rfc4519::C, "c=KR", Some("KR")),
            (rfc4519::O, "o", Some(&self.organization)),
            (rfc4519::OU, "ou", Some(&product.subject_ou)),
            (rfc4519::OU, "ou", Some(&self.bank_ou)),
            (rfc4519::CN, "cn=<name>()<number>", None),
        ];
        if subject.0.len() != expected.len() {
            return Err(SubjectError::Shape(
                subject.0.len(),
                product.id.to_string(),
                self.organization.clone(),
                product.subject_ou.clone(),
                self.bank_ou.clone(),
            ));
        }
        let mut cn = String::new();
        for (i, (rdn, (oid, label, value))) in subject.0.iter().zip(expected.iter()).enumerate() {
            let [atv] = rdn.0.as_slice() else { return Err(SubjectError::MultiValued) };
            let text = attr_string(&atv.value).ok_or(SubjectError::NotText)?;
            let fits = atv.oid == *oid
                && match value {
                    Some(v) if *oid == rfc4519::C => text.eq_ignore_ascii_case(v),
                    Some(v) => text == *v,
                    None => true,
                };
            if !fits {
                // Said only when refused: a subject that fits costs no text.
                let expected = match value {
                    Some(v) if *oid == rfc4519::C => format!("c={v}"),
                    Some(v) => format!("{label}={v}"),
                    None => (*label).to_string(),
                };
                let found = format!("{}={}", short_name(&atv.oid), text);
                return Err(SubjectError::Attribute { position: i + 1, expected, found });
            }
            if value.is_none() {
                cn = text;
            }
        }
        check_common_name(&cn)
    }
}

/// Splits and checks `<name>()<number>`.
fn check_common_name(cn: &str) -> Result<Holder, SubjectError> {
    let bad = || SubjectError::CommonName(cn.to_string());
    let (name, number) = cn.rsplit_once("()").ok_or_else(bad)?;
    let name_ok = (1..=64).contains(&name.chars().count())
        && !name.contains("()")
        && name.chars().all(|c| !c.is_control())
        && name.trim() == name;
    let number_ok = (10..=30).contains(&number.len()) && number.chars().all(|c| c.is_ascii_digit());
    if name_ok && number_ok {
        Ok(Holder { name: name.to_string(), number: number.to_string() })
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::product::ProductId;

    fn rules() -> SubjectRules {
        SubjectRules { organization: "dojang".into(), bank_ou: "DOJANGBANK".into() }
    }

    #[test]
    fn the_subject_the_ca_makes_passes_its_own_check() {
        let catalog = Catalog::defaults();
        let p = catalog.get(ProductId::PersonalBank);
        let holder = Holder { name: "홍길동".into(), number: "0011234567890123".into() };
        let subject = rules().subject_for(p, &holder).expect("valid");
        assert_eq!(
            korean_text(&subject),
            "cn=홍길동()0011234567890123,ou=DOJANGBANK,ou=personal4IB,o=dojang,c=kr"
        );
        assert_eq!(rules().check(p, &subject), Ok(holder));
    }

    #[test]
    fn wrong_product_ou_names_what_was_expected() {
        let catalog = Catalog::defaults();
        let holder = Holder { name: "홍길동".into(), number: "0011234567890123".into() };
        let subject =
            rules().subject_for(catalog.get(ProductId::PersonalBank), &holder).expect("valid");
        let err =
            rules().check(catalog.get(ProductId::PersonalGeneral), &subject).expect_err("wrong ou");
        assert_eq!(err.to_string(), "subject part 3 should be ou=personal but is ou=personal4IB");
    }

    #[test]
    fn common_names_are_checked() {
        for bad in [
            "홍길동",
            "()0011234567890123",
            "홍길동()12",
            "홍길동()00112345678901x3",
            " 홍()0011234567",
        ] {
            assert!(check_common_name(bad).is_err(), "{bad} accepted");
        }
        assert!(check_common_name("(주)도장은행()0011234567890").is_ok());
    }

    #[test]
    fn a_subject_of_another_shape_is_refused() {
        let subject = build(&[(rfc4519::CN, "hong")]).expect("valid");
        let catalog = Catalog::defaults();
        let err = rules().check(catalog.get(ProductId::PersonalBank), &subject).expect_err("shape");
        assert!(err.to_string().contains("c=KR, o=dojang, ou=personal4IB, ou=DOJANGBANK"), "{err}");
    }
}
