//! The to-be-signed certificates of each profile: customers' certificates and the CA's own.
//! Everything a certificate says is decided here; the CA adds only its signature.

use der::asn1::BitString;
use dojang_pki::{oid, Serial};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use time::OffsetDateTime;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::KeyUsages;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::Validity;

use crate::ext;
use crate::product::Product;
use crate::time::{to_x509, TimeOutOfRange};
use crate::urls::PublicationUrls;

/// Why a certificate could not be laid out.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("the certificate would end {requested}, after its issuing CA ends {ca_end}; renew the issuing CA first")]
    OutlivesIssuer { requested: OffsetDateTime, ca_end: OffsetDateTime },
    #[error("the certificate would end ({not_after}) before it starts ({not_before})")]
    EmptyValidity { not_before: OffsetDateTime, not_after: OffsetDateTime },
    #[error(transparent)]
    Time(#[from] TimeOutOfRange),
    #[error("encoding an extension failed: {0}")]
    Encoding(#[from] der::Error),
}

/// The issuer as the profile needs to know it.
#[derive(Clone, Debug)]
pub struct IssuerInfo {
    pub name: Name,
    /// Its subject key identifier, which becomes the children's authority key identifier.
    pub key_id: Vec<u8>,
    /// The signature algorithm it signs with, which the TBS must name.
    pub signature_algorithm: AlgorithmIdentifierOwned,
    pub not_after: OffsetDateTime,
}

/// A customer's certificate of `product`.
pub struct LeafRequest<'a> {
    pub product: &'a Product,
    pub subject: Name,
    pub public_key: SubjectPublicKeyInfoOwned,
    pub serial: &'a Serial,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The subjectAltName carrying the VID (identifyData) for a person, when there is one.
    pub subject_alt_name: Option<Extension>,
}

fn validity(nb: OffsetDateTime, na: OffsetDateTime) -> Result<Validity, ProfileError> {
    if na <= nb {
        return Err(ProfileError::EmptyValidity { not_before: nb, not_after: na });
    }
    Ok(Validity { not_before: to_x509(nb)?, not_after: to_x509(na)? })
}

fn tbs(
    serial: &Serial,
    issuer: Name,
    signature: AlgorithmIdentifierOwned,
    validity: Validity,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    extensions: Vec<Extension>,
) -> TbsCertificate {
    TbsCertificate {
        version: Version::V3,
        serial_number: serial.to_x509(),
        signature,
        issuer,
        validity,
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    }
}

/// A joint or financial certificate: digitalSignature + nonRepudiation, the product's policy,
/// SKI/AKI, CDP and AIA pointing at this center, and the VID where given.
pub fn leaf(
    req: LeafRequest<'_>,
    issuer: &IssuerInfo,
    urls: &PublicationUrls,
) -> Result<TbsCertificate, ProfileError> {
    LeafTemplate::new(issuer, urls)?.leaf(req)
}

/// What every customer's certificate of one issuing CA at one center says alike, encoded once:
/// the issuer, and the extensions that do not depend on the customer (the RA lays out thousands
/// of certificates a second from one of these).
#[derive(Clone, Debug)]
pub struct LeafTemplate {
    issuer: IssuerInfo,
    basic_constraints: Extension,
    key_usage: Extension,
    authority_key_identifier: Extension,
    crl_distribution_point: Extension,
    authority_info_access: Extension,
    cps: String,
}

