//! The verifier against a real dojang CA (dojang-ca), its OCSP responder (dojang-status) and
//! its CRLs: chain, validity, OCSP and CRL parsing and signature checks, and each refusal —
//! with no secret (RRN, R) in any error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
use der::{Decode, Encode};
use dojang_ca::{CaNames, CertificateAuthority, CrlScope, Passphrase};
use dojang_npki::vid::{IdentifyData, Rrn, VidHash};
use dojang_pki::{KeyType, RevocationReason, Serial};
use dojang_profile::{tbs, Catalog, ProductId, PublicationUrls};
use dojang_status::{CrlPolicy, Responder};
use dojang_store::{NewCertificate, Store};
use dojang_verify::{crl, ocsp, Cert, IssuerSpec, Refusal, Status, Verifier};
use spki::SubjectPublicKeyInfoOwned;
use time::{Duration, OffsetDateTime};

const RRN: &str = "9001011234567";
const R: [u8; 20] = [0x5a; 20];

struct Fixture {
    _dir: tempfile::TempDir,
    ca: Arc<CertificateAuthority>,
    store: Store,
    now: OffsetDateTime,
}

fn ca(dir: &std::path::Path, org: &str, now: OffsetDateTime) -> Arc<CertificateAuthority> {
    let names = CaNames {
        organization: org.into(),
        root_cn: format!("{org} Root CA"),
        issuing_cn: format!("{org}CA Class 1"),
        key_type: KeyType::EcdsaP256,
    };
    let opened = CertificateAuthority::open_or_create(
        dir,
        &dojang_ca::KeyHome::files(&Passphrase::new("test passphrase".into())),
        &names,
        &PublicationUrls::new("http://127.0.0.1:9"),
        now,
    )
    .unwrap();
    Arc::new(opened.ca)
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let ca = ca(&dir.path().join("ca"), "dojang", now);
    let store = Store::open_sqlite(&dir.path().join("db.sqlite3")).await.unwrap();
    Fixture { _dir: dir, ca, store, now }
}

/// A personal certificate with a VID of RRN and R, valid from now for `days`, stored.
async fn leaf(f: &Fixture, days: i64) -> Cert {
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
    let spki =
        SubjectPublicKeyInfoOwned::from_der(key.public_key().as_der().unwrap().as_ref()).unwrap();
    let catalog = Catalog::defaults();
    let rrn = Rrn::new(RRN).unwrap();
    let san = IdentifyData::new("홍길동", &rrn, &R, VidHash::Sha256).unwrap();
    let ext = dojang_profile::ext::extension(
        const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME,
        false,
        &san.to_subject_alt_name().unwrap(),
    )
    .unwrap();
    let serial = Serial::random(&mut rand::thread_rng());
    let not_before = f.now - Duration::minutes(1);
    let tbs = tbs::leaf(
        tbs::LeafRequest {
            product: catalog.get(ProductId::PersonalBank),
            subject: x509_cert::name::Name::from_str("CN=hong,OU=personal4IB,O=dojang,C=KR")
                .unwrap(),
            public_key: spki,
            serial: &serial,
            not_before,
            not_after: f.now + Duration::days(days),
            subject_alt_name: Some(ext),
        },
        f.ca.issuing_info(),
        &PublicationUrls::new("http://127.0.0.1:9"),
    )
    .unwrap();
    let cert = f.ca.issue(tbs).unwrap();
    let der = cert.to_der().unwrap();
    f.store
        .insert_certificate(&NewCertificate {
            serial,
            product: "personal-bank".into(),
            subject: "hong".into(),
            not_before,
            not_after: f.now + Duration::days(days),
            issued_at: f.now,
            der: der.clone(),
            customer_id: None,
        })
        .await
        .unwrap();
    Cert::from_der(&der).unwrap()
}

fn verifier(ca: &CertificateAuthority) -> Verifier {
    Verifier::new(vec![IssuerSpec {
        name: "A은행".into(),
        certificates: vec![ca.root_der().to_vec()],
        ..IssuerSpec::default()
    }])
    .unwrap()
}

fn issuing(ca: &CertificateAuthority) -> Cert {
    Cert::from_der(ca.issuing_der()).unwrap()
}

fn no_secret(r: &Refusal) {
    let all = format!("{r} {r:?} {} {}", r.message_ko(), r.message_en());
    assert!(!all.contains(RRN) && !all.contains("900101"), "an RRN in {all}");
    assert!(!all.to_lowercase().contains(&"5a".repeat(8)), "R in {all}");
}

