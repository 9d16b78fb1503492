//! CA keys in a PKCS#11 HSM (SoftHSM2 in the tests; any vendor's module by configuration).
//!
//! The key pairs are generated inside the token (sensitive, never extractable) and sign there
//! (`CKM_SHA256_RSA_PKCS`). The CA directory keeps, in place of each encrypted key file, a
//! one-line RFC 7512 PKCS#11 URI naming the key (`pkcs11:token=…;object=…;id=%..`), so the
//! directory says where every key is and holds no key material at all.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use dojang_token::{Module, Session, Token, TokenError};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use crate::error::CaError;
use crate::key::{rsa_sha256, Signer};

/// The scheme every key reference starts with (RFC 7512).
pub const URI_SCHEME: &str = "pkcs11:";

/// The PKCS#11 library used when none is configured: `$DOJANG_PKCS11_MODULE`, else SoftHSM2
/// where it is installed.
pub fn default_module() -> Result<PathBuf, CaError> {
    dojang_token::module_path().map_err(hsm_error)
}

/// Where the HSM is and how to log in to it.
pub struct HsmConfig {
    /// The vendor's PKCS#11 library.
    pub module: PathBuf,
    /// The token's label.
    pub token: String,
    /// The user PIN.
    pub pin: Zeroizing<String>,
}

impl fmt::Debug for HsmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HsmConfig")
            .field("module", &self.module)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// A logged-in HSM token that makes and opens CA keys.
pub struct Hsm {
    token: Token,
    pin: Zeroizing<String>,
}

impl fmt::Debug for Hsm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hsm({:?})", self.token.label())
    }
}

fn hsm_error(e: TokenError) -> CaError {
    CaError::Hsm(e.to_string())
}

impl Hsm {
    /// Loads the module and finds the token; the PIN is tried at once, so a wrong one is
    /// reported at start-up and not at the first signature.
    pub fn open(config: HsmConfig) -> Result<Hsm, CaError> {
        let module = Module::open(&config.module).map_err(hsm_error)?;
        let token = module.token(&config.token).map_err(hsm_error)?;
        drop(token.login(&config.pin).map_err(hsm_error)?);
        Ok(Hsm { token, pin: config.pin })
    }

    fn session(&self) -> Result<Session, CaError> {
        self.token.login(&self.pin).map_err(hsm_error)
    }

    /// Makes an RSA-2048 key pair in the token, labelled `label`; returns it with the URI
    /// that names it.
    pub fn generate(&self, label: &str) -> Result<(HsmKey, String), CaError> {
        let session = self.session()?;
        let key = session.generate_rsa(label).map_err(hsm_error)?;
        let uri = format!(
            "{URI_SCHEME}token={};object={};id={}",
            pct(self.token.label().as_bytes()),
            pct(label.as_bytes()),
            key.id.iter().map(|b| format!("%{b:02x}")).collect::<String>()
        );
        Ok((HsmKey { session: Mutex::new(session), id: key.id, public: key.public_key }, uri))
    }

    /// Opens the key a URI of [`generate`](Self::generate) names.
    pub fn open_key(&self, uri: &str, path: &Path) -> Result<HsmKey, CaError> {
        let bad = |what: String| CaError::BadFile { path: path.to_path_buf(), what };
        let body =
            uri.trim().strip_prefix(URI_SCHEME).ok_or_else(|| bad("not a pkcs11: URI".into()))?;
        let mut token = None;
        let mut id = None;
        for part in body.split(';') {
            match part.split_once('=') {
                Some(("token", v)) => token = Some(unpct(v).map_err(|e| bad(e.into()))?),
                Some(("id", v)) => id = Some(unpct(v).map_err(|e| bad(e.into()))?),
                _ => {}
            }
        }
        let id = id.ok_or_else(|| bad("the pkcs11: URI has no id".into()))?;
        if let Some(t) = token {
            if t != self.token.label().as_bytes() {
                return Err(bad(format!(
                    "the key is in token {:?}, but ca.hsm.token is {:?}",
                    String::from_utf8_lossy(&t),
                    self.token.label()
                )));
            }
        }
        let session = self.session()?;
        let public = session.public_key(&id).map_err(hsm_error)?;
        Ok(HsmKey { session: Mutex::new(session), id, public })
    }
}

/// The additional data bound into every seal of the key-encryption key.
const KEK_AAD: &[u8] = b"dojang kek v1";

impl Hsm {
    /// The AES-256 key-encryption key labelled `label`, made in the token on first use
    /// (sensitive, never extractable).
    pub fn kek(&self, label: &str) -> Result<HsmKek, CaError> {
        let session = self.session()?;
        let key = session.aes_key(label).map_err(hsm_error)?;
        Ok(HsmKek { session: Mutex::new(session), key })
    }
}

/// A key-encryption key inside the HSM: AES-256-GCM done by the token, `iv ‖ ciphertext ‖ tag`.
pub struct HsmKek {
    session: Mutex<Session>,
    key: cryptoki::object::ObjectHandle,
}

impl HsmKek {
    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, CaError> {
        let mut iv = [0u8; 12];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut iv);
        let session = self.session.lock().map_err(|_| CaError::Signing)?;
        let body = session.aes_gcm_seal(self.key, &iv, KEK_AAD, plain).map_err(hsm_error)?;
        let mut out = iv.to_vec();
        out.extend_from_slice(&body);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CaError> {
        let (iv, body) = sealed.split_at_checked(12).ok_or_else(|| {
            CaError::Hsm("a value sealed under the key-encryption key is cut short".into())
        })?;
        let iv: [u8; 12] = iv.try_into().map_err(|_| CaError::Signing)?;
        let session = self.session.lock().map_err(|_| CaError::Signing)?;
        session.aes_gcm_open(self.key, &iv, KEK_AAD, body).map_err(hsm_error)
    }
}

/// Percent-encodes everything outside RFC 3986's unreserved set.
fn pct(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02x}")
            }
        })
        .collect()
}

fn unpct(text: &str) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().ok_or("a cut-off %-escape")?;
            let lo = bytes.next().ok_or("a cut-off %-escape")?;
            let hex = [hi, lo];
            let s = std::str::from_utf8(&hex).map_err(|_| "a bad %-escape")?;
            out.push(u8::from_str_radix(s, 16).map_err(|_| "a bad %-escape")?);
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

/// A CA key inside the HSM. One session per key, used by one signature at a time (PKCS#11
/// sessions are not for concurrent use).
pub struct HsmKey {
    session: Mutex<Session>,
    id: Vec<u8>,
    public: SubjectPublicKeyInfoOwned,
}

impl Signer for HsmKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public
    }

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        rsa_sha256()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CaError> {
        let session = self.session.lock().map_err(|_| CaError::Signing)?;
        session.sign(&self.id, message).map_err(hsm_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_parts_round_trip() {
        assert_eq!(pct(b"dojang CA/1"), "dojang%20CA%2f1");
        assert_eq!(unpct("dojang%20CA%2f1"), Ok(b"dojang CA/1".to_vec()));
        assert_eq!(unpct("%0a%FF"), Ok(vec![0x0a, 0xff]));
        assert!(unpct("%0").is_err());
        assert!(unpct("%zz").is_err());
    }
}
