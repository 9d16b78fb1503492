//! VID: the KISA identifyData that binds a certificate to a person (실명 + 주민등록번호)
//! without putting the resident registration number (RRN) in the certificate.
//!
//! The certificate's subjectAltName carries an otherName:
//!
//! ```text
//! otherName ::= SEQUENCE { type-id 1.2.410.200004.10.1.1 (identifyData),
//!                          value [0] EXPLICIT IdentifyData }
//! IdentifyData ::= SEQUENCE { realName UTF8String, userInfos SEQUENCE OF UserInfo }
//! UserInfo     ::= SEQUENCE { 1.2.410.200004.10.1.1.1 (VID), VID }
//! VID          ::= SEQUENCE { hashAlg AlgorithmIdentifier, virtualID [0] EXPLICIT BIT STRING }
//! virtualID     =  H(H(DER(SEQUENCE { idn PrintableString (RRN), randomNum BIT STRING (R) })))
//! ```
//!
//! R is a random value kept only in the holder's private key file (the `randomNum`
//! attribute, see [`crate::keyfile::PrivateKey::random_num`]). A relying party that knows the
//! person's RRN (a bank does) and receives R from the holder recomputes the hash and compares
//! ([`verify`]); without R the VID reveals nothing usable about the RRN. We write SHA-256, as
//! the CAs do today, and read SHA-1 too.

mod rrn;

use std::fmt;

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, BitStringRef, OctetStringRef, Utf8StringRef};
use der::{Any, Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use digest::Digest;
use rand::RngCore;
use spki::AlgorithmIdentifierRef;
use subtle::ConstantTimeEq;
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::der_util::{concat, tlv};
pub use rrn::Rrn;

/// Object identifiers of identifyData.
pub mod oid {
    use const_oid::ObjectIdentifier;

    /// KISA identifyData: the otherName type-id.
    pub const IDENTIFY_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.410.200004.10.1.1");
    /// KISA VID: a userInfo holding the hashed virtual ID.
    pub const VID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.410.200004.10.1.1.1");
    /// KISA EncryptedVID: a VID encrypted to a relying party (not supported).
    pub const ENCRYPTED_VID: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.410.200004.10.1.1.2");
    /// KISA randomNum: R, as a private-key attribute.
    pub const RANDOM_NUM: ObjectIdentifier = crate::keyfile::oid::RANDOM_NUM;
    /// SHA-1.
    pub const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    /// SHA-256.
    pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
}

/// Length of the R we generate: 160 bits, what Korean CAs and clients use.
pub const RANDOM_NUM_LEN: usize = 20;

/// Why a VID could not be made, found or checked. Never carries an RRN or R.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VidError {
    /// Not 13 digits (optionally `YYMMDD-NNNNNNN`); the input is not repeated.
    #[error("a resident registration number must be 13 digits (YYMMDD-NNNNNNN)")]
    InvalidRrn,
    /// R must not be empty.
    #[error("the VID random value R is empty")]
    EmptyRandomNum,
    /// The certificate has no subjectAltName.
    #[error("the certificate has no subjectAltName extension, so no VID")]
    NoSubjectAltName,
    /// The subjectAltName has no identifyData otherName.
    #[error("the certificate's subjectAltName has no KISA identifyData (VID)")]
    NoIdentifyData,
    /// Only an EncryptedVID is present.
    #[error("the identifyData holds only an encrypted VID (1.2.410.200004.10.1.1.2), which dojang cannot check")]
    EncryptedVidOnly,
    /// The VID's hash algorithm is neither SHA-256 nor SHA-1.
    #[error("the VID uses hash algorithm {0}, which dojang does not support")]
    UnknownHash(ObjectIdentifier),
    /// The identifyData or the subjectAltName around it is malformed; says where.
    #[error("the identifyData is malformed: {0}")]
    Malformed(String),
    /// Encoding failed (a name too long for DER, …).
    #[error("cannot encode the identifyData: {0}")]
    Encoding(String),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

fn malformed(part: &str) -> impl Fn(der::Error) -> VidError + '_ {
    move |e| VidError::Malformed(format!("{part}: {e}"))
}

