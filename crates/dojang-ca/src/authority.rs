//! The CA hierarchy of one center: a root, an issuing CA under it, and a delegated OCSP signer
//! under the issuing CA. Made on first start, kept as certificates (PEM) and encrypted key
//! files in one directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use const_oid::db::rfc4519;
use der::asn1::{BitString, OctetString};
use der::{Decode, Encode, EncodePem, Header, Tag};
use dojang_pki::{KeyType, Serial};
use dojang_profile::tbs::{self, CaCertRequest, IssuerInfo};
use dojang_profile::{name, PublicationUrls};
use sha1::{Digest, Sha1};
use time::{Duration, OffsetDateTime};
use x509_cert::crl::{CertificateList, TbsCertList};
use x509_cert::der::pem::LineEnding;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage};
use x509_cert::ext::Extensions;
use x509_cert::{Certificate, TbsCertificate};
use x509_ocsp::{
    BasicOcspResponse, OcspGeneralizedTime, ResponderId, ResponseData, SingleResponse, Version,
};

use crate::error::CaError;
use crate::hsm::{Hsm, URI_SCHEME};
use crate::key::{Signer, SoftwareKey};
use crate::keyfile::{self, Passphrase};

const ROOT_YEARS: i64 = 20;
const ISSUING_YEARS: i64 = 10;
const OCSP_SIGNER_DAYS: i64 = 365;
/// The OCSP signer is replaced this long before it ends, at the next start or check
/// ([`CertificateAuthority::maintain`]).
const OCSP_RENEW_BEFORE_DAYS: i64 = 30;
/// Held while the OCSP signer's files are read or replaced, so that two processes on one CA
/// directory (a server and a `dojang ca` command) never write a key and a certificate that
/// do not belong together.
const OCSP_LOCK_FILE: &str = "ocsp.lock";
/// CA certificates start a little in the past so that clients with a slow clock accept them.
const BACKDATE: Duration = Duration::hours(1);

/// How the CA names itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaNames {
    /// `o=` of the CA and of every subject (e.g. `yessign`; ours `dojang`).
    pub organization: String,
    pub root_cn: String,
    pub issuing_cn: String,
    /// Key type of the CA keys (RSA-2048 by default, the NPKI norm).
    pub key_type: KeyType,
}

/// Which CA a CRL is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrlScope {
    /// The issuing CA's CRL, listing customers' certificates.
    Issuing,
    /// The root's CRL (ARL), listing revoked CA certificates.
    Root,
}

/// Where the CA keeps its keys: encrypted key files under the passphrase (the embedded
/// default), or an HSM, where new keys are made and the CA directory keeps only a PKCS#11 URI
/// per key. Existing keys are opened wherever their file says they are.
#[derive(Clone, Copy, Debug)]
pub struct KeyHome<'a> {
    pub passphrase: &'a Passphrase,
    pub hsm: Option<&'a Hsm>,
}

impl<'a> KeyHome<'a> {
    /// Key files only.
    pub fn files(passphrase: &'a Passphrase) -> Self {
        KeyHome { passphrase, hsm: None }
    }

    /// Makes a key and records it at `path` (the encrypted key, or the HSM key's URI).
    fn new_key(
        &self,
        path: &Path,
        label: &str,
        key_type: KeyType,
    ) -> Result<Box<dyn Signer>, CaError> {
        match self.hsm {
            Some(hsm) => {
                if key_type != KeyType::Rsa2048 {
                    return Err(CaError::UnsupportedKey(
                        "CA keys in an HSM are RSA-2048; set ca.key_type = \"rsa2048\"".into(),
                    ));
                }
                let (key, uri) = hsm.generate(label)?;
                let mut f = fs::File::create_new(path).map_err(CaError::io(path))?;
                std::io::Write::write_all(&mut f, format!("{uri}\n").as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(CaError::io(path))?;
                Ok(Box::new(key))
            }
            None => {
                let key = SoftwareKey::generate(key_type)?;
                keyfile::write(path, &key, self.passphrase)?;
                Ok(Box::new(key))
            }
        }
    }

    /// Opens the key recorded at `path`.
    fn load_key(&self, path: &Path) -> Result<Box<dyn Signer>, CaError> {
        let head = fs::read(path).map_err(CaError::io(path))?;
        if head.starts_with(URI_SCHEME.as_bytes()) {
            let hsm = self.hsm.ok_or_else(|| {
                CaError::Hsm(format!(
                    "the CA key {} is in an HSM; configure [ca.hsm] (module, token) and its PIN",
                    path.display()
                ))
            })?;
            let uri = String::from_utf8_lossy(&head);
            return Ok(Box::new(hsm.open_key(&uri, path)?));
        }
        Ok(Box::new(keyfile::read(path, self.passphrase)?))
    }
}

/// One CA certificate with its key.
struct Authority {
    cert: Certificate,
    der: Vec<u8>,
    key: Box<dyn Signer>,
    info: IssuerInfo,
}

impl Authority {
    fn new(cert: Certificate, key: Box<dyn Signer>, label: &'static str) -> Result<Self, CaError> {
        if &cert.tbs_certificate.subject_public_key_info != key.public_key() {
            return Err(CaError::KeyMismatch(label));
        }
        let der = cert.to_der()?;
        let info = IssuerInfo {
            name: cert.tbs_certificate.subject.clone(),
            key_id: dojang_profile::ext::key_identifier(key.public_key()),
            signature_algorithm: key.signature_algorithm(),
            not_after: dojang_profile::time::from_x509(&cert.tbs_certificate.validity.not_after),
        };
        Ok(Authority { cert, der, key, info })
    }

