//! A logged-in session with a token: make a key pair inside it, sign, keep the certificate
//! and R beside the key, and read back what the token says of the key.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{
    Attribute, AttributeType, CertificateType, KeyType, ObjectClass, ObjectHandle,
};
use der::asn1::{BitString, Null, ObjectIdentifier, UintRef};
use der::{Decode, Encode};
use dojang_pki::{oid, Serial};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::error::TokenError;

/// `CKA_APPLICATION` of the data object that holds R.
const R_APPLICATION: &[u8] = b"dojang randomNum";
/// The randomNum attribute's OID (NPKI-NOTES): R's `CKA_OBJECT_ID`.
const RANDOM_NUM: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.410.200004.10.1.1.3");

/// A key pair made in the token.
#[derive(Clone, Debug)]
pub struct TokenKey {
    /// `CKA_ID` shared by the key pair, its certificate and R.
    pub id: Vec<u8>,
    /// The public key as the CSR carries it.
    pub public_key: SubjectPublicKeyInfoOwned,
}

/// A certificate kept in the token.
#[derive(Clone, Debug)]
pub struct TokenCertificate {
    pub id: Vec<u8>,
    pub label: String,
    pub der: Vec<u8>,
    pub serial: Serial,
}

/// What the token reports of a private key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyFacts {
    pub sensitive: bool,
    pub extractable: bool,
    pub always_sensitive: bool,
    pub never_extractable: bool,
    /// Generated in the token (not imported).
    pub local: bool,
}

/// A session logged in with the user PIN.
pub struct Session {
    inner: cryptoki::session::Session,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session")
    }
}

#[derive(der::Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

impl Session {
    pub(crate) fn new(inner: cryptoki::session::Session) -> Session {
        Session { inner }
    }

    fn one(&self, template: &[Attribute], what: &str) -> Result<ObjectHandle, TokenError> {
        self.inner
            .find_objects(template)?
            .into_iter()
            .next()
            .ok_or_else(|| TokenError::NoKey { id: what.to_string() })
    }

