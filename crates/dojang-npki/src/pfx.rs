//! PFX (PKCS#12, RFC 7292): moving a certificate and its private key out of the NPKI folder
//! and back in, in the one format every browser, OS key store and `openssl pkcs12` speaks.
//!
//! The ASN.1 types and the RFC 7292 Appendix B key derivation come from RustCrypto's `pkcs12`
//! crate (der 0.7, cms 0.2 — the generation the whole workspace is on); PBES2 comes from `pkcs5`.
//! This module only composes them: which bags go where, which cipher protects what, and how a
//! wrong password is told apart from a damaged file. (`p12-keystore`, the one high-level
//! PKCS#12 crate, was set aside: its current release pulls a second, pre-release generation of
//! the RustCrypto stack (der 0.8, cms 0.3-pre, pkcs12 0.2-pre, rand 0.10) plus x509-parser, and
//! it has no hook for the SEED key bags Korean software writes.)
//!
//! **Export** writes what OpenSSL 3 writes by default, so its default provider reads it without
//! `-legacy`: the key in a PKCS#8 shrouded key bag and the certificates in an encrypted-data
//! safe, both PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), integrity by an HMAC-SHA256 MAC, and the
//! `friendlyName` and `localKeyId` attributes on the key and its certificate.
//!
//! The key is encrypted exactly as the caller hands it over: a Korean PrivateKeyInfo carrying the
//! `randomNum` attribute (the VID random value R, OID 1.2.410.200004.10.1.1.3) keeps it inside the
//! shrouded key bag, and [`import`] gives the same bytes back, so R survives a trip through PFX.
//!
//! **Import** reads that, OpenSSL's `-legacy` files (pbeWithSHAAnd3-KeyTripleDES-CBC, RC2-40,
//! SHA-1 MAC) and the PBES2 variants `pkcs5` knows (AES, 3DES, PBKDF2 with SHA-1 or SHA-2).
//! Key bags the Korean way — SEED under seedCBCWithSHA1 or PBES2 — go to [`crate::keyfile`], as a
//! shrouded key bag is the same EncryptedPrivateKeyInfo as `signPri.key`.

use std::fmt;

use cms::content_info::{CmsVersion, ContentInfo};
use cms::encrypted_data::EncryptedData;
use cms::enveloped_data::EncryptedContentInfo;
use const_oid::ObjectIdentifier;
use der::asn1::{BmpString, ContextSpecific, OctetString, SetOfVec};
use der::{Any, AnyRef, Decode, Encode};
use digest::core_api::BlockSizeUser;
use digest::{Digest, FixedOutputReset};
use hmac::{Mac, SimpleHmac};
use pkcs12::cert_type::CertBag;
use pkcs12::digest_info::DigestInfo;
use pkcs12::kdf::{derive_key_bmp, Pkcs12KeyType};
use pkcs12::mac_data::MacData;
use pkcs12::pbe_params::{Pbes2Params, Pkcs12PbeParams};
use pkcs12::pfx::{Pfx, Version};
use pkcs12::safe_bag::SafeBag;
use rand::RngCore;
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use zeroize::Zeroizing;

/// Object identifiers this module names (RFC 7292, RFC 5652, PKCS#9, RFC 8018).
pub mod oid {
    use const_oid::ObjectIdentifier;

    /// id-data: plain content.
    pub const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
    /// id-signedData: a PFX in public-key integrity mode.
    pub const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    /// id-encryptedData: password-encrypted content.
    pub const ENCRYPTED_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
    /// PKCS#9 friendlyName (a BMPString).
    pub const FRIENDLY_NAME: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");
    /// PKCS#9 localKeyId (an OCTET STRING tying a key to its certificate).
    pub const LOCAL_KEY_ID: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");
    /// PBES2 (RFC 8018).
    pub const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
    /// PBKDF2 (RFC 8018).
    pub const PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
    /// pbeWithSHAAnd128BitRC4 (RFC 7292 Appendix C): not supported, named in errors.
    pub const PBE_SHA1_RC4_128: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.1");
    /// pbeWithSHAAnd40BitRC4: not supported, named in errors.
    pub const PBE_SHA1_RC4_40: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.2");
    /// pbeWithSHAAnd3-KeyTripleDES-CBC: the key bag of `openssl pkcs12 -legacy` and Windows.
    pub const PBE_SHA1_3DES_3KEY: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
    /// pbeWithSHAAnd2-KeyTripleDES-CBC.
    pub const PBE_SHA1_3DES_2KEY: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.4");
    /// pbeWithSHAAnd128BitRC2-CBC.
    pub const PBE_SHA1_RC2_128: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.5");
    /// pbewithSHAAnd40BitRC2-CBC: the certificate safe of `openssl pkcs12 -legacy`.
    pub const PBE_SHA1_RC2_40: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");
    /// id-sha1, a MAC digest.
    pub const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    /// id-sha224.
    pub const SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4");
    /// id-sha256, the MAC digest we write.
    pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    /// id-sha384.
    pub const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
    /// id-sha512.
    pub const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
}

/// Iterations a file may ask for before we refuse to spend the time: ten times what careful
/// writers use today (600,000 for PBKDF2-SHA256), so a hostile file cannot stall the client
/// for minutes.
pub const MAX_ITERATIONS: u32 = 6_000_000;

/// How deep `safeContentsBag`s may nest; real files never nest at all.
const MAX_NESTING: usize = 4;

/// Why a PFX could not be read or written. Never carries a password or key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PfxError {
    /// The password does not open this file (its MAC does not verify and the key does not
    /// decrypt).
    #[error("the PFX password is wrong")]
    WrongPassword,
    /// The file is not a PFX or is damaged (truncated, altered, bad DER); says what is wrong.
    #[error("the file is not a valid PFX (PKCS#12): {0}")]
    Corrupt(String),
    /// The file uses an algorithm this client does not implement; names it.
    #[error("the PFX {what} uses algorithm {oid}, which dojang does not support")]
    Unsupported { what: &'static str, oid: ObjectIdentifier },
    /// The file is signed with a public key instead of a password (RFC 7292 public-key
    /// integrity mode), which no certificate export uses.
    #[error("the PFX is in public-key integrity mode (signedData); only password-protected PFX files are supported")]
    PublicKeyMode,
    /// An iteration count above [`MAX_ITERATIONS`].
    #[error("the PFX asks for {0} iterations of its key derivation, more than the {MAX_ITERATIONS} dojang allows")]
    TooManyIterations(u64),
    #[error("the PFX holds no private key")]
    NoPrivateKey,
    #[error("the PFX holds no certificate")]
    NoCertificate,
    /// What the caller handed to [`export`] is unusable.
    #[error("cannot make a PFX: {0}")]
    InvalidInput(String),
}

/// A certificate with its private key, as carried by a PFX.
#[derive(Clone, PartialEq, Eq)]
pub struct PfxContents {
    /// The end-entity certificate (DER): the one holding the key's public half.
    pub certificate: Vec<u8>,
    /// The other certificates in the file (issuing CAs), DER, in file order.
    pub chain: Vec<Vec<u8>>,
    /// The PKCS#8 PrivateKeyInfo (DER) exactly as it was inside the file, attributes (such as
    /// the Korean `randomNum`) included.
    pub private_key: Zeroizing<Vec<u8>>,
    /// The key's `friendlyName`, if it had one.
    pub friendly_name: Option<String>,
}