    /// Whether `cert` carries this CA's signature, made with the algorithm this CA signs with.
    fn verifies(&self, cert: &Certificate) -> Result<bool, CaError> {
        if cert.signature_algorithm != self.key.signature_algorithm() {
            return Ok(false);
        }
        let tbs = cert.tbs_certificate.to_der()?;
        let signed = dojang_pki::sig::verify(
            self.key.public_key(),
            &cert.signature_algorithm,
            &tbs,
            cert.signature.raw_bytes(),
        );
        Ok(signed.is_ok())
    }

    fn sign_certificate(&self, tbs: TbsCertificate) -> Result<Certificate, CaError> {
        Ok(self.sign_certificate_encoded(tbs)?.certificate)
    }

    /// Signs `tbs`, and encodes the certificate from the very bytes signed: the TBS is most of
    /// a certificate, and encoding it a second time would cost as much as the first.
    fn sign_certificate_encoded(&self, tbs: TbsCertificate) -> Result<Signed, CaError> {
        let mut body = tbs.to_der()?;
        let sig = self.key.sign(&body)?;
        let certificate = Certificate {
            tbs_certificate: tbs,
            signature_algorithm: self.key.signature_algorithm(),
            signature: BitString::from_bytes(&sig)?,
        };
        certificate.signature_algorithm.encode_to_vec(&mut body)?;
        certificate.signature.encode_to_vec(&mut body)?;
        let mut der = Vec::with_capacity(body.len() + 4);
        Header::new(Tag::Sequence, body.len())?.encode_to_vec(&mut der)?;
        der.extend_from_slice(&body);
        Ok(Signed { certificate, der })
    }
}

/// The delegated OCSP signer, with its ResponderID byKey: SHA-1 of its public key (RFC 6960
/// §4.2.1), worked out once rather than for every answer.
struct OcspSigner {
    authority: Authority,
    key_hash: [u8; 20],
}

impl OcspSigner {
    fn new(authority: Authority) -> Arc<Self> {
        let key_hash =
            Sha1::digest(authority.key.public_key().subject_public_key.raw_bytes()).into();
        Arc::new(OcspSigner { authority, key_hash })
    }

    /// Whether it is inside its last [`OCSP_RENEW_BEFORE_DAYS`] at `now`.
    fn due(&self, now: OffsetDateTime) -> bool {
        self.authority.info.not_after - now <= Duration::days(OCSP_RENEW_BEFORE_DAYS)
    }
}

/// What [`CertificateAuthority::maintain`] did about the OCSP signer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerCheck {
    /// The signer in use has more than 30 days left.
    Current,
    /// Another process on the same CA directory had already made a new signer; it is used now.
    Adopted,
    /// A new key and certificate were made and are used now.
    Renewed,
}

/// A certificate just signed, with its DER.
#[derive(Clone, Debug)]
pub struct Signed {
    pub certificate: Certificate,
    pub der: Vec<u8>,
}

/// The result of opening the CA directory.
pub struct Opened {
    pub ca: CertificateAuthority,
    /// The hierarchy was made just now (first start).
    pub created: bool,
    /// What became of the OCSP signer: replaced here, or taken from another process, when it
    /// was near its end.
    pub ocsp_signer: SignerCheck,
}

