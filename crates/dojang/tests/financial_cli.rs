//! The financial certificate (금융인증서) end to end with the real server and client: issued
//! through `dojang cert financial issue` (codes read off `dojang phone`, the security card from
//! enrolment), signed through the CSC API and checked with `openssl dgst -verify`; trivial
//! PINs refused with the rule named; five wrong PINs lock and the lock holds; reissue (identity
//! checked again, new PIN) unlocks; the database alone does not give the key; automatic renewal
//! happens inside the window under a shifted clock and the old certificate is revoked (OCSP).
//! `dojang login --financial` logs in with it through the cloud signer (R kept with the key),
//! and a session ends when its certificate is revoked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::terminal::{honest, Terminal, CLIENT_LIMIT};
use support::{ok, text, TestCenter, DOJANG};

const ACCOUNT_PW: &str = "4821";
const BANKING_PW: &str = "Banking-pass1!";
const RRN: &str = "9001011234561";
const PHONE: &str = "010-1001-5678";
const PIN: &str = "482916";
const NEW_PIN: &str = "570284";

/// Enrols the customer; returns the security card's codes.
fn enrol(c: &TestCenter) -> Vec<String> {
    let doc = serde_json::json!({
        "kind": "person", "name": "홍길동", "rrn": RRN, "phone": PHONE,
        "email": "hong@example.com", "address": "서울특별시 중구 세종대로 110",
        "banking_id": "hong", "banking_password": BANKING_PW,
        "accounts": [{"number": "110-001-123456", "password": ACCOUNT_PW, "balance": 10000}],
        "second_factor": "security-card",
    });
    c.add_customer("customer.json", &doc)
}

fn env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("DOJANG_RRN", RRN),
        ("DOJANG_ACCOUNT_PASSWORD", ACCOUNT_PW),
        ("DOJANG_BANKING_PASSWORD", BANKING_PW),
        ("DOJANG_PIN", PIN),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    v.extend(extra.iter().map(|(k, val)| (k.to_string(), val.to_string())));
    v
}

/// `dojang cert financial <args>` answering prompts (codes from the phone, card digits).
fn financial(
    c: &TestCenter,
    card: &[String],
    args: &[&str],
    extra: &[(&str, &str)],
) -> (bool, String) {
    let mut cmd = Command::new(DOJANG);
    cmd.args(["cert", "financial"])
        .args(args)
        .args(["--server", &c.base, "--banking-id", "hong"])
        .current_dir(c.dir.path())
        .env_remove("DOJANG_SERVER")
        .env_remove("DOJANG_CLOCK_OFFSET");
    for (k, v) in env(extra) {
        cmd.env(k, v);
    }
    Terminal::spawn(&mut cmd).drive(CLIENT_LIMIT, honest(c, PHONE, card))
}

/// Signs `doc` remotely and verifies the signature with openssl against the credential's
/// certificate (fetched with `show --cert-out`, i.e. CSC credentials/info).
fn sign_and_verify(c: &TestCenter, card: &[String], pin: &str, tag: &str) -> String {
    let doc = c.path(&format!("doc-{tag}.txt"));
    std::fs::write(&doc, format!("이체 확인서 {tag}: 100,000원")).unwrap();
    let cert = c.p(&format!("fin-{tag}.pem"));
    let (shown, out) = financial(c, card, &["show", "--cert-out", &cert], &[]);
    assert!(shown, "{out}");
    let serial = out.lines().next().unwrap().trim_start_matches("금융인증서 ").trim().to_string();
    let sig = c.p(&format!("sig-{tag}.bin"));
    let (signed, out) = financial(
        c,
        card,
        &["sign", "--file", &doc.display().to_string(), "--out", &sig],
        &[("DOJANG_PIN", pin)],
    );
    assert!(signed, "{out}");
    let pubkey = ok("openssl", &["x509", "-in", &cert, "-pubkey", "-noout"], c.dir.path());
    std::fs::write(c.path(&format!("pub-{tag}.pem")), pubkey).unwrap();
    let verified = ok(
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-verify",
            &c.p(&format!("pub-{tag}.pem")),
            "-signature",
            &sig,
            &doc.display().to_string(),
        ],
        c.dir.path(),
    );
    assert!(verified.contains("Verified OK"), "{verified}");
    serial
}

/// `dojang login --financial`: certificate login signed in the cloud after the PIN.
fn financial_login(c: &TestCenter, pin: &str) -> (bool, String) {
    let out = Command::new(DOJANG)
        .args(["login", "--financial", "--banking-id", "hong", "--server", &c.base])
        .current_dir(c.dir.path())
        .env_remove("DOJANG_SERVER")
        .env("DOJANG_BANKING_PASSWORD", BANKING_PW)
        .env("DOJANG_PIN", pin)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.success(), text(&out))
}