fn encoding(e: der::Error) -> VidError {
    VidError::Encoding(e.to_string())
}

/// The hash of a VID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VidHash {
    /// SHA-1: found in older certificates; read, and written only on request.
    Sha1,
    /// SHA-256: what we write.
    #[default]
    Sha256,
}

impl VidHash {
    /// The hash's OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            VidHash::Sha1 => oid::SHA1,
            VidHash::Sha256 => oid::SHA256,
        }
    }

    /// The hash named by `oid`, if supported.
    pub fn from_oid(oid: ObjectIdentifier) -> Option<VidHash> {
        [VidHash::Sha1, VidHash::Sha256].into_iter().find(|h| h.oid() == oid)
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            VidHash::Sha1 => 20,
            VidHash::Sha256 => 32,
        }
    }

    fn twice(self, data: &[u8]) -> Vec<u8> {
        fn run<D: Digest>(data: &[u8]) -> Vec<u8> {
            D::digest(D::digest(data)).to_vec()
        }
        match self {
            VidHash::Sha1 => run::<sha1::Sha1>(data),
            VidHash::Sha256 => run::<sha2::Sha256>(data),
        }
    }
}

/// A virtual ID: `H(H(DER(SEQUENCE { RRN, R })))` and the hash that made it. Public (it is
/// in the certificate), so `Debug` shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Vid {
    hash: VidHash,
    value: Vec<u8>,
}

impl Vid {
    /// Computes the VID of `rrn` with random value `r`.
    pub fn compute(rrn: &Rrn, r: &[u8], hash: VidHash) -> Result<Vid, VidError> {
        if r.is_empty() {
            return Err(VidError::EmptyRandomNum);
        }
        // HashContent ::= SEQUENCE { idn PrintableString, randomNum BIT STRING }; built in
        // wiped buffers since it holds the RRN and R.
        let idn = tlv(Tag::PrintableString, rrn.expose_digits()).map_err(encoding)?;
        let bits = tlv(Tag::BitString, &concat(&[&[0u8], r])).map_err(encoding)?;
        let content = tlv(Tag::Sequence, &concat(&[&idn, &bits])).map_err(encoding)?;
        Ok(Vid { hash, value: hash.twice(&content) })
    }

    /// A VID as read from a certificate.
    pub fn from_parts(hash: VidHash, value: Vec<u8>) -> Vid {
        Vid { hash, value }
    }

    /// The hash algorithm.
    pub fn hash(&self) -> VidHash {
        self.hash
    }

    /// The virtual ID bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.value
    }

    /// Whether `rrn` and `r` give this VID, compared in constant time.
    pub fn matches(&self, rrn: &Rrn, r: &[u8]) -> bool {
        match Vid::compute(rrn, r, self.hash) {
            Ok(candidate) => candidate.value.as_slice().ct_eq(self.value.as_slice()).into(),
            Err(_) => false,
        }
    }
}

impl fmt::Debug for Vid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vid({:?}, ", self.hash)?;
        self.value.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        f.write_str(")")
    }
}

/// KISA identifyData: the real name and the VID, as carried in subjectAltName.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentifyData {
    /// The holder's real name (실명) as registered, e.g. "홍길동".
    pub real_name: String,
    /// The virtual ID.
    pub vid: Vid,
}

const EXPLICIT_0: Tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N0 };

impl IdentifyData {
    /// What the CA puts in a person's certificate: `real_name` and the VID of `rrn` and `r`
    /// (R from [`generate_random_num`], the same R the key file keeps).
    pub fn new(
        real_name: &str,
        rrn: &Rrn,
        r: &[u8],
        hash: VidHash,
    ) -> Result<IdentifyData, VidError> {
        Ok(IdentifyData { real_name: real_name.to_owned(), vid: Vid::compute(rrn, r, hash)? })
    }