/// The CA: it signs, and that is all it does.
pub struct CertificateAuthority {
    root: Authority,
    issuing: Authority,
    /// Replaced while the center runs: each answer takes the signer current when it is signed.
    ocsp: RwLock<Arc<OcspSigner>>,
    /// One replacement at a time within this process (the lock file covers other processes).
    renewing: Mutex<()>,
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

fn write_cert(path: &Path, cert: &Certificate) -> Result<(), CaError> {
    let pem = cert.to_pem(LineEnding::LF)?;
    fs::write(path, pem).map_err(CaError::io(path))
}

fn read_cert(path: &Path) -> Result<Certificate, CaError> {
    let pem = fs::read_to_string(path).map_err(CaError::io(path))?;
    dojang_pki::pem::decode_as(pem.as_bytes(), "CERTIFICATE").map_err(|e| CaError::BadFile {
        path: path.to_path_buf(),
        what: format!("not a PEM certificate ({e})"),
    })
}

fn ca_name(names: &CaNames, ou: &str, cn: &str) -> Result<x509_cert::name::Name, CaError> {
    name::build(&[
        (rfc4519::C, "KR"),
        (rfc4519::O, &names.organization),
        (rfc4519::OU, ou),
        (rfc4519::CN, cn),
    ])
    .map_err(|e| CaError::Refused(format!("CA name: {e}")))
}

fn sync_dir(dir: &Path) -> Result<(), CaError> {
    // On Unix a directory can be opened and fsynced so that the rename that made it is durable.
    #[cfg(unix)]
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(CaError::io(dir))?;
    Ok(())
}

impl CertificateAuthority {
    /// Opens the CA in `dir`, making the whole hierarchy first if `dir` does not exist yet.
    /// Making it is atomic: it is built in a side directory and renamed into place, so a crash
    /// half-way leaves no half-made CA.
    pub fn open_or_create(
        dir: &Path,
        keys: &KeyHome<'_>,
        names: &CaNames,
        urls: &PublicationUrls,
        now: OffsetDateTime,
    ) -> Result<Opened, CaError> {
        let mut created = false;
        if !dir.exists() {
            Self::create(dir, keys, names, urls, now)?;
            created = true;
        }
        if has_unsettled_ocsp_files(dir) {
            let _files = lock_ocsp_files(dir, true)?;
            settle_ocsp_files(dir)?;
        }
        let ca = Self::load(dir, keys)?;
        let ocsp_signer = match ca.maintain(dir, keys, names, now) {
            Ok(check) => check,
            // Still valid: the center starts, and the hourly check tries again.
            Err(e) if ca.ocsp_signer_not_after() > now => {
                tracing::warn!(error = %e, "the OCSP signer near its end could not be replaced yet");
                SignerCheck::Current
            }
            Err(e) => return Err(e),
        };
        Ok(Opened { ca, created, ocsp_signer })
    }

    fn create(
        dir: &Path,
        keys: &KeyHome<'_>,
        names: &CaNames,
        urls: &PublicationUrls,
        now: OffsetDateTime,
    ) -> Result<(), CaError> {
        let partial = dir.with_extension("partial");
        if partial.exists() {
            fs::remove_dir_all(&partial).map_err(CaError::io(&partial))?;
        }
        fs::create_dir_all(&partial).map_err(CaError::io(&partial))?;
        let mut rng = rand::thread_rng();
        let start = now - BACKDATE;

        let root_key = keys.new_key(&file(&partial, "root.key"), &names.root_cn, names.key_type)?;
        let root_tbs = tbs::root(
            CaCertRequest {
                subject: ca_name(names, "Certification Authority Central", &names.root_cn)?,
                public_key: root_key.public_key().clone(),
                serial: &Serial::random(&mut rng),
                not_before: start,
                not_after: now + Duration::days(365 * ROOT_YEARS),
            },
            root_key.signature_algorithm(),
        )?;
        let sig = root_key.sign(&root_tbs.to_der()?)?;
        let root_cert = Certificate {
            tbs_certificate: root_tbs,
            signature_algorithm: root_key.signature_algorithm(),
            signature: BitString::from_bytes(&sig)?,
        };
        let root = Authority::new(root_cert, root_key, "the root")?;
        write_cert(&file(&partial, "root.crt"), &root.cert)?;

        let issuing_key =
            keys.new_key(&file(&partial, "issuing.key"), &names.issuing_cn, names.key_type)?;
        let issuing_tbs = tbs::issuing_ca(
            CaCertRequest {
                subject: ca_name(names, "AccreditedCA", &names.issuing_cn)?,
                public_key: issuing_key.public_key().clone(),
                serial: &Serial::random(&mut rng),
                not_before: start,
                not_after: now + Duration::days(365 * ISSUING_YEARS),
            },
            &root.info,
            urls,
        )?;
        let issuing_cert = root.sign_certificate(issuing_tbs)?;
        write_cert(&file(&partial, "issuing.crt"), &issuing_cert)?;
        let issuing = Authority::new(issuing_cert, issuing_key, "the issuing CA")?;

        Self::make_ocsp_signer(&partial, &issuing, keys, names, now)?;
        sync_dir(&partial)?;
        fs::rename(&partial, dir).map_err(CaError::io(dir))?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        Ok(())
    }

    /// Makes a new OCSP-signing key and certificate in `dir` (replacing any there).
    fn make_ocsp_signer(
        dir: &Path,
        issuing: &Authority,
        keys: &KeyHome<'_>,
        names: &CaNames,
        now: OffsetDateTime,
    ) -> Result<Authority, CaError> {
        let key_tmp = file(dir, "ocsp.key.new");
        let _ = fs::remove_file(&key_tmp);
        let label = format!("{} OCSP Responder {}", names.issuing_cn, now.unix_timestamp());
        let key = keys.new_key(&key_tmp, &label, names.key_type)?;
        let tbs = tbs::ocsp_signer(
            CaCertRequest {
                subject: ca_name(
                    names,
                    "AccreditedCA",
                    &format!("{} OCSP Responder", names.issuing_cn),
                )?,
                public_key: key.public_key().clone(),
                serial: &Serial::random(&mut rand::thread_rng()),
                not_before: now - BACKDATE,
                not_after: now + Duration::days(OCSP_SIGNER_DAYS),
            },
            &issuing.info,
        )?;
        let cert = issuing.sign_certificate(tbs)?;
        // Written beside and renamed over, key first: a crash leaves either the old pair or a
        // new key with the old certificate, which `load` reports as a mismatch rather than
        // serving wrong answers.
        let cert_tmp = file(dir, "ocsp.crt.new");
        write_cert(&cert_tmp, &cert)?;
        fs::File::open(&cert_tmp).and_then(|f| f.sync_all()).map_err(CaError::io(&cert_tmp))?;
        fs::rename(&key_tmp, file(dir, "ocsp.key")).map_err(CaError::io(dir))?;
        fs::rename(&cert_tmp, file(dir, "ocsp.crt")).map_err(CaError::io(dir))?;
        sync_dir(dir)?;
        Authority::new(cert, key, "the OCSP signer")
    }

