//! A joint certificate issued into a security token (보안토큰), end to end: a SoftHSM2 token in
//! this test's own token directory (`SOFTHSM2_CONF`), initialised with `softhsm2-util`; the
//! real `dojang cert issue --location token:LABEL` flow against a real `dojang serve` (ARS code
//! read off the simulated phone, security-card digits from the card); then OpenSC's
//! `pkcs11-tool` — a tool we did not write — says the key is sensitive and never extractable,
//! the certificate in the token carries that key (compared with `openssl`), no key file was
//! written anywhere, and `dojang login --location token:LABEL` logs in with the token signing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::terminal::{honest, Terminal, CLIENT_LIMIT};
use support::{ok, text, TestCenter, DOJANG};

const LABEL: &str = "dojang-token";
const PIN: &str = "123456";
const SO_PIN: &str = "87654321";
const RRN: &str = "9001011234567";
const PHONE: &str = "010-2345-6789";
const ACCOUNT: &str = "110-456-123456";

/// A SoftHSM2 configuration whose tokens live in `dir/tokens`.
fn softhsm(dir: &Path) -> PathBuf {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    conf
}

fn module() -> String {
    dojang_token::module_path()
        .expect("SoftHSM2 (scripts/install-test-deps installs it)")
        .display()
        .to_string()
}

fn pkcs11_tool(conf: &Path, args: &[&str]) -> String {
    let out = Command::new("pkcs11-tool")
        .args(["--module", &module(), "--token-label", LABEL, "--login", "--pin", PIN])
        .args(args)
        .env("SOFTHSM2_CONF", conf)
        .output()
        .expect("pkcs11-tool (OpenSC; scripts/install-test-deps installs it)");
    assert!(out.status.success(), "pkcs11-tool {args:?}:\n{}", text(&out));
    text(&out)
}

/// Enrols 홍길동 with a security card; returns the card's codes.
fn enrol(c: &TestCenter) -> Vec<String> {
    let doc = serde_json::json!({
        "kind": "person", "name": "홍길동", "rrn": RRN, "phone": PHONE,
        "email": "hong@example.com", "address": "서울특별시 중구 세종대로 110",
        "banking_id": "hong", "banking_password": "Banking-pass1!",
        "accounts": [{"number": ACCOUNT, "password": "4821", "balance": 10000}],
        "second_factor": "security-card",
    });
    c.add_customer("hong.json", &doc)
}

/// `dojang cert issue --location WHERE` with the customer's answers given as flags.
fn issue(c: &TestCenter, card: &[String], location: &str, env: &[(&str, &str)]) -> (bool, String) {
    let args =
        ["issue", "--banking-id", "hong", "--product", "personal-bank", "--location", location];
    flow(c, card, &args, env)
}

/// Runs `dojang cert ARGS… --account … --accept-terms --yes` answering its prompts as the
/// customer would (codes from the phone, digits from the card); (success, output).
fn flow(c: &TestCenter, card: &[String], args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(DOJANG);
    cmd.arg("cert")
        .args(args)
        .args(["--account", ACCOUNT, "--accept-terms", "--yes", "--server", &c.base])
        .current_dir(c.dir.path())
        .env_remove("DOJANG_SERVER")
        .env_remove("DOJANG_CLOCK_OFFSET")
        .env_remove("LC_ALL")
        .env("DOJANG_LANG", "ko")
        .env("DOJANG_RRN", RRN)
        .env("DOJANG_ACCOUNT_PASSWORD", "4821")
        .env("DOJANG_BANKING_PASSWORD", "Banking-pass1!");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Terminal::spawn(&mut cmd).drive(CLIENT_LIMIT, honest(c, PHONE, card))
}

