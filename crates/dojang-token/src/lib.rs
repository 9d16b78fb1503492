//! Security tokens (보안토큰, HSM-type USB tokens) through PKCS#11 (`cryptoki`).
//!
//! A joint certificate kept in a token differs from the NPKI files in one way that matters:
//! its private key is generated inside the token and never leaves it (`CKA_SENSITIVE` true,
//! `CKA_EXTRACTABLE` false). The CSR and every login signature are made by the token
//! (`CKM_SHA256_RSA_PKCS`) after the customer's PIN; the issued certificate is stored beside
//! the key as a `CKO_CERTIFICATE` with the same `CKA_ID`, and R (the VID random value that
//! `signPri.key` would carry as randomNum) as a private `CKO_DATA` object whose
//! `CKA_OBJECT_ID` is the randomNum OID.
//!
//! [`Module`] loads the vendor's PKCS#11 library (SoftHSM2 in the tests, [`module_path`]);
//! [`Module::token`] finds a token by its label; [`Token::login`] opens a [`Session`] with the
//! user PIN, which does the rest.
#![forbid(unsafe_code)]

mod error;
mod session;

use std::path::{Path, PathBuf};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

pub use error::TokenError;
pub use session::{KeyFacts, Session, TokenCertificate, TokenKey};

/// The PKCS#11 library to load, when set.
pub const ENV_MODULE: &str = "DOJANG_PKCS11_MODULE";
/// The token's user PIN, for scripts (else the terminal).
pub const ENV_PIN: &str = "DOJANG_TOKEN_PIN";

/// Where distributions put SoftHSM2's library; the first that exists is the default module.
pub const SOFTHSM_PATHS: [&str; 4] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

/// The module to load: `$DOJANG_PKCS11_MODULE`, else SoftHSM2 where it is installed.
pub fn module_path() -> Result<PathBuf, TokenError> {
    if let Some(p) = std::env::var_os(ENV_MODULE).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    SOFTHSM_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or(TokenError::NoModule { env: ENV_MODULE })
}

/// A loaded and initialised PKCS#11 library.
pub struct Module {
    pkcs11: Pkcs11,
    path: PathBuf,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("path", &self.path).finish()
    }
}

impl Module {
    /// Loads the library at `path` and initialises it (for use by several threads).
    pub fn open(path: &Path) -> Result<Module, TokenError> {
        let module_error = |reason: String| TokenError::Module { path: path.to_path_buf(), reason };
        let pkcs11 = Pkcs11::new(path).map_err(|e| module_error(e.to_string()))?;
        match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => {}
            // Another user of the same library in this process initialised it already.
            Err(cryptoki::error::Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(module_error(e.to_string())),
        }
        Ok(Module { pkcs11, path: path.to_path_buf() })
    }

    /// Loads [`module_path`].
    pub fn open_default() -> Result<Module, TokenError> {
        Module::open(&module_path()?)
    }

    /// The labels of the initialised tokens present.
    pub fn labels(&self) -> Result<Vec<String>, TokenError> {
        let mut out = Vec::new();
        for slot in self.pkcs11.get_slots_with_initialized_token()? {
            out.push(self.pkcs11.get_token_info(slot)?.label().trim().to_string());
        }
        Ok(out)
    }

    /// The token labelled `label`.
    pub fn token(&self, label: &str) -> Result<Token, TokenError> {
        for slot in self.pkcs11.get_slots_with_initialized_token()? {
            if self.pkcs11.get_token_info(slot)?.label().trim() == label {
                return Ok(Token { pkcs11: self.pkcs11.clone(), slot, label: label.to_string() });
            }
        }
        Err(TokenError::NoToken { label: label.to_string(), present: self.labels()? })
    }

    /// Initialises a blank token as `label` with the security officer's and the user's PIN
    /// (what a bank's branch does when it hands a token out; tests do it too).
    pub fn init_token(
        &self,
        label: &str,
        so_pin: &str,
        user_pin: &str,
    ) -> Result<Token, TokenError> {
        let blank = self
            .pkcs11
            .get_slots_with_token()?
            .into_iter()
            .find(|s| self.pkcs11.get_token_info(*s).is_ok_and(|i| !i.token_initialized()))
            .ok_or(TokenError::NoBlankToken)?;
        let so = AuthPin::from(so_pin.to_string());
        self.pkcs11.init_token(blank, &so, label)?;
        // Some modules give the initialised token a new slot: find it by its label again.
        let token = self.token(label)?;
        let session = self.pkcs11.open_rw_session(token.slot)?;
        session.login(UserType::So, Some(&so))?;
        session.init_pin(&AuthPin::from(user_pin.to_string()))?;
        session.logout()?;
        Ok(token)
    }
}

/// One token, found by its label.
#[derive(Clone)]
pub struct Token {
    pkcs11: Pkcs11,
    slot: Slot,
    label: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("label", &self.label).finish()
    }
}

impl Token {
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A read-write session logged in with the user PIN. A wrong PIN is
    /// [`TokenError::WrongPin`]; the token itself counts wrong PINs and locks.
    pub fn login(&self, pin: &str) -> Result<Session, TokenError> {
        let session = self.pkcs11.open_rw_session(self.slot)?;
        match session.login(UserType::User, Some(&AuthPin::from(pin.to_string()))) {
            Ok(()) => Ok(Session::new(session)),
            Err(cryptoki::error::Error::Pkcs11(RvError::PinIncorrect, _)) => {
                Err(TokenError::WrongPin)
            }
            Err(cryptoki::error::Error::Pkcs11(RvError::PinLocked, _)) => {
                Err(TokenError::PinLocked)
            }
            Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
                Ok(Session::new(session))
            }
            Err(e) => Err(e.into()),
        }
    }
}