#[tokio::test]
async fn a_good_certificate_chains_to_its_root_and_each_refusal_names_its_reason() {
    let f = fixture().await;
    let cert = leaf(&f, 730).await;
    let v = verifier(&f.ca);

    // The path: the issuing CA fetched from nowhere — it is found through the root only when
    // the client sends it along, else the issuer is unknown.
    let path = v.path(&cert.der, &[f.ca.issuing_der().to_vec()], f.now).unwrap();
    assert_eq!(path.trusted_issuer, "A은행");
    assert!(!path.own);
    assert_eq!(path.issuer.der, f.ca.issuing_der());
    let r = v.path(&cert.der, &[], f.now).unwrap_err();
    assert!(matches!(r, Refusal::UnknownIssuer { .. }), "{r:?}");

    // Validity.
    let r =
        v.path(&cert.der, &[f.ca.issuing_der().to_vec()], f.now + Duration::days(731)).unwrap_err();
    assert!(matches!(r, Refusal::Expired { .. }) && r.code() == "expired", "{r:?}");
    // A day before: the CA made today is not valid yet either, and the chain says so.
    let r =
        v.path(&cert.der, &[f.ca.issuing_der().to_vec()], f.now - Duration::days(1)).unwrap_err();
    assert_eq!(r.code(), "bad_chain", "{r:?}");
    assert!(r.to_string().contains("not valid yet"), "{r}");

    // Another bank's CA does not vouch for it.
    let other_dir = tempfile::tempdir().unwrap();
    let other = ca(&other_dir.path().join("ca"), "other", f.now);
    let r = verifier(&other).path(&cert.der, &[f.ca.issuing_der().to_vec()], f.now).unwrap_err();
    assert_eq!(r.code(), "unknown_issuer", "{r:?}");
    // An issuer of the same name with another key: the signature does not verify.
    let spoof = Verifier::new(vec![IssuerSpec {
        name: "spoof".into(),
        certificates: vec![other.issuing_der().to_vec()],
        ..IssuerSpec::default()
    }])
    .unwrap();
    let mut renamed = x509_cert::Certificate::from_der(other.issuing_der()).unwrap();
    renamed.tbs_certificate.subject = cert.cert.tbs_certificate.issuer.clone();
    let spoof2 = Verifier::new(vec![IssuerSpec {
        name: "spoof".into(),
        certificates: vec![renamed.to_der().unwrap()],
        ..IssuerSpec::default()
    }])
    .unwrap();
    assert_eq!(spoof.path(&cert.der, &[], f.now).unwrap_err().code(), "unknown_issuer");
    let r = spoof2.path(&cert.der, &[], f.now).unwrap_err();
    assert!(matches!(r.code(), "bad_signature" | "unknown_issuer"), "{r:?}");
    let r = verifier(&other).path(&cert.der, &[], f.now).unwrap_err();
    assert_eq!(r.code(), "unknown_issuer", "{r:?}");

    // A flipped bit in the signature.
    let mut bad = cert.der.clone();
    let n = bad.len();
    bad[n - 5] ^= 0x01;
    let r = v.path(&bad, &[f.ca.issuing_der().to_vec()], f.now).unwrap_err();
    assert!(matches!(r, Refusal::BadSignature { .. } | Refusal::Malformed { .. }), "{r:?}");

    // Not a certificate at all.
    assert_eq!(v.path(b"junk", &[], f.now).unwrap_err().code(), "malformed");

    // The VID: the right person, another person, no secret in the refusal.
    dojang_verify::vid::check(&cert, &Rrn::new(RRN).unwrap(), &R).unwrap();
    let r = dojang_verify::vid::check(&cert, &Rrn::new("8505052345678").unwrap(), &R).unwrap_err();
    assert_eq!(r, Refusal::WrongPerson);
    let r2 = dojang_verify::vid::check(&cert, &Rrn::new(RRN).unwrap(), &[1u8; 20]).unwrap_err();
    assert_eq!(r2, Refusal::WrongPerson);
    for r in [r, r2, Refusal::Expired { not_after: f.now }, Refusal::NotRegistered] {
        no_secret(&r);
        assert!(!r.message_ko().is_empty() && !r.message_en().is_empty());
    }
    assert_eq!(dojang_verify::vid::real_name(&cert).as_deref(), Some("홍길동"));
}