impl LeafTemplate {
    pub fn new(issuer: &IssuerInfo, urls: &PublicationUrls) -> Result<Self, ProfileError> {
        Ok(LeafTemplate {
            issuer: issuer.clone(),
            basic_constraints: ext::basic_constraints(false, None)?,
            key_usage: ext::key_usage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation)?,
            authority_key_identifier: ext::authority_key_identifier(&issuer.key_id)?,
            crl_distribution_point: ext::crl_distribution_point(&urls.issuing_crl())?,
            authority_info_access: ext::authority_info_access(
                Some(&urls.ocsp()),
                &urls.issuing_ca_cert(),
            )?,
            cps: urls.cps(),
        })
    }

    /// The TBS of [`leaf`].
    pub fn leaf(&self, req: LeafRequest<'_>) -> Result<TbsCertificate, ProfileError> {
        if req.not_after > self.issuer.not_after {
            return Err(ProfileError::OutlivesIssuer {
                requested: req.not_after,
                ca_end: self.issuer.not_after,
            });
        }
        let validity = validity(req.not_before, req.not_after)?;
        let mut extensions = Vec::with_capacity(8);
        extensions.extend([
            self.basic_constraints.clone(),
            self.key_usage.clone(),
            ext::subject_key_identifier(&ext::key_identifier(&req.public_key))?,
            self.authority_key_identifier.clone(),
            ext::certificate_policy(req.product.policy_oid, &self.cps)?,
            self.crl_distribution_point.clone(),
            self.authority_info_access.clone(),
        ]);
        extensions.extend(req.subject_alt_name);
        Ok(tbs(
            req.serial,
            self.issuer.name.clone(),
            self.issuer.signature_algorithm.clone(),
            validity,
            req.subject,
            req.public_key,
            extensions,
        ))
    }
}

/// Common inputs of the CA's own certificates.
pub struct CaCertRequest<'a> {
    pub subject: Name,
    pub public_key: SubjectPublicKeyInfoOwned,
    pub serial: &'a Serial,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// The self-signed root: CA, keyCertSign + cRLSign.
pub fn root(
    req: CaCertRequest<'_>,
    signature_algorithm: AlgorithmIdentifierOwned,
) -> Result<TbsCertificate, ProfileError> {
    let key_id = ext::key_identifier(&req.public_key);
    let extensions = vec![
        ext::basic_constraints(true, None)?,
        ext::key_usage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)?,
        ext::subject_key_identifier(&key_id)?,
    ];
    Ok(tbs(
        req.serial,
        req.subject.clone(),
        signature_algorithm,
        validity(req.not_before, req.not_after)?,
        req.subject,
        req.public_key,
        extensions,
    ))
}

/// The issuing CA under the root: path length 0, with the root's CRL and certificate in CDP
/// and AIA so that the chain can be built and checked from the leaf alone.
pub fn issuing_ca(
    req: CaCertRequest<'_>,
    root: &IssuerInfo,
    urls: &PublicationUrls,
) -> Result<TbsCertificate, ProfileError> {
    if req.not_after > root.not_after {
        return Err(ProfileError::OutlivesIssuer {
            requested: req.not_after,
            ca_end: root.not_after,
        });
    }
    let extensions = vec![
        ext::basic_constraints(true, Some(0))?,
        ext::key_usage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)?,
        ext::subject_key_identifier(&ext::key_identifier(&req.public_key))?,
        ext::authority_key_identifier(&root.key_id)?,
        ext::any_policy()?,
        ext::crl_distribution_point(&urls.root_crl())?,
        ext::authority_info_access(None, &urls.root_cert())?,
    ];
    Ok(tbs(
        req.serial,
        root.name.clone(),
        root.signature_algorithm.clone(),
        validity(req.not_before, req.not_after)?,
        req.subject,
        req.public_key,
        extensions,
    ))
}

/// The delegated OCSP signer (RFC 6960 §4.2.2.2): issued by the issuing CA, id-kp-OCSPSigning,
/// and ocsp-nocheck so that clients do not ask about the responder itself.
pub fn ocsp_signer(
    req: CaCertRequest<'_>,
    issuing: &IssuerInfo,
) -> Result<TbsCertificate, ProfileError> {
    let extensions = vec![
        ext::basic_constraints(false, None)?,
        ext::key_usage(KeyUsages::DigitalSignature)?,
        ext::extended_key_usage(vec![oid::KP_OCSP_SIGNING])?,
        ext::ocsp_nocheck()?,
        ext::subject_key_identifier(&ext::key_identifier(&req.public_key))?,
        ext::authority_key_identifier(&issuing.key_id)?,
    ];
    let na = req.not_after.min(issuing.not_after);
    Ok(tbs(
        req.serial,
        issuing.name.clone(),
        issuing.signature_algorithm.clone(),
        validity(req.not_before, na)?,
        req.subject,
        req.public_key,
        extensions,
    ))
}

/// Unused-bit-free bit string helper for signatures.
pub fn signature_bits(sig: &[u8]) -> der::Result<BitString> {
    BitString::from_bytes(sig)
}