    /// The OCSP signer whose files are in `dir`, if they hold another certificate than
    /// `current` (another process replaced it) that this issuing CA signed, valid now and for
    /// more than 30 days; its key is opened only then, and must be the certificate's.
    fn ocsp_signer_on_disk(
        &self,
        dir: &Path,
        keys: &KeyHome<'_>,
        current: &OcspSigner,
        now: OffsetDateTime,
    ) -> Result<Option<Arc<OcspSigner>>, CaError> {
        let cert = read_cert(&file(dir, "ocsp.crt"))?;
        if cert.to_der()? == current.authority.der {
            return Ok(None);
        }
        let validity = &cert.tbs_certificate.validity;
        let not_before = dojang_profile::time::from_x509(&validity.not_before);
        let for_ocsp = matches!(
            cert.tbs_certificate.get::<ExtendedKeyUsage>(),
            Ok(Some((_, eku))) if eku.0.contains(&const_oid::db::rfc5280::ID_KP_OCSP_SIGNING)
        );
        let ours = cert.tbs_certificate.issuer == self.issuing.info.name
            && for_ocsp
            && self.issuing.verifies(&cert)?
            && not_before <= now;
        if !ours {
            tracing::warn!("the OCSP signer certificate in the CA directory is not one this CA may use now; it is left alone");
            return Ok(None);
        }
        let key = keys.load_key(&file(dir, "ocsp.key"))?;
        let theirs = OcspSigner::new(Authority::new(cert, key, "the OCSP signer")?);
        Ok((!theirs.due(now)).then_some(theirs))
    }

    /// The OCSP signer answers are signed with now.
    fn ocsp_signer(&self) -> Arc<OcspSigner> {
        // A panic elsewhere while holding the lock cannot leave a half-written Arc behind.
        Arc::clone(&self.ocsp.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Loads an existing CA directory, checking that every key matches its certificate.
    pub fn load(dir: &Path, keys: &KeyHome<'_>) -> Result<Self, CaError> {
        let part = |name: &str, label: &'static str| -> Result<Authority, CaError> {
            let cert = read_cert(&file(dir, &format!("{name}.crt")))?;
            let key = keys.load_key(&file(dir, &format!("{name}.key")))?;
            Authority::new(cert, key, label)
        };
        let ocsp = {
            let _files = lock_ocsp_files(dir, false)?;
            part("ocsp", "the OCSP signer")?
        };
        Ok(CertificateAuthority {
            root: part("root", "the root")?,
            issuing: part("issuing", "the issuing CA")?,
            ocsp: RwLock::new(OcspSigner::new(ocsp)),
            renewing: Mutex::new(()),
        })
    }

    /// The issuing CA as the profile needs it.
    pub fn issuing_info(&self) -> &IssuerInfo {
        &self.issuing.info
    }

    pub fn root_certificate(&self) -> &Certificate {
        &self.root.cert
    }
    pub fn root_der(&self) -> &[u8] {
        &self.root.der
    }
    pub fn issuing_certificate(&self) -> &Certificate {
        &self.issuing.cert
    }
    pub fn issuing_der(&self) -> &[u8] {
        &self.issuing.der
    }
    /// The OCSP signer's certificate in use now (it is replaced yearly).
    pub fn ocsp_certificate(&self) -> Certificate {
        self.ocsp_signer().authority.cert.clone()
    }

    /// SHA-1 of the OCSP signer's public key in use now: its ResponderID byKey (RFC 6960
    /// §4.2.1).
    pub fn ocsp_responder_key_hash(&self) -> [u8; 20] {
        self.ocsp_signer().key_hash
    }

    /// Signs a customer's certificate with the issuing CA. The TBS must name this CA as its
    /// issuer and signature algorithm, and must not make a CA.
    pub fn issue(&self, tbs: TbsCertificate) -> Result<Certificate, CaError> {
        Ok(self.issue_encoded(tbs)?.certificate)
    }

    /// [`CertificateAuthority::issue`], with the certificate's DER (made without encoding the
    /// TBS twice).
    pub fn issue_encoded(&self, tbs: TbsCertificate) -> Result<Signed, CaError> {
        if tbs.issuer != self.issuing.info.name {
            return Err(CaError::Refused("the certificate names another issuer".into()));
        }
        if tbs.signature != self.issuing.info.signature_algorithm {
            return Err(CaError::Refused(
                "the certificate names another signature algorithm".into(),
            ));
        }
        if let Ok(Some((_, bc))) = tbs.get::<BasicConstraints>() {
            if bc.ca {
                return Err(CaError::Refused(
                    "the issuing CA does not make CA certificates".into(),
                ));
            }
        }
        self.issuing.sign_certificate_encoded(tbs)
    }

    /// Signs a CRL with the CA `scope` names; the TBS must name that CA as issuer.
    pub fn sign_crl(&self, scope: CrlScope, tbs: TbsCertList) -> Result<CertificateList, CaError> {
        let ca = match scope {
            CrlScope::Issuing => &self.issuing,
            CrlScope::Root => &self.root,
        };
        if tbs.issuer != ca.info.name || tbs.signature != ca.info.signature_algorithm {
            return Err(CaError::Refused("the CRL names another issuer or algorithm".into()));
        }
        let sig = ca.key.sign(&tbs.to_der()?)?;
        Ok(CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: ca.key.signature_algorithm(),
            signature: BitString::from_bytes(&sig)?,
        })
    }

