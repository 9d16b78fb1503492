//! Certificate login and other institutions' certificates, end to end: real `dojang serve`
//! instances (two banks, each with its own CA), customers enrolled with `dojang admin`,
//! certificates made with `dojang ca issue` (the holder's VID from `DOJANG_HOLDER_RRN`) and
//! kept as NPKI pairs (`signCert.der` + `signPri.key` with R), and the real client commands
//! `dojang cert register | unregister` and `dojang login`. Every refusal must name its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use dojang_client::{csr, KeyPair};
use dojang_keystore::{Existing, Location, NpkiPair, Store};
use dojang_pki::KeyType;
use support::terminal::code_in;
use support::{free_port, text, DOJANG};

const CERT_PW: &str = "Login-test#2024";

/// A bank: its data directory (config with its own CA names), its port, a running server.
struct Bank {
    dir: PathBuf,
    data: PathBuf,
    base: String,
    org: String,
    ou: String,
    server: Option<support::Serving>,
}

impl Bank {
    fn new(root: &Path, name: &str, org: &str, ou: &str, extra: &str) -> Bank {
        let dir = root.join(name);
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        let port = free_port();
        let config = format!(
            "listen = \"127.0.0.1:{port}\"\n\n[ca]\norganization = \"{org}\"\nbank_ou = \"{ou}\"\nroot_cn = \"{org} Root CA\"\nissuing_cn = \"{org}CA Class 1\"\n{extra}"
        );
        std::fs::write(data.join("dojang.toml"), config).unwrap();
        Bank {
            dir,
            data,
            base: format!("http://127.0.0.1:{port}"),
            org: org.into(),
            ou: ou.into(),
            server: None,
        }
    }

    fn start(&mut self, offset: Option<&str>) {
        self.server = Some(support::serve(&self.data, &self.base, offset));
    }

    fn stop(&mut self) {
        self.server = None;
    }