fn ocsp(c: &TestCenter, cert_pem: &str) -> String {
    let (root, issuing) = c.fetch_chain();
    let out = Command::new("openssl")
        .args([
            "ocsp",
            "-issuer",
            &issuing,
            "-cert",
            cert_pem,
            "-url",
            &format!("{}/ocsp", c.base),
            "-CAfile",
            &root,
        ])
        .output()
        .unwrap();
    text(&out)
}

/// A CSC call: status, `Cache-Control` and the JSON body.
fn csc(
    c: &TestCenter,
    path: &str,
    auth: &str,
    body: &serde_json::Value,
) -> (u16, String, serde_json::Value) {
    let sent = ureq::post(&format!("{}{path}", c.base))
        .set("Authorization", auth)
        .set("Content-Type", "application/json")
        .send_string(&body.to_string());
    let resp = match sent {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    let status = resp.status();
    let cache = resp.header("Cache-Control").unwrap_or_default().to_string();
    (status, cache, resp.into_json().unwrap_or_default())
}

/// A signHash request that is wrong in a way the center can see without the SAD (algorithm,
/// hash length, number of hashes, base64) is refused and leaves the SAD usable: the customer
/// does not type the PIN again. Every answer, the access token's and the SAD's included, is
/// `no-store`.
fn malformed_sign_hash_keeps_the_sad(c: &TestCenter, pin: &str) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let basic = format!("Basic {}", b64.encode(format!("hong:{BANKING_PW}")));
    let (status, cache, login) = csc(c, "/csc/v1/auth/login", &basic, &serde_json::json!({}));
    assert_eq!((status, cache.as_str()), (200, "no-store"), "{login}");
    let bearer = format!("Bearer {}", login["access_token"].as_str().expect("access_token"));
    let (_, _, list) = csc(c, "/csc/v1/credentials/list", &bearer, &serde_json::json!({}));
    let id = list["credentialIDs"][0].as_str().expect("a credential").to_string();
    let authorize = serde_json::json!({ "credentialID": id, "numSignatures": 1, "PIN": pin });
    let (status, cache, sad) = csc(c, "/csc/v1/credentials/authorize", &bearer, &authorize);
    assert_eq!((status, cache.as_str()), (200, "no-store"), "{sad}");
    let sad = sad["SAD"].as_str().expect("SAD").to_string();
    let rsa = "1.2.840.113549.1.1.11";
    let hash = b64.encode([7u8; 32]);
    let sign = |hashes: Vec<String>, algo: &str| {
        let body = serde_json::json!({
            "credentialID": id, "SAD": sad, "hash": hashes, "signAlgo": algo,
        });
        csc(c, "/csc/v1/signatures/signHash", &bearer, &body)
    };
    for (what, hashes, algo, says) in [
        ("the other key's algorithm", vec![hash.clone()], "1.2.840.10045.4.3.2", "signs with"),
        ("a 31-byte hash", vec![b64.encode([7u8; 31])], rsa, "32 bytes"),
        ("two hashes for one", vec![hash.clone(), hash.clone()], rsa, "authorized for 1"),
        ("a hash not base64", vec!["not base64!".to_string()], rsa, "base64"),
    ] {
        let (status, cache, refused) = sign(hashes, algo);
        assert_eq!((status, cache.as_str()), (400, "no-store"), "{what}: {refused}");
        assert_eq!(refused["error"], "invalid_request", "{what}: {refused}");
        let why = refused["error_description"].as_str().unwrap_or_default();
        assert!(why.contains(says), "{what}: {refused}");
    }
    let (status, cache, signed) = sign(vec![hash.clone()], rsa);
    assert_eq!((status, cache.as_str()), (200, "no-store"), "the SAD was spent: {signed}");
    assert_eq!(signed["signatures"].as_array().map(Vec::len), Some(1), "{signed}");
    let (status, _, again) = sign(vec![hash], rsa);
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_sad")), "{again}");
}

