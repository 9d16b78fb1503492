//! The CA hierarchy of one center: a root, an issuing CA under it, and a delegated OCSP signer
//! under the issuing CA. Made on first start, kept as certificates (PEM) and encrypted key
//! files in one directory.

use std::fs;
use std::path::{Path, PathBuf};

use const_oid::db::rfc4519;
use der::asn1::BitString;
use der::{Decode, Encode, EncodePem, Header, Tag};
use dojang_pki::{KeyType, Serial};
use dojang_profile::tbs::{self, CaCertRequest, IssuerInfo};
use dojang_profile::{name, PublicationUrls};
use sha1::{Digest, Sha1};
use time::{Duration, OffsetDateTime};
use x509_cert::crl::{CertificateList, TbsCertList};
use x509_cert::der::pem::LineEnding;
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::{Certificate, TbsCertificate};
use x509_ocsp::{BasicOcspResponse, ResponseData};

use crate::error::CaError;
use crate::hsm::{Hsm, URI_SCHEME};
use crate::key::{Signer, SoftwareKey};
use crate::keyfile::{self, Passphrase};

const ROOT_YEARS: i64 = 20;
const ISSUING_YEARS: i64 = 10;
const OCSP_SIGNER_DAYS: i64 = 365;
/// The OCSP signer is replaced this long before it ends, at the next start or check.
const OCSP_RENEW_BEFORE_DAYS: i64 = 30;
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
    /// The OCSP signer was replaced because it was near its end.
    pub ocsp_signer_renewed: bool,
}

/// The CA: it signs, and that is all it does.
pub struct CertificateAuthority {
    root: Authority,
    issuing: Authority,
    ocsp: Authority,
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
        let mut ca = Self::load(dir, keys)?;
        let renewed = ca.renew_ocsp_signer_if_due(dir, keys, names, now)?;
        Ok(Opened { ca, created, ocsp_signer_renewed: renewed })
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
        fs::rename(&key_tmp, file(dir, "ocsp.key")).map_err(CaError::io(dir))?;
        fs::rename(&cert_tmp, file(dir, "ocsp.crt")).map_err(CaError::io(dir))?;
        Authority::new(cert, key, "the OCSP signer")
    }

    fn renew_ocsp_signer_if_due(
        &mut self,
        dir: &Path,
        keys: &KeyHome<'_>,
        names: &CaNames,
        now: OffsetDateTime,
    ) -> Result<bool, CaError> {
        if self.ocsp.info.not_after - now > Duration::days(OCSP_RENEW_BEFORE_DAYS) {
            return Ok(false);
        }
        self.ocsp = Self::make_ocsp_signer(dir, &self.issuing, keys, names, now)?;
        Ok(true)
    }

    /// Loads an existing CA directory, checking that every key matches its certificate.
    pub fn load(dir: &Path, keys: &KeyHome<'_>) -> Result<Self, CaError> {
        let part = |name: &str, label: &'static str| -> Result<Authority, CaError> {
            let cert = read_cert(&file(dir, &format!("{name}.crt")))?;
            let key = keys.load_key(&file(dir, &format!("{name}.key")))?;
            Authority::new(cert, key, label)
        };
        Ok(CertificateAuthority {
            root: part("root", "the root")?,
            issuing: part("issuing", "the issuing CA")?,
            ocsp: part("ocsp", "the OCSP signer")?,
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
    pub fn ocsp_certificate(&self) -> &Certificate {
        &self.ocsp.cert
    }

    /// SHA-1 of the OCSP signer's public key: its ResponderID byKey (RFC 6960 §4.2.1).
    pub fn ocsp_responder_key_hash(&self) -> [u8; 20] {
        Sha1::digest(self.ocsp.key.public_key().subject_public_key.raw_bytes()).into()
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

    /// Signs OCSP response data with the delegated OCSP signer and attaches its certificate,
    /// so that clients can check the delegation.
    pub fn sign_ocsp(&self, data: ResponseData) -> Result<BasicOcspResponse, CaError> {
        let sig = self.ocsp.key.sign(&data.to_der()?)?;
        Ok(BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: self.ocsp.key.signature_algorithm(),
            signature: BitString::from_bytes(&sig)?,
            certs: Some(vec![self.ocsp.cert.clone()]),
        })
    }

    /// Re-reads nothing; re-checks the OCSP signer's remaining life and replaces it when due.
    pub fn maintain(
        &mut self,
        dir: &Path,
        keys: &KeyHome<'_>,
        names: &CaNames,
        now: OffsetDateTime,
    ) -> Result<bool, CaError> {
        self.renew_ocsp_signer_if_due(dir, keys, names, now)
    }
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
        assert!(!again.created && !again.ocsp_signer_renewed);
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
        assert!(renewed.ocsp_signer_renewed);
        assert_ne!(renewed.ca.ocsp_responder_key_hash(), first.ca.ocsp_responder_key_hash());
        assert!(CertificateAuthority::load(&dir, &KeyHome::files(&pass)).is_ok());

        assert!(matches!(
            CertificateAuthority::load(&dir, &KeyHome::files(&Passphrase::new("nope".into()))),
            Err(CaError::WrongPassphrase(_))
        ));
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