    /// Makes an RSA-2048 key pair (e = 65537) inside the token, labelled `label`. The private
    /// key is sensitive and not extractable: it can sign, and nothing can read it out.
    pub fn generate_rsa(&self, label: &str) -> Result<TokenKey, TokenError> {
        let mut id = vec![0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
        let label = label.as_bytes().to_vec();
        let public = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::Encrypt(false),
            Attribute::ModulusBits(2048.into()),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
            Attribute::Id(id.clone()),
            Attribute::Label(label.clone()),
        ];
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Decrypt(false),
            Attribute::Id(id.clone()),
            Attribute::Label(label),
        ];
        let (pub_handle, _) =
            self.inner.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)?;
        let public_key = self.public_key_of(pub_handle)?;
        Ok(TokenKey { id, public_key })
    }

    fn public_key_of(&self, handle: ObjectHandle) -> Result<SubjectPublicKeyInfoOwned, TokenError> {
        let attrs = self
            .inner
            .get_attributes(handle, &[AttributeType::Modulus, AttributeType::PublicExponent])?;
        let (mut n, mut e) = (None, None);
        for a in attrs {
            match a {
                Attribute::Modulus(m) => n = Some(m),
                Attribute::PublicExponent(x) => e = Some(x),
                _ => {}
            }
        }
        let (Some(n), Some(e)) = (n, e) else {
            return Err(TokenError::Malformed("the public key has no modulus or exponent".into()));
        };
        let malformed = |e: der::Error| TokenError::Malformed(e.to_string());
        let rsa = RsaPublicKey {
            modulus: UintRef::new(&n).map_err(malformed)?,
            public_exponent: UintRef::new(&e).map_err(malformed)?,
        }
        .to_der()
        .map_err(malformed)?;
        Ok(SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: oid::RSA_ENCRYPTION,
                parameters: Some(Null.into()),
            },
            subject_public_key: BitString::from_bytes(&rsa).map_err(malformed)?,
        })
    }

    /// The public key of the pair with `id`.
    pub fn public_key(&self, id: &[u8]) -> Result<SubjectPublicKeyInfoOwned, TokenError> {
        let handle = self.one(
            &[Attribute::Class(ObjectClass::PUBLIC_KEY), Attribute::Id(id.to_vec())],
            &hex::encode(id),
        )?;
        self.public_key_of(handle)
    }

    /// Signs `message` with the private key `id`: SHA-256 and RSA PKCS#1 v1.5, inside the
    /// token (what `openssl dgst -sha256 -sign` makes with a file key).
    pub fn sign(&self, id: &[u8], message: &[u8]) -> Result<Vec<u8>, TokenError> {
        let key = self.one(
            &[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::KeyType(KeyType::RSA),
                Attribute::Id(id.to_vec()),
            ],
            &hex::encode(id),
        )?;
        Ok(self.inner.sign(&Mechanism::Sha256RsaPkcs, key, message)?)
    }

    /// Keeps the issued certificate beside its key (same `CKA_ID`), replacing one with that id.
    pub fn store_certificate(&self, id: &[u8], label: &str, der: &[u8]) -> Result<(), TokenError> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| TokenError::Malformed(format!("the certificate: {e}")))?;
        let tbs = &cert.tbs_certificate;
        let enc = |r: der::Result<Vec<u8>>| r.map_err(|e| TokenError::Malformed(e.to_string()));
        for old in self.inner.find_objects(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::Id(id.to_vec()),
        ])? {
            self.inner.destroy_object(old)?;
        }
        self.inner.create_object(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Id(id.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Subject(enc(tbs.subject.to_der())?),
            Attribute::Issuer(enc(tbs.issuer.to_der())?),
            Attribute::SerialNumber(enc(tbs.serial_number.to_der())?),
            Attribute::Value(der.to_vec()),
        ])?;
        Ok(())
    }

    /// Keeps R (the VID random value) for the key `id`, readable only after the PIN.
    pub fn store_random_num(&self, id: &[u8], r: &[u8]) -> Result<(), TokenError> {
        let label = hex::encode(id).into_bytes();
        for old in self.inner.find_objects(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Application(R_APPLICATION.to_vec()),
            Attribute::Label(label.clone()),
        ])? {
            self.inner.destroy_object(old)?;
        }
        let oid = RANDOM_NUM.to_der().map_err(|e| TokenError::Malformed(e.to_string()))?;
        self.inner.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Application(R_APPLICATION.to_vec()),
            Attribute::ObjectId(oid),
            Attribute::Label(label),
            Attribute::Value(r.to_vec()),
        ])?;
        Ok(())
    }

    /// R for the key `id`, if the token keeps one (a business certificate has none).
    pub fn random_num(&self, id: &[u8]) -> Result<Option<Vec<u8>>, TokenError> {
        let found = self.inner.find_objects(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Application(R_APPLICATION.to_vec()),
            Attribute::Label(hex::encode(id).into_bytes()),
        ])?;
        let Some(handle) = found.into_iter().next() else { return Ok(None) };
        let value = self.inner.get_attributes(handle, &[AttributeType::Value])?;
        Ok(value.into_iter().find_map(|a| match a {
            Attribute::Value(v) => Some(v),
            _ => None,
        }))
    }

    /// The certificates in the token.
    pub fn certificates(&self) -> Result<Vec<TokenCertificate>, TokenError> {
        let mut out = Vec::new();
        for handle in self.inner.find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])? {
            let attrs = self.inner.get_attributes(
                handle,
                &[AttributeType::Id, AttributeType::Label, AttributeType::Value],
            )?;
            let (mut id, mut label, mut der) = (Vec::new(), String::new(), Vec::new());
            for a in attrs {
                match a {
                    Attribute::Id(v) => id = v,
                    Attribute::Label(v) => label = String::from_utf8_lossy(&v).into_owned(),
                    Attribute::Value(v) => der = v,
                    _ => {}
                }
            }
            let cert = x509_cert::Certificate::from_der(&der)
                .map_err(|e| TokenError::Malformed(format!("a certificate in the token: {e}")))?;
            let serial = Serial::from_x509(&cert.tbs_certificate.serial_number)
                .map_err(|e| TokenError::Malformed(e.to_string()))?;
            out.push(TokenCertificate { id, label, der, serial });
        }
        Ok(out)
    }

    /// The one certificate `serial` names (hex, as `cert list` shows it), or the only one.
    pub fn certificate(&self, serial: Option<&str>) -> Result<TokenCertificate, TokenError> {
        let mut all = self.certificates()?;
        match serial {
            Some(s) => {
                let want: Serial = s
                    .parse()
                    .map_err(|_| TokenError::NoCertificate(format!(" with serial {s}")))?;
                all.into_iter()
                    .find(|c| c.serial == want)
                    .ok_or_else(|| TokenError::NoCertificate(format!(" with serial {s}")))
            }
            None if all.len() == 1 => Ok(all.remove(0)),
            None if all.is_empty() => Err(TokenError::NoCertificate(String::new())),
            None => Err(TokenError::Ambiguous(all.len())),
        }
    }

    /// What the token says of the private key `id`.
    pub fn key_facts(&self, id: &[u8]) -> Result<KeyFacts, TokenError> {
        let key = self.one(
            &[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Id(id.to_vec())],
            &hex::encode(id),
        )?;
        let mut f = KeyFacts {
            sensitive: false,
            extractable: true,
            always_sensitive: false,
            never_extractable: false,
            local: false,
        };
        for a in self.inner.get_attributes(
            key,
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::AlwaysSensitive,
                AttributeType::NeverExtractable,
                AttributeType::Local,
            ],
        )? {
            match a {
                Attribute::Sensitive(v) => f.sensitive = v,
                Attribute::Extractable(v) => f.extractable = v,
                Attribute::AlwaysSensitive(v) => f.always_sensitive = v,
                Attribute::NeverExtractable(v) => f.never_extractable = v,
                Attribute::Local(v) => f.local = v,
                _ => {}
            }
        }
        Ok(f)
    }

    /// The AES-256 key labelled `label`, made in the token (sensitive, never extractable, for
    /// encrypting and decrypting only) if there is none yet: a key-encryption key.
    pub fn aes_key(&self, label: &str) -> Result<ObjectHandle, TokenError> {
        let find = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        if let Some(h) = self.inner.find_objects(&find)?.into_iter().next() {
            return Ok(h);
        }
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        Ok(self.inner.generate_key(&Mechanism::AesKeyGen, &template)?)
    }

    /// AES-256-GCM inside the token: `ciphertext ‖ tag` of `plain` under `key`, with `iv`
    /// (12 bytes, never reused with the key) and `aad`.
    pub fn aes_gcm_seal(
        &self,
        key: ObjectHandle,
        iv: &[u8; 12],
        aad: &[u8],
        plain: &[u8],
    ) -> Result<Vec<u8>, TokenError> {
        let mut iv = *iv;
        let params = cryptoki::mechanism::aead::GcmParams::new(&mut iv, aad, 128.into())?;
        Ok(self.inner.encrypt(&Mechanism::AesGcm(params), key, plain)?)
    }

    /// Opens what [`aes_gcm_seal`](Self::aes_gcm_seal) sealed; a wrong key, IV, AAD or an
    /// altered text is an error.
    pub fn aes_gcm_open(
        &self,
        key: ObjectHandle,
        iv: &[u8; 12],
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, TokenError> {
        let mut iv = *iv;
        let params = cryptoki::mechanism::aead::GcmParams::new(&mut iv, aad, 128.into())?;
        Ok(zeroize::Zeroizing::new(self.inner.decrypt(&Mechanism::AesGcm(params), key, sealed)?))
    }

    /// Removes the key pair `id` with its certificate and R (e.g. when issuance failed).
    pub fn delete(&self, id: &[u8]) -> Result<(), TokenError> {
        let mut handles = self.inner.find_objects(&[Attribute::Id(id.to_vec())])?;
        handles.extend(self.inner.find_objects(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Application(R_APPLICATION.to_vec()),
            Attribute::Label(hex::encode(id).into_bytes()),
        ])?);
        for h in handles {
            self.inner.destroy_object(h)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::Module;

    /// Everything against a real SoftHSM2 token in a temporary token directory (one test:
    /// a PKCS#11 library is initialised once per process).
    #[test]
    fn a_key_made_in_softhsm_signs_cannot_be_read_and_keeps_its_certificate_and_r() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir_all(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        // Edition 2021: the one test of this crate sets the variable before the library reads it.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let module =
            Module::open_default().expect("SoftHSM2 (scripts/install-test-deps installs it)");
        module.init_token("dojang-unit", "87654321", "123456").unwrap();
        let token = module.token("dojang-unit").unwrap();
        assert!(matches!(token.login("000000"), Err(crate::TokenError::WrongPin)));
        assert!(matches!(module.token("nope"), Err(crate::TokenError::NoToken { .. })));

        let s = token.login("123456").unwrap();
        let key = s.generate_rsa("홍길동").unwrap();
        assert_eq!(s.public_key(&key.id).unwrap(), key.public_key);
        let facts = s.key_facts(&key.id).unwrap();
        assert!(
            facts.sensitive && !facts.extractable && facts.never_extractable && facts.local,
            "{facts:?}"
        );

        // The center's possession check accepts the token's signature with the public key the
        // token gave, and only over what was signed.
        let sig = s.sign(&key.id, b"challenge").unwrap();
        dojang_pki::sig::verify_possession(&key.public_key, b"challenge", &sig).unwrap();
        assert_eq!(
            dojang_pki::sig::verify_possession(&key.public_key, b"other", &sig),
            Err(dojang_pki::sig::SignatureError::Invalid)
        );

        assert!(matches!(s.certificate(None), Err(crate::TokenError::NoCertificate(_))));
        assert_eq!(s.random_num(&key.id).unwrap(), None);
        s.store_random_num(&key.id, &[7u8; 20]).unwrap();
        assert_eq!(s.random_num(&key.id).unwrap(), Some(vec![7u8; 20]));
        s.delete(&key.id).unwrap();
        assert!(s.key_facts(&key.id).is_err());
        assert_eq!(s.random_num(&key.id).unwrap(), None);
    }
}