    /// The issuer (name and algorithm) of CRLs of `scope`.
    pub fn crl_issuer(&self, scope: CrlScope) -> &IssuerInfo {
        match scope {
            CrlScope::Issuing => &self.issuing.info,
            CrlScope::Root => &self.root.info,
        }
    }

    /// Signs an OCSP answer with the delegated OCSP signer current now. The ResponderID and the
    /// certificate attached (so that clients can check the delegation) are that signer's, so
    /// an answer signed across a replacement still names the key that signed it.
    pub fn sign_ocsp(
        &self,
        produced_at: OcspGeneralizedTime,
        responses: Vec<SingleResponse>,
        response_extensions: Option<Extensions>,
    ) -> Result<BasicOcspResponse, CaError> {
        let signer = self.ocsp_signer();
        let data = ResponseData {
            version: Version::V1,
            responder_id: ResponderId::ByKey(OctetString::new(signer.key_hash.as_slice())?),
            produced_at,
            responses,
            response_extensions,
        };
        let sig = signer.authority.key.sign(&data.to_der()?)?;
        Ok(BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: signer.authority.key.signature_algorithm(),
            signature: BitString::from_bytes(&sig)?,
            certs: Some(vec![signer.authority.cert.clone()]),
        })
    }

    /// When the OCSP signer in use ends (its notAfter).
    pub fn ocsp_signer_not_after(&self) -> OffsetDateTime {
        self.ocsp_signer().authority.info.not_after
    }

    /// Checks the OCSP signer's remaining life and, inside its last 30 days, replaces it: with
    /// the one another process on the same directory already made, else with a new key and
    /// certificate under the issuing CA. Answers keep being signed meanwhile, by the old signer
    /// until the new one is in place. Blocking work (key generation, PBKDF2, the HSM): call it
    /// off the async workers.
    pub fn maintain(
        &self,
        dir: &Path,
        keys: &KeyHome<'_>,
        names: &CaNames,
        now: OffsetDateTime,
    ) -> Result<SignerCheck, CaError> {
        if !self.ocsp_signer().due(now) {
            return Ok(SignerCheck::Current);
        }
        let _one = self.renewing.lock().unwrap_or_else(PoisonError::into_inner);
        let files = lock_ocsp_files(dir, true)?;
        let current = self.ocsp_signer();
        if !current.due(now) {
            // Replaced by another thread while this one waited.
            return Ok(SignerCheck::Current);
        }
        if files.is_some() {
            settle_ocsp_files(dir)?;
        }
        if let Some(theirs) = self.ocsp_signer_on_disk(dir, keys, &current, now)? {
            *self.ocsp.write().unwrap_or_else(PoisonError::into_inner) = theirs;
            return Ok(SignerCheck::Adopted);
        }
        if files.is_none() {
            return Err(CaError::Refused(format!(
                "the OCSP signer ends {} and {} cannot be written to replace it; run any `dojang \
                 ca` command where the CA directory is writable, and this one takes the new \
                 signer at its next hourly check",
                current.authority.info.not_after,
                dir.display()
            )));
        }
        let made = Self::make_ocsp_signer(dir, &self.issuing, keys, names, now)?;
        *self.ocsp.write().unwrap_or_else(PoisonError::into_inner) = OcspSigner::new(made);
        Ok(SignerCheck::Renewed)
    }
}

/// The files a replacement of the OCSP signer writes beside the pair in use.
fn ocsp_new_files(dir: &Path) -> [PathBuf; 2] {
    [file(dir, "ocsp.key.new"), file(dir, "ocsp.crt.new")]
}

fn has_unsettled_ocsp_files(dir: &Path) -> bool {
    ocsp_new_files(dir).iter().any(|f| f.exists())
}

