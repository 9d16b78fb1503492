//! The certificate center's flows end to end, as a customer lives them: a real `dojang serve`,
//! customers enrolled at the "branch" with `dojang admin customer add`, and the real
//! `dojang cert issue | reissue | renew | revoke | suspend | resume` client driven through
//! piped standard input — one-time codes read from the simulated phone (`dojang phone`), the
//! security-card digits from the card printed at enrolment. What the client saved is opened
//! with the NPKI code (`dojang cert list/show`, dojang-npki) and checked with `openssl`
//! (chain, key, OCSP); money with `dojang admin customer show`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use support::terminal::{self, phone_code, Terminal, CLIENT_LIMIT};
use support::{ok, text, TestCenter, DOJANG};

const CERT_PW: &str = "Hong-gildong1!";
const NEW_CERT_PW: &str = "Renewed#Pass-2";
const ACCOUNT_PW: &str = "4821";
const BANKING_PW: &str = "Banking-pass1!";

// ---------------------------------------------------------------------------------------------
// Customers

/// A customer enrolled at the branch, with their security card and their own NPKI folder.
struct Customer {
    name: String,
    rrn: String,
    phone: String,
    banking_id: String,
    account: String,
    card: Vec<String>,
    npki: PathBuf,
}

fn enrol(c: &TestCenter, n: u32, name: &str, balance: i64) -> Customer {
    assert!(n < 10);
    let cust = Customer {
        name: name.to_string(),
        rrn: format!("90010{n}1{n:06}"),
        phone: format!("010-{}-5678", 1000 + n),
        banking_id: format!("customer{n}"),
        account: format!("110-{n:03}-123456"),
        card: Vec::new(),
        npki: c.path(&format!("npki-{n}")),
    };
    let doc = serde_json::json!({
        "kind": "person",
        "name": name,
        "rrn": cust.rrn,
        "phone": cust.phone,
        "email": format!("customer{n}@example.com"),
        "address": "서울특별시 중구 세종대로 110",
        "banking_id": cust.banking_id,
        "banking_password": BANKING_PW,
        "accounts": [{"number": cust.account, "password": ACCOUNT_PW, "balance": balance}],
        "second_factor": "security-card",
    });
    Customer { card: c.add_customer(&format!("customer-{n}.json"), &doc), ..cust }
}