    /// The DER of the IdentifyData SEQUENCE (the otherName value inside `[0] EXPLICIT`).
    pub fn to_der(&self) -> Result<Vec<u8>, VidError> {
        // AlgorithmIdentifier without parameters, as Korean CAs write SHA-256 (RFC 5754).
        let hash_alg = tlv(Tag::Sequence, &self.vid.hash.oid().to_der().map_err(encoding)?)
            .map_err(encoding)?;
        let bits =
            BitStringRef::from_bytes(&self.vid.value).and_then(|b| b.to_der()).map_err(encoding)?;
        let virtual_id = tlv(EXPLICIT_0, &bits).map_err(encoding)?;
        let vid = tlv(Tag::Sequence, &concat(&[&hash_alg, &virtual_id])).map_err(encoding)?;
        let vid_oid = oid::VID.to_der().map_err(encoding)?;
        let user_info = tlv(Tag::Sequence, &concat(&[&vid_oid, &vid])).map_err(encoding)?;
        let user_infos = tlv(Tag::Sequence, &user_info).map_err(encoding)?;
        let name =
            Utf8StringRef::new(&self.real_name).and_then(|n| n.to_der()).map_err(encoding)?;
        Ok(tlv(Tag::Sequence, &concat(&[&name, &user_infos])).map_err(encoding)?.to_vec())
    }

    /// As an x509-cert `OtherName` (type-id identifyData).
    pub fn to_other_name(&self) -> Result<OtherName, VidError> {
        let value = Any::from_der(&self.to_der()?).map_err(encoding)?;
        Ok(OtherName { type_id: oid::IDENTIFY_DATA, value })
    }

    /// As a `GeneralName`, to combine with other subjectAltName entries.
    pub fn to_general_name(&self) -> Result<GeneralName, VidError> {
        Ok(GeneralName::OtherName(self.to_other_name()?))
    }

    /// A subjectAltName holding just this identifyData; `AsExtension` for the x509-cert
    /// builder (non-critical, as the subject DN is not empty).
    pub fn to_subject_alt_name(&self) -> Result<SubjectAltName, VidError> {
        Ok(SubjectAltName(vec![self.to_general_name()?]))
    }

    /// The complete subjectAltName extension value (the DER inside `extnValue`).
    pub fn subject_alt_name_der(&self) -> Result<Vec<u8>, VidError> {
        self.to_subject_alt_name()?.to_der().map_err(encoding)
    }

    /// Reads identifyData from an otherName (which must have type-id identifyData).
    pub fn from_other_name(other: &OtherName) -> Result<IdentifyData, VidError> {
        if other.type_id != oid::IDENTIFY_DATA {
            return Err(VidError::NoIdentifyData);
        }
        Self::from_der(&other.value.to_der().map_err(malformed("the otherName value"))?)
    }