/// Finishes or undoes a replacement of the OCSP signer cut short (a crash, a kill during a
/// deploy). The new key is renamed into place before the new certificate, so a certificate left
/// as `.new` without a `.new` key belongs to the key in place, and is moved in; `.new` files left
/// beside an untouched pair are removed. Call it holding the exclusive lock.
fn settle_ocsp_files(dir: &Path) -> Result<(), CaError> {
    let [key_new, cert_new] = ocsp_new_files(dir);
    if cert_new.exists() && !key_new.exists() {
        fs::rename(&cert_new, file(dir, "ocsp.crt")).map_err(CaError::io(dir))?;
        sync_dir(dir)?;
        tracing::warn!("finished replacing the OCSP signer, which had been cut short");
    }
    for stale in [key_new, cert_new] {
        match fs::remove_file(&stale) {
            Ok(()) => {
                tracing::warn!(file = %stale.display(), "removed what an unfinished OCSP signer replacement left")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CaError::Io { path: stale, source: e }),
        }
    }
    Ok(())
}

/// Takes the CA directory's OCSP lock, exclusive to replace the signer's files or shared to read
/// them; released when the file is dropped. The lock file is opened read-only when it exists
/// (a lock needs no write access, and another user may have made it). `None` when there is no
/// lock file and none can be made: a directory mounted read-only, where nothing is replaced.
fn lock_ocsp_files(dir: &Path, exclusive: bool) -> Result<Option<fs::File>, CaError> {
    let path = file(dir, OCSP_LOCK_FILE);
    let opened = fs::File::open(&path)
        .or_else(|_| fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path));
    let Ok(lock) = opened else { return Ok(None) };
    if exclusive { lock.lock() } else { lock.lock_shared() }.map_err(CaError::io(&path))?;
    Ok(Some(lock))
}

/// Runs `read` while no process replaces the OCSP signer's files in `dir`: for copies of the
/// CA directory (backups) that must hold a key and a certificate that belong together.
pub fn with_ca_files_steady<T>(dir: &Path, read: impl FnOnce() -> T) -> Result<T, CaError> {
    let _files = lock_ocsp_files(dir, false)?;
    Ok(read())
}