/// The balance of the customer's account, as staff see it.
fn balance(c: &TestCenter, cust: &Customer) -> i64 {
    let out = c.dojang(&["admin", "customer", "show", &cust.banking_id]);
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    // The bank keeps account numbers as digits.
    let digits: String = cust.account.chars().filter(char::is_ascii_digit).collect();
    let line = t
        .lines()
        .find(|l| l.contains(&digits) && l.contains("balance"))
        .unwrap_or_else(|| panic!("no balance line for {} in:\n{t}", cust.account));
    let after = line.split("balance").nth(1).unwrap();
    let number: String =
        after.split_whitespace().next().unwrap().chars().filter(char::is_ascii_digit).collect();
    number.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Driving the client

/// The environment of a customer's client: their NPKI folder, Korean, their secrets.
fn client_env(cust: &Customer) -> Vec<(String, String)> {
    vec![
        ("DOJANG_LANG".into(), "ko".into()),
        ("DOJANG_NPKI_HOME".into(), cust.npki.display().to_string()),
        ("DOJANG_PHONE_HOME".into(), format!("{}-phone", cust.npki.display())),
        ("DOJANG_RRN".into(), cust.rrn.clone()),
        ("DOJANG_ACCOUNT_PASSWORD".into(), ACCOUNT_PW.into()),
        ("DOJANG_BANKING_PASSWORD".into(), BANKING_PW.into()),
        ("DOJANG_CERT_PASSWORD".into(), CERT_PW.into()),
        ("DOJANG_NEW_CERT_PASSWORD".into(), CERT_PW.into()),
    ]
}

/// `dojang cert ARGS… --server URL` started as `cust` at their terminal.
fn client(c: &TestCenter, cust: &Customer, args: &[&str], env: &[(&str, &str)]) -> Terminal {
    let mut cmd = Command::new(DOJANG);
    cmd.arg("cert")
        .args(args)
        .args(["--server", &c.base])
        .current_dir(c.dir.path())
        .env_remove("DOJANG_SERVER")
        .env_remove("DOJANG_CLOCK_OFFSET")
        .env_remove("DOJANG_DATA")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    for (k, v) in client_env(cust) {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    Terminal::spawn(&mut cmd)
}

/// `cust` answering every prompt right.
fn honest<'a>(c: &'a TestCenter, cust: &'a Customer) -> impl FnMut(&str) -> Option<String> + 'a {
    terminal::honest(c, &cust.phone, &cust.card)
}

/// A wrong code of the same length.
fn wrong(code: &str) -> String {
    code.chars().map(|d| if d == '9' { '0' } else { char::from(d as u8 + 1) }).collect()
}

fn cert_cli(cust: &Customer, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(DOJANG);
    cmd.arg("cert").args(args).env_remove("DOJANG_CLOCK_OFFSET").stdin(Stdio::null());
    for (k, v) in client_env(cust) {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run dojang cert")
}

/// The certificates in the customer's hard-disk NPKI folder (`dojang cert list --json`).
fn stored(cust: &Customer) -> Vec<serde_json::Value> {
    let out = cert_cli(cust, &["list", "--json"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    j["certificates"].as_array().cloned().unwrap_or_default()
}

fn stored_serials(cust: &Customer) -> Vec<String> {
    stored(cust).iter().map(|e| e["serial"].as_str().unwrap().to_string()).collect()
}

/// `signCert.der` of the stored certificate `serial`, written as PEM for openssl.
fn cert_pem(c: &TestCenter, cust: &Customer, serial: &str) -> (String, PathBuf) {
    let entry = stored(cust).into_iter().find(|e| e["serial"] == serial).expect("stored");
    let folder = PathBuf::from(entry["folder"].as_str().unwrap());
    let pem = c.p(&format!("{serial}.pem"));
    let der = folder.join("signCert.der").display().to_string();
    ok("openssl", &["x509", "-inform", "DER", "-in", &der, "-out", &pem], c.dir.path());
    (pem, folder)
}

fn openssl_ocsp(c: &TestCenter, root: &str, issuing: &str, cert: &str, verify: bool) -> String {
    let url = format!("{}/ocsp", c.base);
    let mut args = vec!["ocsp", "-issuer", issuing, "-cert", cert, "-url", &url, "-CAfile", root];
    if !verify {
        // At a shifted clock the responder's certificate is "not yet valid" to openssl, which
        // checks against the real time: read the status without judging the signature.
        // Its thisUpdate is in the (real) future too: allow for that much clock difference.
        args.extend(["-noverify", "-validity_period", "100000000"]);
    }
    ok("openssl", &args, c.dir.path())
}

/// The server's /metrics as {"name{labels}": value}.
fn metrics(c: &TestCenter) -> serde_json::Value {
    let script = support::tests_dir().join("py/read_metrics.py");
    let out = ok(
        "python3",
        &[&script.display().to_string(), &format!("{}/metrics", c.base)],
        c.dir.path(),
    );
    serde_json::from_str(out.trim()).unwrap()
}

fn end_date(c: &TestCenter, pem: &str) -> String {
    ok("openssl", &["x509", "-in", pem, "-noout", "-enddate"], c.dir.path()).trim().to_string()
}

fn certificate_rows(c: &TestCenter) -> i64 {
    c.store_counts().0
}

// ---------------------------------------------------------------------------------------------
// The life of a certificate

#[test]
fn a_certificate_is_issued_reissued_renewed_suspended_resumed_and_revoked() {
    let c = TestCenter::new();
    let mut server = support::serve(&c.data, &c.base, None);
    let cust = enrol(&c, 1, "홍길동", 100_000);
    let (root, issuing) = c.fetch_chain();

    // --- 발급: personal-bank, the first ARS code mistyped once (a retry is allowed).
    let mut wrong_once = true;
    let mut honest_bot = honest(&c, &cust);
    let session = client(
        &c,
        &cust,
        &[
            "issue",
            "--banking-id",
            &cust.banking_id,
            "--product",
            "personal-bank",
            "--account",
            &cust.account,
            "--location",
            "disk",
            "--accept-terms",
            "--yes",
        ],
        &[],
    );
    let (success, out) = session.drive(CLIENT_LIMIT, |prompt| {
        if prompt.contains("ARS 승인번호") && wrong_once {
            wrong_once = false;
            return Some(wrong(&phone_code(&c, &cust.phone)));
        }
        honest_bot(prompt)
    });
    assert!(success, "issue failed:\n{out}");
    for step in ["약관 동의", "ARS 인증", "최종 확인", "인증서 발급"] {
        assert!(out.contains(step), "the progress shows {step}:\n{out}");
    }
    assert!(out.contains("[1/"), "a step indicator:\n{out}");
    assert!(out.contains(&format!("{} 고객님", cust.name)), "identified:\n{out}");
    assert!(out.contains("남은 입력 횟수"), "the wrong code's message with the tries left:\n{out}");
    assert!(out.contains("인증서를 발급했습니다"), "{out}");
    assert!(out.contains("signCert.der, signPri.key"), "where the files went:\n{out}");
    assert!(out.contains("730일"), "the validity:\n{out}");
    assert!(!out.contains(CERT_PW) && !out.contains(&cust.rrn), "no secret in the output:\n{out}");
    let first = support::last_line_value(&out, "일련번호");
    assert_eq!(stored_serials(&cust), vec![first.clone()]);

    // The files open with the NPKI code: list/show, the password, R for the VID.
    let show = cert_cli(&cust, &["show", &first], &[]);
    assert!(show.status.success(), "{}", text(&show));
    assert!(text(&show).contains("홍길동()"), "{}", text(&show));
    let (pem, folder) = cert_pem(&c, &cust, &first);
    let key = dojang_npki::keyfile::decrypt(
        &std::fs::read(folder.join("signPri.key")).unwrap(),
        CERT_PW.as_bytes(),
    )
    .expect("signPri.key opens with the certificate password");
    let r = key.random_num().expect("R is in signPri.key").to_vec();
    assert_eq!(r.len(), 20);
    let vid = Command::new(DOJANG)
        .args(["ca", "verify-vid", "--cert", &pem, "--random", &hex::encode(&r)])
        .env("DOJANG_HOLDER_RRN", &cust.rrn)
        .output()
        .unwrap();
    assert!(vid.status.success(), "the VID binds the certificate to the RRN: {}", text(&vid));

    // openssl: the chain verifies, the key file decrypts (SEED, legacy provider) to the
    // certificate's key, and OCSP says good.
    let verified =
        ok("openssl", &["verify", "-CAfile", &root, "-untrusted", &issuing, &pem], c.dir.path());
    assert!(verified.contains(": OK"), "{verified}");
    let key_pem = c.p("key.pem");
    let pass = format!("pass:{CERT_PW}");
    let key_file = folder.join("signPri.key").display().to_string();
    ok(
        "openssl",
        &[
            "pkcs8",
            "-inform",
            "DER",
            "-in",
            &key_file,
            "-passin",
            &pass,
            "-out",
            &key_pem,
            "-provider",
            "legacy",
            "-provider",
            "default",
        ],
        c.dir.path(),
    );
    let from_key = ok("openssl", &["pkey", "-in", &key_pem, "-pubout"], c.dir.path());
    let from_cert = ok("openssl", &["x509", "-in", &pem, "-noout", "-pubkey"], c.dir.path());
    assert_eq!(from_key, from_cert, "signPri.key holds the certificate's key");
    let good = openssl_ocsp(&c, &root, &issuing, &pem, true);
    assert!(good.contains(&format!("{pem}: good")), "{good}");
    assert_eq!(balance(&c, &cust), 100_000, "personal-bank is free");

    // --- 발급, with a fee: personal-general charges 4,400 won, shown before it is charged.
    let session = client(
        &c,
        &cust,
        &[
            "issue",
            "--banking-id",
            &cust.banking_id,
            "--product",
            "personal-general",
            "--account",
            &cust.account,
            "--location",
            "disk",
            "--accept-terms",
            "--yes",
        ],
        &[],
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(success, "issue failed:\n{out}");
    assert!(
        out.contains("수수료 4,400원은 인증서 발급이 끝날 때"),
        "the fee before it is charged:\n{out}"
    );
    assert!(out.contains("4,400원 (출금계좌"), "the fee charged:\n{out}");
    let general = support::last_line_value(&out, "일련번호");
    assert_eq!(balance(&c, &cust), 95_600, "the fee is in the account's ledger");
    assert_eq!(stored_serials(&cust).len(), 2);

    // --- 재발급: the old certificate is revoked (superseded), the new one keeps its end.
    let session = client(
        &c,
        &cust,
        &[
            "reissue",
            "--banking-id",
            &cust.banking_id,
            "--serial",
            &first,
            "--account",
            &cust.account,
            "--location",
            "disk",
            "--accept-terms",
            "--yes",
        ],
        &[],
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(success, "reissue failed:\n{out}");
    assert!(out.contains("인증서를 재발급했습니다"), "{out}");
    assert!(
        out.contains("새 인증서로 바뀝니다"),
        "the old files are replaced, and it says so:\n{out}"
    );
    assert!(out.contains(&format!("이전 인증서(일련번호 {first})는 폐기되었습니다")), "{out}");
    let reissued = support::last_line_value(&out, "일련번호");
    assert_ne!(reissued, first);
    let serials = stored_serials(&cust);
    assert!(
        serials.contains(&reissued) && !serials.contains(&first),
        "replaced in the store: {serials:?}"
    );
    let (reissued_pem, _) = cert_pem(&c, &cust, &reissued);
    assert_eq!(
        end_date(&c, &reissued_pem),
        end_date(&c, &pem),
        "a reissue keeps the end of validity"
    );
    let old = openssl_ocsp(&c, &root, &issuing, &pem, true);
    assert!(
        old.contains(&format!("{pem}: revoked")) && old.contains("Reason: superseded"),
        "{old}"
    );
    assert_eq!(balance(&c, &cust), 95_600, "reissue is free");

    // --- 갱신 too early: refused with the window's dates; nothing changes.
    let rows = certificate_rows(&c);
    let session = client(
        &c,
        &cust,
        &["renew", "--serial", &reissued, "--account", &cust.account, "--accept-terms", "--yes"],
        &[],
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(!success, "renewal outside the window must fail:\n{out}");
    assert!(out.contains("만료 30일 전부터"), "{out}");
    assert_eq!(certificate_rows(&c), rows);

    // --- 갱신 inside the window (20 days before the end), client and center on the same clock.
    drop(server);
    server = support::serve(&c.data, &c.base, Some("+710d"));
    let renew_args =
        ["renew", "--serial", &reissued, "--account", &cust.account, "--accept-terms", "--yes"];

    // First while an interrupted save has left the certificate hidden on a write-protected
    // disk: it can sign the request, but the new one could not be stored, so nothing is issued.
    let (_, folder) = cert_pem(&c, &cust, &reissued);
    let name = folder.file_name().unwrap().to_string_lossy().into_owned();
    let hidden = folder.with_file_name(format!(".{name}.old-0123456789ab"));
    std::fs::rename(&folder, &hidden).unwrap();
    let frozen = support::frozen::Frozen::new(folder.parent().unwrap());
    let session = client(&c, &cust, &renew_args, &[("DOJANG_CLOCK_OFFSET", "+710d")]);
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    drop(frozen);
    assert!(!success, "a renewal that could not be stored must not be issued:\n{out}");
    assert!(out.contains("숨겨진 채 제자리"), "{out}");
    assert_eq!(certificate_rows(&c), rows);
    // Writable again: the listing puts the folder back, and the renewal goes through.
    let session = client(
        &c,
        &cust,
        &renew_args,
        &[("DOJANG_CLOCK_OFFSET", "+710d"), ("DOJANG_NEW_CERT_PASSWORD", NEW_CERT_PW)],
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(success, "renewal failed:\n{out}");
    assert!(out.contains("만료 임박"), "the client sees the certificate in its last days:\n{out}");
    assert!(out.contains("SMS 인증"), "{out}");
    assert!(out.contains("인증서를 갱신했습니다"), "{out}");
    let renewed = support::last_line_value(&out, "일련번호");
    let serials = stored_serials(&cust);
    assert!(serials.contains(&renewed) && !serials.contains(&reissued), "{serials:?}");
    let gone = openssl_ocsp(&c, &root, &issuing, &reissued_pem, false);
    assert!(gone.contains("revoked") && gone.contains("superseded"), "{gone}");
    let (renewed_pem, renewed_folder) = cert_pem(&c, &cust, &renewed);
    assert!(
        dojang_npki::keyfile::decrypt(
            &std::fs::read(renewed_folder.join("signPri.key")).unwrap(),
            NEW_CERT_PW.as_bytes()
        )
        .is_ok(),
        "the renewed key is sealed under the new password"
    );

    // --- 효력정지 by identity checks (a lost certificate), 효력회복 and 폐기 by the certificate.
    let offset = [("DOJANG_CLOCK_OFFSET", "+710d"), ("DOJANG_CERT_PASSWORD", NEW_CERT_PW)];
    let session = client(
        &c,
        &cust,
        &[
            "suspend",
            "--method",
            "identity",
            "--banking-id",
            &cust.banking_id,
            "--serial",
            &renewed,
            "--yes",
        ],
        &offset,
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(success, "suspend failed:\n{out}");
    assert!(out.contains("효력을 정지했습니다"), "{out}");
    let held = openssl_ocsp(&c, &root, &issuing, &renewed_pem, false);
    assert!(held.contains("revoked") && held.contains("certificateHold"), "{held}");

    let session = client(&c, &cust, &["resume", "--serial", &renewed, "--yes"], &offset);
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(success, "resume failed:\n{out}");
    assert!(out.contains("효력을 회복했습니다"), "{out}");
    let back = openssl_ocsp(&c, &root, &issuing, &renewed_pem, false);
    assert!(back.contains(&format!("{renewed_pem}: good")), "{back}");

    let session = client(
        &c,
        &cust,
        &["revoke", "--serial", &renewed, "--reason", "keyCompromise", "--yes"],
        &offset,
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(success, "revoke failed:\n{out}");
    assert!(out.contains("인증서를 폐기했습니다"), "{out}");
    assert!(out.contains(&format!("dojang cert delete {renewed}")), "{out}");
    let revoked = openssl_ocsp(&c, &root, &issuing, &renewed_pem, false);
    assert!(revoked.contains("revoked") && revoked.contains("keyCompromise"), "{revoked}");

    // What an operator sees at /metrics (read by the Prometheus project's own parser): the
    // renewal this server instance made, OCSP answers with the revoked status, request timings
    // by route pattern.
    let m = metrics(&c);
    assert!(m["dojang_certificates_issued_total{kind=renew}"].as_f64() >= Some(1.0), "{m}");
    assert!(m["dojang_ocsp_responses_total{outcome=answered}"].as_f64() >= Some(3.0), "{m}");
    assert!(m["dojang_ocsp_cert_status_total{status=revoked}"].as_f64() >= Some(1.0), "{m}");
    assert!(
        m["dojang_http_request_duration_seconds_count{route=/api/v1/flows/{id}/{step}}"].as_f64()
            >= Some(10.0),
        "{m}"
    );

    // --- 갱신 after the end: the general-purpose certificate ended at +730d.
    drop(server);
    let _server = support::serve(&c.data, &c.base, Some("+731d"));
    let rows = certificate_rows(&c);
    let session = client(
        &c,
        &cust,
        &["renew", "--serial", &general, "--account", &cust.account, "--accept-terms", "--yes"],
        &[("DOJANG_CLOCK_OFFSET", "+731d")],
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(!success, "an expired certificate cannot be renewed:\n{out}");
    assert!(
        out.contains("만료됨") || out.contains("만료: 갱신할 수 없으니"),
        "the client sees it expired:\n{out}"
    );
    assert!(out.contains("새로 발급받아 주세요"), "the center says to issue anew:\n{out}");
    assert_eq!(certificate_rows(&c), rows);
    assert_eq!(balance(&c, &cust), 95_600);
}

// ---------------------------------------------------------------------------------------------
// Refusals: each says what failed, and leaves no certificate and no charge

fn issue_args<'a>(cust: &'a Customer, product: &'a str) -> Vec<&'a str> {
    vec![
        "issue",
        "--banking-id",
        &cust.banking_id,
        "--product",
        product,
        "--account",
        &cust.account,
        "--location",
        "disk",
        "--accept-terms",
        "--yes",
    ]
}

fn nothing_changed(c: &TestCenter, cust: &Customer, money: i64) {
    assert!(stored(cust).is_empty(), "no certificate in the customer's folder");
    assert_eq!(certificate_rows(c), 0, "no certificate at the center");
    assert_eq!(balance(c, cust), money, "no charge");
}

#[test]
fn refusals_say_why_and_leave_nothing_behind() {
    let c = TestCenter::new();
    let _server = support::serve(&c.data, &c.base, None);
    let cust = enrol(&c, 2, "김철수", 50_000);
    let poor = enrol(&c, 3, "이영희", 1_000);

    // An RRN that does not belong to the banking ID (Korean, then English).
    let session =
        client(&c, &cust, &issue_args(&cust, "personal-bank"), &[("DOJANG_RRN", "8001011234567")]);
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(!success, "{out}");
    assert!(out.contains("주민등록번호") && out.contains("일치하지 않습니다"), "{out}");
    let session = client(
        &c,
        &cust,
        &[issue_args(&cust, "personal-bank"), vec!["--lang", "en"]].concat(),
        &[("DOJANG_RRN", "8001011234567")],
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(!success, "{out}");
    assert!(out.contains("[1/") && out.contains("Terms"), "English progress:\n{out}");
    assert!(!out.contains("일치하지 않습니다"), "English messages:\n{out}");
    nothing_changed(&c, &cust, 50_000);

    // Wrong ARS codes until no try is left, and no new code asked for.
    let session = client(&c, &cust, &issue_args(&cust, "personal-general"), &[]);
    let (success, out) = session.drive(CLIENT_LIMIT, |prompt| {
        if prompt.contains("ARS 승인번호") {
            Some(wrong(&phone_code(&c, &cust.phone)))
        } else if prompt.contains("새로 요청할까요") {
            Some("n".into())
        } else {
            None
        }
    });
    assert!(!success, "{out}");
    assert!(out.contains("ARS 승인번호가 일치하지 않습니다"), "{out}");
    assert!(out.contains("남은 입력 횟수"), "{out}");
    nothing_changed(&c, &cust, 50_000);
    // Each wrong code is a failure an operator can see and alert on.
    let m = metrics(&c);
    assert!(m["dojang_failures_total{action=identity.ars.fail}"].as_f64() >= Some(2.0), "{m}");

    // Not enough money for the fee: refused at the payment step, before anything is made.
    let session = client(&c, &poor, &issue_args(&poor, "personal-general"), &[]);
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &poor));
    assert!(!success, "{out}");
    assert!(out.contains("잔액이 부족합니다"), "{out}");
    assert!(out.contains("4400") || out.contains("4,400"), "the fee it needed:\n{out}");
    nothing_changed(&c, &poor, 1_000);

    // The certificate password rule is enforced before the key is made or the CSR sent.
    let session = client(
        &c,
        &cust,
        &issue_args(&cust, "personal-bank"),
        &[("DOJANG_NEW_CERT_PASSWORD", "password")],
    );
    let (success, out) = session.drive(CLIENT_LIMIT, honest(&c, &cust));
    assert!(!success, "{out}");
    assert!(out.contains("숫자가 없습니다") && out.contains("특수문자"), "{out}");
    nothing_changed(&c, &cust, 50_000);
}

#[test]
fn the_api_refuses_a_skipped_or_replayed_step() {
    let c = TestCenter::new();
    let _server = support::serve(&c.data, &c.base, None);
    let post =
        |path: &str, body: serde_json::Value| support::post_json(&c, path, &body.to_string());
    let (status, flow) = post("/api/v1/flows", serde_json::json!({"kind": "issue"}));
    assert_eq!(status, 201, "{flow}");
    let id = flow["id"].as_str().unwrap().to_string();
    assert_eq!(flow["next"]["name"], "terms");
    assert_eq!(flow["next"]["number"], 1);

    // Straight to the confirmation: refused, with the step to take.
    let (status, e) =
        post(&format!("/api/v1/flows/{id}/confirm"), serde_json::json!({"confirm": true}));
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"], "step_out_of_order");
    assert!(e["message_ko"].as_str().unwrap().contains("약관 동의"), "{e}");

    // The terms, then the same step again: a replay is refused too.
    let all: Vec<&str> = flow["output"]["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let (status, v) =
        post(&format!("/api/v1/flows/{id}/terms"), serde_json::json!({"accepted": all}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["next"]["name"], "identify");
    let (status, e) =
        post(&format!("/api/v1/flows/{id}/terms"), serde_json::json!({"accepted": all}));
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"], "step_out_of_order");

    // The typed client reads the same refusal.
    let client = dojang_client::Client::new(&c.base).unwrap();
    let err = client.raw_step(&id, "csr", &serde_json::json!({"csr": "x"})).unwrap_err();
    let api = err.api().expect("a refusal");
    assert_eq!((api.status, api.code.as_str()), (409, "step_out_of_order"));
    assert!(api.message_ko.contains("단계"), "{api:?}");
    assert!(matches!(
        client.view("00000000000000000000000000000000").unwrap_err().api().map(|e| e.status),
        Some(404)
    ));
    assert_eq!(certificate_rows(&c), 0);
}

/// Sends `request` as is on a new connection to `c` and reads the answer until the server closes
/// it or goes quiet for a second.
fn raw_exchange(c: &TestCenter, request: &str) -> String {
    use std::io::{Read, Write};
    let addr = c.base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(1))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// JSON the API cannot read is refused in the API's own shape, in Korean and English, naming
/// the field — and an RRN, a password or a PIN sent as a JSON number is not repeated in the
/// answer or in the log.
#[test]
fn unreadable_json_is_refused_by_field_without_repeating_it() {
    let c = TestCenter::new();
    let _server = support::serve_logging(&c.data, &c.base, None, &[], "debug");
    // Long enough that no id, nonce or time in an answer or the log holds them by chance.
    const RRN: &str = "9001011777777";
    const PASSWORD: &str = "48213579";
    const PIN: &str = "86420975";
    let refused = |path: &str, body: &str, status: u16, code: &str| -> serde_json::Value {
        let (got, e) = support::post_json(&c, path, body);
        assert_eq!((got, e["error"].as_str()), (status, Some(code)), "{path}: {e}");
        assert!(!e["message_ko"].as_str().unwrap_or_default().is_empty(), "{e}");
        assert!(!e["message_en"].as_str().unwrap_or_default().is_empty(), "{e}");
        for secret in [RRN, PASSWORD, PIN] {
            assert!(!e.to_string().contains(secret), "{secret} repeated: {e}");
        }
        e
    };

    let e = refused("/api/v1/flows", "{}", 400, "bad_input");
    assert_eq!(e["message_en"], "`kind` is missing: add it");
    assert!(e["message_ko"].as_str().unwrap().contains("'kind' 항목이 빠졌습니다"), "{e}");
    let e = refused("/api/v1/flows", r#"{"kind": "issue""#, 400, "bad_input");
    assert!(e["message_ko"].as_str().unwrap().contains("중간에 끊겼습니다"), "{e}");
    refused("/api/v1/flows", r#"{"kind": 48213579}"#, 400, "bad_input");

    // A flow at its identification step, sent the RRN and the password as numbers.
    let (_, flow) = support::post_json(&c, "/api/v1/flows", r#"{"kind": "issue"}"#);
    let id = flow["id"].as_str().unwrap().to_string();
    let terms: Vec<_> =
        flow["output"]["terms"].as_array().unwrap().iter().map(|t| t["id"].clone()).collect();
    let (status, _) = support::post_json(
        &c,
        &format!("/api/v1/flows/{id}/terms"),
        &serde_json::json!({"accepted": terms}).to_string(),
    );
    assert_eq!(status, 200);
    let identify = format!("/api/v1/flows/{id}/identify");
    let e = refused(
        &identify,
        &format!(r#"{{"banking_id": "x", "rrn": {RRN}, "password": "p"}}"#),
        400,
        "bad_input",
    );
    assert!(e["message_en"].as_str().unwrap().contains("`rrn` must be a string"), "{e}");
    assert!(e["message_ko"].as_str().unwrap().contains("'rrn' 항목은 문자열이어야 합니다"), "{e}");
    refused(
        &identify,
        r#"{"banking_id": "x", "rrn": "900101-1777777", "password": 48213579}"#,
        400,
        "bad_input",
    );
    let (_, view) = support::post_json(&c, "/api/v1/flows", r#"{"kind": "issue"}"#);
    assert_eq!(view["next"]["name"], "terms", "a refused step leaves the flow where it was");

    // Typed routes, each module's: the cloud signer, staff login, login registration.
    let e = refused(
        "/csc/v1/credentials/authorize",
        r#"{"credentialID": "x", "numSignatures": 1, "PIN": 86420975}"#,
        400,
        "bad_input",
    );
    assert!(e["message_en"].as_str().unwrap().contains("`PIN` must be a string"), "{e}");
    refused("/api/v1/staff/login", r#"{"staff_id": "x", "password": 48213579}"#, 400, "bad_input");
    refused("/api/v1/registrations", &format!(r#"{{"rrn": {RRN}}}"#), 400, "bad_input");
    // A body one byte over the API's limit (2 MiB), sent whole so that the answer is not cut
    // off by a write the server no longer reads.
    let body = format!(r#"{{"kind": "{}"}}"#, "x".repeat((2 << 20) + 1 - 12));
    let answer = raw_exchange(&c, &format!("POST /api/v1/flows HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#""error":"body_too_large""#) && answer.contains("message_ko"),
        "{answer}"
    );
    refused("/api/v1/staff/customers/abc/lock", "{}", 400, "bad_path");
    let r = ureq::post(&format!("{}/api/v1/flows", c.base))
        .set("Content-Type", "application/jsonx")
        .send_string("{}");
    assert!(matches!(r, Err(ureq::Error::Status(415, _))));

    let log = std::fs::read_to_string(support::serve_log(&c.data)).unwrap();
    for secret in [RRN, PASSWORD, PIN] {
        let line = log.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "{secret} in the log: {line:?}");
    }
}

/// A business customer (법인) enrolled at the branch: found by its registration number.
fn enrol_business(c: &TestCenter, n: u32, name: &str, number: &str, balance: i64) -> Customer {
    let cust = Customer {
        name: name.to_string(),
        rrn: String::new(),
        phone: format!("010-{}-9999", 2000 + n),
        banking_id: format!("company{n}"),
        account: format!("220-{n:03}-654321"),
        card: Vec::new(),
        npki: c.path(&format!("npki-business-{n}")),
    };
    let doc = serde_json::json!({
        "kind": "business",
        "name": name,
        "business_number": number,
        "phone": cust.phone,
        "email": format!("company{n}@example.com"),
        "address": "서울특별시 영등포구 여의대로 1",
        "banking_id": cust.banking_id,
        "banking_password": BANKING_PW,
        "accounts": [{"number": cust.account, "password": ACCOUNT_PW, "balance": balance}],
        "second_factor": "security-card",
    });
    Customer { card: c.add_customer(&format!("business-{n}.json"), &doc), ..cust }
}

#[test]
fn the_limited_and_corporate_products_are_issued_too() {
    let c = TestCenter::new();
    let _server = support::serve(&c.data, &c.base, None);
    let (root, issuing) = c.fetch_chain();

    // 용도제한 (limited) for a person.
    let person = enrol(&c, 3, "김영희", 10_000);
    let args = [
        "issue",
        "--banking-id",
        &person.banking_id,
        "--product",
        "limited",
        "--account",
        &person.account,
        "--location",
        "disk",
        "--accept-terms",
        "--yes",
    ];
    let (done, out) = client(&c, &person, &args, &[]).drive(CLIENT_LIMIT, honest(&c, &person));
    assert!(done, "limited issue failed:\n{out}");
    let serial = stored_serials(&person).pop().expect("a stored certificate");
    let (pem, _) = cert_pem(&c, &person, &serial);
    let v =
        ok("openssl", &["verify", "-CAfile", &root, "-untrusted", &issuing, &pem], c.dir.path());
    assert!(v.contains(": OK"), "{v}");
    let t = ok("openssl", &["x509", "-in", &pem, "-noout", "-text"], c.dir.path());
    assert!(t.contains("Policy: 1.3.6.1.4.1.32473.1.3") && t.contains("othername"), "{t}");
    assert_eq!(balance(&c, &person), 10_000, "limited certificates are free");

    // 법인 범용 (corporate-general) for a business, found by its registration number:
    // 110,000원 a year for two years.
    let company = enrol_business(&c, 4, "(주)도장상사", "123-45-67890", 300_000);
    let args = [
        "issue",
        "--banking-id",
        &company.banking_id,
        "--business-number",
        "1234567890",
        "--product",
        "corporate-general",
        "--account",
        &company.account,
        "--location",
        "disk",
        "--accept-terms",
        "--yes",
    ];
    let (done, out) = client(&c, &company, &args, &[]).drive(CLIENT_LIMIT, honest(&c, &company));
    assert!(done, "corporate issue failed:\n{out}");
    assert!(out.contains("220,000") || out.contains("220000"), "the fee is shown:\n{out}");
    let serial = stored_serials(&company).pop().expect("a stored certificate");
    let (pem, _) = cert_pem(&c, &company, &serial);
    let v =
        ok("openssl", &["verify", "-CAfile", &root, "-untrusted", &issuing, &pem], c.dir.path());
    assert!(v.contains(": OK"), "{v}");
    let t =
        ok("openssl", &["x509", "-in", &pem, "-noout", "-text", "-nameopt", "utf8"], c.dir.path());
    assert!(t.contains("Policy: 1.2.410.200005.1.1.5"), "{t}");
    assert!(t.contains("OU=corporation") && t.contains("(주)도장상사()"), "{t}");
    assert!(!t.contains("othername"), "a business's certificate carries no personal VID:\n{t}");
    assert_eq!(balance(&c, &company), 80_000);

    // A person cannot take the corporate product, nor a business a personal one.
    let args = [
        "issue",
        "--banking-id",
        &person.banking_id,
        "--product",
        "corporate-general",
        "--account",
        &person.account,
        "--location",
        "disk",
        "--accept-terms",
        "--yes",
    ];
    let (done, out) = client(&c, &person, &args, &[]).drive(CLIENT_LIMIT, honest(&c, &person));
    assert!(!done && out.contains("개인 고객이 발급받을 수 없습니다"), "{out}");
}