impl fmt::Debug for PfxContents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PfxContents")
            .field("certificate", &format_args!("<{} bytes>", self.certificate.len()))
            .field("chain", &self.chain.len())
            .field("private_key", &"<redacted>")
            .field("friendly_name", &self.friendly_name)
            .finish()
    }
}

/// Choices for [`export`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    /// The `friendlyName` of the key and certificate (what a browser or OS key store shows).
    /// `None`: the certificate subject's common name, or "dojang" when it has none.
    pub friendly_name: Option<String>,
    /// PBKDF2 and MAC iterations. OpenSSL 3 writes 2048; we write more because a PFX travels.
    pub iterations: u32,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { friendly_name: None, iterations: 10_000 }
    }
}

/// Makes a PFX of `certificate` (DER), the issuing `chain` (DER, any order) and `private_key`
/// (PKCS#8 PrivateKeyInfo DER, encrypted as is), protected by `password`.
pub fn export(
    certificate: &[u8],
    chain: &[Vec<u8>],
    private_key: &[u8],
    password: &str,
    options: &ExportOptions,
) -> Result<Vec<u8>, PfxError> {
    let shroud = |key: &[u8]| {
        let (alg, ciphertext) = pbes2_encrypt(password, options.iterations, key)?;
        encode(&pkcs12::pbe_params::EncryptedPrivateKeyInfo {
            encryption_algorithm: alg,
            encrypted_data: octets(&ciphertext)?,
        })
    };
    export_with(certificate, chain, private_key, password, options, shroud)
}

/// [`export`] with the shrouded key bag's EncryptedPrivateKeyInfo made by `shroud`; tests
/// use it to build the PFX files Korean software writes (a SEED-encrypted key bag).
fn export_with(
    certificate: &[u8],
    chain: &[Vec<u8>],
    private_key: &[u8],
    password: &str,
    options: &ExportOptions,
    shroud: impl FnOnce(&[u8]) -> Result<Vec<u8>, PfxError>,
) -> Result<Vec<u8>, PfxError> {
    let cert = x509_cert::Certificate::from_der(certificate).map_err(|e| {
        PfxError::InvalidInput(format!("the certificate is not valid DER X.509: {e}"))
    })?;
    for (i, c) in chain.iter().enumerate() {
        x509_cert::Certificate::from_der(c).map_err(|e| {
            PfxError::InvalidInput(format!(
                "chain certificate {} is not valid DER X.509: {e}",
                i + 1
            ))
        })?;
    }
    pkcs8::PrivateKeyInfo::try_from(private_key).map_err(|_| {
        PfxError::InvalidInput("the private key is not a PKCS#8 PrivateKeyInfo".into())
    })?;
    if password.is_empty() {
        return Err(PfxError::InvalidInput("the PFX password is empty".into()));
    }
    let bmp_password = BmpString::from_utf8(password).map_err(|_| {
        PfxError::InvalidInput(
            "the PFX password has characters PKCS#12 cannot carry (outside the Basic Multilingual Plane)"
                .into(),
        )
    })?;
    if options.iterations == 0 || options.iterations > MAX_ITERATIONS {
        return Err(PfxError::InvalidInput(format!(
            "iterations must be 1..={MAX_ITERATIONS}, not {}",
            options.iterations
        )));
    }
    let iterations = options.iterations;

    let friendly_name = match &options.friendly_name {
        Some(n) => n.clone(),
        None => common_name(&cert).unwrap_or_else(|| "dojang".to_string()),
    };
    // OpenSSL's convention: the localKeyId is the SHA-1 of the certificate.
    let local_key_id = sha1::Sha1::digest(certificate).to_vec();
    let attributes = bag_attributes(&friendly_name, &local_key_id)?;

    // Certificates: one safe, encrypted (RFC 7292 §5.1 step 2: certificates in an
    // EncryptedData, the key in a plain Data holding a shrouded key bag).
    let mut cert_bags = vec![SafeBag {
        bag_id: pkcs12::PKCS_12_CERT_BAG_OID,
        bag_value: encode(&CertBag {
            cert_id: pkcs12::PKCS_12_X509_CERT_OID,
            cert_value: octets(certificate)?,
        })?,
        bag_attributes: Some(attributes.clone()),
    }];
    for c in chain {
        cert_bags.push(SafeBag {
            bag_id: pkcs12::PKCS_12_CERT_BAG_OID,
            bag_value: encode(&CertBag {
                cert_id: pkcs12::PKCS_12_X509_CERT_OID,
                cert_value: octets(c)?,
            })?,
            bag_attributes: None,
        });
    }
    let cert_safe = encode(&cert_bags)?;
    let (cert_alg, cert_ciphertext) = pbes2_encrypt(password, iterations, &cert_safe)?;
    let cert_info = ContentInfo {
        content_type: oid::ENCRYPTED_DATA,
        content: Any::encode_from(&EncryptedData {
            version: CmsVersion::V0,
            enc_content_info: EncryptedContentInfo {
                content_type: oid::DATA,
                content_enc_alg: cert_alg,
                encrypted_content: Some(octets(&cert_ciphertext)?),
            },
            unprotected_attrs: None,
        })
        .map_err(internal)?,
    };

    // The key: a shrouded key bag over the caller's PrivateKeyInfo bytes, untouched.
    let shrouded = shroud(private_key)?;
    let key_safe = encode(&vec![SafeBag {
        bag_id: pkcs12::PKCS_12_PKCS8_KEY_BAG_OID,
        bag_value: shrouded,
        bag_attributes: Some(attributes),
    }])?;
    let key_info = ContentInfo {
        content_type: oid::DATA,
        content: Any::encode_from(&octets(&key_safe)?).map_err(internal)?,
    };

    let auth_safe = encode(&vec![cert_info, key_info])?;
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let mac = mac_with::<sha2::Sha256>(&bmp_password, &salt, iterations, &auth_safe)?;
    let pfx = Pfx {
        version: Version::V3,
        auth_safe: ContentInfo {
            content_type: oid::DATA,
            content: Any::encode_from(&octets(&auth_safe)?).map_err(internal)?,
        },
        mac_data: Some(MacData {
            mac: DigestInfo {
                algorithm: AlgorithmIdentifierOwned {
                    oid: oid::SHA256,
                    parameters: Some(Any::null()),
                },
                digest: octets(&mac)?,
            },
            mac_salt: octets(&salt)?,
            iterations: i32::try_from(iterations)
                .map_err(|_| PfxError::TooManyIterations(iterations.into()))?,
        }),
    };
    pfx.to_der().map_err(internal)
}

/// Checks, without the password, that `pfx` is a password-protected PFX (so a caller can say
/// "not a PFX" before asking for a password).
pub fn check_format(pfx: &[u8]) -> Result<(), PfxError> {
    parse_outer(pfx).map(|_| ())
}

/// The outer PFX, refused unless in password integrity mode (authSafe of type data).
fn parse_outer(pfx: &[u8]) -> Result<Pfx, PfxError> {
    let parsed = Pfx::from_der(pfx).map_err(|e| corrupt("the outer PFX structure", e))?;
    match parsed.auth_safe.content_type {
        oid::DATA => Ok(parsed),
        oid::SIGNED_DATA => Err(PfxError::PublicKeyMode),
        other => Err(PfxError::Unsupported { what: "authenticated safe content type", oid: other }),
    }
}