const PY_DB_CHECK: &str = r#"
import sqlite3, sys, hashlib, glob
from cryptography.hazmat.primitives.serialization import load_der_private_key
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives import hashes
db, pin = sys.argv[1], sys.argv[2].encode()
c = sqlite3.connect(db)
blobs = [r[0] for r in c.execute("select wrapped from financial_keys")] + [r[0] for r in c.execute("select holder_sealed from financial_holders")]
assert blobs, "no kept keys"
keys = [hashlib.sha256(pin).digest(), hashlib.sha256(b"dojang" + pin).digest(), pin.ljust(32, b"\0")]
opened = 0
for b in blobs:
    for body in (b, b[1:], b[17:], b[33:]):
        try:
            load_der_private_key(body, None); opened += 1
        except Exception:
            pass
    for salt_end in (17,):
        salt = b[1:salt_end]
        kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=1000)
        for k in keys + [kdf.derive(pin)]:
            for off in (1, 17, 29, 33, 45):
                try:
                    AESGCM(k).decrypt(b[off:off+12], b[off+12:], None); opened += 1
                except Exception:
                    pass
# No plaintext PKCS#8 RSA key anywhere in the database file or its WAL: the PrivateKeyInfo's
# version + rsaEncryption AlgorithmIdentifier + OCTET STRING, which no certificate carries.
marker = bytes.fromhex("020100300d06092a864886f70d010101050004")
found = sum(open(f, "rb").read().count(marker) for f in glob.glob(db + "*"))
print("opened", opened, "plaintext", found, "blobs", len(blobs))
"#;