    /// `dojang <args> --data DIR` with `env`.
    fn dojang(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(DOJANG);
        cmd.args(args)
            .arg("--data")
            .arg(&self.data)
            .current_dir(&self.dir)
            .env_remove("DOJANG_DATA")
            .env_remove("DOJANG_CLOCK_OFFSET");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Enrols a person with `rrn`; returns nothing (secrets come from the file, not argv).
    fn enrol(&self, banking_id: &str, name: &str, rrn: &str, phone: &str) {
        let file = self.dir.join(format!("{banking_id}.json"));
        let doc = serde_json::json!({
            "kind": "person", "name": name, "rrn": rrn, "phone": phone,
            "email": format!("{banking_id}@example.com"), "address": "서울특별시 중구 세종대로 110",
            "banking_id": banking_id, "banking_password": "Banking-pass1!",
            "accounts": [{"number": format!("110-{}-123456", &rrn[10..13]), "password": "4821", "balance": 10000}],
            "second_factor": "security-card",
        });
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = self.dojang(
            &["admin", "customer", "add", "--from", &file.display().to_string(), "--json"],
            &[],
        );
        assert!(out.status.success(), "enrolment failed:\n{}", text(&out));
    }

    /// A personal-bank certificate for the holder `rrn`, made by this bank's CA (`ca issue`),
    /// saved with its key (R as randomNum) as an NPKI pair under `folder`. Returns the serial.
    fn certificate(&self, name: &str, rrn: &str, folder: &Path) -> String {
        let key = KeyPair::generate(KeyType::Rsa2048).unwrap();
        let subject = format!(
            "/C=KR/O={}/OU=personal4IB/OU={}/CN={name}()0011234567890123",
            self.org, self.ou
        );
        let req = csr::build(csr::parse_openssl_subject(&subject).unwrap(), &key).unwrap();
        let n = std::fs::read_dir(&self.dir).unwrap().count();
        let csr_path = self.dir.join(format!("req-{n}.csr"));
        let pem_path = self.dir.join(format!("cert-{n}.pem"));
        let r_path = self.dir.join(format!("r-{n}.txt"));
        std::fs::write(&csr_path, csr::to_pem(&req).unwrap()).unwrap();
        let out = self.dojang(
            &[
                "ca",
                "issue",
                "--csr",
                &csr_path.display().to_string(),
                "--product",
                "personal-bank",
                "--out",
                &pem_path.display().to_string(),
                "--random-out",
                &r_path.display().to_string(),
            ],
            &[("DOJANG_HOLDER_RRN", rrn)],
        );
        assert!(out.status.success(), "ca issue failed:\n{}", text(&out));
        let r = base64::engine::general_purpose::STANDARD
            .decode(std::fs::read_to_string(&r_path).unwrap().trim())
            .unwrap();
        save_pair(&std::fs::read(&pem_path).unwrap(), &key, Some(&r), folder)
    }
}

/// Saves a certificate (PEM or DER) and `key` (sealed under CERT_PW, with R) as an NPKI pair in
/// the removable-disk store at `folder`; returns the serial as `cert list` shows it.
fn save_pair(cert: &[u8], key: &KeyPair, r: Option<&[u8]>, folder: &Path) -> String {
    let der = if cert.starts_with(b"-----") {
        let c = <x509_cert::Certificate as der::DecodePem>::from_pem(cert).unwrap();
        der::Encode::to_der(&c).unwrap()
    } else {
        cert.to_vec()
    };
    let sign_key = dojang_client::save::seal(key, r, CERT_PW).unwrap();
    std::fs::create_dir_all(folder).unwrap();
    let store = Store::open(Location::Removable(folder.to_path_buf())).unwrap();
    let entry =
        store.save(&NpkiPair { sign_cert: der, sign_key, km: None }, Existing::Replace).unwrap();
    entry.info.serial.to_hex()
}

fn client(args: &[&str], server: &str) -> Command {
    let mut cmd = Command::new(DOJANG);
    cmd.args(args)
        .args(["--server", server, "--lang", "en"])
        .env_remove("DOJANG_SERVER")
        .env_remove("DOJANG_CLOCK_OFFSET")
        .env("DOJANG_CERT_PASSWORD", CERT_PW);
    cmd
}

/// `dojang login` with the certificate in `folder`; (success, output).
fn login(server: &str, folder: &Path, banking_id: Option<&str>) -> (bool, String) {
    let location = format!("removable:{}", folder.display());
    let mut args = vec!["login", "--location", &location];
    if let Some(b) = banking_id {
        args.extend(["--banking-id", b]);
    }
    let out = client(&args, server).stdin(Stdio::null()).output().unwrap();
    (out.status.success(), text(&out))
}

fn logs_in(server: &str, folder: &Path, banking_id: Option<&str>, who: &str) {
    let (ok, out) = login(server, folder, banking_id);
    assert!(ok && out.contains("Logged in:") && out.contains(who), "login should succeed:\n{out}");
}

fn refused(server: &str, folder: &Path, banking_id: Option<&str>, reason: &str) -> String {
    let (ok, out) = login(server, folder, banking_id);
    assert!(!ok, "login should be refused ({reason}):\n{out}");
    assert!(out.contains(&format!("({reason})")), "refusal should name {reason}:\n{out}");
    out
}

/// The newest message on the simulated phone of `bank`.
fn phone_last(bank: &Bank, phone: &str) -> String {
    let out = bank.dojang(&["phone", phone, "--last", "1"], &[]);
    text(&out)
}

/// Runs `dojang cert register|unregister …` answering the ARS call with the code the phone
/// received (read off the simulated phone once the call arrived).
fn with_ars(bank: &Bank, phone: &str, rrn: &str, args: &[&str]) -> (bool, String) {
    let before = phone_last(bank, phone);
    let mut child = client(args, &bank.base)
        .env("DOJANG_RRN", rrn)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let code = loop {
        if let Ok(Some(_)) = child.try_wait() {
            break None;
        }
        let now = phone_last(bank, phone);
        if now != before {
            break code_in(&now);
        }
        assert!(Instant::now() < deadline, "no ARS call arrived");
        std::thread::sleep(Duration::from_millis(150));
    };
    if let (Some(code), Some(mut stdin)) = (code, child.stdin.take()) {
        let _ = writeln!(stdin, "{code}");
    }
    let out = child.wait_with_output().unwrap();
    (out.status.success(), text(&out))
}

const RRN_HONG: &str = "9001011234567";
const RRN_KIM: &str = "8505052345678";

#[test]
fn a_bank_a_certificate_is_registered_at_bank_b_logs_in_and_is_refused_once_revoked() {
    let root = tempfile::tempdir().unwrap();
    let mut a = Bank::new(root.path(), "a", "banka", "BANKA", "");
    a.start(None);
    let trusted = format!(
        "\n[[trusted_issuers]]\nname = \"A은행\"\ncertificate_urls = [\"{0}/ca/root.crt\"]\n",
        a.base
    );
    let mut b = Bank::new(root.path(), "b", "bankb", "BANKB", &trusted);
    b.start(None);

    // 홍길동 banks at both; his certificate comes from bank A.
    a.enrol("hong_a", "홍길동", RRN_HONG, "010-1111-2222");
    b.enrol("hong_b", "홍길동", RRN_HONG, "010-1111-2222");
    b.enrol("kim_b", "김철수", RRN_KIM, "010-3333-4444");
    let npki = root.path().join("usb");
    let serial = a.certificate("홍길동", RRN_HONG, &npki);

    // At A it is his own bank's certificate; at B it is not registered yet.
    logs_in(&a.base, &npki, Some("hong_a"), "hong_a");
    refused(&b.base, &npki, None, "not_registered");

    // Another customer of B cannot register 홍길동's certificate as theirs (VID ≠ their RRN).
    let loc = format!("removable:{}", npki.display());
    let (ok, out) = with_ars(
        &b,
        "010-3333-4444",
        RRN_KIM,
        &["cert", "register", "--banking-id", "kim_b", "--location", &loc],
    );
    assert!(!ok && out.contains("(wrong_person)"), "{out}");

    // 등록: ID + RRN, ARS, the certificate (chain to A, status at A's OCSP, VID).
    let (ok, out) = with_ars(
        &b,
        "010-1111-2222",
        RRN_HONG,
        &["cert", "register", "--banking-id", "hong_b", "--location", &loc],
    );
    assert!(ok && out.contains("registered") && out.contains("A은행"), "{out}");
    let (ok, out) = with_ars(
        &b,
        "010-1111-2222",
        RRN_HONG,
        &["cert", "register", "--banking-id", "hong_b", "--location", &loc],
    );
    assert!(!ok && out.contains("(already_registered)"), "{out}");

    // Now it logs in at B, its status asked at bank A's own OCSP responder.
    let (ok, first_login) = login(&b.base, &npki, None);
    assert!(
        ok && first_login.contains("Logged in: 홍길동 (hong_b)")
            && first_login.contains("status from ocsp"),
        "{first_login}"
    );
    assert_eq!(support::session(&b.base, &first_login).0, 200);

    // 해제: after unregistering, it no longer logs in at B; registered again, it does.
    let (ok, out) = with_ars(
        &b,
        "010-1111-2222",
        RRN_HONG,
        &["cert", "unregister", "--banking-id", "hong_b", "--serial", &serial],
    );
    assert!(ok && out.contains("removed"), "{out}");
    refused(&b.base, &npki, None, "not_registered");
    // Unregistering ended the session it had opened.
    assert_eq!(support::session(&b.base, &first_login).0, 401);
    let (ok, out) = with_ars(
        &b,
        "010-1111-2222",
        RRN_HONG,
        &["cert", "register", "--banking-id", "hong_b", "--location", &loc],
    );
    assert!(ok, "{out}");
    logs_in(&b.base, &npki, None, "hong_b");

    // Bank A revokes it: B refuses, saying so.
    support::ok(
        DOJANG,
        &[
            "ca",
            "revoke",
            "--serial",
            &serial,
            "--reason",
            "keyCompromise",
            "--data",
            &a.data.display().to_string(),
        ],
        &a.dir,
    );
    let out = refused(&b.base, &npki, None, "revoked");
    assert!(out.contains("revoked on"), "{out}");

    // The audit log at B has the registration, the login and the unregistration, and no RRN.
    let db = b.data.join("dojang.sqlite3");
    let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint('\\n'.join(a+' '+d for a,d in c.execute('select action, detail from audit_log')))";
    let audit = ok_python(script, &db);
    for action in [
        "certificate.register ",
        "login.certificate ",
        "login.certificate.refused ",
        "certificate.unregister ",
    ] {
        assert!(audit.contains(action), "no {action} in the audit log:\n{audit}");
    }
    assert!(
        !audit.contains(RRN_HONG) && !audit.contains("901011234567"),
        "an RRN in the audit log"
    );
}

fn ok_python(script: &str, db: &Path) -> String {
    support::ok("python3", &["-c", script, &db.display().to_string()], db.parent().unwrap())
}

#[test]
fn joint_certificate_login_succeeds_and_each_refusal_names_its_reason() {
    let root = tempfile::tempdir().unwrap();
    let mut a = Bank::new(root.path(), "a", "dojang", "DOJANGBANK", "");
    a.start(None);
    a.enrol("honggd", "홍길동", RRN_HONG, "010-1111-2222");
    a.enrol("kimcs", "김철수", RRN_KIM, "010-3333-4444");

    // Success: 홍길동's certificate, with his banking ID.
    let hong = root.path().join("hong");
    a.certificate("홍길동", RRN_HONG, &hong);
    logs_in(&a.base, &hong, Some("honggd"), "홍길동 (honggd)");

    // Another person's: 김철수 presents 홍길동's certificate as his (VID ≠ his RRN).
    refused(&a.base, &hong, Some("kimcs"), "wrong_person");

    // Revoked at this bank: refused with the reason, at once.
    let revoked = root.path().join("revoked");
    let serial = a.certificate("홍길동", RRN_HONG, &revoked);
    let (ok, before) = login(&a.base, &revoked, Some("honggd"));
    assert!(ok && before.contains("honggd"), "{before}");
    assert_eq!(support::session(&a.base, &before).0, 200);
    let out = a.dojang(&["ca", "revoke", "--serial", &serial, "--reason", "keyCompromise"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    refused(&a.base, &revoked, Some("honggd"), "revoked");
    // The session opened before the revocation ended with it.
    assert_eq!(support::session(&a.base, &before).0, 401);

    // Unknown issuer: a certificate from a CA made with openssl, trusted nowhere here.
    let work = root.path().join("rogue");
    std::fs::create_dir_all(&work).unwrap();
    let w = |n: &str| work.join(n).display().to_string();
    support::ok(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &w("ca.key"),
            "-out",
            &w("ca.pem"),
            "-days",
            "30",
            "-subj",
            "/C=KR/O=rogue/CN=rogue CA",
        ],
        &work,
    );
    let key = KeyPair::generate(KeyType::Rsa2048).unwrap();
    let req = csr::build(
        csr::parse_openssl_subject(
            "/C=KR/O=dojang/OU=personal4IB/OU=DOJANGBANK/CN=홍길동()0011234567890123",
        )
        .unwrap(),
        &key,
    )
    .unwrap();
    std::fs::write(work.join("leaf.csr"), csr::to_pem(&req).unwrap()).unwrap();
    support::ok(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &w("leaf.csr"),
            "-CA",
            &w("ca.pem"),
            "-CAkey",
            &w("ca.key"),
            "-CAcreateserial",
            "-days",
            "30",
            "-out",
            &w("leaf.pem"),
        ],
        &work,
    );
    let rogue = root.path().join("rogue-npki");
    save_pair(&std::fs::read(work.join("leaf.pem")).unwrap(), &key, Some(&[7u8; 20]), &rogue);
    let out = refused(&a.base, &rogue, Some("honggd"), "unknown_issuer");
    assert!(out.contains("rogue CA"), "{out}");

    // Expired: two years and a day later, the same good certificate is refused as expired.
    a.stop();
    a.start(Some("+731d"));
    refused(&a.base, &hong, Some("honggd"), "expired");
}