/// Decodes a DER certificate (for callers that only have bytes).
pub fn certificate_from_der(der: &[u8]) -> Result<Certificate, der::Error> {
    Certificate::from_der(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The PEM that hung der 0.7's streaming reader (found by fuzzing): refused, promptly.
    #[test]
    fn a_certificate_file_with_a_short_pem_body_is_refused_not_hung() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("issuing.pem");
        fs::write(&path, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
            .expect("write");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_cert(&path).map(|_| ()));
        });
        // A bound against the hang, not a speed limit.
        let result = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("read returned");
        let err = result.expect_err("refused");
        assert!(err.to_string().contains("not a PEM certificate"), "{err}");
    }

    fn names() -> CaNames {
        CaNames {
            organization: "dojang".into(),
            root_cn: "dojang Root CA".into(),
            issuing_cn: "dojangCA Class 1".into(),
            key_type: KeyType::EcdsaP256,
        }
    }

    // The DER made from the bytes signed is the certificate's own encoding, and its signature
    // verifies under the issuing CA's key.
    #[test]
    fn an_issued_certificate_is_encoded_as_signed() {
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
        let tmp = tempfile::tempdir().expect("tempdir");
        let pass = Passphrase::new("pass".into());
        let urls = PublicationUrls::new("http://127.0.0.1:8080");
        let now = OffsetDateTime::now_utc();
        let opened = CertificateAuthority::open_or_create(
            &tmp.path().join("ca"),
            &KeyHome::files(&pass),
            &names(),
            &urls,
            now,
        )
        .expect("create");
        let catalog = dojang_profile::Catalog::defaults();
        let customer = SoftwareKey::generate(KeyType::EcdsaP256).expect("key");
        let tbs = tbs::leaf(
            tbs::LeafRequest {
                product: catalog.get(dojang_profile::ProductId::PersonalBank),
                subject: ca_name(&names(), "personal4IB", "홍길동()0011234567890123")
                    .expect("name"),
                public_key: customer.public_key().clone(),
                serial: &Serial::random(&mut rand::thread_rng()),
                not_before: now,
                not_after: now + Duration::days(365),
                subject_alt_name: None,
            },
            opened.ca.issuing_info(),
            &urls,
        )
        .expect("tbs");
        let signed = opened.ca.issue_encoded(tbs).expect("issue");
        assert_eq!(signed.der, signed.certificate.to_der().expect("encode"));
        assert_eq!(Certificate::from_der(&signed.der).expect("decode"), signed.certificate);
        let issuing =
            opened.ca.issuing_certificate().tbs_certificate.subject_public_key_info.clone();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, issuing.subject_public_key.raw_bytes())
            .verify(
                &signed.certificate.tbs_certificate.to_der().expect("tbs"),
                signed.certificate.signature.raw_bytes(),
            )
            .expect("the signature verifies");
    }

    #[test]
    fn creates_once_then_loads_the_same_hierarchy() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("ca");
        let pass = Passphrase::new("pass".into());
        let urls = PublicationUrls::new("http://127.0.0.1:8080");
        let now = OffsetDateTime::now_utc();
        let first = CertificateAuthority::open_or_create(
            &dir,
            &KeyHome::files(&pass),
            &names(),
            &urls,
            now,
        )
        .expect("create");
        assert!(first.created);
        assert!(!dir.with_extension("partial").exists());
        let again = CertificateAuthority::open_or_create(
            &dir,
            &KeyHome::files(&pass),
            &names(),
            &urls,
            now,
        )
        .expect("load");
        assert!(!again.created && again.ocsp_signer == SignerCheck::Current);
        assert_eq!(first.ca.root_der(), again.ca.root_der());
        assert_eq!(first.ca.ocsp_responder_key_hash(), again.ca.ocsp_responder_key_hash());
        assert_eq!(
            name::korean_text(&again.ca.issuing_info().name),
            "cn=dojangCA Class 1,ou=AccreditedCA,o=dojang,c=kr"
        );

        // Near the OCSP signer's end a new one is made, under the same issuing CA.
        let later = now + Duration::days(OCSP_SIGNER_DAYS - 10);
        let renewed = CertificateAuthority::open_or_create(
            &dir,
            &KeyHome::files(&pass),
            &names(),
            &urls,
            later,
        )
        .expect("renew");
        assert_eq!(renewed.ocsp_signer, SignerCheck::Renewed);
        assert_ne!(renewed.ca.ocsp_responder_key_hash(), first.ca.ocsp_responder_key_hash());
        assert!(CertificateAuthority::load(&dir, &KeyHome::files(&pass)).is_ok());

        assert!(matches!(
            CertificateAuthority::load(&dir, &KeyHome::files(&Passphrase::new("nope".into()))),
            Err(CaError::WrongPassphrase(_))
        ));
    }

    /// A CA made now in a temporary directory: the directory, the CA's, the CA, and now.
    fn made_now(
        keys: &KeyHome<'_>,
    ) -> (tempfile::TempDir, PathBuf, CertificateAuthority, OffsetDateTime) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("ca");
        let urls = PublicationUrls::new("http://127.0.0.1:8080");
        let now = OffsetDateTime::now_utc();
        let ca = CertificateAuthority::open_or_create(&dir, keys, &names(), &urls, now)
            .expect("create")
            .ca;
        (tmp, dir, ca, now)
    }

    // A server keeps running past its OCSP signer's renewal date: `maintain` replaces the
    // signer in place. A second process on the same directory (a `dojang ca` command, or a
    // server started from the same files) then takes the signer already made instead of making
    // another, so the files and every process agree.
    #[test]
    fn a_running_ca_replaces_its_ocsp_signer_and_another_process_adopts_it() {
        let pass = Passphrase::new("pass".into());
        let keys = KeyHome::files(&pass);
        let (_tmp, dir, running, now) = made_now(&keys);
        let other = CertificateAuthority::load(&dir, &keys).expect("second process");
        let first = running.ocsp_responder_key_hash();
        assert_eq!(
            running.maintain(&dir, &keys, &names(), now).expect("check"),
            SignerCheck::Current
        );
        let early = now + Duration::days(OCSP_SIGNER_DAYS - OCSP_RENEW_BEFORE_DAYS - 1);
        assert_eq!(
            running.maintain(&dir, &keys, &names(), early).expect("check"),
            SignerCheck::Current
        );

        let later = now + Duration::days(OCSP_SIGNER_DAYS - 20);
        assert_eq!(
            running.maintain(&dir, &keys, &names(), later).expect("renew"),
            SignerCheck::Renewed
        );
        let renewed = running.ocsp_responder_key_hash();
        assert_ne!(renewed, first);
        assert!(running.ocsp_signer_not_after() > later + Duration::days(300));
        // Checked again, the new one is current; the files hold it.
        assert_eq!(
            running.maintain(&dir, &keys, &names(), later).expect("check"),
            SignerCheck::Current
        );
        assert_eq!(
            CertificateAuthority::load(&dir, &keys).expect("load").ocsp_responder_key_hash(),
            renewed
        );

        // The other process still signs with the old one until its own check, which adopts.
        assert_eq!(other.ocsp_responder_key_hash(), first);
        assert_eq!(
            other.maintain(&dir, &keys, &names(), later).expect("adopt"),
            SignerCheck::Adopted
        );
        assert_eq!(other.ocsp_responder_key_hash(), renewed);
        assert_eq!(other.ocsp_certificate(), running.ocsp_certificate());
    }

    // A replacement cut short between its two renames (the new key in place, its certificate
    // still `.new`) is finished at the next start; one cut short before them leaves the old pair,
    // and the `.new` files are cleared away.
    #[test]
    fn a_signer_replacement_cut_short_is_finished_or_undone_at_the_next_start() {
        let pass = Passphrase::new("pass".into());
        let keys = KeyHome::files(&pass);
        let (tmp, dir, ca, now) = made_now(&keys);
        let urls = PublicationUrls::new("http://127.0.0.1:8080");
        let reopen = || CertificateAuthority::open_or_create(&dir, &keys, &names(), &urls, now);
        let first = ca.ocsp_responder_key_hash();
        // The new pair, made beside: what the replacement was writing.
        let side = tmp.path().join("side");
        fs::create_dir(&side).expect("side");
        let made = CertificateAuthority::make_ocsp_signer(&side, &ca.issuing, &keys, &names(), now)
            .expect("make");
        let made = OcspSigner::new(made).key_hash;

        // Cut short before the renames: the old pair is used, the leftovers go.
        fs::copy(side.join("ocsp.key"), dir.join("ocsp.key.new")).expect("key.new");
        fs::copy(side.join("ocsp.crt"), dir.join("ocsp.crt.new")).expect("crt.new");
        assert_eq!(reopen().expect("reopen").ca.ocsp_responder_key_hash(), first);
        assert!(!has_unsettled_ocsp_files(&dir));

        // Cut short between them: finished, the new pair is used.
        fs::copy(side.join("ocsp.key"), dir.join("ocsp.key")).expect("key renamed");
        fs::copy(side.join("ocsp.crt"), dir.join("ocsp.crt.new")).expect("crt not yet");
        assert_eq!(reopen().expect("reopen").ca.ocsp_responder_key_hash(), made);
        assert!(!has_unsettled_ocsp_files(&dir));
        assert_eq!(
            CertificateAuthority::load(&dir, &keys).expect("load").ocsp_responder_key_hash(),
            made
        );
    }

    // A signer found in the directory is taken only if this issuing CA signed it and it is
    // valid now: another CA's (a copied directory) or one dated ahead (made under a shifted
    // clock) is left alone, and a new one is made instead.
    #[test]
    fn a_signer_on_disk_is_adopted_only_if_ours_and_valid_now() {
        let pass = Passphrase::new("pass".into());
        let keys = KeyHome::files(&pass);
        let (tmp, dir, ca, now) = made_now(&keys);
        let later = now + Duration::days(OCSP_SIGNER_DAYS - 20);
        let (_other_tmp, other_dir, other, _) = made_now(&keys);
        // Another CA's signer, fresh at `later`: only its issuer tells it apart.
        CertificateAuthority::make_ocsp_signer(&other_dir, &other.issuing, &keys, &names(), later)
            .expect("fresh");
        let original = ca.ocsp_signer();
        let ahead = tmp.path().join("ahead");
        fs::create_dir(&ahead).expect("dir");
        let dated_ahead = now + Duration::days(OCSP_SIGNER_DAYS + 30);
        CertificateAuthority::make_ocsp_signer(&ahead, &ca.issuing, &keys, &names(), dated_ahead)
            .expect("made ahead");
        for from in [&other_dir, &ahead] {
            for name in ["ocsp.key", "ocsp.crt"] {
                fs::copy(from.join(name), dir.join(name)).expect("copy");
            }
            let found = read_cert(&dir.join("ocsp.crt")).expect("cert");
            assert_eq!(
                ca.maintain(&dir, &keys, &names(), later).expect("check"),
                SignerCheck::Renewed
            );
            assert_ne!(ca.ocsp_certificate(), found, "{} was not taken", from.display());
            assert!(ca.issuing.verifies(&ca.ocsp_certificate()).expect("verify"));
            // Due again for the next round.
            *ca.ocsp.write().expect("lock") = Arc::clone(&original);
        }
    }

    // An answer names the key that signed it, whichever signer is current.
    #[test]
    fn an_ocsp_answer_names_and_carries_its_signer() {
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
        let pass = Passphrase::new("pass".into());
        let keys = KeyHome::files(&pass);
        let (_tmp, dir, ca, now) = made_now(&keys);
        let produced =
            OcspGeneralizedTime(dojang_profile::time::to_generalized(now).expect("time"));
        for at in [now, now + Duration::days(OCSP_SIGNER_DAYS - 1)] {
            ca.maintain(&dir, &keys, &names(), at).expect("check");
            let basic = ca.sign_ocsp(produced, Vec::new(), None).expect("sign");
            let signer = &basic.certs.as_ref().expect("attached")[0];
            assert_eq!(signer, &ca.ocsp_certificate());
            let key = signer.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
            let named = match &basic.tbs_response_data.responder_id {
                ResponderId::ByKey(k) => k.as_bytes().to_vec(),
                ResponderId::ByName(_) => Vec::new(),
            };
            assert_eq!(named, Sha1::digest(key).to_vec());
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key)
                .verify(
                    &basic.tbs_response_data.to_der().expect("data"),
                    basic.signature.raw_bytes(),
                )
                .expect("signed by the key it names");
        }
    }

    #[test]
    fn a_key_that_does_not_match_its_certificate_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("ca");
        let pass = Passphrase::new("pass".into());
        let urls = PublicationUrls::new("http://127.0.0.1:8080");
        CertificateAuthority::open_or_create(
            &dir,
            &KeyHome::files(&pass),
            &names(),
            &urls,
            OffsetDateTime::now_utc(),
        )
        .expect("create");
        fs::copy(dir.join("root.key"), dir.join("issuing.key")).expect("copy");
        assert!(matches!(
            CertificateAuthority::load(&dir, &KeyHome::files(&pass)),
            Err(CaError::KeyMismatch(_))
        ));
    }
}
