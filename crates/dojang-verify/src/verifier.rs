//! The verifier: trusted issuers (ours and other institutions'), path building, and status at
//! the issuer's own OCSP responder with its CRL as the fallback.
//!
//! Blocking: it may fetch from issuers over HTTP. An async server calls it inside
//! `spawn_blocking`. Where the signature being checked was made (a customer's PC, the cloud
//! signer of a financial certificate) is no concern of this crate.

use std::sync::Mutex;

use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::cert::Cert;
use crate::chain::{self, Anchor};
use crate::fetch::{Fetcher, MAX_CRL, MAX_SMALL};
use crate::refusal::Refusal;
use crate::status::{Source, Status};
use crate::{crl, ocsp};

/// An issuer to trust: its CA certificate(s) — files read by the caller, or URLs fetched on
/// first use — and optional status URLs that override what its certificates say.
#[derive(Clone, Debug, Default)]
pub struct IssuerSpec {
    /// Shown to people and kept with registrations ("A은행").
    pub name: String,
    /// This center's own CA: status comes from our store, not over HTTP.
    pub own: bool,
    /// CA certificates (DER or PEM, one or more per item).
    pub certificates: Vec<Vec<u8>>,
    /// CA certificates to fetch (DER or PEM).
    pub certificate_urls: Vec<String>,
    pub ocsp_url: Option<String>,
    pub crl_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("trusted issuer {name:?}: a CA certificate cannot be read: {why}")]
    Certificate { name: String, why: String },
    #[error(
        "trusted issuer {name:?} has no CA certificate (give certificates or certificate_urls)"
    )]
    Empty { name: String },
}

struct Issuer {
    spec: IssuerSpec,
    /// Configured certificates, and those fetched from `certificate_urls` once they answered.
    certs: Mutex<Vec<Cert>>,
    fetched: Mutex<bool>,
}

/// A verified path: the leaf, its issuer, and which trusted issuer it ends in.
#[derive(Clone, Debug)]
pub struct Path {
    pub leaf: Cert,
    /// The leaf's direct issuer (the CA whose OCSP and CRL speak for it).
    pub issuer: Cert,
    /// The name of the trusted issuer the path ends in.
    pub trusted_issuer: String,
    /// Ends in this center's own CA.
    pub own: bool,
    index: usize,
}

/// Parses DER or PEM (one or more certificates).
pub fn parse_certificates(bytes: &[u8]) -> Result<Vec<Cert>, String> {
    use der::Encode;
    let trimmed = bytes.iter().skip_while(|b| b.is_ascii_whitespace()).copied().collect::<Vec<_>>();
    if trimmed.starts_with(b"-----BEGIN") {
        let certs = Certificate::load_pem_chain(&trimmed).map_err(|e| e.to_string())?;
        certs
            .into_iter()
            .map(|c| c.to_der().map(|der| Cert { cert: c, der }).map_err(|e| e.to_string()))
            .collect()
    } else {
        Cert::from_der(bytes).map(|c| vec![c]).map_err(|e| e.to_string())
    }
}

/// Verifies certificates for relying parties.
pub struct Verifier {
    issuers: Vec<Issuer>,
    fetcher: Fetcher,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.issuers.iter().map(|i| i.spec.name.as_str()).collect();
        f.debug_struct("Verifier").field("issuers", &names).finish()
    }
}

impl Verifier {
    pub fn new(specs: Vec<IssuerSpec>) -> Result<Verifier, SpecError> {
        let mut issuers = Vec::new();
        for spec in specs {
            let mut certs = Vec::new();
            for bytes in &spec.certificates {
                certs.extend(
                    parse_certificates(bytes)
                        .map_err(|why| SpecError::Certificate { name: spec.name.clone(), why })?,
                );
            }
            if certs.is_empty() && spec.certificate_urls.is_empty() {
                return Err(SpecError::Empty { name: spec.name });
            }
            let fetched = spec.certificate_urls.is_empty();
            issuers.push(Issuer { spec, certs: Mutex::new(certs), fetched: Mutex::new(fetched) });
        }
        Ok(Verifier { issuers, fetcher: Fetcher::default() })
    }

    /// The names of the trusted issuers, in configuration order.
    pub fn issuer_names(&self) -> Vec<String> {
        self.issuers.iter().map(|i| i.spec.name.clone()).collect()
    }

