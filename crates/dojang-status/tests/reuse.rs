//! The responder signs an answer to a nonce-less request once and hands it out again — but
//! only while the store still says the same and for a minute at most: a revocation is in the
//! very next answer, and a request with a nonce always gets a fresh signature. The same bytes
//! asked again are not decoded again, but their statuses are read again every time.
//!
//! The signer itself is replaced while the responder runs, once a year: answers from then on
//! are signed by the new one and name it, and answers kept from before still verify.

use std::sync::Arc;

use der::asn1::OctetString;
use der::{Decode, Encode};
use dojang_ca::{CaNames, CertificateAuthority, KeyHome, Passphrase, SignerCheck};
use dojang_pki::{KeyType, RevocationReason, Serial};
use dojang_profile::PublicationUrls;
use dojang_status::Responder;
use dojang_store::{NewCertificate, Store};
use sha1::{Digest, Sha1};
use spki::AlgorithmIdentifierOwned;
use time::{Duration, OffsetDateTime};
use x509_cert::ext::Extension;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    TbsRequest, Version,
};

fn request(ca: &CertificateAuthority, serial: &Serial, nonce: Option<&[u8]>) -> Vec<u8> {
    request_with(ca, serial, nonce.map(|n| vec![nonce_extension(n)]), None)
}

/// `id-pkix-ocsp-nonce` whose value is the OCTET STRING `n`, as RFC 9654 has it.
fn nonce_extension(n: &[u8]) -> Extension {
    let value = OctetString::new(n).expect("nonce").to_der().expect("der");
    Extension {
        extn_id: dojang_pki::oid::OCSP_NONCE,
        critical: false,
        extn_value: OctetString::new(value).expect("nonce"),
    }
}

/// An extension no responder knows, `len` bytes of it.
fn private_extension(critical: bool, len: usize) -> Extension {
    Extension {
        extn_id: const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.99"),
        critical,
        extn_value: OctetString::new(vec![0x5a; len]).expect("value"),
    }
}

fn request_with(
    ca: &CertificateAuthority,
    serial: &Serial,
    request_extensions: Option<Vec<Extension>>,
    single_request_extensions: Option<Vec<Extension>>,
) -> Vec<u8> {
    let issuer = ca.issuing_certificate();
    let name = issuer.tbs_certificate.subject.to_der().expect("name");
    let key = issuer.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    let cert_id = CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ID_SHA_1,
            parameters: Some(der::asn1::Null.into()),
        },
        issuer_name_hash: OctetString::new(Sha1::digest(&name).to_vec()).expect("hash"),
        issuer_key_hash: OctetString::new(Sha1::digest(key).to_vec()).expect("hash"),
        serial_number: serial.to_x509(),
    };
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request { req_cert: cert_id, single_request_extensions }],
            request_extensions,
        },
        optional_signature: None,
    }
    .to_der()
    .expect("request")
}

fn certificate(serial: &Serial, now: OffsetDateTime) -> NewCertificate {
    NewCertificate {
        serial: serial.clone(),
        product: "personal-bank".into(),
        subject: "cn=홍길동()0011234567890123".into(),
        not_before: now,
        not_after: now + Duration::days(730),
        issued_at: now,
        der: vec![0x30, 0x00],
        customer_id: None,
    }
}

fn status(der: &[u8]) -> CertStatus {
    let resp = OcspResponse::from_der(der).expect("response");
    let bytes = resp.response_bytes.expect("successful");
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).expect("basic");
    basic.tbs_response_data.responses[0].cert_status
}

/// A CA (P-256, so that two signatures over the same answer differ), a store holding one
/// certificate, and the responder over them.
struct Setup {
    _dir: tempfile::TempDir,
    ca: Arc<CertificateAuthority>,
    store: Store,
    responder: Responder,
    serial: Serial,
    now: OffsetDateTime,
}

fn names() -> CaNames {
    CaNames {
        organization: "dojang".into(),
        root_cn: "Reuse Root".into(),
        issuing_cn: "Reuse CA".into(),
        key_type: KeyType::EcdsaP256,
    }
}

fn passphrase() -> Passphrase {
    Passphrase::new("reuse-test-passphrase".into())
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("time");
    let urls = PublicationUrls::new("http://127.0.0.1:1");
    let ca = Arc::new(
        CertificateAuthority::open_or_create(
            &dir.path().join("ca"),
            &KeyHome::files(&passphrase()),
            &names(),
            &urls,
            now,
        )
        .expect("CA")
        .ca,
    );
    let store = Store::open_sqlite(&dir.path().join("db.sqlite3")).await.expect("store");
    let serial: Serial = "0A1B2C".parse().expect("serial");
    store.insert_certificate(&certificate(&serial, now)).await.expect("insert");
    let responder = Responder::new(ca.clone(), store.clone()).expect("responder");
    Setup { _dir: dir, ca, store, responder, serial, now }
}