/// Reads a PFX made by us, OpenSSL (default or `-legacy`) or Korean software, returning its
/// certificate(s) and the PKCS#8 key. A wrong password is [`PfxError::WrongPassword`]; a file
/// that the right password opens but whose MAC fails is [`PfxError::Corrupt`].
pub fn import(pfx: &[u8], password: &str) -> Result<PfxContents, PfxError> {
    let parsed = parse_outer(pfx)?;
    let auth_safe = parsed
        .auth_safe
        .content
        .decode_as::<OctetString>()
        .map_err(|e| corrupt("the authenticated safe", e))?;
    let auth_safe = auth_safe.as_bytes();

    let Some(mac_data) = &parsed.mac_data else {
        // No MAC (allowed by RFC 7292, seen from some Java tools): the decryption alone has to
        // tell a wrong password, so any failure to decrypt counts as one.
        return read_contents(auth_safe, password).map_err(|e| e.into_error(false));
    };
    match verify_mac(mac_data, password, auth_safe)? {
        true => read_contents(auth_safe, password).map_err(|e| e.into_error(true)),
        // The MAC is keyed by the password, so a mismatch is either a wrong password or a
        // changed file. If the password still opens a private key, it was the file.
        false => match read_found(auth_safe, password, Mode::Probe) {
            Ok(found) if !found.keys.is_empty() => Err(PfxError::Corrupt(
                "its integrity check (MAC) fails although the password opens the key: the file was changed after it was made".into(),
            )),
            Err(ReadError::Fatal(e @ PfxError::TooManyIterations(_))) => Err(e),
            _ => Err(PfxError::WrongPassword),
        },
    }
}

/// How [`read_found`] treats a safe or bag it cannot read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every failure is an error: the import itself.
    Strict,
    /// Skip what fails and report what opened: used to tell a wrong password from a changed
    /// file once the MAC has failed.
    Probe,
}

/// A failure inside the authenticated safe, before we know whether the password was right.
enum ReadError {
    /// Decryption failed or gave garbage: a wrong password unless the MAC proved it right.
    Decrypt(String),
    /// Independent of the password.
    Fatal(PfxError),
}

impl ReadError {
    fn into_error(self, password_proven: bool) -> PfxError {
        match self {
            ReadError::Fatal(e) => e,
            ReadError::Decrypt(what) if password_proven => {
                PfxError::Corrupt(format!("{what} does not decrypt although the MAC verifies"))
            }
            ReadError::Decrypt(_) => PfxError::WrongPassword,
        }
    }
}

impl From<PfxError> for ReadError {
    fn from(e: PfxError) -> Self {
        ReadError::Fatal(e)
    }
}

/// One private key found in the file, with the attributes that tie it to a certificate.
struct FoundKey {
    der: Zeroizing<Vec<u8>>,
    local_key_id: Option<Vec<u8>>,
    friendly_name: Option<String>,
}

struct FoundCert {
    der: Vec<u8>,
    local_key_id: Option<Vec<u8>>,
}

#[derive(Default)]
struct Found {
    keys: Vec<FoundKey>,
    certs: Vec<FoundCert>,
}

fn read_contents(auth_safe: &[u8], password: &str) -> Result<PfxContents, ReadError> {
    pick(read_found(auth_safe, password, Mode::Strict)?).map_err(ReadError::Fatal)
}

fn read_found(auth_safe: &[u8], password: &str, mode: Mode) -> Result<Found, ReadError> {
    let infos = Vec::<ContentInfo>::from_der(auth_safe)
        .map_err(|e| PfxError::Corrupt(format!("the authenticated safe: {e}")))?;
    let mut found = Found::default();
    for info in infos {
        match read_safe(info, password, &mut found) {
            Err(_) if mode == Mode::Probe => continue,
            other => other?,
        }
    }
    Ok(found)
}

fn read_safe(info: ContentInfo, password: &str, found: &mut Found) -> Result<(), ReadError> {
    let safe: Zeroizing<Vec<u8>> = if info.content_type == oid::DATA {
        let o = info
            .content
            .decode_as::<OctetString>()
            .map_err(|e| PfxError::Corrupt(format!("a data safe: {e}")))?;
        Zeroizing::new(o.into_bytes())
    } else if info.content_type == oid::ENCRYPTED_DATA {
        let ed = info
            .content
            .decode_as::<EncryptedData>()
            .map_err(|e| PfxError::Corrupt(format!("an encrypted safe: {e}")))?;
        let Some(ciphertext) = ed.enc_content_info.encrypted_content else {
            return Err(PfxError::Corrupt("an encrypted safe has no content".into()).into());
        };
        decrypt(
            &ed.enc_content_info.content_enc_alg,
            ciphertext.as_bytes(),
            password,
            "certificate safe",
        )?
    } else {
        return Err(
            PfxError::Unsupported { what: "safe content type", oid: info.content_type }.into()
        );
    };
    let bags = Vec::<SafeBag>::from_der(&safe).map_err(|e| {
        if info.content_type == oid::ENCRYPTED_DATA {
            // Garbage out of a decryption that happened to end in valid padding.
            ReadError::Decrypt(format!("the certificate safe ({e})"))
        } else {
            ReadError::Fatal(PfxError::Corrupt(format!("a data safe: {e}")))
        }
    })?;
    collect_bags(bags, password, found, 0)
}

fn collect_bags(
    bags: Vec<SafeBag>,
    password: &str,
    found: &mut Found,
    depth: usize,
) -> Result<(), ReadError> {
    if depth > MAX_NESTING {
        return Err(PfxError::Corrupt("safe contents nest too deeply".into()).into());
    }
    for bag in bags {
        let (local_key_id, friendly_name) = read_attributes(&bag)?;
        if bag.bag_id == pkcs12::PKCS_12_CERT_BAG_OID {
            let cb = ContextSpecific::<CertBag>::from_der(&bag.bag_value)
                .map_err(|e| PfxError::Corrupt(format!("a certificate bag: {e}")))?
                .value;
            if cb.cert_id != pkcs12::PKCS_12_X509_CERT_OID {
                continue; // SDSI certificates: nothing a customer has.
            }
            let der = cb.cert_value.into_bytes();
            x509_cert::Certificate::from_der(&der)
                .map_err(|e| PfxError::Corrupt(format!("a certificate in the file: {e}")))?;
            found.certs.push(FoundCert { der, local_key_id });
        } else if bag.bag_id == pkcs12::PKCS_12_PKCS8_KEY_BAG_OID {
            let epki = ContextSpecific::<AnyRef<'_>>::from_der(&bag.bag_value)
                .map_err(|e| PfxError::Corrupt(format!("a shrouded key bag: {e}")))?
                .value;
            let epki =
                epki.to_der().map_err(|e| PfxError::Corrupt(format!("a shrouded key bag: {e}")))?;
            let der = decrypt_key(&epki, password)?;
            found.keys.push(FoundKey { der, local_key_id, friendly_name });
        } else if bag.bag_id == pkcs12::PKCS_12_KEY_BAG_OID {
            let pki = ContextSpecific::<AnyRef<'_>>::from_der(&bag.bag_value)
                .map_err(|e| PfxError::Corrupt(format!("a key bag: {e}")))?
                .value;
            let der = Zeroizing::new(
                pki.to_der().map_err(|e| PfxError::Corrupt(format!("a key bag: {e}")))?,
            );
            pkcs8::PrivateKeyInfo::try_from(der.as_slice())
                .map_err(|_| PfxError::Corrupt("a key bag does not hold a PKCS#8 key".into()))?;
            found.keys.push(FoundKey { der, local_key_id, friendly_name });
        } else if bag.bag_id == pkcs12::PKCS_12_SAFE_CONTENTS_BAG_OID {
            let inner = ContextSpecific::<Vec<SafeBag>>::from_der(&bag.bag_value)
                .map_err(|e| PfxError::Corrupt(format!("a nested safe: {e}")))?
                .value;
            collect_bags(inner, password, found, depth + 1)?;
        }
        // CRL and secret bags carry nothing a certificate store keeps.
    }
    Ok(())
}