    /// Fetches the certificates of issuers configured by URL that have not answered yet.
    fn load(&self) {
        for issuer in &self.issuers {
            let Ok(mut fetched) = issuer.fetched.lock() else { continue };
            if *fetched {
                continue;
            }
            let mut got = Vec::new();
            let mut all = true;
            for url in &issuer.spec.certificate_urls {
                match self.fetcher.get(url, MAX_SMALL).and_then(|b| parse_certificates(&b)) {
                    Ok(c) => got.extend(c),
                    Err(why) => {
                        all = false;
                        tracing::warn!(issuer = %issuer.spec.name, %why, "a trusted issuer's CA certificate could not be fetched; retrying at the next verification");
                    }
                }
            }
            if let Ok(mut certs) = issuer.certs.lock() {
                for c in got {
                    if !certs.iter().any(|k| k.der == c.der) {
                        certs.push(c);
                    }
                }
            }
            *fetched = all;
        }
    }

    /// Builds and checks the path of `leaf` (with `chain`, untrusted helpers the client sent)
    /// to a trusted issuer, then the leaf's validity at `now`. No status yet.
    pub fn path(
        &self,
        leaf_der: &[u8],
        chain: &[Vec<u8>],
        now: OffsetDateTime,
    ) -> Result<Path, Refusal> {
        self.load();
        let leaf = Cert::from_der(leaf_der)?;
        let extra: Vec<Cert> = chain.iter().filter_map(|d| Cert::from_der(d).ok()).collect();
        let snapshot: Vec<(usize, Vec<Cert>)> = self
            .issuers
            .iter()
            .enumerate()
            .map(|(i, is)| (i, is.certs.lock().map(|c| c.clone()).unwrap_or_default()))
            .collect();
        let anchors: Vec<Anchor<'_>> = snapshot
            .iter()
            .flat_map(|(i, certs)| certs.iter().map(move |c| Anchor { cert: c, issuer: *i }))
            .collect();
        let fetch = |c: &Cert| -> Vec<Cert> {
            c.ca_issuer_urls()
                .iter()
                .filter_map(|u| self.fetcher.get(u, MAX_SMALL).ok())
                .filter_map(|b| parse_certificates(&b).ok())
                .flatten()
                .collect()
        };
        let (issuers, index) = chain::build(&leaf, &extra, &anchors, &fetch, now)?;
        chain::check_validity(&leaf, now)?;
        let issuer = issuers
            .into_iter()
            .next()
            .ok_or_else(|| Refusal::BadChain { why: "empty path".into() })?;
        let spec = &self
            .issuers
            .get(index)
            .ok_or_else(|| Refusal::BadChain { why: "no issuer".into() })?
            .spec;
        Ok(Path { leaf, issuer, trusted_issuer: spec.name.clone(), own: spec.own, index })
    }

    /// Asks the issuer: OCSP first (the configured URL, else the leaf's AIA), the CRL (the
    /// configured URL, else the leaf's CDP) when OCSP cannot be used. Refuses with
    /// `StatusUnavailable`, naming both failures, when neither can.
    pub fn remote_status(
        &self,
        path: &Path,
        now: OffsetDateTime,
    ) -> Result<(Status, Source), Refusal> {
        let spec = self.issuers.get(path.index).map(|i| &i.spec);
        let mut failures = Vec::new();
        let ocsp_urls: Vec<String> = match spec.and_then(|s| s.ocsp_url.clone()) {
            Some(u) => vec![u],
            None => path.leaf.ocsp_urls(),
        };
        for url in ocsp_urls {
            match self.ask_ocsp(&url, path, now) {
                Ok(s) => return Ok((s, Source::Ocsp)),
                Err(why) => failures.push(format!("OCSP {why}")),
            }
        }
        let crl_urls: Vec<String> = match spec.and_then(|s| s.crl_url.clone()) {
            Some(u) => vec![u],
            None => path.leaf.crl_urls(),
        };
        for url in crl_urls {
            let result = self
                .fetcher
                .get(&url, MAX_CRL)
                .and_then(|der| crl::check(&der, &path.leaf, &path.issuer, now));
            match result {
                Ok(s) => return Ok((s, Source::Crl)),
                Err(why) => failures.push(format!("CRL {why}")),
            }
        }
        if failures.is_empty() {
            failures.push("the certificate names no OCSP responder or CRL".into());
        }
        Err(Refusal::StatusUnavailable { why: failures.join("; ") })
    }

    fn ask_ocsp(&self, url: &str, path: &Path, now: OffsetDateTime) -> Result<Status, String> {
        let query = ocsp::request(&path.leaf, &path.issuer)?;
        let der = self.fetcher.post(url, "application/ocsp-request", &query.der)?;
        ocsp::check_response(&der, &query, &path.issuer, now).map_err(|e| format!("{url}: {e}"))
    }
}
