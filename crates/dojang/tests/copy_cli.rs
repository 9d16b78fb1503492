//! Certificate copy between two devices through the center (인증서 복사 / 이동), end to end: a
//! real `dojang serve` (its log captured at debug level), a PC store and a phone store, and the
//! real `dojang cert copy receive | send` client on each side. The phone's copy must log in;
//! a wrong number is refused and the third kills the transfer; an old number is expired; and
//! afterwards nothing in the center's database files or its log holds the key file or the
//! number.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;
use dojang_client::{csr, KeyPair};
use dojang_keystore::{Existing, Location, NpkiPair, Store};
use dojang_pki::KeyType;
use support::terminal::Terminal;
use support::{text, TestCenter, DOJANG};

const CERT_PW: &str = "Copy-test#2024";
const RRN: &str = "9001011234567";
const BANKING_ID: &str = "hong";

/// `dojang serve` on the center's data with its whole log (debug) in `serve.log` beside it;
/// stopped on drop.
fn logged_server(c: &TestCenter, offset: Option<&str>) -> support::Serving {
    support::serve_logging(&c.data, &c.base, offset, &[], "debug")
}

/// The customer's two devices: a PC (the hard-disk store) and a phone (the phone store).
struct Devices {
    pc: PathBuf,
    phone: PathBuf,
}

impl Devices {
    fn new(c: &TestCenter) -> Devices {
        Devices { pc: c.path("pc/NPKI"), phone: c.path("phone/NPKI") }
    }

    fn cmd(&self, c: &TestCenter, args: &[&str]) -> Command {
        let mut cmd = Command::new(DOJANG);
        cmd.args(args)
            .args(["--server", &c.base, "--lang", "en"])
            .current_dir(c.dir.path())
            .env_remove("DOJANG_SERVER")
            .env_remove("DOJANG_COPY_NUMBER")
            .env_remove("DOJANG_CLOCK_OFFSET")
            .env("DOJANG_NPKI_HOME", &self.pc)
            .env("DOJANG_PHONE_HOME", &self.phone)
            .env("DOJANG_CERT_PASSWORD", CERT_PW);
        cmd
    }

    /// `dojang cert copy send …` with the number in the environment.
    fn send(&self, c: &TestCenter, number: &str, extra: &[&str]) -> Output {
        let mut args = vec!["cert", "copy", "send"];
        args.extend(extra);
        self.cmd(c, &args).env("DOJANG_COPY_NUMBER", number).stdin(Stdio::null()).output().unwrap()
    }
}

/// A running `dojang cert copy receive`, its output gathered; stopped on drop.
struct Receiver(Terminal);

impl Receiver {
    fn start(d: &Devices, c: &TestCenter, extra: &[&str]) -> Receiver {
        let mut args = vec!["cert", "copy", "receive"];
        args.extend(extra);
        let mut receiver = Terminal::spawn(&mut d.cmd(c, &args));
        receiver.close_input();
        Receiver(receiver)
    }

    /// The number the receiving device shows.
    fn number(&mut self) -> String {
        self.0.wait_for(Duration::from_secs(60), "an authentication number", |out| {
            let shown = out.lines().find_map(|l| l.strip_prefix("Authentication number: "))?;
            Some(shown.trim().to_string())
        })
    }

    /// Waits for the receiver to end: (success, output).
    fn finish(self) -> (bool, String) {
        self.0.finish(Duration::from_secs(60))
    }
}

/// Enrols 홍길동 for internet banking (so his certificate can log in).
fn enrol(c: &TestCenter) {
    let doc = serde_json::json!({
        "kind": "person", "name": "홍길동", "rrn": RRN, "phone": "010-1234-5678",
        "email": "hong@example.com", "address": "서울특별시 중구 세종대로 110",
        "banking_id": BANKING_ID, "banking_password": "Banking-pass1!",
        "accounts": [{"number": "110-567-123456", "password": "4821", "balance": 10000}],
        "second_factor": "security-card",
    });
    c.add_customer("hong.json", &doc);
}

