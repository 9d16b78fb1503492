//! The decrypted content of a key file: a PKCS#8 PrivateKeyInfo, with the Korean `randomNum`
//! attribute that carries the VID random value R.
//!
//! ```text
//! PrivateKeyInfo ::= SEQUENCE {
//!     version              INTEGER (0 | 1),
//!     privateKeyAlgorithm  AlgorithmIdentifier,
//!     privateKey           OCTET STRING,
//!     attributes       [0] IMPLICIT SET OF Attribute OPTIONAL,   -- randomNum lives here
//!     publicKey        [1] IMPLICIT BIT STRING OPTIONAL }         -- RFC 5958 v2 only
//! randomNum attribute ::= SEQUENCE { OID 1.2.410.200004.10.1.1.3, SET { BIT STRING R } }
//! ```
//!
//! The DER bytes are kept exactly as decrypted, so a password change re-encrypts the very
//! same PrivateKeyInfo and R survives byte for byte. The parser is deliberately tolerant of
//! what we do not interpret (attribute order, other attributes): its job is to recognise a
//! private key, which is also how a wrong password is told from a right one.

use std::fmt;

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, BitStringRef, OctetStringRef};
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use spki::AlgorithmIdentifierRef;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::oid;
use super::KeyFileError;
use crate::der_util::{concat, der_set_order, tlv};

/// A PKCS#8 PrivateKeyInfo (DER), wiped from memory when dropped.
///
/// `Debug` names the key algorithm and whether R is present, never key bytes.
#[derive(Clone)]
pub struct PrivateKey {
    der: Zeroizing<Vec<u8>>,
    algorithm: ObjectIdentifier,
    /// Where R sits inside `der`, if the key has a `randomNum` attribute.
    random_num: Option<(usize, usize)>,
}

/// The fields of a PrivateKeyInfo as slices of the input.
struct Fields<'a> {
    /// The `version`, `privateKeyAlgorithm` and `privateKey` TLVs, back to back.
    head: [&'a [u8]; 3],
    algorithm: ObjectIdentifier,
    /// The content of `[0] attributes`, if present.
    attributes: Option<&'a [u8]>,
    /// The context-specific fields after the attributes (`[1] publicKey`, future ones), as
    /// TLVs in file order.
    tail: Vec<&'a [u8]>,
}

struct Attribute<'a> {
    tlv: &'a [u8],
    oid: ObjectIdentifier,
    /// For a well-formed `randomNum`: R.
    random_num: Option<&'a [u8]>,
}

const ATTRIBUTES_TAG: Tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N0 };

/// Checks the structure that makes the bytes a private key (version, algorithm, non-empty
/// key) strictly and the optional fields only as TLVs: a key whose attributes we do not
/// understand is still a key, not a wrong password.
fn parse(der: &[u8]) -> der::Result<Fields<'_>> {
    let mut reader = SliceReader::new(der)?;
    let fields = reader.sequence(|r| {
        let version_tlv = r.tlv_bytes()?;
        let version = u8::from_der(version_tlv)?;
        if version > 1 {
            return Err(Tag::Integer.value_error());
        }
        let algorithm_tlv = r.tlv_bytes()?;
        let algorithm = AlgorithmIdentifierRef::from_der(algorithm_tlv)?.oid;
        let key_tlv = r.tlv_bytes()?;
        if OctetStringRef::from_der(key_tlv)?.is_empty() {
            return Err(Tag::OctetString.length_error());
        }
        let mut fields = Fields {
            head: [version_tlv, algorithm_tlv, key_tlv],
            algorithm,
            attributes: None,
            tail: Vec::new(),
        };
        while !r.is_finished() {
            let tlv = r.tlv_bytes()?;
            let field = AnyRef::from_der(tlv)?;
            match field.tag() {
                ATTRIBUTES_TAG if fields.attributes.is_none() && fields.tail.is_empty() => {
                    fields.attributes = Some(field.value());
                }
                Tag::ContextSpecific { number, .. } if number != TagNumber::N0 => {
                    fields.tail.push(tlv);
                }
                other => return Err(other.unexpected_error(None)),
            }
        }
        Ok(fields)
    })?;
    reader.finish(fields)
}

/// The Attributes inside `[0]`: `SEQUENCE { type OID, values SET OF ANY }` each.
fn parse_attributes(content: &[u8]) -> der::Result<Vec<Attribute<'_>>> {
    let mut reader = SliceReader::new(content)?;
    let mut attributes = Vec::new();
    while !reader.is_finished() {
        let tlv = reader.tlv_bytes()?;
        let (oid, values) = AnyRef::from_der(tlv)?.sequence(|r| {
            let oid: ObjectIdentifier = r.decode()?;
            let values: AnyRef<'_> = r.decode()?;
            values.tag().assert_eq(Tag::Set)?;
            Ok((oid, values))
        })?;
        let random_num = (oid == oid::RANDOM_NUM).then(|| random_num(values.value())).flatten();
        attributes.push(Attribute { tlv, oid, random_num });
    }
    Ok(attributes)
}

