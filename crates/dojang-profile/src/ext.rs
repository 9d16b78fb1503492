//! Builders for the certificate extensions our profiles use (RFC 5280 §4.2).

use const_oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_CERTIFICATE_POLICIES,
    ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_KEY_IDENTIFIER, ID_PE_AUTHORITY_INFO_ACCESS,
};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, Ia5String, Null, OctetString};
use der::Encode;
use dojang_pki::oid;
use sha1::{Digest, Sha1};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages,
};
use x509_cert::ext::Extension;

/// An extension whose value is the DER of `value`.
pub fn extension<T: Encode>(
    extn_id: ObjectIdentifier,
    critical: bool,
    value: &T,
) -> der::Result<Extension> {
    Ok(Extension { extn_id, critical, extn_value: OctetString::new(value.to_der()?)? })
}

/// The key identifier of RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
pub fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

/// basicConstraints, always critical.
pub fn basic_constraints(ca: bool, path_len: Option<u8>) -> der::Result<Extension> {
    extension(
        ID_CE_BASIC_CONSTRAINTS,
        true,
        &BasicConstraints { ca, path_len_constraint: path_len },
    )
}

/// keyUsage, always critical.
pub fn key_usage(usages: impl Into<flagset::FlagSet<KeyUsages>>) -> der::Result<Extension> {
    extension(ID_CE_KEY_USAGE, true, &KeyUsage(usages.into()))
}

pub fn subject_key_identifier(key_id: &[u8]) -> der::Result<Extension> {
    extension(ID_CE_SUBJECT_KEY_IDENTIFIER, false, &OctetString::new(key_id)?)
}

pub fn authority_key_identifier(key_id: &[u8]) -> der::Result<Extension> {
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_id)?),
        ..Default::default()
    };
    extension(ID_CE_AUTHORITY_KEY_IDENTIFIER, false, &aki)
}

/// certificatePolicies with one policy and a CPS pointer.
pub fn certificate_policy(policy: ObjectIdentifier, cps_url: &str) -> der::Result<Extension> {
    let cps = Any::encode_from(&Ia5String::new(cps_url)?)?;
    let info = PolicyInformation {
        policy_identifier: policy,
        policy_qualifiers: Some(vec![PolicyQualifierInfo {
            policy_qualifier_id: oid::QT_CPS,
            qualifier: Some(cps),
        }]),
    };
    extension(ID_CE_CERTIFICATE_POLICIES, false, &CertificatePolicies(vec![info]))
}

/// certificatePolicies: anyPolicy, for the issuing CA.
pub fn any_policy() -> der::Result<Extension> {
    let info = PolicyInformation { policy_identifier: oid::ANY_POLICY, policy_qualifiers: None };
    extension(ID_CE_CERTIFICATE_POLICIES, false, &CertificatePolicies(vec![info]))
}

fn uri(url: &str) -> der::Result<GeneralName> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(url)?))
}

/// cRLDistributionPoints with one full-name URI.
pub fn crl_distribution_point(url: &str) -> der::Result<Extension> {
    let dp = DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![uri(url)?])),
        reasons: None,
        crl_issuer: None,
    };
    extension(ID_CE_CRL_DISTRIBUTION_POINTS, false, &CrlDistributionPoints(vec![dp]))
}

/// authorityInfoAccess: the OCSP responder (where there is one) and the issuer's certificate.
pub fn authority_info_access(
    ocsp_url: Option<&str>,
    ca_issuers_url: &str,
) -> der::Result<Extension> {
    let mut access = Vec::new();
    if let Some(u) = ocsp_url {
        access.push(AccessDescription { access_method: oid::AD_OCSP, access_location: uri(u)? });
    }
    access.push(AccessDescription {
        access_method: oid::AD_CA_ISSUERS,
        access_location: uri(ca_issuers_url)?,
    });
    extension(ID_PE_AUTHORITY_INFO_ACCESS, false, &AuthorityInfoAccessSyntax(access))
}

pub fn extended_key_usage(usages: Vec<ObjectIdentifier>) -> der::Result<Extension> {
    extension(ID_CE_EXT_KEY_USAGE, false, &ExtendedKeyUsage(usages))
}

/// id-pkix-ocsp-nocheck: its value is NULL.
pub fn ocsp_nocheck() -> der::Result<Extension> {
    extension(oid::OCSP_NOCHECK, false, &Null)
}
