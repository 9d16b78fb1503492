//! The CA's encrypted key file: PKCS#8 EncryptedPrivateKeyInfo in PEM, PBES2 with
//! PBKDF2-HMAC-SHA256 and AES-256-CBC, which `openssl pkey` reads as it is.

use std::fs;
use std::io::Write;
use std::path::Path;

use pkcs5::pbes2;
use pkcs8::der::pem::LineEnding;
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use zeroize::Zeroizing;

use crate::error::CaError;
use crate::key::SoftwareKey;

/// PBKDF2 rounds: OWASP's 2023 figure for PBKDF2-HMAC-SHA256. The file is opened once per
/// process start, so the cost is paid rarely.
const PBKDF2_ROUNDS: u32 = 600_000;

/// A passphrase for the CA key files. Wiped on drop and never printed.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(s: String) -> Self {
        Passphrase(Zeroizing::new(s))
    }
    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The passphrase itself, for the other files it protects (the vault).
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(hidden)")
    }
}

fn random<const N: usize>() -> Result<[u8; N], CaError> {
    let mut b = [0u8; N];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| CaError::KeyGeneration)?;
    Ok(b)
}

/// Encrypts `key` under `passphrase` as PEM text.
pub fn encrypt(key: &SoftwareKey, passphrase: &Passphrase) -> Result<Zeroizing<String>, CaError> {
    let der = key.to_pkcs8()?;
    let info = PrivateKeyInfo::try_from(der.as_slice())
        .map_err(|e| CaError::UnsupportedKey(format!("PKCS#8: {e}")))?;
    let salt = random::<16>()?;
    let iv = random::<16>()?;
    let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ROUNDS, &salt, &iv)
        .map_err(|e| CaError::UnsupportedKey(format!("PBES2 parameters: {e}")))?;
    let doc = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|e| CaError::UnsupportedKey(format!("encryption: {e}")))?;
    let pem = doc
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| CaError::UnsupportedKey(format!("PEM: {e}")))?;
    Ok(pem)
}

/// Writes an encrypted key file readable only by its owner.
pub fn write(path: &Path, key: &SoftwareKey, passphrase: &Passphrase) -> Result<(), CaError> {
    let pem = encrypt(key, passphrase)?;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(CaError::io(path))?;
    f.write_all(pem.as_bytes()).map_err(CaError::io(path))?;
    f.sync_all().map_err(CaError::io(path))
}

/// Reads and decrypts a key file.
pub fn read(path: &Path, passphrase: &Passphrase) -> Result<SoftwareKey, CaError> {
    let text = Zeroizing::new(fs::read_to_string(path).map_err(CaError::io(path))?);
    let bad = |what: String| CaError::BadFile { path: path.to_path_buf(), what };
    // Read whole before its DER (dojang_pki::pem says why).
    let der = Zeroizing::new(
        dojang_pki::pem::decode(text.as_bytes(), &["ENCRYPTED PRIVATE KEY"])
            .map_err(|e| bad(format!("not a PEM key file ({e})")))?,
    );
    let enc = EncryptedPrivateKeyInfo::try_from(der.as_slice())
        .map_err(|e| bad(format!("not an EncryptedPrivateKeyInfo ({e})")))?;
    let plain = enc
        .decrypt(passphrase.as_bytes())
        .map_err(|_| CaError::WrongPassphrase(path.to_path_buf()))?;
    // A wrong passphrase passes the CBC padding check about once in 256 tries; the key then
    // fails to parse, which is still the passphrase's fault, not the file's.
    SoftwareKey::from_pkcs8(plain.as_bytes())
        .map_err(|_| CaError::WrongPassphrase(path.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Signer;
    use dojang_pki::KeyType;

    // The PEM that hung der 0.7's streaming reader (found by fuzzing): refused, promptly.
    #[test]
    fn a_key_file_with_a_short_pem_body_is_refused_not_hung() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.pem");
        std::fs::write(
            &path,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .expect("write");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read(&path, &Passphrase::new("pw".into())).map(|_| ()));
        });
        // A bound against the hang, not a speed limit.
        let result = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("read returned");
        let err = result.expect_err("refused");
        assert!(matches!(err, CaError::BadFile { .. }), "{err}");
    }

    #[test]
    fn round_trip_and_wrong_passphrase() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.pem");
        let key = SoftwareKey::generate(KeyType::EcdsaP256).expect("key");
        let pass = Passphrase::new("correct horse".into());
        write(&path, &key, &pass).expect("write");
        let back = read(&path, &pass).expect("read");
        assert_eq!(back.public_key(), key.public_key());
        let err = read(&path, &Passphrase::new("wrong".into())).expect_err("wrong passphrase");
        assert!(matches!(err, CaError::WrongPassphrase(_)), "{err}");
        assert!(!format!("{err} {pass:?}").contains("correct horse"));
        // Never overwrites an existing key.
        assert!(write(&path, &key, &pass).is_err());
    }

    #[test]
    fn a_damaged_file_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.pem");
        fs::write(&path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .expect("write");
        let err = read(&path, &Passphrase::new("x".into())).expect_err("damaged");
        assert!(matches!(err, CaError::BadFile { .. }), "{err}");
    }
}
