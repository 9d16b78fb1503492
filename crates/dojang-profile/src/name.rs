//! Distinguished names: building them, reading their strings, and printing them in the form
//! Korean software uses (`cn=홍길동()0011234567890123,ou=BANK,ou=personal4IB,o=yessign,c=kr`).

use const_oid::db::rfc4519;
use const_oid::ObjectIdentifier;
use der::asn1::{Any, PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("name attribute value {0:?} cannot be encoded")]
pub struct BadAttribute(pub String);

/// Builds a name from RDNs listed from the root down (`C` first, `CN` last), one attribute per
/// RDN. `C` is a PrintableString, as RFC 5280 requires; the others are UTF8String, which
/// Korean names need.
pub fn build(rdns: &[(ObjectIdentifier, &str)]) -> Result<Name, BadAttribute> {
    let mut seq = Vec::with_capacity(rdns.len());
    for (oid, value) in rdns {
        let any = if *oid == rfc4519::C {
            PrintableStringRef::new(value).and_then(|s| Any::encode_from(&s))
        } else {
            Utf8StringRef::new(value).and_then(|s| Any::encode_from(&s))
        }
        .map_err(|_| BadAttribute((*value).to_string()))?;
        let atv = AttributeTypeAndValue { oid: *oid, value: any };
        let set = SetOfVec::try_from(vec![atv]).map_err(|_| BadAttribute((*value).to_string()))?;
        seq.push(RelativeDistinguishedName(set));
    }
    Ok(RdnSequence(seq))
}

/// The text of a directory string, whichever string type the encoder chose.
pub fn attr_string(value: &Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => {
            std::str::from_utf8(bytes).ok().map(str::to_string)
        }
        // T.61 in practice carries Latin-1.
        Tag::TeletexString => Some(bytes.iter().map(|b| char::from(*b)).collect()),
        Tag::BmpString => {
            if !bytes.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> =
                bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// `cn`, `ou`, `o`, `c`…, or the dotted OID for attributes without a short name.
pub fn short_name(oid: &ObjectIdentifier) -> String {
    match *oid {
        o if o == rfc4519::CN => "cn".into(),
        o if o == rfc4519::OU => "ou".into(),
        o if o == rfc4519::O => "o".into(),
        o if o == rfc4519::C => "c".into(),
        o if o == rfc4519::L => "l".into(),
        o if o == rfc4519::ST => "st".into(),
        o if o == rfc4519::SERIAL_NUMBER => "serialNumber".into(),
        other => other.to_string(),
    }
}

/// The Korean-software text form: leaf RDN first, lower-case attribute names, `,` between.
/// Values are printed as they are (Korean software does not escape), so this is for display
/// and folder names, not for parsing back.
pub fn korean_text(name: &Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.0.iter().rev() {
        for atv in rdn.0.iter() {
            let value = attr_string(&atv.value).unwrap_or_else(|| "?".into());
            let key = short_name(&atv.oid);
            let value = if atv.oid == rfc4519::C { value.to_lowercase() } else { value };
            parts.push(format!("{key}={value}"));
        }
    }
    parts.join(",")
}

/// The first value of `oid` in the name, if any (e.g. the CN).
pub fn first(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|a| a.oid == oid)
        .and_then(|a| attr_string(&a.value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    #[test]
    fn builds_and_prints_the_korean_form() {
        let name = build(&[
            (rfc4519::C, "KR"),
            (rfc4519::O, "yessign"),
            (rfc4519::OU, "personal4IB"),
            (rfc4519::OU, "BANK"),
            (rfc4519::CN, "홍길동()0011234567890123"),
        ])
        .expect("valid");
        assert_eq!(
            korean_text(&name),
            "cn=홍길동()0011234567890123,ou=BANK,ou=personal4IB,o=yessign,c=kr"
        );
        let der = name.to_der().expect("encodes");
        let back = Name::from_der(&der).expect("decodes");
        assert_eq!(first(&back, rfc4519::CN).as_deref(), Some("홍길동()0011234567890123"));
        assert_eq!(back.0[0].0.get(0).map(|a| a.value.tag()), Some(Tag::PrintableString));
    }

    #[test]
    fn a_country_that_is_not_printable_is_refused() {
        assert!(build(&[(rfc4519::C, "한국")]).is_err());
    }
}
