//! What the verifier reads out of a certificate: times, names, and the extensions that decide
//! whether it may sign, may issue, and where its status is published.

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use dojang_pki::oid;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::Certificate;

use crate::refusal::Refusal;

/// A certificate and its DER, as received.
#[derive(Clone, Debug)]
pub struct Cert {
    pub cert: Certificate,
    pub der: Vec<u8>,
}

/// An x509 time as `OffsetDateTime`.
pub(crate) fn time_of(t: &x509_cert::time::Time) -> OffsetDateTime {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Upper-case hex of a serial number's content octets, as the store and `openssl` show it.
pub fn serial_hex(bytes: &[u8]) -> String {
    let trimmed = match bytes {
        [0, rest @ ..] if !rest.is_empty() => rest,
        b => b,
    };
    trimmed.iter().map(|b| format!("{b:02X}")).collect()
}

impl Cert {
    pub fn from_der(der: &[u8]) -> Result<Cert, Refusal> {
        let cert = Certificate::from_der(der)
            .map_err(|e| Refusal::Malformed { why: format!("not an X.509 certificate: {e}") })?;
        Ok(Cert { cert, der: der.to_vec() })
    }

    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    pub fn issuer(&self) -> String {
        self.cert.tbs_certificate.issuer.to_string()
    }

    pub fn serial_hex(&self) -> String {
        serial_hex(self.cert.tbs_certificate.serial_number.as_bytes())
    }

    pub fn not_before(&self) -> OffsetDateTime {
        time_of(&self.cert.tbs_certificate.validity.not_before)
    }

    pub fn not_after(&self) -> OffsetDateTime {
        time_of(&self.cert.tbs_certificate.validity.not_after)
    }

    /// SHA-256 of the DER: how a registered certificate is recognised.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(&self.der).into()
    }

    /// The to-be-signed bytes (DER re-encoding is canonical).
    pub(crate) fn tbs_der(&self) -> Result<Vec<u8>, Refusal> {
        self.cert
            .tbs_certificate
            .to_der()
            .map_err(|e| Refusal::Malformed { why: format!("cannot encode the certificate: {e}") })
    }

    fn ext<'a, T: Decode<'a> + const_oid::AssociatedOid>(&'a self) -> Result<Option<T>, Refusal> {
        self.cert
            .tbs_certificate
            .get::<T>()
            .map(|o| o.map(|(_, v)| v))
            .map_err(|e| Refusal::Malformed { why: format!("extension {}: {e}", T::OID) })
    }

    /// `(cA, pathLenConstraint)`; absent means not a CA.
    pub(crate) fn basic_constraints(&self) -> Result<(bool, Option<u8>), Refusal> {
        Ok(self
            .ext::<BasicConstraints>()?
            .map(|b| (b.ca, b.path_len_constraint))
            .unwrap_or((false, None)))
    }

    /// The key usages, when the certificate limits them.
    pub(crate) fn key_usage(&self) -> Result<Option<flagset::FlagSet<KeyUsages>>, Refusal> {
        Ok(self.ext::<KeyUsage>()?.map(|k| k.0))
    }

    pub(crate) fn subject_key_id(&self) -> Option<Vec<u8>> {
        self.ext::<SubjectKeyIdentifier>().ok().flatten().map(|s| s.0.as_bytes().to_vec())
    }

    pub(crate) fn authority_key_id(&self) -> Option<Vec<u8>> {
        self.ext::<AuthorityKeyIdentifier>()
            .ok()
            .flatten()
            .and_then(|a| a.key_identifier.map(|k| k.as_bytes().to_vec()))
    }

    /// The policy OIDs (the product, in the Korean profile).
    pub fn policies(&self) -> Vec<ObjectIdentifier> {
        self.ext::<CertificatePolicies>()
            .ok()
            .flatten()
            .map(|p| p.0.iter().map(|i| i.policy_identifier).collect())
            .unwrap_or_default()
    }

    fn aia(&self, method: ObjectIdentifier) -> Vec<String> {
        let Ok(Some(aia)) = self.ext::<AuthorityInfoAccessSyntax>() else { return Vec::new() };
        aia.0
            .iter()
            .filter(|d| d.access_method == method)
            .filter_map(|d| match &d.access_location {
                GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The OCSP responder's URLs from the AIA.
    pub fn ocsp_urls(&self) -> Vec<String> {
        self.aia(oid::AD_OCSP)
    }

    /// Where the issuer's certificate can be fetched (AIA caIssuers).
    pub fn ca_issuer_urls(&self) -> Vec<String> {
        self.aia(oid::AD_CA_ISSUERS)
    }

    /// The CRL URLs from the CRL distribution points.
    pub fn crl_urls(&self) -> Vec<String> {
        let Ok(Some(cdp)) = self.ext::<CrlDistributionPoints>() else { return Vec::new() };
        cdp.0
            .iter()
            .filter_map(|dp| match &dp.distribution_point {
                Some(DistributionPointName::FullName(names)) => Some(names),
                _ => None,
            })
            .flatten()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Extended key usages (empty when absent).
    pub(crate) fn extended_key_usage(&self) -> Vec<ObjectIdentifier> {
        self.ext::<x509_cert::ext::pkix::ExtendedKeyUsage>()
            .ok()
            .flatten()
            .map(|e| e.0)
            .unwrap_or_default()
    }

    /// SHA-1 of the subjectPublicKey bits: the OCSP responder-ID and CertID key hash.
    pub(crate) fn key_sha1(&self) -> [u8; 20] {
        use sha1::Sha1;
        Sha1::digest(
            self.cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes(),
        )
        .into()
    }
}
