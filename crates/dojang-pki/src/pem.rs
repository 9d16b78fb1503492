//! PEM read whole, then its DER. der 0.7's streaming `from_pem` loops for ever on a body shorter
//! than its first read (`-----BEGIN …-----\nMIIB\n-----END …-----`, found by fuzzing the CSR
//! parser), so every PEM dojang reads — a customer's CSR, the center's own key and certificate
//! files, an answer from the center — goes through here instead.

use der::DecodeOwned;

/// Why a PEM was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PemError {
    #[error("not readable PEM ({0})")]
    Unreadable(String),
    #[error("a PEM {found:?} where {expected} belongs")]
    Label { found: String, expected: String },
    #[error("the PEM holds no readable {what} ({cause})")]
    Content { what: String, cause: String },
}

/// The DER inside `pem`, whose label must be one of `labels` (the first is the one named in
/// an error). Leading whitespace is allowed.
pub fn decode(pem: &[u8], labels: &[&str]) -> Result<Vec<u8>, PemError> {
    let (label, der) =
        der::pem::decode_vec(pem.trim_ascii()).map_err(|e| PemError::Unreadable(e.to_string()))?;
    if !labels.contains(&label) {
        return Err(PemError::Label {
            found: label.to_string(),
            expected: labels.first().copied().unwrap_or("another label").to_string(),
        });
    }
    Ok(der)
}

/// A `T` from the PEM `pem` labelled `label` (e.g. `CERTIFICATE`).
pub fn decode_as<T: DecodeOwned>(pem: &[u8], label: &str) -> Result<T, PemError> {
    let der = decode(pem, &[label])?;
    T::from_der(&der)
        .map_err(|e| PemError::Content { what: label.to_string(), cause: e.to_string() })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use x509_cert::Certificate;

    use super::*;

    /// The input that hung der 0.7's streaming reader, and its neighbours.
    const HANGING: [&[u8]; 3] = [
        b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\nMIIB\n\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\n",
    ];

    #[test]
    fn a_short_or_broken_body_is_refused_promptly() {
        for input in HANGING {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(decode_as::<Certificate>(input, "CERTIFICATE").is_err());
            });
            // A bound against the hang, not a speed limit.
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(refused) => assert!(refused, "accepted {:?}", String::from_utf8_lossy(input)),
                Err(_) => panic!("did not return: {:?}", String::from_utf8_lossy(input)),
            }
        }
    }

    #[test]
    fn the_label_is_checked_and_named() {
        let pem = der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, &[0x30, 0x00])
            .expect("encode");
        assert_eq!(
            decode(pem.as_bytes(), &["CERTIFICATE"]),
            Err(PemError::Label { found: "PRIVATE KEY".into(), expected: "CERTIFICATE".into() })
        );
        assert_eq!(decode(pem.as_bytes(), &["CERTIFICATE", "PRIVATE KEY"]), Ok(vec![0x30, 0x00]));
        let err = decode_as::<Certificate>(
            pem.replace("PRIVATE KEY", "CERTIFICATE").as_bytes(),
            "CERTIFICATE",
        )
        .expect_err("an empty SEQUENCE is no certificate");
        assert!(matches!(err, PemError::Content { .. }), "{err}");
    }
}