type BagAttributes = (Option<Vec<u8>>, Option<String>);

fn read_attributes(bag: &SafeBag) -> Result<BagAttributes, PfxError> {
    let mut local_key_id = None;
    let mut friendly_name = None;
    for attr in bag.bag_attributes.iter().flat_map(|a| a.iter()) {
        let Some(value) = attr.values.iter().next() else { continue };
        if attr.oid == oid::LOCAL_KEY_ID {
            let v = value
                .decode_as::<OctetString>()
                .map_err(|e| PfxError::Corrupt(format!("a localKeyId attribute: {e}")))?;
            local_key_id = Some(v.into_bytes());
        } else if attr.oid == oid::FRIENDLY_NAME {
            let v = value
                .decode_as::<BmpString>()
                .map_err(|e| PfxError::Corrupt(format!("a friendlyName attribute: {e}")))?;
            friendly_name = Some(v.to_string());
        }
    }
    Ok((local_key_id, friendly_name))
}

/// The key and the certificate that goes with it: the certificate holding the key's public
/// half (derived from the private key), the one its `localKeyId` names first. Writers put the
/// chain in any order and some leave `localKeyId` out, so neither the position nor the ids
/// can be trusted alone. Where no certificate holds the key, or the key's public half cannot
/// be derived (an algorithm NPKI does not use), the `localKeyId` decides, else the first
/// certificate that is not a CA; the caller then finds that the key is not its certificate's.
fn pick(found: Found) -> Result<PfxContents, PfxError> {
    let Found { mut keys, certs } = found;
    if keys.is_empty() {
        return Err(PfxError::NoPrivateKey);
    }
    if certs.is_empty() {
        return Err(PfxError::NoCertificate);
    }
    let key = keys.remove(0);
    let by_id = key
        .local_key_id
        .as_ref()
        .and_then(|id| certs.iter().position(|c| c.local_key_id.as_ref() == Some(id)));
    let public =
        crate::keyfile::PrivateKey::from_pkcs8_der(&key.der).ok().and_then(|k| k.public_key().ok());
    let holds_key = |c: &FoundCert| {
        public.as_ref().is_some_and(|p| {
            x509_cert::Certificate::from_der(&c.der).is_ok_and(|cert| {
                crate::keyfile::same_public_key(p, &cert.tbs_certificate.subject_public_key_info)
            })
        })
    };
    let index = by_id
        .filter(|&i| certs.get(i).is_some_and(holds_key))
        .or_else(|| certs.iter().position(holds_key))
        .or(by_id)
        .or_else(|| certs.iter().position(|c| !is_ca(&c.der)))
        .unwrap_or(0);
    let mut certificate = Vec::new();
    let mut chain = Vec::new();
    for (i, c) in certs.into_iter().enumerate() {
        if i == index {
            certificate = c.der;
        } else {
            chain.push(c.der);
        }
    }
    Ok(PfxContents { certificate, chain, private_key: key.der, friendly_name: key.friendly_name })
}

fn is_ca(der: &[u8]) -> bool {
    let Ok(cert) = x509_cert::Certificate::from_der(der) else { return false };
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS)
        .filter_map(|e| {
            x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).ok()
        })
        .any(|bc| bc.ca)
}

/// Decrypts a shrouded key bag and checks that a PKCS#8 key came out.
fn decrypt_key(epki: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let parsed = pkcs12::pbe_params::EncryptedPrivateKeyInfo::from_der(epki)
        .map_err(|e| PfxError::Corrupt(format!("a shrouded key bag: {e}")))?;
    let alg = &parsed.encryption_algorithm;
    let plain = match decrypt(alg, parsed.encrypted_data.as_bytes(), password, "key bag") {
        Err(ReadError::Fatal(PfxError::Unsupported { .. })) if is_korean_scheme(alg) => {
            return decrypt_korean_key(epki, password);
        }
        other => other?,
    };
    pkcs8::PrivateKeyInfo::try_from(plain.as_slice())
        .map_err(|_| ReadError::Decrypt("the private key".into()))?;
    Ok(plain)
}

/// seedCBCWithSHA1 at the top, or PBES2 with SEED inside: what `signPri.key` uses, and what
/// Korean software puts in a PFX key bag.
fn is_korean_scheme(alg: &AlgorithmIdentifierOwned) -> bool {
    const SEED_CBC_WITH_SHA1: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.410.200004.1.15");
    const SEED_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.410.200004.1.4");
    if alg.oid == SEED_CBC_WITH_SHA1 || alg.oid == SEED_CBC {
        return true;
    }
    alg.oid == oid::PBES2 && pbes2_params(alg).is_some_and(|p| p.encryption.oid == SEED_CBC)
}

/// A Korean key bag is a `signPri.key` in all but name: the NPKI key-file code opens it.
fn decrypt_korean_key(epki: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    use crate::keyfile::{self, KeyFileError};
    match keyfile::decrypt(epki, password.as_bytes()) {
        Ok(key) => Ok(Zeroizing::new(key.pkcs8_der().to_vec())),
        Err(KeyFileError::WrongPassword) => Err(ReadError::Decrypt("the key bag".into())),
        Err(KeyFileError::UnknownScheme { oid, .. }) => {
            Err(PfxError::Unsupported { what: "key bag", oid }.into())
        }
        Err(KeyFileError::TooManyIterations(n)) => Err(PfxError::TooManyIterations(n).into()),
        Err(e) => Err(PfxError::Corrupt(format!("the key bag: {e}")).into()),
    }
}

fn pbes2_params(alg: &AlgorithmIdentifierOwned) -> Option<Pbes2Params> {
    alg.parameters.as_ref()?.decode_as::<Pbes2Params>().ok()
}