#[tokio::test]
async fn a_signed_answer_is_reused_only_while_it_is_still_true() {
    let Setup { _dir, ca, store, responder, serial, now } = setup().await;
    let plain = request(&ca, &serial, None);

    // A serial not issued yet is "unknown"; asked again in the same bytes once it is issued,
    // the answer kept for those bytes gives way to "good".
    let later_serial: Serial = "0A1B2D".parse().expect("serial");
    let ahead = request(&ca, &later_serial, None);
    let (unknown, _) = responder.respond(&ahead, now).await;
    assert!(matches!(status(&unknown), CertStatus::Unknown(_)));
    let (again, _) = responder.respond(&ahead, now + Duration::seconds(1)).await;
    assert_eq!(again, unknown);
    store.insert_certificate(&certificate(&later_serial, now)).await.expect("insert");
    let (issued, _) = responder.respond(&ahead, now + Duration::seconds(2)).await;
    assert!(matches!(status(&issued), CertStatus::Good(_)), "{:?}", status(&issued));

    // The same question twice: the same signed bytes (ECDSA signatures differ every time).
    let (first, _) = responder.respond(&plain, now).await;
    let (second, _) = responder.respond(&plain, now + Duration::seconds(5)).await;
    assert_eq!(first, second);
    assert!(matches!(status(&first), CertStatus::Good(_)));

    // With a nonce: signed anew every time.
    let noncy = request(&ca, &serial, Some(&[7u8; 16]));
    let (a, _) = responder.respond(&noncy, now).await;
    let (b, _) = responder.respond(&noncy, now).await;
    assert_ne!(a, b);

    // A revocation, from any process: the very next answer says so.
    store.revoke(&serial, RevocationReason::KeyCompromise, now).await.expect("revoke");
    let (after, _) = responder.respond(&plain, now + Duration::seconds(6)).await;
    assert!(matches!(status(&after), CertStatus::Revoked(_)), "{:?}", status(&after));

    // Past a minute the answer is signed again, even with nothing changed.
    let (kept, _) = responder.respond(&plain, now + Duration::seconds(7)).await;
    assert_eq!(kept, after);
    let (later, _) = responder.respond(&plain, now + Duration::seconds(70)).await;
    assert_ne!(later, after);
    assert!(matches!(status(&later), CertStatus::Revoked(_)));
}

#[tokio::test]
async fn a_nonce_out_of_bounds_or_a_critical_extension_not_understood_is_malformed() {
    let Setup { ca, responder, serial, now, .. } = &setup().await;
    let malformed = |der: &[u8]| {
        let resp = OcspResponse::from_der(der).expect("response");
        resp.response_status == OcspResponseStatus::MalformedRequest
    };
    let asked = |request_extensions, single| request_with(ca, serial, request_extensions, single);
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("an empty nonce", request(ca, serial, Some(&[]))),
        ("a nonce of 129 octets", request(ca, serial, Some(&[1u8; 129]))),
        ("a nonce that is not an OCTET STRING", {
            let mut raw = nonce_extension(&[1u8; 16]);
            raw.extn_value = OctetString::new(vec![0x02, 0x01, 0x05]).expect("an INTEGER");
            asked(Some(vec![raw]), None)
        }),
        (
            "two nonces",
            asked(Some(vec![nonce_extension(&[1; 16]), nonce_extension(&[2; 16])]), None),
        ),
        (
            "a critical extension not understood",
            asked(Some(vec![private_extension(true, 4)]), None),
        ),
        (
            "a critical single-request extension",
            asked(None, Some(vec![private_extension(true, 4)])),
        ),
    ];
    for (what, der) in refused {
        let (answer, outcome) = responder.respond(&der, *now).await;
        assert!(malformed(&answer), "{what} was answered");
        assert_eq!(outcome, dojang_status::Outcome::Malformed, "{what}");
    }
    // Within bounds, and extensions not understood but not critical: answered.
    for (what, der) in [
        ("a nonce of one octet", request(ca, serial, Some(&[9]))),
        ("a nonce of 32 octets", request(ca, serial, Some(&[9; 32]))),
        ("a nonce of 128 octets", request(ca, serial, Some(&[9; 128]))),
        ("an extension not understood", asked(Some(vec![private_extension(false, 4)]), None)),
        ("a single-request one", asked(None, Some(vec![private_extension(false, 4)]))),
    ] {
        let (answer, outcome) = responder.respond(&der, *now).await;
        assert!(matches!(status(&answer), CertStatus::Good(_)), "{what}");
        assert_eq!(outcome, dojang_status::Outcome::Answered, "{what}");
    }
}