    /// Reads the IdentifyData SEQUENCE (DER).
    pub fn from_der(der: &[u8]) -> Result<IdentifyData, VidError> {
        let (real_name, user_infos) = AnyRef::from_der(der)
            .and_then(|any| {
                any.sequence(|r| {
                    let name: Utf8StringRef<'_> = r.decode()?;
                    let infos: AnyRef<'_> = r.decode()?;
                    infos.tag().assert_eq(Tag::Sequence)?;
                    Ok((name.as_str().to_owned(), infos))
                })
            })
            .map_err(malformed("the IdentifyData SEQUENCE"))?;

        let mut reader = SliceReader::new(user_infos.value()).map_err(malformed("userInfos"))?;
        let mut encrypted_only = false;
        while !reader.is_finished() {
            let (kind, value): (ObjectIdentifier, AnyRef<'_>) = reader
                .sequence(|r| Ok((r.decode()?, r.decode()?)))
                .map_err(malformed("a userInfo"))?;
            match kind {
                oid::VID => return Ok(IdentifyData { real_name, vid: parse_vid(value)? }),
                oid::ENCRYPTED_VID => encrypted_only = true,
                _ => {}
            }
        }
        Err(if encrypted_only { VidError::EncryptedVidOnly } else { VidError::NoIdentifyData })
    }

    /// Finds identifyData among the names of a subjectAltName.
    pub fn from_subject_alt_name(san: &SubjectAltName) -> Result<IdentifyData, VidError> {
        san.0
            .iter()
            .find_map(|name| match name {
                GeneralName::OtherName(other) if other.type_id == oid::IDENTIFY_DATA => Some(other),
                _ => None,
            })
            .ok_or(VidError::NoIdentifyData)
            .and_then(Self::from_other_name)
    }

    /// Reads a subjectAltName extension value (DER) and finds identifyData in it.
    pub fn from_subject_alt_name_der(der: &[u8]) -> Result<IdentifyData, VidError> {
        let san = SubjectAltName::from_der(der).map_err(malformed("the subjectAltName"))?;
        Self::from_subject_alt_name(&san)
    }

    /// Finds identifyData in a certificate's subjectAltName.
    pub fn from_certificate(cert: &Certificate) -> Result<IdentifyData, VidError> {
        let (_critical, san) = cert
            .tbs_certificate
            .get::<SubjectAltName>()
            .map_err(malformed("the subjectAltName extension"))?
            .ok_or(VidError::NoSubjectAltName)?;
        Self::from_subject_alt_name(&san)
    }

    /// Whether `rrn` and `r` give this identifyData's VID (constant-time comparison).
    pub fn verify(&self, rrn: &Rrn, r: &[u8]) -> bool {
        self.vid.matches(rrn, r)
    }
}

/// `VID ::= SEQUENCE { hashAlg AlgorithmIdentifier, virtualID [0] EXPLICIT BIT STRING }`.
/// An OCTET STRING inside `[0]` is accepted as well, as some issuers wrote one.
fn parse_vid(value: AnyRef<'_>) -> Result<Vid, VidError> {
    let (hash_alg, virtual_id) = value
        .sequence(|r| {
            let alg: AlgorithmIdentifierRef<'_> = r.decode()?;
            let tagged: AnyRef<'_> = r.decode()?;
            tagged.tag().assert_eq(EXPLICIT_0)?;
            Ok((alg, tagged))
        })
        .map_err(malformed("the VID"))?;
    if hash_alg.parameters.is_some_and(|p| !p.is_null()) {
        return Err(VidError::Malformed(
            "the VID hash algorithm has parameters other than NULL".into(),
        ));
    }
    let hash = VidHash::from_oid(hash_alg.oid).ok_or(VidError::UnknownHash(hash_alg.oid))?;
    let inner = AnyRef::from_der(virtual_id.value()).map_err(malformed("the virtualID"))?;
    let bytes = match inner.tag() {
        Tag::BitString => BitStringRef::try_from(inner)
            .map_err(malformed("the virtualID"))?
            .as_bytes()
            .ok_or_else(|| {
                VidError::Malformed("the virtualID BIT STRING has unused bits".into())
            })?,
        Tag::OctetString => {
            OctetStringRef::try_from(inner).map_err(malformed("the virtualID"))?.as_bytes()
        }
        other => {
            return Err(VidError::Malformed(format!(
                "the virtualID is a {other}, not a BIT STRING"
            )))
        }
    };
    if bytes.len() != hash.output_len() {
        return Err(VidError::Malformed(format!(
            "the virtualID is {} bytes, but a {:?} VID is {}",
            bytes.len(),
            hash,
            hash.output_len()
        )));
    }
    Ok(Vid { hash, value: bytes.to_vec() })
}

/// Checks that `cert` belongs to the person with `rrn`, given R from their key file: `Ok(true)`
/// on a match, `Ok(false)` on a mismatch (wrong person or wrong R), an error when the
/// certificate carries no usable VID. The comparison is constant-time.
pub fn verify(cert: &Certificate, rrn: &Rrn, r: &[u8]) -> Result<bool, VidError> {
    Ok(IdentifyData::from_certificate(cert)?.verify(rrn, r))
}

/// A fresh R (20 random bytes from the operating system), for a new key pair: it goes into
/// the VID of the certificate request and into the key file's `randomNum` attribute.
pub fn generate_random_num() -> Result<Zeroizing<[u8; RANDOM_NUM_LEN]>, VidError> {
    let mut r = Zeroizing::new([0u8; RANDOM_NUM_LEN]);
    rand::rngs::OsRng.try_fill_bytes(r.as_mut_slice()).map_err(|_| VidError::Random)?;
    Ok(r)
}

#[cfg(test)]
mod tests;