#[test]
fn a_certificate_issued_into_a_softhsm_token_keeps_its_key_inside_and_logs_in() {
    let c = TestCenter::started();
    let card = enrol(&c);
    let conf = softhsm(c.dir.path());
    // softhsm2-util (SoftHSM's own tool) initialises the token in this test's directory.
    let init = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", LABEL, "--so-pin", SO_PIN, "--pin", PIN])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", text(&init));
    let npki = c.path("npki");
    let conf_s = conf.display().to_string();
    let npki_s = npki.display().to_string();
    let env = [
        ("SOFTHSM2_CONF", conf_s.as_str()),
        ("DOJANG_TOKEN_PIN", PIN),
        ("DOJANG_NPKI_HOME", npki_s.as_str()),
    ];

    // 발급, into the token: no certificate password is asked, the token's PIN is used.
    let (success, out) = issue(&c, &card, &format!("token:{LABEL}"), &env);
    assert!(success, "issue into the token failed:\n{out}");
    assert!(out.contains("보안토큰 안에서 키 쌍을 만드는 중입니다"), "{out}");
    assert!(out.contains("인증서를 발급했습니다"), "{out}");
    assert!(!out.contains("새 인증서 암호"), "no certificate password for a token:\n{out}");
    assert!(!out.contains(PIN), "the PIN is not shown:\n{out}");
    assert!(!npki.exists(), "nothing was written to the NPKI folder");

    // What the token says, read by OpenSC's pkcs11-tool: one RSA-2048 private key, sensitive
    // and never extractable, generated in the token; the certificate beside it with the same id.
    let objects = pkcs11_tool(&conf, &["--list-objects"]);
    let private = objects
        .split("Private Key Object")
        .nth(1)
        .unwrap_or_else(|| panic!("no private key in the token:\n{objects}"));
    let access = private.lines().find(|l| l.trim_start().starts_with("Access:")).unwrap();
    assert!(access.contains("sensitive") && access.contains("never extractable"), "{access}");
    assert!(access.contains("local"), "generated inside the token: {access}");
    assert!(objects.contains("Certificate Object"), "{objects}");
    let id = private
        .lines()
        .find_map(|l| l.trim().strip_prefix("ID:"))
        .map(|s| s.trim().to_string())
        .unwrap();
    // The certificate's public key is the token's public key (openssl compares them).
    let cert_der = c.path("token-cert.der");
    let pub_der = c.path("token-pub.der");
    pkcs11_tool(
        &conf,
        &["--read-object", "--type", "cert", "--id", &id, "-o", &cert_der.display().to_string()],
    );
    pkcs11_tool(
        &conf,
        &["--read-object", "--type", "pubkey", "--id", &id, "-o", &pub_der.display().to_string()],
    );
    let from_cert = ok(
        "openssl",
        &["x509", "-inform", "DER", "-in", &cert_der.display().to_string(), "-noout", "-pubkey"],
        c.dir.path(),
    );
    let from_token = ok(
        "openssl",
        &["pkey", "-pubin", "-inform", "DER", "-in", &pub_der.display().to_string()],
        c.dir.path(),
    );
    assert_eq!(from_cert, from_token);
    let subject = ok(
        "openssl",
        &[
            "x509",
            "-inform",
            "DER",
            "-in",
            &cert_der.display().to_string(),
            "-noout",
            "-subject",
            "-nameopt",
            "utf8",
        ],
        c.dir.path(),
    );
    assert!(subject.contains("홍길동()"), "{subject}");
    // Reading the private key out is refused by the token.
    let read = Command::new("pkcs11-tool")
        .args(["--module", &module(), "--token-label", LABEL, "--login", "--pin", PIN])
        .args(["--read-object", "--type", "privkey", "--id", &id, "-o"])
        .arg(c.path("stolen.der"))
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert!(!read.status.success() || !c.path("stolen.der").exists(), "{}", text(&read));

    // The same through cryptoki's attribute reads (this process is the only SoftHSM user here).
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let m = dojang_token::Module::open_default().unwrap();
    let session = m.token(LABEL).unwrap().login(PIN).unwrap();
    let cert = session.certificate(None).unwrap();
    let facts = session.key_facts(&cert.id).unwrap();
    assert!(facts.sensitive && !facts.extractable && facts.never_extractable, "{facts:?}");
    assert_eq!(session.random_num(&cert.id).unwrap().map(|r| r.len()), Some(20), "R is kept");

    // 인증서 목록 and 보기 in the token: the certificate is read there, with the PIN.
    let cert_command = |args: &[&str]| {
        Command::new(DOJANG)
            .arg("cert")
            .args(args)
            .args(["--location", &format!("token:{LABEL}"), "--lang", "en"])
            .env("SOFTHSM2_CONF", &conf)
            .env("DOJANG_TOKEN_PIN", PIN)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = cert_command(&["list", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = listed["certificates"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["serial"], cert.serial.to_hex());
    assert_eq!(
        (&listed[0]["token"], &listed[0]["folder"]),
        (&LABEL.into(), &serde_json::Value::Null)
    );
    assert_eq!(listed[0]["status"], "valid");
    let out = cert_command(&["show", &cert.serial.to_hex()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("Security token {LABEL}")), "{}", text(&out));
    assert!(text(&out).contains("홍길동"), "{}", text(&out));
    let out = cert_command(&["show", "nobody"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("No certificate in the security token matches"), "{}", text(&out));

    // 인증서 로그인 with the token: the challenge is signed inside it.
    let login = |pin: &str| {
        Command::new(DOJANG)
            .args(["login", "--location", &format!("token:{LABEL}"), "--banking-id", "hong"])
            .args(["--server", &c.base, "--lang", "en"])
            .env_remove("DOJANG_SERVER")
            .env("SOFTHSM2_CONF", &conf)
            .env("DOJANG_TOKEN_PIN", pin)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = login(PIN);
    assert!(
        out.status.success() && text(&out).contains("Logged in: 홍길동 (hong)"),
        "{}",
        text(&out)
    );
    let out = login("000000");
    assert!(!out.status.success() && text(&out).contains("PIN is wrong"), "{}", text(&out));
    drop(session);

    // 갱신 in the last 30 days (center and client 710 days on): the token proves possession,
    // makes the new key, and the old key pair leaves the token.
    let old = cert.serial.to_hex();
    let mut c = c;
    c.stop();
    let _later = support::serve(&c.data, &c.base, Some("+710d"));
    let mut renew_env = env.to_vec();
    renew_env.push(("DOJANG_CLOCK_OFFSET", "+710d"));
    let (success, out) =
        flow(&c, &card, &["renew", "--location", &format!("token:{LABEL}")], &renew_env);
    assert!(
        success && out.contains("인증서를 갱신했습니다"),
        "renewal in the token failed:\n{out}"
    );
    let certs = pkcs11_tool(&conf, &["--list-objects", "--type", "cert"]);
    assert_eq!(certs.matches("Certificate Object").count(), 1, "{certs}");
    let keys = pkcs11_tool(&conf, &["--list-objects", "--type", "privkey"]);
    assert_eq!(keys.matches("Private Key Object").count(), 1, "{keys}");
    assert!(!keys.contains(&format!("ID:         {id}")), "the old key is gone:\n{keys}");
    assert!(out.contains(&format!("이전 인증서(일련번호 {old})는 폐기되었습니다")), "{out}");
}

/// Every client command takes a location: issuance saves straight onto a removable disk
/// (이동식 디스크), and a disk that is not there stops the flow before anything is issued.
#[test]
fn a_certificate_is_issued_straight_onto_a_removable_disk_and_a_missing_disk_stops_first() {
    const CERT_PW: &str = "Usb-disk#2024";
    let c = TestCenter::started();
    let card = enrol(&c);
    let usb = c.path("usb");
    let location = format!("removable:{}", usb.display());
    let env = [("DOJANG_NEW_CERT_PASSWORD", CERT_PW)];
    let (success, out) = issue(&c, &card, &location, &env);
    assert!(!success && out.contains(&usb.display().to_string()), "{out}");
    assert!(!out.contains("인증서를 발급했습니다"), "{out}");
    assert_eq!(c.store_counts().0, 0, "nothing was issued");

    std::fs::create_dir_all(&usb).unwrap();
    let (success, out) = issue(&c, &card, &location, &env);
    assert!(success && out.contains("인증서를 발급했습니다"), "{out}");
    assert_eq!(c.store_counts().0, 1);
    let store =
        dojang_keystore::Store::open(dojang_keystore::Location::Removable(usb.clone())).unwrap();
    let entry = store.find(None).unwrap();
    assert!(entry.dir.starts_with(usb.join("NPKI")), "{}", entry.dir.display());
    let key = dojang_npki::keyfile::decrypt(
        &std::fs::read(entry.sign_key_path()).unwrap(),
        CERT_PW.as_bytes(),
    )
    .expect("signPri.key on the disk opens with the certificate password");
    assert_eq!(key.random_num().map(<[u8]>::len), Some(20), "R is in signPri.key");
    // openssl reads the disk's signPri.key too (SEED, legacy provider).
    let pass = format!("pass:{CERT_PW}");
    ok(
        "openssl",
        &[
            "pkcs8",
            "-inform",
            "DER",
            "-in",
            &entry.sign_key_path().display().to_string(),
            "-passin",
            &pass,
            "-provider",
            "legacy",
            "-provider",
            "default",
            "-out",
            &c.p("key.pem"),
        ],
        c.dir.path(),
    );
}