/// Decrypts content under a password-based scheme: PBES2 (through `pkcs5`) or the PKCS#12
/// PBE schemes of RFC 7292 Appendix C that OpenSSL's `-legacy` and Windows still write.
fn decrypt(
    alg: &AlgorithmIdentifierOwned,
    ciphertext: &[u8],
    password: &str,
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let unsupported = |oid| ReadError::Fatal(PfxError::Unsupported { what, oid });
    let bad_params =
        |e: der::Error| PfxError::Corrupt(format!("the {what} encryption parameters: {e}"));
    if alg.oid == oid::PBES2 {
        let params = pbes2_params(alg)
            .ok_or_else(|| PfxError::Corrupt(format!("the {what} PBES2 parameters")))?;
        if params.kdf.oid != oid::PBKDF2 {
            return Err(unsupported(params.kdf.oid));
        }
        let kdf = params
            .kdf
            .parameters
            .as_ref()
            .ok_or_else(|| PfxError::Corrupt(format!("the {what} PBKDF2 parameters are missing")))?
            .decode_as::<pkcs12::pbe_params::Pbkdf2Params>()
            .map_err(bad_params)?;
        check_iterations(kdf.iteration_count.into())?;
        let alg_der = alg.to_der().map_err(bad_params)?;
        let scheme = match pkcs5::EncryptionScheme::try_from(alg_der.as_slice()) {
            Ok(s) => s,
            Err(_) => return Err(unsupported(params.encryption.oid)),
        };
        return match scheme.decrypt(password.as_bytes(), ciphertext) {
            Ok(p) => Ok(Zeroizing::new(p)),
            Err(pkcs5::Error::UnsupportedAlgorithm { oid }) => Err(unsupported(oid)),
            Err(pkcs5::Error::AlgorithmParametersInvalid { oid }) => {
                Err(PfxError::Corrupt(format!("the {what} parameters for {oid} are invalid"))
                    .into())
            }
            Err(_) => Err(ReadError::Decrypt(format!("the {what}"))),
        };
    }
    let (key_len, cipher) = match alg.oid {
        oid::PBE_SHA1_3DES_3KEY => (24, LegacyCipher::TripleDes3),
        oid::PBE_SHA1_3DES_2KEY => (16, LegacyCipher::TripleDes2),
        oid::PBE_SHA1_RC2_128 => (16, LegacyCipher::Rc2),
        oid::PBE_SHA1_RC2_40 => (5, LegacyCipher::Rc2),
        other => return Err(unsupported(other)),
    };
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| PfxError::Corrupt(format!("the {what} PBE parameters are missing")))?
        .decode_as::<Pkcs12PbeParams>()
        .map_err(bad_params)?;
    let iterations = u32::try_from(params.iterations)
        .map_err(|_| PfxError::Corrupt(format!("the {what} iteration count is negative")))?;
    check_iterations(iterations.into())?;
    let bmp =
        BmpString::from_utf8(password).map_err(|_| ReadError::Decrypt(format!("the {what}")))?;
    let salt = params.salt.as_bytes();
    let key = Zeroizing::new(derive_key_bmp::<sha1::Sha1>(
        bmp.clone(),
        salt,
        Pkcs12KeyType::EncryptionKey,
        params.iterations,
        key_len,
    ));
    let iv = derive_key_bmp::<sha1::Sha1>(bmp, salt, Pkcs12KeyType::Iv, params.iterations, 8);
    cipher
        .decrypt(&key, &iv, ciphertext)
        .map(Zeroizing::new)
        .ok_or_else(|| ReadError::Decrypt(format!("the {what}")))
}

#[derive(Clone, Copy)]
enum LegacyCipher {
    TripleDes3,
    TripleDes2,
    Rc2,
}

impl LegacyCipher {
    /// CBC with PKCS#7 padding; `None` when the key or the padding is wrong.
    fn decrypt(self, key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        use cipher::{block_padding::Pkcs7, BlockDecryptMut, InnerIvInit, KeyInit};
        match self {
            LegacyCipher::TripleDes3 => {
                let c = des::TdesEde3::new_from_slice(key).ok()?;
                let d = cbc::Decryptor::inner_iv_slice_init(c, iv).ok()?;
                d.decrypt_padded_vec_mut::<Pkcs7>(data).ok()
            }
            LegacyCipher::TripleDes2 => {
                let c = des::TdesEde2::new_from_slice(key).ok()?;
                let d = cbc::Decryptor::inner_iv_slice_init(c, iv).ok()?;
                d.decrypt_padded_vec_mut::<Pkcs7>(data).ok()
            }
            LegacyCipher::Rc2 => {
                // The effective key length is the key's own length: 40 or 128 bits.
                let c = rc2::Rc2::new_with_eff_key_len(key, key.len() * 8);
                let d = cbc::Decryptor::inner_iv_slice_init(c, iv).ok()?;
                d.decrypt_padded_vec_mut::<Pkcs7>(data).ok()
            }
        }
    }
}

fn check_iterations(n: u64) -> Result<(), PfxError> {
    if n > u64::from(MAX_ITERATIONS) {
        return Err(PfxError::TooManyIterations(n));
    }
    Ok(())
}

/// `Ok(true)` if the MAC verifies under `password`, `Ok(false)` if it does not.
fn verify_mac(mac_data: &MacData, password: &str, auth_safe: &[u8]) -> Result<bool, PfxError> {
    let iterations = u32::try_from(mac_data.iterations)
        .map_err(|_| PfxError::Corrupt("the MAC iteration count is negative".into()))?;
    check_iterations(iterations.into())?;
    let Ok(bmp) = BmpString::from_utf8(password) else { return Ok(false) };
    let salt = mac_data.mac_salt.as_bytes();
    let expected = mac_data.mac.digest.as_bytes();
    let compute = |bmp: &BmpString| -> Result<Vec<u8>, PfxError> {
        Ok(match mac_data.mac.algorithm.oid {
            oid::SHA1 => mac_with::<sha1::Sha1>(bmp, salt, iterations, auth_safe)?,
            oid::SHA224 => mac_with::<sha2::Sha224>(bmp, salt, iterations, auth_safe)?,
            oid::SHA256 => mac_with::<sha2::Sha256>(bmp, salt, iterations, auth_safe)?,
            oid::SHA384 => mac_with::<sha2::Sha384>(bmp, salt, iterations, auth_safe)?,
            oid::SHA512 => mac_with::<sha2::Sha512>(bmp, salt, iterations, auth_safe)?,
            other => return Err(PfxError::Unsupported { what: "MAC", oid: other }),
        })
    };
    use subtle::ConstantTimeEq;
    Ok(bool::from(compute(&bmp)?.as_slice().ct_eq(expected)))
}

/// HMAC keyed by the RFC 7292 Appendix B derivation (ID 3) with the MAC's own digest.
fn mac_with<D>(
    password: &BmpString,
    salt: &[u8],
    iterations: u32,
    data: &[u8],
) -> Result<Vec<u8>, PfxError>
where
    D: Digest + FixedOutputReset + BlockSizeUser + Clone,
{
    let len = <D as Digest>::output_size();
    let rounds = i32::try_from(iterations).unwrap_or(i32::MAX);
    let key = Zeroizing::new(derive_key_bmp::<D>(
        password.clone(),
        salt,
        Pkcs12KeyType::Mac,
        rounds,
        len,
    ));
    // SimpleHmac accepts a key of any length; the error arm is never taken.
    let mut mac = <SimpleHmac<D> as Mac>::new_from_slice(&key)
        .map_err(|_| PfxError::InvalidInput("the HMAC refused its key".into()))?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().to_vec())
}

/// PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, fresh salt and IV.
fn pbes2_encrypt(
    password: &str,
    iterations: u32,
    plaintext: &[u8],
) -> Result<(AlgorithmIdentifierOwned, Vec<u8>), PfxError> {
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let params = pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(iterations, &salt, &iv)
        .map_err(|e| PfxError::InvalidInput(format!("PBES2 parameters: {e}")))?;
    let scheme = pkcs5::EncryptionScheme::from(params);
    let ciphertext = scheme
        .encrypt(password.as_bytes(), plaintext)
        .map_err(|e| PfxError::InvalidInput(format!("PBES2 encryption: {e}")))?;
    let alg = AlgorithmIdentifierOwned::from_der(&scheme.to_der().map_err(internal)?)
        .map_err(internal)?;
    Ok((alg, ciphertext))
}