#[tokio::test]
async fn a_long_request_is_answered_but_its_answer_not_kept() {
    let Setup { ca, responder, serial, now, .. } = &setup().await;
    // Padded with an extension the responder ignores, as a client filling memory would.
    let long = request_with(ca, serial, Some(vec![private_extension(false, 4096)]), None);
    let (first, _) = responder.respond(&long, *now).await;
    let (second, _) = responder.respond(&long, *now).await;
    assert!(matches!(status(&first), CertStatus::Good(_)));
    assert_ne!(first, second, "signed anew: not kept");
    // A short one is kept, as before.
    let short = request_with(ca, serial, Some(vec![private_extension(false, 4)]), None);
    let (first, _) = responder.respond(&short, *now).await;
    let (second, _) = responder.respond(&short, *now).await;
    assert_eq!(first, second);
}

/// The basic response inside a successful answer.
fn basic(der: &[u8]) -> BasicOcspResponse {
    let resp = OcspResponse::from_der(der).expect("response");
    let bytes = resp.response_bytes.expect("successful");
    BasicOcspResponse::from_der(bytes.response.as_bytes()).expect("basic")
}

/// What `openssl ocsp` says of `answer` checked at `at`, against the root, with the issuing CA
/// as the delegation's other link.
fn openssl_verifies(
    dir: &std::path::Path,
    ca: &CertificateAuthority,
    answer: &[u8],
    at: OffsetDateTime,
) -> String {
    use der::EncodePem;
    let pem = |c: &x509_cert::Certificate| c.to_pem(der::pem::LineEnding::LF).expect("pem");
    std::fs::write(dir.join("root.pem"), pem(ca.root_certificate())).expect("root");
    std::fs::write(dir.join("issuing.pem"), pem(ca.issuing_certificate())).expect("issuing");
    std::fs::write(dir.join("answer.der"), answer).expect("answer");
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(["ocsp", "-respin", "answer.der", "-CAfile", "root.pem"])
        .args(["-verify_other", "issuing.pem", "-attime", &at.unix_timestamp().to_string()])
        .output()
        .expect("openssl runs");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

// The signer replaced in its last 30 days, with the responder running: the next answer is
// signed by the new key and names it (ResponderID byKey, certificate attached); the answer kept
// from before is still the old signer's and still verifies. openssl checks both at their times.
#[tokio::test]
async fn a_signer_replaced_while_running_signs_the_next_answer_under_its_own_name() {
    let Setup { _dir, ca, responder, serial, now, .. } = setup().await;
    let plain = request(&ca, &serial, None);
    let (before, _) = responder.respond(&plain, now).await;

    let later = now + Duration::days(340);
    let keys = passphrase();
    let check = ca.maintain(&_dir.path().join("ca"), &KeyHome::files(&keys), &names(), later);
    assert_eq!(check.expect("maintain"), SignerCheck::Renewed);
    let noncy = request(&ca, &serial, Some(&[5u8; 16]));
    let (after, _) = responder.respond(&noncy, later).await;

    let (old, new) = (basic(&before), basic(&after));
    let signer_of = |b: &BasicOcspResponse| {
        let cert = &b.certs.as_ref().expect("signer attached")[0];
        let key = cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
        let by_key = match &b.tbs_response_data.responder_id {
            x509_ocsp::ResponderId::ByKey(k) => k.as_bytes().to_vec(),
            other => panic!("ResponderID by name: {other:?}"),
        };
        assert_eq!(by_key, Sha1::digest(key).to_vec(), "the ResponderID names the signer attached");
        cert.tbs_certificate.serial_number.clone()
    };
    assert_ne!(signer_of(&old), signer_of(&new), "a new signer signed the next answer");
    assert_eq!(ca.ocsp_certificate().tbs_certificate.serial_number, signer_of(&new));

    for (answer, at) in [(&before, now), (&after, later)] {
        let said = openssl_verifies(_dir.path(), &ca, answer, at + Duration::minutes(1));
        assert!(said.contains("Response verify OK"), "{said}");
    }
    // The old signer ends 25 days after its replacement: what it signed is not verified then.
    let gone = openssl_verifies(_dir.path(), &ca, &before, now + Duration::days(366));
    assert!(!gone.contains("Response verify OK"), "{gone}");

    // The same question within the minute is still answered from what was kept.
    let (again, _) = responder.respond(&plain, now + Duration::seconds(30)).await;
    assert_eq!(again, before);
}