/// A personal-bank certificate from the center's CA (`ca issue`, the VID from RRN), kept as an
/// NPKI pair (R in signPri.key) in the store whose NPKI folder is `npki`. Returns the pair.
fn certificate(c: &TestCenter, npki: &Path) -> NpkiPair {
    let key = KeyPair::generate(KeyType::Rsa2048).unwrap();
    let subject = "/C=KR/O=dojang/OU=personal4IB/OU=DOJANGBANK/CN=홍길동()0011234567890123";
    let req = csr::build(csr::parse_openssl_subject(subject).unwrap(), &key).unwrap();
    std::fs::write(c.path("req.csr"), csr::to_pem(&req).unwrap()).unwrap();
    let out = c.dojang_env(
        &[
            "ca",
            "issue",
            "--csr",
            &c.p("req.csr"),
            "--product",
            "personal-bank",
            "--out",
            &c.p("cert.pem"),
            "--random-out",
            &c.p("r.txt"),
        ],
        &[("DOJANG_HOLDER_RRN", RRN)],
    );
    assert!(out.status.success(), "ca issue failed:\n{}", text(&out));
    let r = base64::engine::general_purpose::STANDARD
        .decode(std::fs::read_to_string(c.path("r.txt")).unwrap().trim())
        .unwrap();
    let pem = std::fs::read(c.path("cert.pem")).unwrap();
    let cert = <x509_cert::Certificate as der::DecodePem>::from_pem(&pem).unwrap();
    let pair = NpkiPair {
        sign_cert: der::Encode::to_der(&cert).unwrap(),
        sign_key: dojang_client::save::seal(&key, Some(&r), CERT_PW).unwrap(),
        km: None,
    };
    // Location::Removable(X) keeps its store in X/NPKI.
    std::fs::create_dir_all(npki).unwrap();
    let store = Store::open(Location::Removable(npki.parent().unwrap().to_path_buf())).unwrap();
    store.save(&pair, Existing::Keep).unwrap();
    pair
}

/// The signing pairs stored under an NPKI folder.
fn pairs_in(npki: &Path) -> Vec<NpkiPair> {
    // Nothing was ever stored there. (Read as a removable disk, a missing folder is a disk
    // that is not plugged in, which `list` refuses.)
    if !npki.parent().is_some_and(Path::exists) {
        return Vec::new();
    }
    let store = Store::open(Location::Removable(npki.parent().unwrap().to_path_buf())).unwrap();
    store.list().unwrap().entries.iter().map(|e| store.read_pair(e).unwrap()).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Python's sqlite3 reads a count from the center's database.
fn rows(c: &TestCenter, sql: &str) -> i64 {
    let db = c.data.join("dojang.sqlite3").display().to_string();
    let script = "import sqlite3,sys\nprint(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])";
    let out = Command::new("python3").args(["-c", script, &db, sql]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn a_certificate_copied_to_the_phone_logs_in_moves_on_and_leaves_nothing_at_the_center() {
    let c = TestCenter::new();
    let log = support::serve_log(&c.data);
    let _server = logged_server(&c, None);
    enrol(&c);
    let d = Devices::new(&c);
    let original = certificate(&c, &d.pc);

    // 받는 기기 (phone) shows the number; 보내는 기기 (PC) types it.
    let mut receiver = Receiver::start(&d, &c, &["--location", "phone"]);
    let number = receiver.number();
    assert_eq!(number.len(), 14, "{number}");
    let sent = d.send(&c, &number, &["--location", "disk"]);
    assert!(sent.status.success(), "send failed:\n{}", text(&sent));
    assert!(text(&sent).contains("confirmed it kept it"), "{}", text(&sent));
    let (ok, out) = receiver.finish();
    assert!(ok && out.contains("The certificate is copied here."), "{out}");

    // The phone holds the same files (the key still under the certificate password), and the
    // PC still has its copy.
    assert_eq!(pairs_in(&d.phone), vec![original.clone()]);
    assert_eq!(pairs_in(&d.pc).len(), 1);

    // The phone's copy logs in.
    let login = d
        .cmd(&c, &["login", "--location", "phone", "--banking-id", BANKING_ID])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        login.status.success() && text(&login).contains("Logged in: 홍길동 (hong)"),
        "{}",
        text(&login)
    );

    // 인증서 이동: from the phone to a USB disk; the phone's copy is gone after.
    let usb = c.path("usb");
    std::fs::create_dir_all(&usb).unwrap();
    let usb_location = format!("removable:{}", usb.display());
    let mut receiver = Receiver::start(&d, &c, &["--location", &usb_location]);
    let moved_number = receiver.number();
    let moved = d.send(&c, &moved_number, &["--location", "phone", "--move"]);
    assert!(moved.status.success(), "move failed:\n{}", text(&moved));
    assert!(text(&moved).contains("The certificate is moved"), "{}", text(&moved));
    let (ok, out) = receiver.finish();
    assert!(ok, "{out}");
    assert!(pairs_in(&d.phone).is_empty(), "the phone's copy is deleted by the move");
    assert_eq!(pairs_in(&usb.join("NPKI")), vec![original.clone()]);

    // Nothing is left at the center: no transfer row, and neither the database files (WAL and
    // shared memory too) nor the server's log hold the key file, a piece of it, or a number.
    assert_eq!(rows(&c, "SELECT COUNT(*) FROM transfers"), 0);
    let mut files = vec![log.clone()];
    for name in ["dojang.sqlite3", "dojang.sqlite3-wal", "dojang.sqlite3-shm"] {
        if c.data.join(name).exists() {
            files.push(c.data.join(name));
        }
    }
    assert!(files.len() >= 2, "{files:?}");
    let key = &original.sign_key;
    let middle = &key[key.len() / 2..key.len() / 2 + 32];
    let b64_key = base64::engine::general_purpose::STANDARD.encode(key);
    for n in [&number, &moved_number] {
        let digits: String = n.chars().filter(char::is_ascii_digit).collect();
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            let name = f.display();
            assert!(!contains(&bytes, key), "{name} holds signPri.key");
            assert!(!contains(&bytes, middle), "{name} holds a piece of signPri.key");
            assert!(
                !contains(&bytes, &b64_key.as_bytes()[40..104]),
                "{name} holds signPri.key in base64"
            );
            assert!(!contains(&bytes, n.as_bytes()), "{name} holds the number");
            assert!(!contains(&bytes, digits.as_bytes()), "{name} holds the number's digits");
            assert!(!contains(&bytes, &digits.as_bytes()[4..]), "{name} holds the secret digits");
        }
    }
    // The relay is in the center's OpenAPI document, for other clients (the web page).
    let doc: serde_json::Value = serde_json::from_slice(&c.get("/api/openapi.json")).unwrap();
    for path in
        ["/api/v1/transfers", "/api/v1/transfers/code/{code}", "/api/v1/transfers/{id}/offer"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} is not in /api/openapi.json");
    }
    // The log is not empty: the scan above read what the server said about the copies.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("certificate copy complete"), "{logged}");
}