fn bag_attributes(
    friendly_name: &str,
    local_key_id: &[u8],
) -> Result<SetOfVec<Attribute>, PfxError> {
    let name = BmpString::from_utf8(friendly_name).map_err(|_| {
        PfxError::InvalidInput(
            "the friendly name has characters outside the Basic Multilingual Plane".into(),
        )
    })?;
    let name_attr = Attribute {
        oid: oid::FRIENDLY_NAME,
        values: SetOfVec::try_from(vec![Any::encode_from(&name).map_err(internal)?])
            .map_err(internal)?,
    };
    let id_attr = Attribute {
        oid: oid::LOCAL_KEY_ID,
        values: SetOfVec::try_from(vec![
            Any::encode_from(&octets(local_key_id)?).map_err(internal)?
        ])
        .map_err(internal)?,
    };
    SetOfVec::try_from(vec![name_attr, id_attr]).map_err(internal)
}

/// The subject's first common name, as text.
fn common_name(cert: &x509_cert::Certificate) -> Option<String> {
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == const_oid::db::rfc4519::CN)
        .and_then(|atv| {
            let v = &atv.value;
            v.decode_as::<der::asn1::Utf8StringRef<'_>>()
                .map(|s| s.to_string())
                .or_else(|_| {
                    v.decode_as::<der::asn1::PrintableStringRef<'_>>().map(|s| s.to_string())
                })
                .or_else(|_| v.decode_as::<BmpString>().map(|s| s.to_string()))
                .ok()
        })
}

fn octets(bytes: &[u8]) -> Result<OctetString, PfxError> {
    OctetString::new(bytes).map_err(internal)
}

fn encode<T: Encode>(value: &T) -> Result<Vec<u8>, PfxError> {
    value.to_der().map_err(internal)
}

/// Encoding our own well-formed structures only fails on absurd sizes (over 256 MiB).
fn internal(e: der::Error) -> PfxError {
    PfxError::InvalidInput(format!("encoding failed: {e}"))
}