#[test]
fn financial_certificate_issue_sign_lock_reissue_and_auto_renew() {
    let c = TestCenter::new();
    let server = support::serve(&c.data, &c.base, None);
    let card = enrol(&c);

    // Trivial PINs are refused with the rule named: the birth date (RRN's first six digits).
    let (issued, out) = financial(
        &c,
        &card,
        &["issue", "--agree", "--account", "110-001-123456"],
        &[("DOJANG_NEW_PIN", "900101")],
    );
    assert!(!issued, "{out}");
    assert!(out.contains("생년월일") && out.contains("weak_pin"), "{out}");
    let (issued, out) = financial(
        &c,
        &card,
        &["issue", "--agree", "--account", "110-001-123456"],
        &[("DOJANG_NEW_PIN", "123456")],
    );
    assert!(!issued && out.contains("연속된 숫자"), "{out}");

    // Issue (document 004's steps), automatic renewal on.
    let (issued, out) = financial(
        &c,
        &card,
        &["issue", "--agree", "--account", "110-001-123456", "--auto-renew", "on"],
        &[("DOJANG_NEW_PIN", PIN)],
    );
    assert!(issued, "{out}");
    for step in ["ARS 인증", "출금계좌", "보안카드", "SMS 인증", "금융인증서 비밀번호 등록"]
    {
        assert!(out.contains(step), "{step} missing:\n{out}");
    }
    let first = support::line_value(&out, "일련번호:");
    assert!(out.contains("자동 갱신: 켜짐"), "{out}");

    // Chosen in a joint certificate's flow (revocation), it is named for what it is, not
    // called someone else's.
    let (status, flow) =
        support::post_json(&c, "/api/v1/flows", r#"{"kind": "revoke", "method": "identity"}"#);
    assert_eq!(status, 201, "{flow}");
    let at = |step: &str| format!("/api/v1/flows/{}/{step}", flow["id"].as_str().unwrap());
    let identify = serde_json::json!({"banking_id": "hong", "rrn": RRN, "password": BANKING_PW});
    let (status, v) = support::post_json(&c, &at("identify"), &identify.to_string());
    assert_eq!(status, 200, "{v}");
    let select = serde_json::json!({ "serial": first });
    let (status, e) = support::post_json(&c, &at("select"), &select.to_string());
    assert_eq!((status, e["error"].as_str()), (422, Some("financial_certificate")), "{e}");
    assert!(e["message_ko"].as_str().unwrap().contains("금융인증서 메뉴"), "{e}");

    // Sign through the CSC API; openssl verifies it with the certificate's public key.
    assert_eq!(sign_and_verify(&c, &card, PIN, "first"), first);
    malformed_sign_hash_keeps_the_sad(&c, PIN);

    // Certificate login with the financial certificate: the cloud signs the challenge after the
    // PIN and hands back R, so the center's VID check binds it to this customer.
    let (logged_in, first_login) = financial_login(&c, PIN);
    assert!(logged_in, "{first_login}");
    assert!(first_login.contains("로그인되었습니다: 홍길동 (hong)"), "{first_login}");
    assert_eq!(support::session(&c.base, &first_login).0, 200);
    let (logged_in, out) = financial_login(&c, "135792");
    assert!(!logged_in && out.contains("invalid_pin"), "a wrong PIN must not log in:\n{out}");
    // The right PIN next time logs in and clears the count of wrong ones in a row.
    let (logged_in, out) = financial_login(&c, PIN);
    assert!(logged_in, "{out}");

    // The database alone: the blobs are no PKCS#8, obvious PIN derivations open nothing, and
    // no plaintext private key is in the file or its WAL.
    let db = c.data.join("dojang.sqlite3").display().to_string();
    let checked = ok("python3", &["-c", PY_DB_CHECK, &db, PIN], c.dir.path());
    assert!(checked.contains("opened 0 plaintext 0"), "{checked}");

    // Five wrong PINs in a row lock; the lock holds against the right PIN.
    for i in 1..=5 {
        let (signed, out) = financial(
            &c,
            &card,
            &["sign", "--hash", &"ab".repeat(32)],
            &[("DOJANG_PIN", "135792")],
        );
        assert!(!signed, "{out}");
        if i < 5 {
            assert!(
                out.contains(&format!("{}번 더 틀리면", 5 - i)) && out.contains("invalid_pin"),
                "{out}"
            );
        } else {
            assert!(out.contains("pin_locked"), "{out}");
        }
    }
    let (signed, out) =
        financial(&c, &card, &["sign", "--hash", &"ab".repeat(32)], &[("DOJANG_PIN", PIN)]);
    assert!(!signed && out.contains("pin_locked"), "the lock must hold:\n{out}");

    // Re-verification: financial reissue checks identity again and sets a new PIN; it unlocks,
    // and the old certificate is revoked (superseded).
    let (issued, out) = financial(
        &c,
        &card,
        &["reissue", "--agree", "--account", "110-001-123456", "--auto-renew", "on"],
        &[("DOJANG_NEW_PIN", NEW_PIN)],
    );
    assert!(issued, "{out}");
    let second = support::line_value(&out, "일련번호:");
    assert!(out.contains(&first), "the superseded one is named:\n{out}");
    assert_eq!(sign_and_verify(&c, &card, NEW_PIN, "second"), second);
    let old = ocsp(&c, &c.p("fin-first.pem"));
    assert!(old.contains("revoked") && old.contains("superseded"), "{old}");
    // The session opened with the first certificate ended when it was revoked.
    let (status, body) = support::session(&c.base, &first_login);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("certificate_revoked"), "{body}");
    let (logged_in, out) = financial_login(&c, NEW_PIN);
    assert!(logged_in && out.contains(&second), "{out}");

    // Automatic renewal: 710 days on, inside the 30-day window; the job runs at start.
    drop(server);
    let _server = support::serve(&c.data, &c.base, Some("+710d"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let third = loop {
        let (shown, out) = financial(&c, &card, &["show"], &[]);
        assert!(shown, "{out}");
        let serial =
            out.lines().next().unwrap().trim_start_matches("금융인증서 ").trim().to_string();
        if serial != second {
            break serial;
        }
        assert!(Instant::now() < deadline, "not renewed:\n{out}");
        std::thread::sleep(Duration::from_millis(500));
    };
    // The new key was put away without the PIN, and the same PIN opens it.
    assert_eq!(sign_and_verify(&c, &card, NEW_PIN, "third"), third);
    // R went along with the renewed key: the renewed certificate logs in too.
    let (logged_in, out) = financial_login(&c, NEW_PIN);
    assert!(logged_in && out.contains(&third), "{out}");
    let renewed = ocsp(&c, &c.p("fin-second.pem"));
    assert!(renewed.contains("revoked") && renewed.contains("superseded"), "{renewed}");

    // A customer locked after the session opened (here by wrong banking passwords) signs no
    // more with it: the session is ended at its next use.
    use base64::Engine;
    let basic = |pw: &str| {
        let b64 = base64::engine::general_purpose::STANDARD;
        format!("Basic {}", b64.encode(format!("hong:{pw}")))
    };
    let none = serde_json::json!({});
    let (status, _, login) = csc(&c, "/csc/v1/auth/login", &basic(BANKING_PW), &none);
    assert_eq!(status, 200, "{login}");
    let bearer = format!("Bearer {}", login["access_token"].as_str().expect("access_token"));
    assert_eq!(csc(&c, "/csc/v1/credentials/list", &bearer, &none).0, 200);
    let mut tries = 0;
    while csc(&c, "/csc/v1/auth/login", &basic("Wrong-pass-99!"), &none).0 != 423 {
        tries += 1;
        assert!(tries < 10, "wrong banking passwords never locked the customer");
    }
    let (status, _, refused) = csc(&c, "/csc/v1/credentials/list", &bearer, &none);
    assert_eq!(status, 423, "{refused}");
    assert_eq!(refused["error"], "authentication_error", "{refused}");
    let (status, _, refused) = csc(&c, "/csc/v1/credentials/list", &bearer, &none);
    assert_eq!(status, 401, "the session was ended: {refused}");
}
