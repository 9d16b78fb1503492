//! Where the center publishes what relying parties fetch: every URL put into a certificate.

/// The public URLs, all under the center's base URL, so that a relying party can walk from a
/// leaf to the root and to status by AIA and CDP alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicationUrls {
    base: String,
}

impl PublicationUrls {
    /// `base` such as `http://127.0.0.1:8080`; a trailing slash is ignored.
    pub fn new(base: &str) -> Self {
        PublicationUrls { base: base.trim_end_matches('/').to_string() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }
    /// The OCSP responder (AIA id-ad-ocsp of leaves).
    pub fn ocsp(&self) -> String {
        format!("{}/ocsp", self.base)
    }
    /// The issuing CA's certificate, DER (AIA id-ad-caIssuers of leaves).
    pub fn issuing_ca_cert(&self) -> String {
        format!("{}/ca/issuing.crt", self.base)
    }
    /// The root certificate, DER (AIA id-ad-caIssuers of the issuing CA).
    pub fn root_cert(&self) -> String {
        format!("{}/ca/root.crt", self.base)
    }
    /// The issuing CA's CRL (CDP of leaves).
    pub fn issuing_crl(&self) -> String {
        format!("{}/crl/issuing.crl", self.base)
    }
    /// The root's CRL, listing revoked CA certificates (CDP of the issuing CA).
    pub fn root_crl(&self) -> String {
        format!("{}/crl/root.crl", self.base)
    }
    /// The certification practice statement (a CPS qualifier of the certificate policy).
    pub fn cps(&self) -> String {
        format!("{}/cps", self.base)
    }
}