fn corrupt(what: &str, e: der::Error) -> PfxError {
    PfxError::Corrupt(format!("{what}: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Checked against the real `openssl` CLI (OpenSSL 3): a missing `openssl` fails the tests.
    use super::*;
    use std::path::Path;
    use std::process::Command;

    const PW: &str = "dojang-Pfx#2024";
    const SUBJECT: &str = "/C=kr/O=yessign/OU=personal4IB/OU=BANK/CN=홍길동()0011234567890123";
    const RANDOM_NUM: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.410.200004.10.1.1.3");

    /// Runs openssl in `dir`; returns stdout and stderr, panicking with stderr on failure.
    fn openssl_in(dir: &Path, args: &[&str]) -> (Vec<u8>, String) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl CLI is required for these tests (apt-get install openssl)");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "openssl {args:?} failed: {stderr}");
        (out.stdout, stderr)
    }

    fn openssl_fails(dir: &Path, args: &[&str]) -> String {
        let out =
            Command::new("openssl").args(args).current_dir(dir).output().expect("openssl CLI");
        assert!(!out.status.success(), "openssl {args:?} unexpectedly succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    struct Pair {
        cert: Vec<u8>,
        key: Vec<u8>,
    }

    /// A self-signed CA and an end-entity certificate it issued, keys of `kind` ("rsa" or "ec").
    fn make_pairs(dir: &Path, kind: &str) -> (Pair, Pair) {
        let newkey = |name: &str| -> Vec<String> {
            match kind {
                "rsa" => vec![
                    "genpkey".into(),
                    "-algorithm".into(),
                    "RSA".into(),
                    "-pkeyopt".into(),
                    "rsa_keygen_bits:2048".into(),
                    "-out".into(),
                    name.into(),
                ],
                _ => vec![
                    "genpkey".into(),
                    "-algorithm".into(),
                    "EC".into(),
                    "-pkeyopt".into(),
                    "ec_paramgen_curve:P-256".into(),
                    "-out".into(),
                    name.into(),
                ],
            }
        };
        let run = |args: Vec<String>| {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            openssl_in(dir, &a)
        };
        run(newkey("ca.key"));
        run(newkey("ee.key"));
        openssl_in(
            dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "30",
                "-utf8",
                "-subj",
                "/C=kr/O=yessign/OU=AccreditedCA/CN=yessignCA Class 1",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
            ],
        );
        openssl_in(
            dir,
            &["req", "-new", "-key", "ee.key", "-out", "ee.csr", "-utf8", "-subj", SUBJECT],
        );
        openssl_in(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "ee.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "ee.pem",
                "-days",
                "30",
            ],
        );
        let der = |args: &[&str]| openssl_in(dir, args).0;
        let ca = Pair {
            cert: der(&["x509", "-in", "ca.pem", "-outform", "DER"]),
            key: der(&["pkcs8", "-topk8", "-nocrypt", "-in", "ca.key", "-outform", "DER"]),
        };
        let ee = Pair {
            cert: der(&["x509", "-in", "ee.pem", "-outform", "DER"]),
            key: der(&["pkcs8", "-topk8", "-nocrypt", "-in", "ee.key", "-outform", "DER"]),
        };
        (ca, ee)
    }

    /// The PKCS#8 key with the Korean randomNum attribute added, as in a real signPri.key.
    fn with_random_num(pkcs8: &[u8], r: &[u8]) -> Vec<u8> {
        let mut pki = pkcs12::safe_bag::PrivateKeyInfo::from_der(pkcs8).unwrap();
        let value = Any::encode_from(&der::asn1::BitString::from_bytes(r).unwrap()).unwrap();
        let attr = Attribute { oid: RANDOM_NUM, values: SetOfVec::try_from(vec![value]).unwrap() };
        pki.attributes = Some(SetOfVec::try_from(vec![attr]).unwrap());
        pki.to_der().unwrap()
    }

    /// A PEM or DER key normalised by openssl (its traditional DER form, attributes dropped).
    fn normalised_key(dir: &Path, file: &str, inform: &str) -> Vec<u8> {
        openssl_in(dir, &["pkey", "-in", file, "-inform", inform, "-outform", "DER"]).0
    }

    #[test]
    fn export_is_read_by_openssl_default_provider() {
        for kind in ["rsa", "ec"] {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            let (ca, ee) = make_pairs(d, kind);
            let key = with_random_num(&ee.key, &[0x5a; 20]);
            let pfx = export(
                &ee.cert,
                std::slice::from_ref(&ca.cert),
                &key,
                PW,
                &ExportOptions::default(),
            )
            .unwrap();
            std::fs::write(d.join("x.pfx"), &pfx).unwrap();
            let pass = format!("pass:{PW}");

            let (_, info) =
                openssl_in(d, &["pkcs12", "-in", "x.pfx", "-info", "-noout", "-passin", &pass]);
            assert!(info.contains("MAC: sha256"), "{info}");
            assert!(info.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"), "{info}");
            assert!(info.contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC"), "{info}");
            assert!(info.contains("PRF hmacWithSHA256"), "{info}");

            openssl_in(
                d,
                &[
                    "pkcs12",
                    "-in",
                    "x.pfx",
                    "-nokeys",
                    "-clcerts",
                    "-passin",
                    &pass,
                    "-out",
                    "ee-out.pem",
                ],
            );
            // openssl prints a BMPString's characters one low byte each, so only the ASCII
            // part of the name is legible; import() below checks the whole name.
            let pem =
                String::from_utf8_lossy(&std::fs::read(d.join("ee-out.pem")).unwrap()).into_owned();
            assert!(
                pem.contains("friendlyName: ") && pem.contains("()0011234567890123\n"),
                "{pem}"
            );
            let id = hex::encode_upper(sha1::Sha1::digest(&ee.cert));
            let id_spaced: Vec<String> =
                id.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            assert!(pem.contains(&format!("localKeyID: {}", id_spaced.join(" "))), "{pem}");
            let (ee_out, _) = openssl_in(d, &["x509", "-in", "ee-out.pem", "-outform", "DER"]);
            assert_eq!(ee_out, ee.cert, "{kind}: certificate differs");

            openssl_in(
                d,
                &[
                    "pkcs12",
                    "-in",
                    "x.pfx",
                    "-nokeys",
                    "-cacerts",
                    "-passin",
                    &pass,
                    "-out",
                    "ca-out.pem",
                ],
            );
            let (ca_out, _) = openssl_in(d, &["x509", "-in", "ca-out.pem", "-outform", "DER"]);
            assert_eq!(ca_out, ca.cert, "{kind}: chain certificate differs");

            openssl_in(
                d,
                &[
                    "pkcs12",
                    "-in",
                    "x.pfx",
                    "-nocerts",
                    "-noenc",
                    "-passin",
                    &pass,
                    "-out",
                    "key-out.pem",
                ],
            );
            std::fs::write(d.join("orig.der"), &ee.key).unwrap();
            assert!(
                normalised_key(d, "key-out.pem", "PEM") == normalised_key(d, "orig.der", "DER"),
                "{kind}: key differs"
            );

            // The randomNum travels inside the shrouded key bag and comes back byte for byte.
            let back = import(&pfx, PW).unwrap();
            assert!(
                back.private_key.as_slice() == key.as_slice(),
                "{kind}: randomNum key not kept"
            );
            assert_eq!(back.certificate, ee.cert);
            assert_eq!(back.chain, vec![ca.cert.clone()]);
            assert_eq!(back.friendly_name.as_deref(), Some("홍길동()0011234567890123"));

            // And openssl refuses the wrong password.
            let err =
                openssl_fails(d, &["pkcs12", "-in", "x.pfx", "-noout", "-passin", "pass:wrong"]);
            assert!(err.to_lowercase().contains("mac"), "{err}");
        }
    }

    fn openssl_pfx(d: &Path, extra: &[&str]) -> Vec<u8> {
        let pass = format!("pass:{PW}");
        let mut args = vec![
            "pkcs12",
            "-export",
            "-in",
            "ee.pem",
            "-inkey",
            "ee.key",
            "-certfile",
            "ca.pem",
            "-name",
            "홍길동 인증서",
            "-passout",
            &pass,
            "-out",
            "o.pfx",
        ];
        args.extend_from_slice(extra);
        openssl_in(d, &args);
        std::fs::read(d.join("o.pfx")).unwrap()
    }

    fn check_openssl_import(extra: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (ca, ee) = make_pairs(d, "rsa");
        let pfx = openssl_pfx(d, extra);
        let got = import(&pfx, PW).unwrap_or_else(|e| panic!("{extra:?}: {e}"));
        assert_eq!(got.certificate, ee.cert, "{extra:?}");
        assert_eq!(got.chain, vec![ca.cert], "{extra:?}");
        assert!(got.private_key.as_slice() == ee.key.as_slice(), "{extra:?}: key differs");
        assert_eq!(got.friendly_name.as_deref(), Some("홍길동 인증서"), "{extra:?}");
        assert_eq!(import(&pfx, "not-the-password"), Err(PfxError::WrongPassword), "{extra:?}");
    }

    #[test]
    fn imports_openssl_default() {
        check_openssl_import(&[]);
    }

    #[test]
    fn imports_openssl_legacy_3des_rc2_sha1_mac() {
        check_openssl_import(&["-legacy"]);
    }

    #[test]
    fn imports_openssl_3des_everywhere_and_sha512_mac() {
        check_openssl_import(&[
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha512",
        ]);
    }

    #[test]
    fn imports_pbes2_with_sha1_prf_and_aes128() {
        // Older Java and Windows write PBES2 with an HMAC-SHA1 PRF.
        check_openssl_import(&[
            "-keypbe",
            "AES-128-CBC",
            "-certpbe",
            "AES-128-CBC",
            "-macalg",
            "sha1",
        ]);
    }

    #[test]
    fn imports_unencrypted_certificates() {
        check_openssl_import(&["-certpbe", "NONE"]);
    }

    /// A PFX as `openssl pkcs12 -export -nocerts -certfile` writes it: the key with no
    /// `localKeyId`, and the certificates of `files` in that order.
    fn openssl_pfx_in_order(d: &Path, key: &str, files: &[&str]) -> Vec<u8> {
        let mut pem = Vec::new();
        for f in files {
            pem.extend(std::fs::read(d.join(f)).unwrap());
        }
        std::fs::write(d.join("order.pem"), pem).unwrap();
        let pass = format!("pass:{PW}");
        openssl_in(
            d,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                key,
                "-nocerts",
                "-certfile",
                "order.pem",
                "-passout",
                &pass,
                "-out",
                "order.pfx",
            ],
        );
        // The fixture is what it claims: no localKeyId on the key.
        let (keys, _) =
            openssl_in(d, &["pkcs12", "-in", "order.pfx", "-nocerts", "-noenc", "-passin", &pass]);
        let keys = String::from_utf8_lossy(&keys);
        assert!(keys.contains("Key Attributes: <No Attributes>"), "{keys}");
        std::fs::read(d.join("order.pfx")).unwrap()
    }

    #[test]
    fn picks_the_certificate_that_holds_the_key_whatever_the_order() {
        for kind in ["rsa", "ec"] {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            let (ca, ee) = make_pairs(d, kind);
            // Another end-entity certificate of the same CA (such as the key-management
            // certificate), and an old root with no extensions at all (a version 1
            // certificate, not marked as a CA).
            openssl_in(
                d,
                &["req", "-new", "-key", "ca.key", "-out", "other.csr", "-subj", "/CN=other"],
            );
            openssl_in(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "other.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "other.pem",
                    "-days",
                    "30",
                ],
            );
            openssl_in(
                d,
                &["req", "-new", "-key", "ca.key", "-out", "v1.csr", "-subj", "/CN=v1 root"],
            );
            openssl_in(
                d,
                &[
                    "x509", "-req", "-in", "v1.csr", "-signkey", "ca.key", "-out", "v1.pem",
                    "-days", "30",
                ],
            );
            let der = |f: &str| openssl_in(d, &["x509", "-in", f, "-outform", "DER"]).0;
            let (other, v1) = (der("other.pem"), der("v1.pem"));

            for (files, chain) in [
                (vec!["other.pem", "ca.pem", "ee.pem"], vec![other.clone(), ca.cert.clone()]),
                (vec!["v1.pem", "ee.pem"], vec![v1.clone()]),
                (vec!["ca.pem", "ee.pem", "other.pem"], vec![ca.cert.clone(), other.clone()]),
            ] {
                let pfx = openssl_pfx_in_order(d, "ee.key", &files);
                let got = import(&pfx, PW).unwrap_or_else(|e| panic!("{kind} {files:?}: {e}"));
                assert!(got.certificate == ee.cert, "{kind} {files:?}: the wrong certificate");
                assert_eq!(got.chain, chain, "{kind} {files:?}");
                assert!(got.private_key.as_slice() == ee.key.as_slice(), "{kind} {files:?}");
            }

            // No certificate holds the key: the first one that is not a CA, as before, for
            // the caller to refuse as a key that is not its certificate's.
            let pfx = openssl_pfx_in_order(d, "ee.key", &["ca.pem", "other.pem"]);
            assert_eq!(import(&pfx, PW).unwrap().certificate, other, "{kind}");
        }
    }

    #[test]
    fn imports_seed_key_bags_as_korean_software_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (ca, ee) = make_pairs(d, "rsa");
        let key = with_random_num(&ee.key, &[7; 20]);
        // seedCBCWithSHA1 (the KISA scheme of signPri.key) inside the shrouded key bag.
        let opts = ExportOptions { iterations: 2048, ..Default::default() };
        let seed_bag = |k: &[u8]| {
            let pk = crate::keyfile::PrivateKey::from_pkcs8_der(k).unwrap();
            Ok(crate::keyfile::encrypt(
                &pk,
                PW.as_bytes(),
                crate::keyfile::Scheme::SeedCbcWithSha1 { iterations: 2048 },
            )
            .unwrap())
        };
        let pfx = export_with(&ee.cert, std::slice::from_ref(&ca.cert), &key, PW, &opts, seed_bag)
            .unwrap();
        let got = import(&pfx, PW).unwrap();
        assert!(got.private_key.as_slice() == key.as_slice(), "SEED key bag: key or R lost");
        assert_eq!(got.certificate, ee.cert);
        assert_eq!(import(&pfx, "wrong"), Err(PfxError::WrongPassword));

        // PBES2 with SEED-CBC in the key bag, as OpenSSL's legacy provider writes it.
        let pass = format!("pass:{PW}");
        let legacy = ["-provider", "legacy", "-provider", "default"];
        let mut args = vec![
            "pkcs12",
            "-export",
            "-in",
            "ee.pem",
            "-inkey",
            "ee.key",
            "-keypbe",
            "SEED-CBC",
            "-certpbe",
            "AES-256-CBC",
            "-passout",
            &pass,
            "-out",
            "seed.pfx",
        ];
        args.extend(legacy);
        openssl_in(d, &args);
        let got = import(&std::fs::read(d.join("seed.pfx")).unwrap(), PW).unwrap();
        assert!(got.private_key.as_slice() == ee.key.as_slice(), "PBES2/SEED key bag");

        // A certificate safe under SEED: not supported, and the error names the OID.
        let mut args = vec![
            "pkcs12",
            "-export",
            "-in",
            "ee.pem",
            "-inkey",
            "ee.key",
            "-keypbe",
            "SEED-CBC",
            "-certpbe",
            "SEED-CBC",
            "-passout",
            &pass,
            "-out",
            "seed2.pfx",
        ];
        args.extend(legacy);
        openssl_in(d, &args);
        let err = import(&std::fs::read(d.join("seed2.pfx")).unwrap(), PW).unwrap_err();
        assert_eq!(
            err,
            PfxError::Unsupported {
                what: "certificate safe",
                oid: ObjectIdentifier::new_unwrap("1.2.410.200004.1.4")
            }
        );
        assert!(err.to_string().contains("1.2.410.200004.1.4"), "{err}");
    }

    #[test]
    fn wrong_password_is_not_corruption_and_changed_file_is() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, ee) = make_pairs(dir.path(), "ec");
        let opts = ExportOptions { iterations: 100, ..Default::default() };
        let pfx = export(&ee.cert, &[ca.cert], &ee.key, PW, &opts).unwrap();
        assert_eq!(import(&pfx, "wrong password"), Err(PfxError::WrongPassword));
        assert_eq!(import(&pfx, ""), Err(PfxError::WrongPassword));

        // Change one byte of the (encrypted) certificate safe: the right password still opens
        // the key, so this is a changed file, not a wrong password.
        let mut changed = pfx.clone();
        changed[120] ^= 0x01;
        match import(&changed, PW) {
            Err(PfxError::Corrupt(msg)) => {
                assert!(msg.contains("MAC") && !msg.contains(PW), "{msg}")
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        // Cut short.
        assert!(matches!(import(&pfx[..pfx.len() / 2], PW), Err(PfxError::Corrupt(_))));
        assert!(matches!(import(b"not a pfx at all", PW), Err(PfxError::Corrupt(_))));
        assert!(matches!(import(&[], PW), Err(PfxError::Corrupt(_))));
        assert_eq!(check_format(&pfx), Ok(()));
        assert!(matches!(check_format(b"junk"), Err(PfxError::Corrupt(_))));
    }

    #[test]
    fn export_refuses_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let (_, ee) = make_pairs(dir.path(), "ec");
        let o = ExportOptions::default();
        assert!(matches!(export(b"junk", &[], &ee.key, PW, &o), Err(PfxError::InvalidInput(_))));
        assert!(matches!(
            export(&ee.cert, &[b"junk".to_vec()], &ee.key, PW, &o),
            Err(PfxError::InvalidInput(_))
        ));
        assert!(matches!(export(&ee.cert, &[], b"junk", PW, &o), Err(PfxError::InvalidInput(_))));
        assert!(matches!(export(&ee.cert, &[], &ee.key, "", &o), Err(PfxError::InvalidInput(_))));
        let zero = ExportOptions { iterations: 0, ..Default::default() };
        assert!(matches!(
            export(&ee.cert, &[], &ee.key, PW, &zero),
            Err(PfxError::InvalidInput(_))
        ));
    }

    #[test]
    fn debug_and_errors_show_no_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let (_, ee) = make_pairs(dir.path(), "ec");
        let opts = ExportOptions { iterations: 100, friendly_name: Some("mine".into()) };
        let pfx = export(&ee.cert, &[], &ee.key, PW, &opts).unwrap();
        let got = import(&pfx, PW).unwrap();
        let shown = format!("{got:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains(&format!("{:?}", &ee.key[..8])));
        assert!(!format!("{:?} {}", PfxError::WrongPassword, PfxError::WrongPassword).contains(PW));
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;
        use std::sync::OnceLock;

        /// One valid PFX with few iterations, so mutations are cheap to try.
        fn sample() -> &'static (Vec<u8>, &'static str) {
            static SAMPLE: OnceLock<(Vec<u8>, &'static str)> = OnceLock::new();
            SAMPLE.get_or_init(|| {
                let dir = tempfile::tempdir().unwrap();
                let (ca, ee) = make_pairs(dir.path(), "ec");
                let opts = ExportOptions { iterations: 1, ..Default::default() };
                (export(&ee.cert, &[ca.cert], &ee.key, "pw", &opts).unwrap(), "pw")
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn random_bytes_give_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                prop_assert!(import(&bytes, "pw").is_err());
            }

            #[test]
            fn mutations_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
                let (pfx, pw) = sample();
                let mut m = pfx.clone();
                for (at, x) in flips {
                    let i = at % m.len();
                    m[i] ^= x;
                }
                let _ = import(&m, pw);
                let _ = import(&m[..cut % (m.len() + 1)], pw);
            }
        }
    }
}
