//! OCSP requests as a relying party sends them, and the status read back out of an answer.

use anyhow::{bail, Context};
use der::{Decode, Encode};
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;
use x509_ocsp::builder::OcspRequestBuilder;
use x509_ocsp::{BasicOcspResponse, CertStatus, OcspResponse, OcspResponseStatus, Request};

/// What an answer says of the certificate asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked,
    Unknown,
}

/// A DER OCSP request (SHA-1 CertID, no nonce: what RFC 5019 clients send) for `serial_hex`
/// issued by `issuer_der`.
pub fn request(issuer_der: &[u8], serial_hex: &str) -> anyhow::Result<Vec<u8>> {
    let issuer = Certificate::from_der(issuer_der).context("the issuing CA certificate")?;
    let bytes = hex_bytes(serial_hex).context("the serial")?;
    let serial = SerialNumber::new(&bytes).context("the serial")?;
    let req = Request::from_issuer::<sha1::Sha1>(&issuer, serial)
        .map_err(|e| anyhow::anyhow!("making the CertID: {e}"))?;
    Ok(OcspRequestBuilder::default().with_request(req).build().to_der()?)
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    let padded = if t.len() % 2 == 1 { format!("0{t}") } else { t.to_string() };
    (0..padded.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(padded.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `der` is a successful OCSPResponse (what the load generator counts as answered).
pub fn is_successful(der: &[u8]) -> bool {
    OcspResponse::from_der(der).is_ok_and(|r| r.response_status == OcspResponseStatus::Successful)
}

/// The status of the first certificate in a successful answer.
pub fn status(der: &[u8]) -> anyhow::Result<Status> {
    let resp = OcspResponse::from_der(der).context("not an OCSPResponse")?;
    if resp.response_status != OcspResponseStatus::Successful {
        bail!("the responder answered {:?}", resp.response_status);
    }
    let bytes = resp.response_bytes.context("a successful answer without a response")?;
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .context("not a BasicOCSPResponse")?;
    let single =
        basic.tbs_response_data.responses.first().context("an answer about no certificate")?;
    Ok(match single.cert_status {
        CertStatus::Good(_) => Status::Good,
        CertStatus::Revoked(_) => Status::Revoked,
        CertStatus::Unknown(_) => Status::Unknown,
    })
}

/// POSTs `request` to `url` and reads the status.
pub fn ask(agent: &ureq::Agent, url: &str, request: &[u8]) -> anyhow::Result<Status> {
    let resp = agent
        .post(url)
        .set("Content-Type", "application/ocsp-request")
        .send_bytes(request)
        .with_context(|| format!("POST {url}"))?;
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut body)?;
    status(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_in_hex_of_any_length() {
        assert_eq!(hex_bytes("0A1b"), Some(vec![0x0a, 0x1b]));
        assert_eq!(hex_bytes("A1B"), Some(vec![0x0a, 0x1b]));
        assert_eq!(hex_bytes("zz"), None);
    }

    #[test]
    fn unsuccessful_answers_are_not_statuses() {
        // malformedRequest, as every responder answers garbage.
        let der = [0x30, 0x03, 0x0a, 0x01, 0x01];
        assert!(!is_successful(&der));
        assert!(status(&der).is_err());
        assert!(status(b"not DER").is_err());
    }
}
