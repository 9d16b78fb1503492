//! Issue and revoke.

use std::sync::Arc;

use der::pem::LineEnding;
use dojang_ca::CertificateAuthority;
use dojang_pki::{RevocationReason, Serial};
use dojang_profile::subject::Holder;
use dojang_profile::tbs::{self, LeafRequest, LeafTemplate};
use dojang_profile::{name, Catalog, ProductId, PublicationUrls, SubjectRules};
use dojang_store::{CertificateRecord, NewCertificate, Store, StoreError};
use time::{Duration, OffsetDateTime};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::csr;
use crate::error::RaError;

/// How many fresh serials to try before giving up. With 72 random bits after the millisecond a
/// second try is already astronomically unlikely; the loop exists so a collision is handled,
/// not assumed away.
const SERIAL_TRIES: usize = 4;

/// A request for a certificate. The CSR may be borrowed, or owned so that the request can go
/// to another thread (`IssueRequest<'static>`).
#[derive(Clone, Debug)]
pub struct IssueRequest<'a> {
    /// The CSR, PEM or DER.
    pub csr: std::borrow::Cow<'a, [u8]>,
    pub product: ProductId,
    /// The end of validity when it is fixed by the flow (a reissue keeps the old end); otherwise
    /// the product's validity from now.
    pub not_after: Option<OffsetDateTime>,
    /// The subjectAltName with the holder's VID (identifyData), for a person.
    pub subject_alt_name: Option<Extension>,
    /// When the center has told the customer which subject to request (in a flow), the CSR
    /// must carry exactly that one.
    pub required_subject: Option<Name>,
    /// Whose certificate it is.
    pub customer_id: Option<i64>,
}

/// A certificate signed but not yet stored: the caller stores `record` (perhaps in a
/// transaction with other changes) before handing `issued` to anyone.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub issued: Issued,
    pub record: NewCertificate,
}

/// A certificate that has been signed and stored.
#[derive(Clone, Debug)]
pub struct Issued {
    pub serial: Serial,
    pub product: ProductId,
    pub holder: Holder,
    pub subject: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub certificate: Certificate,
    pub der: Vec<u8>,
}

impl Issued {
    /// The certificate in PEM, from the DER already signed rather than encoded again.
    pub fn pem(&self) -> Result<String, der::Error> {
        Ok(der::pem::encode_string("CERTIFICATE", LineEnding::LF, &self.der)?)
    }
}

/// The registration authority.
pub struct RegistrationAuthority {
    ca: Arc<CertificateAuthority>,
    store: Store,
    catalog: Catalog,
    rules: SubjectRules,
    urls: PublicationUrls,
    /// The issuer and the extensions every customer's certificate shares, encoded once. `None`
    /// when they cannot be encoded (a URL that is not ASCII): then every issuance lays them out
    /// itself and says why it fails.
    leaf: Option<LeafTemplate>,
}

/// Whole seconds: certificates carry no fractions, and the store keeps what the certificate says.
fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

impl RegistrationAuthority {
    pub fn new(
        ca: Arc<CertificateAuthority>,
        store: Store,
        catalog: Catalog,
        rules: SubjectRules,
        urls: PublicationUrls,
    ) -> Self {
        let leaf = LeafTemplate::new(ca.issuing_info(), &urls).ok();
        RegistrationAuthority { ca, store, catalog, rules, urls, leaf }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn subject_rules(&self) -> &SubjectRules {
        &self.rules
    }

    /// Checks the request and has the CA sign it under a fresh serial; stores nothing.
    pub fn prepare(
        &self,
        req: &IssueRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Prepared, RaError> {
        let product = self.catalog.get(req.product);
        let checked = csr::check(&req.csr)?;
        if !product.key_types.contains(&checked.key_type) {
            return Err(RaError::KeyTypeNotAllowed {
                product: product.id.to_string(),
                allowed: product
                    .key_types
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(" or "),
                found: checked.key_type.to_string(),
            });
        }
        let holder = self.rules.check(product, &checked.subject)?;
        if let Some(required) = &req.required_subject {
            if *required != checked.subject {
                return Err(RaError::SubjectNotAsGiven {
                    found: name::korean_text(&checked.subject),
                    required: name::korean_text(required),
                });
            }
        }
        let not_before = whole_seconds(now);
        let not_after = whole_seconds(
            req.not_after.unwrap_or(now + Duration::days(i64::from(product.validity_days))),
        );
        let subject = name::korean_text(&checked.subject);
        // Time-ordered: a center's serial index grows at its end (see `Serial::time_ordered`).
        let millis = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let serial = Serial::time_ordered(millis, &mut rand::thread_rng());
        let leaf = LeafRequest {
            product,
            subject: checked.subject,
            public_key: checked.public_key,
            serial: &serial,
            not_before,
            not_after,
            subject_alt_name: req.subject_alt_name.clone(),
        };
        let tbs = match &self.leaf {
            Some(template) => template.leaf(leaf)?,
            None => tbs::leaf(leaf, self.ca.issuing_info(), &self.urls)?,
        };
        let dojang_ca::Signed { certificate, der } = self.ca.issue_encoded(tbs)?;
        let record = NewCertificate {
            serial: serial.clone(),
            product: product.id.to_string(),
            subject: subject.clone(),
            not_before,
            not_after,
            issued_at: not_before,
            der: der.clone(),
            customer_id: req.customer_id,
        };
        let issued = Issued {
            serial,
            product: product.id,
            holder,
            subject,
            not_before,
            not_after,
            certificate,
            der,
        };
        Ok(Prepared { issued, record })
    }

    /// Checks the request, has the CA sign it and stores it. Nothing is stored unless every
    /// check passed; the certificate is durable in the store before this returns.
    pub async fn issue(
        &self,
        req: IssueRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Issued, RaError> {
        for _ in 0..SERIAL_TRIES {
            let prepared = self.prepare(&req, now)?;
            match self.store.insert_certificate(&prepared.record).await {
                Ok(()) => {
                    tracing::info!(serial = %prepared.issued.serial, product = %prepared.issued.product, "certificate issued");
                    return Ok(prepared.issued);
                }
                Err(StoreError::DuplicateSerial(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RaError::SerialExhausted)
    }

    /// How many fresh serials a caller storing [`Prepared`] itself should try.
    pub const SERIAL_TRIES: usize = SERIAL_TRIES;

    /// Revokes a certificate issued here.
    pub async fn revoke(
        &self,
        serial: &Serial,
        reason: RevocationReason,
        now: OffsetDateTime,
    ) -> Result<CertificateRecord, RaError> {
        let record = self.store.revoke(serial, reason, whole_seconds(now)).await?;
        tracing::info!(serial = %serial, reason = %reason, "certificate revoked");
        Ok(record)
    }
}