#[tokio::test]
async fn ocsp_answers_are_checked_and_read() {
    let f = fixture().await;
    let cert = leaf(&f, 730).await;
    let issuer = issuing(&f.ca);
    let responder = Responder::new(f.ca.clone(), f.store.clone()).unwrap();

    let q = ocsp::request(&cert, &issuer).unwrap();
    let (der, _) = responder.respond(&q.der, f.now).await;
    assert_eq!(ocsp::check_response(&der, &q, &issuer, f.now).unwrap(), Status::Good);

    // An answer to another request (another nonce) is not ours: a replay is refused.
    let q2 = ocsp::request(&cert, &issuer).unwrap();
    let e = ocsp::check_response(&der, &q2, &issuer, f.now).unwrap_err();
    assert!(e.contains("nonce"), "{e}");

    // A tampered answer does not verify.
    let mut bad = der.to_vec();
    let n = bad.len();
    bad[n / 2] ^= 0x01;
    assert!(ocsp::check_response(&bad, &q, &issuer, f.now).is_err());

    // An answer signed under another CA's name is not believed for this one.
    let other_dir = tempfile::tempdir().unwrap();
    let other = ca(&other_dir.path().join("ca"), "other", f.now);
    assert!(ocsp::check_response(&der, &q, &issuing(&other), f.now).is_err());

    // Revoked, with time and reason; held certificates are "suspended" when judged.
    let serial = Serial::from_x509(&cert.cert.tbs_certificate.serial_number).unwrap();
    f.store.revoke(&serial, RevocationReason::KeyCompromise, f.now).await.unwrap();
    let q = ocsp::request(&cert, &issuer).unwrap();
    let (der, _) = responder.respond(&q.der, f.now).await;
    let s = ocsp::check_response(&der, &q, &issuer, f.now).unwrap();
    assert!(matches!(s, Status::Revoked { reason: RevocationReason::KeyCompromise, .. }), "{s:?}");
    assert_eq!(dojang_verify::judge(s).unwrap_err().code(), "revoked");
    let held = Status::Revoked { at: f.now, reason: RevocationReason::CertificateHold };
    assert_eq!(dojang_verify::judge(held).unwrap_err().code(), "suspended");
    assert_eq!(dojang_verify::judge(Status::Unknown).unwrap_err().code(), "status_unknown");

    // Not an OCSP response.
    assert!(ocsp::check_response(b"nonsense", &q, &issuer, f.now).is_err());
}

#[tokio::test]
async fn crls_are_checked_and_read() {
    let f = fixture().await;
    let cert = leaf(&f, 730).await;
    let issuer = issuing(&f.ca);
    let policy = CrlPolicy { validity: Duration::hours(24), refresh: Duration::hours(1) };

    let good =
        dojang_status::crl::build(&f.ca, &f.store, CrlScope::Issuing, policy, f.now).await.unwrap();
    assert_eq!(crl::check(&good.der, &cert, &issuer, f.now).unwrap(), Status::Good);
    // Past its nextUpdate it is stale.
    let e = crl::check(&good.der, &cert, &issuer, f.now + Duration::hours(25)).unwrap_err();
    assert!(e.contains("stale"), "{e}");
    // Another CA's issuer is not this CRL's.
    let other_dir = tempfile::tempdir().unwrap();
    let other = ca(&other_dir.path().join("ca"), "other", f.now);
    assert!(crl::check(&good.der, &cert, &issuing(&other), f.now).is_err());
    // Tampered.
    let mut bad = good.der.clone();
    let n = bad.len();
    bad[n - 3] ^= 0x01;
    assert!(crl::check(&bad, &cert, &issuer, f.now).is_err());

    let serial = Serial::from_x509(&cert.cert.tbs_certificate.serial_number).unwrap();
    f.store.revoke(&serial, RevocationReason::Superseded, f.now).await.unwrap();
    let revoked = dojang_status::crl::build(
        &f.ca,
        &f.store,
        CrlScope::Issuing,
        policy,
        f.now + Duration::seconds(1),
    )
    .await
    .unwrap();
    let s = crl::check(&revoked.der, &cert, &issuer, f.now + Duration::seconds(1)).unwrap();
    assert!(matches!(s, Status::Revoked { reason: RevocationReason::Superseded, .. }), "{s:?}");
}

#[tokio::test]
async fn without_any_reachable_status_the_refusal_says_so() {
    let f = fixture().await;
    let cert = leaf(&f, 730).await;
    // The certificate's AIA and CDP point at a closed port.
    let v = verifier(&f.ca);
    let path = v.path(&cert.der, &[f.ca.issuing_der().to_vec()], f.now).unwrap();
    let r = v.remote_status(&path, f.now).unwrap_err();
    assert_eq!(r.code(), "status_unavailable");
    assert!(r.to_string().contains("OCSP") && r.to_string().contains("CRL"), "{r}");
    no_secret(&r);
}
