//! Saving the new certificate as an NPKI pair: `signCert.der` and `signPri.key`, the key
//! sealed under the certificate password (PBES2/SEED, dojang-npki's default scheme) with R,
//! the VID random value, as its randomNum attribute — the files every Korean client reads.

use std::path::{Path, PathBuf};

use dojang_keystore::{Entry, Existing, KeystoreError, NpkiPair, Store};
use dojang_npki::keyfile::{self, PrivateKey, Scheme};

use crate::error::ClientError;
use crate::keys::{KeyError, KeyPair};
use crate::view::Issued;

/// Why the pair could not be made or stored.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The certificate password breaks the rule (10+ characters, letters, digits, symbols).
    #[error(transparent)]
    PasswordRule(#[from] dojang_keystore::password::PasswordRuleError),
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The key file could not be written.
    #[error("the key file cannot be made: {0}")]
    KeyFile(String),
    /// The center's answer is not a certificate for the key made here.
    #[error("{0}")]
    Certificate(String),
    #[error(transparent)]
    Store(#[from] KeystoreError),
}

impl From<ClientError> for SaveError {
    fn from(e: ClientError) -> Self {
        SaveError::Certificate(e.to_string())
    }
}

/// `signPri.key` for `key`: R as the randomNum attribute (for a person's certificate), sealed
/// under `password` after checking it against the rule.
pub fn seal(
    key: &KeyPair,
    random_num: Option<&[u8]>,
    password: &str,
) -> Result<Vec<u8>, SaveError> {
    dojang_keystore::password::check(password)?;
    let pkcs8 = key.pkcs8_der()?;
    let private = match random_num {
        Some(r) => PrivateKey::with_random_num(&pkcs8, r),
        None => PrivateKey::from_pkcs8_der(&pkcs8),
    }
    .map_err(|e| SaveError::KeyFile(e.to_string()))?;
    keyfile::encrypt(&private, password.as_bytes(), Scheme::default())
        .map_err(|e| SaveError::KeyFile(e.to_string()))
}

/// The NPKI pair for an issued certificate. The certificate must carry `key`'s public key:
/// a certificate for any other key would be useless, and saving it would hide that.
pub fn pair(issued: &Issued, key: &KeyPair, password: &str) -> Result<NpkiPair, SaveError> {
    use der::Decode;
    let cert_der = issued.certificate_der()?;
    let cert = x509_cert::Certificate::from_der(&cert_der)
        .map_err(|e| SaveError::Certificate(format!("the certificate cannot be read: {e}")))?;
    if cert.tbs_certificate.subject_public_key_info != key.public_key_info()? {
        return Err(SaveError::Certificate(format!(
            "certificate {} is not for the key made for this request",
            issued.serial
        )));
    }
    let r = issued.random_num()?;
    let sign_key = seal(key, r.as_ref().map(|r| r.as_slice()), password)?;
    Ok(NpkiPair { sign_cert: cert_der, sign_key, km: None })
}

/// Stores the pair in `store`. A renewal or reissue replaces the certificate of the same
/// subject (`Existing::Replace`), as Korean clients do.
pub fn save(store: &Store, pair: &NpkiPair, existing: Existing) -> Result<Entry, SaveError> {
    Ok(store.save(pair, existing)?)
}

/// Last resort when the chosen store cannot take the pair (disk full, USB pulled): the two
/// files in `dir/<serial>/`, the key still encrypted, for `dojang cert import`. The
/// certificate is already issued and the key exists nowhere else.
pub fn rescue(dir: &Path, serial: &str, pair: &NpkiPair) -> Result<PathBuf, SaveError> {
    let safe: String = serial.chars().filter(char::is_ascii_alphanumeric).collect();
    let folder = dir.join(format!("dojang-{safe}"));
    std::fs::create_dir_all(&folder).map_err(|source| KeystoreError::Io {
        action: dojang_keystore::FileAction::CreateFolder,
        path: folder.clone(),
        source,
    })?;
    dojang_keystore::atomic::write(
        &folder.join(dojang_keystore::store::SIGN_CERT),
        &pair.sign_cert,
    )?;
    dojang_keystore::atomic::write(&folder.join(dojang_keystore::store::SIGN_KEY), &pair.sign_key)?;
    Ok(folder)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use dojang_pki::KeyType;

    #[test]
    fn the_rule_is_checked_before_anything_is_sealed() {
        let key = KeyPair::generate(KeyType::EcdsaP256).unwrap();
        let e = seal(&key, None, "short1!").unwrap_err();
        assert!(matches!(e, SaveError::PasswordRule(_)), "{e}");
        assert!(!e.to_string().contains("short1!"));
    }

    fn openssl(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl CLI is needed for this test");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// A certificate for `key` from a throwaway CA made by openssl, as the center would answer.
    fn issued_for(dir: &Path, key: &KeyPair, r: Option<&str>) -> Issued {
        let subject = "/C=KR/O=dojang/OU=personal4IB/OU=DOJANGBANK/CN=홍길동()0010000000000001";
        let req =
            crate::csr::build(crate::csr::parse_openssl_subject(subject).unwrap(), key).unwrap();
        std::fs::write(dir.join("req.pem"), crate::csr::to_pem(&req).unwrap()).unwrap();
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/C=KR/O=test/CN=Test CA",
                "-days",
                "2",
            ],
        );
        openssl(
            dir,
            &[
                "x509", "-req", "-in", "req.pem", "-CA", "ca.pem", "-CAkey", "ca.key", "-days",
                "1", "-out", "cert.pem",
            ],
        );
        Issued {
            serial: "01".into(),
            subject: String::new(),
            product: "personal-bank".into(),
            not_before: String::new(),
            not_after: String::new(),
            certificate_pem: std::fs::read_to_string(dir.join("cert.pem")).unwrap(),
            chain_pem: vec![],
            random_num: r.map(str::to_string),
            fee_krw: 0,
            account: None,
            superseded: None,
        }
    }

    #[test]
    fn the_pair_lands_in_the_store_and_opens() {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate(KeyType::Rsa2048).unwrap();
        // R = 20 bytes of 0x07, as the center sends it (base64).
        let issued = issued_for(dir.path(), &key, Some("BwcHBwcHBwcHBwcHBwcHBwcHBwc="));
        let usb = dir.path().join("usb");
        std::fs::create_dir_all(&usb).unwrap();
        let store = Store::open(dojang_keystore::Location::Removable(usb.clone())).unwrap();
        let pair = pair(&issued, &key, "Hong-gildong1!").unwrap();
        let entry = save(&store, &pair, Existing::Replace).unwrap();
        assert!(entry.dir.starts_with(usb.join("NPKI")), "{}", entry.dir.display());
        assert!(entry.info.subject.contains("홍길동()0010000000000001"));
        let file = std::fs::read(entry.sign_key_path()).unwrap();
        let opened = keyfile::decrypt(&file, b"Hong-gildong1!").unwrap();
        assert_eq!(opened.random_num(), Some(&[7u8; 20][..]));
        store.verify_password(&entry, "Hong-gildong1!").unwrap();

        // A certificate for another key is refused before anything is written.
        let other = KeyPair::generate(KeyType::Rsa2048).unwrap();
        assert!(matches!(pair_for_other(&issued, &other), Err(SaveError::Certificate(_))));

        // The rescue copy holds the same two files.
        let folder = rescue(dir.path(), "0A:1B", &pair).unwrap();
        assert!(folder.ends_with("dojang-0A1B"));
        assert_eq!(std::fs::read(folder.join("signCert.der")).unwrap(), pair.sign_cert);
    }

    fn pair_for_other(issued: &Issued, key: &KeyPair) -> Result<NpkiPair, SaveError> {
        pair(issued, key, "Hong-gildong1!")
    }

    #[test]
    fn the_key_file_keeps_r_and_opens_with_the_password() {
        let key = KeyPair::generate(KeyType::EcdsaP256).unwrap();
        let r = [5u8; 20];
        let file = seal(&key, Some(&r), "Hong-gildong1!").unwrap();
        let opened = keyfile::decrypt(&file, b"Hong-gildong1!").unwrap();
        assert_eq!(opened.random_num(), Some(&r[..]));
        assert_eq!(keyfile::scheme_of(&file).unwrap().writable(), Scheme::default());
        let back = KeyPair::from_key_file(&file, "Hong-gildong1!").unwrap();
        assert_eq!(back.public_key_der().unwrap(), key.public_key_der().unwrap());
    }
}
