//! What is copied: the NPKI files as they are on disk — `signCert.der`, `signPri.key` (still
//! encrypted under the certificate password), and the key-management pair where there is one.
//!
//! Inside the sealed box it is JSON, so that a browser can make and read it:
//! `{"v":1,"sign_cert":B64,"sign_key":B64,"km_cert":B64|null,"km_key":B64|null}` (standard
//! base64 with padding).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::TransferError;

/// The payload's format version.
const VERSION: u32 = 1;
/// A certificate pair is a few KiB; the box refuses anything much bigger.
pub const MAX_FILE: usize = 32 * 1024;

/// The files of one certificate folder.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    pub sign_cert: Vec<u8>,
    /// Encrypted under the certificate password; still treated as a secret.
    pub sign_key: Zeroizing<Vec<u8>>,
    /// `kmCert.der` and `kmPri.key`.
    pub km: Option<(Vec<u8>, Zeroizing<Vec<u8>>)>,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("sign_cert", &format_args!("<{} bytes>", self.sign_cert.len()))
            .field("sign_key", &"<key file>")
            .field("km", &self.km.is_some())
            .finish()
    }
}

/// The box's JSON as written (borrowing the encoded files, which are wiped after).
#[derive(Serialize)]
struct JsonOut<'a> {
    v: u32,
    sign_cert: &'a str,
    sign_key: &'a str,
    km_cert: Option<&'a str>,
    km_key: Option<&'a str>,
}

/// The box's JSON as read. The key files in it are encrypted under the certificate password.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonIn {
    v: u32,
    sign_cert: String,
    sign_key: String,
    km_cert: Option<String>,
    km_key: Option<String>,
}

impl Payload {
    /// The JSON put into the sealed box.
    pub(crate) fn to_json(&self) -> Result<Zeroizing<Vec<u8>>, TransferError> {
        let cert = STANDARD.encode(&self.sign_cert);
        let key = Zeroizing::new(STANDARD.encode(self.sign_key.as_slice()));
        let km_cert = self.km.as_ref().map(|(c, _)| STANDARD.encode(c));
        let km_key = self.km.as_ref().map(|(_, k)| Zeroizing::new(STANDARD.encode(k.as_slice())));
        let doc = JsonOut {
            v: VERSION,
            sign_cert: &cert,
            sign_key: &key,
            km_cert: km_cert.as_deref(),
            km_key: km_key.as_ref().map(|k| k.as_str()),
        };
        serde_json::to_vec(&doc)
            .map(Zeroizing::new)
            .map_err(|e| TransferError::Payload(e.to_string()))
    }

    /// Reads the opened box: the right version, both files present, none too big.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Payload, TransferError> {
        let doc: JsonIn =
            serde_json::from_slice(bytes).map_err(|e| TransferError::Payload(e.to_string()))?;
        if doc.v != VERSION {
            return Err(TransferError::Payload(format!(
                "format version {} is not known (this program reads {VERSION}); update it",
                doc.v
            )));
        }
        let file = |name: &str, b64: &str| -> Result<Vec<u8>, TransferError> {
            let bytes = STANDARD
                .decode(b64)
                .map_err(|e| TransferError::Payload(format!("{name} is not base64: {e}")))?;
            if bytes.is_empty() || bytes.len() > MAX_FILE {
                return Err(TransferError::Payload(format!(
                    "{name} has {} bytes, not a certificate file",
                    bytes.len()
                )));
            }
            Ok(bytes)
        };
        let km = match (&doc.km_cert, &doc.km_key) {
            (Some(c), Some(k)) => {
                Some((file("kmCert.der", c)?, Zeroizing::new(file("kmPri.key", k)?)))
            }
            (None, None) => None,
            _ => return Err(TransferError::Payload("kmCert.der without kmPri.key".into())),
        };
        Ok(Payload {
            sign_cert: file("signCert.der", &doc.sign_cert)?,
            sign_key: Zeroizing::new(file("signPri.key", &doc.sign_key)?),
            km,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_and_without_km() {
        let p = Payload {
            sign_cert: vec![0x30, 1, 2],
            sign_key: Zeroizing::new(vec![0x30, 9]),
            km: Some((vec![0x30, 3], Zeroizing::new(vec![0x30, 4]))),
        };
        assert_eq!(Payload::from_json(&p.to_json().unwrap()).unwrap(), p);
        let q = Payload { km: None, ..p };
        assert_eq!(Payload::from_json(&q.to_json().unwrap()).unwrap(), q);
        assert!(!format!("{q:?}").contains("48"), "no bytes in Debug");
    }

    #[test]
    fn bad_payloads_are_refused() {
        for bad in [
            r#"{"v":2,"sign_cert":"MAE=","sign_key":"MAE=","km_cert":null,"km_key":null}"#,
            r#"{"v":1,"sign_cert":"","sign_key":"MAE=","km_cert":null,"km_key":null}"#,
            r#"{"v":1,"sign_cert":"MAE=","sign_key":"!!","km_cert":null,"km_key":null}"#,
            r#"{"v":1,"sign_cert":"MAE=","sign_key":"MAE=","km_cert":"MAE=","km_key":null}"#,
            r#"{"v":1,"sign_cert":"MAE=","sign_key":"MAE=","km_cert":null,"km_key":null,"x":1}"#,
            "not json",
        ] {
            assert!(
                matches!(Payload::from_json(bad.as_bytes()), Err(TransferError::Payload(_))),
                "{bad}"
            );
        }
    }
}