#[test]
fn wrong_numbers_are_refused_the_third_kills_the_copy_and_an_old_number_expires() {
    let c = TestCenter::new();
    let mut server = Some(logged_server(&c, None));
    let d = Devices::new(&c);
    certificate(&c, &d.pc);

    let mut receiver = Receiver::start(&d, &c, &[]);
    let number = receiver.number();
    // The same code, other secret digits.
    let last = number.chars().last().unwrap();
    let wrong = format!(
        "{}{}",
        &number[..number.len() - 1],
        if last == '9' { '0' } else { char::from(last as u8 + 1) }
    );
    for left in [2, 1] {
        let out = d.send(&c, &wrong, &[]);
        assert!(!out.status.success(), "{}", text(&out));
        let said = text(&out);
        assert!(
            said.contains("(wrong_number)") && said.contains(&format!("{left} tries left")),
            "{said}"
        );
    }
    let out = d.send(&c, &wrong, &[]);
    assert!(!out.status.success() && text(&out).contains("(transfer_dead)"), "{}", text(&out));
    let (ok, out) = receiver.finish();
    assert!(!ok && out.contains("(transfer_dead)"), "the receiver hears it too:\n{out}");
    assert!(out.matches("typed a wrong number").count() == 2, "{out}");
    // Dead is dead: the right number no longer works, and nothing of it is kept.
    let out = d.send(&c, &number, &[]);
    assert!(!out.status.success() && text(&out).contains("(transfer_dead)"), "{}", text(&out));
    assert_eq!(
        rows(&c, "SELECT COUNT(*) FROM transfers WHERE receiver_message IS NOT NULL OR sealed IS NOT NULL OR sender_message IS NOT NULL"),
        0
    );
    assert!(pairs_in(&d.phone).is_empty());

    // A number that does not exist, and one whose five minutes are over (the center's clock
    // moved on ten minutes).
    let mut receiver = Receiver::start(&d, &c, &[]);
    let number = receiver.number();
    let other_code =
        format!("{:04}{}", (number[..4].parse::<u32>().unwrap() + 1) % 10_000, &number[4..]);
    let out = d.send(&c, &other_code, &[]);
    assert!(!out.status.success() && text(&out).contains("(transfer_not_found)"), "{}", text(&out));
    drop(receiver);
    server.take();
    let _later = logged_server(&c, Some("+10m"));
    let out = d.send(&c, &number, &[]);
    assert!(!out.status.success() && text(&out).contains("(transfer_expired)"), "{}", text(&out));
    assert!(text(&out).contains("expired"), "{}", text(&out));
    assert!(pairs_in(&d.phone).is_empty());
}