/// R from the randomNum value set `{ BIT STRING R }`: whole bytes, not empty; otherwise
/// treated as absent (no VID check can use it).
fn random_num(set: &[u8]) -> Option<&[u8]> {
    let mut reader = SliceReader::new(set).ok()?;
    let bits: BitStringRef<'_> = reader.decode().ok()?;
    let r = bits.as_bytes().filter(|r| !r.is_empty())?;
    reader.finish(r).ok()
}

/// Byte offsets of `inner` within `outer` (both slices of the same buffer).
fn span(outer: &[u8], inner: &[u8]) -> Option<(usize, usize)> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    let end = start.checked_add(inner.len())?;
    (end <= outer.len()).then_some((start, end))
}

fn invalid(err: der::Error) -> KeyFileError {
    KeyFileError::InvalidPrivateKey(err.to_string())
}

impl PrivateKey {
    /// Takes a PKCS#8 PrivateKeyInfo (DER), as a key generator or [`decrypt`](super::decrypt)
    /// produces it, attributes included and kept as they are.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyFileError> {
        Self::from_owned(Zeroizing::new(der.to_vec())).map_err(invalid)
    }

    pub(crate) fn from_owned(der: Zeroizing<Vec<u8>>) -> der::Result<Self> {
        let (algorithm, random_num) = {
            let fields = parse(&der)?;
            let attributes = fields.attributes.and_then(|a| parse_attributes(a).ok());
            let r = attributes.unwrap_or_default().iter().find_map(|a| a.random_num);
            (fields.algorithm, r.and_then(|r| span(&der, r)))
        };
        Ok(PrivateKey { der, algorithm, random_num })
    }

    /// The key with `randomNum` = `r` (the VID random value R, usually 20 bytes from
    /// [`crate::vid::generate_random_num`]), for a freshly generated key: the result is what
    /// goes into a new `signPri.key`. Other attributes are kept; an existing R is replaced.
    pub fn with_random_num(pkcs8_der: &[u8], r: &[u8]) -> Result<Self, KeyFileError> {
        if r.is_empty() {
            return Err(KeyFileError::InvalidPrivateKey("the random value R is empty".into()));
        }
        let fields = parse(pkcs8_der).map_err(invalid)?;
        let existing = match fields.attributes {
            Some(content) => parse_attributes(content).map_err(invalid)?,
            None => Vec::new(),
        };
        let attribute = random_num_attribute(r).map_err(invalid)?;
        let mut attributes: Vec<&[u8]> =
            existing.iter().filter(|a| a.oid != oid::RANDOM_NUM).map(|a| a.tlv).collect();
        attributes.push(&attribute);
        Self::rebuild(&fields, Some(&attributes))
    }

    /// The PrivateKeyInfo DER, exactly as read (or as built by [`with_random_num`](Self::with_random_num)).
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.der
    }

    /// R from the `randomNum` attribute, if the key has one.
    pub fn random_num(&self) -> Option<&[u8]> {
        let (start, end) = self.random_num?;
        self.der.get(start..end)
    }

    /// The key's algorithm OID (rsaEncryption, id-ecPublicKey, …).
    pub fn algorithm(&self) -> ObjectIdentifier {
        self.algorithm
    }

    /// The same PrivateKeyInfo with no attributes, for key parsers that reject them. R is
    /// lost in this copy: never write it back to a key file.
    pub fn without_attributes(&self) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
        let fields = parse(&self.der).map_err(invalid)?;
        Ok(Self::rebuild(&fields, None)?.der.clone())
    }

    fn rebuild(fields: &Fields<'_>, attributes: Option<&[&[u8]]>) -> Result<Self, KeyFileError> {
        let attributes = match attributes {
            Some(list) => {
                let mut sorted = list.to_vec();
                sorted.sort_by(|a, b| der_set_order(a, b));
                Some(tlv(ATTRIBUTES_TAG, &concat(&sorted)).map_err(invalid)?)
            }
            None => None,
        };
        let mut parts: Vec<&[u8]> = fields.head.to_vec();
        if let Some(a) = &attributes {
            parts.push(a);
        }
        parts.extend(fields.tail.iter().copied());
        let der = tlv(Tag::Sequence, &concat(&parts)).map_err(invalid)?;
        Self::from_owned(der).map_err(invalid)
    }
}

/// `SEQUENCE { randomNum, SET { BIT STRING r } }`.
fn random_num_attribute(r: &[u8]) -> der::Result<Zeroizing<Vec<u8>>> {
    let bits = BitStringRef::from_bytes(r)?.to_der()?;
    let set = tlv(Tag::Set, &bits)?;
    let oid = oid::RANDOM_NUM.to_der()?;
    tlv(Tag::Sequence, &concat(&[&oid, &set]))
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm)
            .field("random_num_len", &self.random_num.map(|(start, end)| end - start))
            .finish_non_exhaustive()
    }
}

/// Constant-time on the key bytes.
impl PartialEq for PrivateKey {
    fn eq(&self, other: &Self) -> bool {
        self.der.as_slice().ct_eq(other.der.as_slice()).into()
    }
}

impl Eq for PrivateKey {}
