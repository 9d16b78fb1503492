//! `dojang cert …` end to end: the real binary on NPKI folders in temporary directories, with
//! keys, certificates and key files made by the `openssl` CLI (a missing `openssl` fails), and
//! what the binary writes checked by `openssl` again.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SUBJECT: &str = "/C=kr/O=yessign/OU=personal4IB/OU=BANK/CN=홍길동()0011234567890123";
const SUBJECT_TEXT: &str = "cn=홍길동()0011234567890123,ou=BANK,ou=personal4IB,o=yessign,c=kr";
const OTHER_SUBJECT: &str = "/C=kr/O=yessign/OU=personal4IB/OU=BANK/CN=김철수()0019876543210987";
const OLD_PW: &str = "Hong-gildong1!";
const NEW_PW: &str = "New#Passw0rd-2024";
const PFX_PW: &str = "Pfx*Export-77";

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl CLI is required for these tests");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

const LEGACY: [&str; 4] = ["-provider", "legacy", "-provider", "default"];

/// A self-signed certificate with a Korean subject and the personal-bank policy, valid for
/// `days`, as `signCert.der`, and its key as a PBES2/SEED `signPri.key` under `OLD_PW`, made
/// exactly as NPKI-NOTES.md describes. Returns openssl's serial.
fn make_npki_pair(dir: &Path, subject: &str, days: &str) -> String {
    fs::create_dir_all(dir).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-noenc",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            days,
            "-utf8",
            "-subj",
            subject,
            "-addext",
            "certificatePolicies=1.2.410.200005.1.1.4",
        ],
    );
    openssl(dir, &["x509", "-in", "cert.pem", "-outform", "DER", "-out", "signCert.der"]);
    let pass = format!("pass:{OLD_PW}");
    let mut args = vec![
        "pkcs8",
        "-topk8",
        "-in",
        "key.pem",
        "-v2",
        "seed-cbc",
        "-v2prf",
        "hmacWithSHA1",
        "-iter",
        "2048",
        "-outform",
        "DER",
        "-out",
        "signPri.key",
        "-passout",
        &pass,
    ];
    args.extend(LEGACY);
    openssl(dir, &args);
    let serial =
        String::from_utf8(openssl(dir, &["x509", "-in", "cert.pem", "-noout", "-serial"])).unwrap();
    serial.trim().trim_start_matches("serial=").to_string()
}

/// The key as openssl normalises it, to compare keys whatever their container.
fn key_of(dir: &Path, file: &str, inform: &str) -> Vec<u8> {
    openssl(dir, &["pkey", "-in", file, "-inform", inform, "-outform", "DER"])
}

struct Env {
    npki: PathBuf,
    phone: PathBuf,
}

impl Env {
    fn new(root: &Path) -> Self {
        Env { npki: root.join("home-npki"), phone: root.join("phone-npki") }
    }

    /// The binary with the stores pointed at the temp dirs and no inherited secrets.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dojang"));
        c.arg("cert").args(args);
        for k in [
            "DOJANG_CERT_PASSWORD",
            "DOJANG_NEW_CERT_PASSWORD",
            "DOJANG_PFX_PASSWORD",
            "DOJANG_LANG",
            "LC_ALL",
            "LC_MESSAGES",
        ] {
            c.env_remove(k);
        }
        c.env("DOJANG_NPKI_HOME", &self.npki)
            .env("DOJANG_PHONE_HOME", &self.phone)
            .env("LANG", "C.UTF-8");
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut c = self.cmd(args);
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn ok(&self, args: &[&str], envs: &[(&str, &str)]) -> String {
        let out = self.run(args, envs);
        assert!(
            out.status.success(),
            "dojang cert {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str], envs: &[(&str, &str)]) -> String {
        let out = self.run(args, envs);
        assert!(
            !out.status.success(),
            "dojang cert {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

#[test]
fn import_list_passwd_export_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let env = Env::new(tmp.path());
    let serial = make_npki_pair(&work, SUBJECT, "20");
    let other_serial = make_npki_pair(&work.join("other"), OTHER_SUBJECT, "400");

    // Import an NPKI pair (the signCert.der names the folder holding signPri.key).
    let out = env.ok(&["import", work.join("signCert.der").to_str().unwrap()], &[]);
    assert!(out.contains("가져왔습니다"), "{out}");
    let dir = env.npki.join("yessign").join("USER").join(SUBJECT_TEXT);
    assert_eq!(
        fs::read(dir.join("signCert.der")).unwrap(),
        fs::read(work.join("signCert.der")).unwrap()
    );
    assert_eq!(
        fs::read(dir.join("signPri.key")).unwrap(),
        fs::read(work.join("signPri.key")).unwrap()
    );
    env.ok(&["import", work.join("other").to_str().unwrap()], &[]);

    // list, in English: every field, and the expiring one flagged.
    let list = env.ok(&["list", "--lang", "en"], &[]);
    for want in [
        SUBJECT_TEXT,
        "Issuer",
        "Product",
        "Joint certificate (banking, cards, insurance)",
        &serial,
        &other_serial,
        "EXPIRES SOON (19 days left)",
        "valid (399 days left)",
        "Valid",
        "KST",
    ] {
        assert!(list.contains(want), "missing {want:?} in:\n{list}");
    }
    // Korean by default.
    let list_ko = env.ok(&["list"], &[]);
    for want in [
        "발급자",
        "용도",
        "공동인증서 (은행·신용카드·보험용)",
        "일련번호",
        "유효기간",
        "만료 임박 (남은 기간 19일)",
    ] {
        assert!(list_ko.contains(want), "missing {want:?} in:\n{list_ko}");
    }
    // English from the locale too.
    assert!(env.ok(&["list"], &[("LANG", "en_US.UTF-8")]).contains("EXPIRES SOON"));
    // JSON for scripts.
    let json: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"], &[])).unwrap();
    let certs = json["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2);
    let hong = certs.iter().find(|c| c["subject"] == SUBJECT_TEXT).unwrap();
    assert_eq!(hong["serial"], serial.as_str());
    assert_eq!(hong["issuer"], SUBJECT_TEXT, "self-signed");
    assert_eq!(hong["days_left"], 19);
    assert_eq!(hong["flagged"], true);
    assert_eq!(hong["status"], "expiring-soon");
    assert_eq!(hong["product"]["id"], "personal-bank");
    let kim = certs.iter().find(|c| c["serial"] == other_serial.as_str()).unwrap();
    assert_eq!(kim["flagged"], false);

    let show = env.ok(&["show", &serial, "--lang", "en"], &[]);
    assert!(
        show.contains("1.2.410.200005.1.1.4") && show.contains(&dir.display().to_string()),
        "{show}"
    );
    let err = env.fails(&["show", "--lang", "en"], &[]);
    assert!(err.contains("name one by its serial") || err.contains("serial"), "{err}");

    // passwd: a wrong current password says so and changes nothing.
    let key_before = fs::read(dir.join("signPri.key")).unwrap();
    let err = env.fails(
        &["passwd", &serial, "--lang", "en"],
        &[("DOJANG_CERT_PASSWORD", "Wrong-passw0rd"), ("DOJANG_NEW_CERT_PASSWORD", NEW_PW)],
    );
    assert!(err.contains("password is wrong") && err.contains("signPri.key"), "{err}");
    let err = env.fails(
        &["passwd", &serial],
        &[("DOJANG_CERT_PASSWORD", OLD_PW), ("DOJANG_NEW_CERT_PASSWORD", "abcdefghij")],
    );
    assert!(err.contains("숫자가 없습니다") && err.contains("특수문자"), "{err}");
    let err = env.fails(
        &["passwd", &serial, "--lang", "en"],
        &[("DOJANG_CERT_PASSWORD", OLD_PW), ("DOJANG_NEW_CERT_PASSWORD", "abc")],
    );
    assert!(
        err.contains("at least 10") && err.contains("no digit") && err.contains("no symbol"),
        "{err}"
    );
    assert_eq!(fs::read(dir.join("signPri.key")).unwrap(), key_before);

    // passwd for real, the current password from a file.
    let pw_file = tmp.path().join("old-password.txt");
    fs::write(&pw_file, format!("{OLD_PW}\n")).unwrap();
    env.ok(
        &["passwd", &serial, "--password-file", pw_file.to_str().unwrap()],
        &[("DOJANG_NEW_CERT_PASSWORD", NEW_PW)],
    );
    // openssl opens the new key file with the new password, to the original key.
    let new_key = dir.join("signPri.key");
    let pass = format!("pass:{NEW_PW}");
    let mut args = vec![
        "pkcs8",
        "-inform",
        "DER",
        "-in",
        new_key.to_str().unwrap(),
        "-passin",
        &pass,
        "-out",
        "after-passwd.pem",
    ];
    args.extend(LEGACY);
    openssl(&work, &args);
    assert_eq!(key_of(&work, "after-passwd.pem", "PEM"), key_of(&work, "key.pem", "PEM"));

    // No password on the command line, ever.
    let err = env.fails(&["passwd", &serial, "--password", NEW_PW], &[]);
    assert!(err.contains("unexpected argument"), "{err}");

    // export --pfx: openssl reads it, key and certificate equal to ours.
    let pfx = tmp.path().join("hong.pfx");
    env.ok(
        &["export", &serial, "--pfx", pfx.to_str().unwrap()],
        &[("DOJANG_CERT_PASSWORD", NEW_PW), ("DOJANG_PFX_PASSWORD", PFX_PW)],
    );
    let ppass = format!("pass:{PFX_PW}");
    let info = Command::new("openssl")
        .args(["pkcs12", "-in", pfx.to_str().unwrap(), "-info", "-noout", "-passin", &ppass])
        .output()
        .unwrap();
    let info_text = String::from_utf8_lossy(&info.stderr);
    assert!(
        info.status.success()
            && info_text.contains("AES-256-CBC")
            && info_text.contains("MAC: sha256"),
        "{info_text}"
    );
    openssl(
        &work,
        &[
            "pkcs12",
            "-in",
            pfx.to_str().unwrap(),
            "-passin",
            &ppass,
            "-nocerts",
            "-noenc",
            "-out",
            "pfx-key.pem",
        ],
    );
    openssl(
        &work,
        &[
            "pkcs12",
            "-in",
            pfx.to_str().unwrap(),
            "-passin",
            &ppass,
            "-nokeys",
            "-clcerts",
            "-out",
            "pfx-cert.pem",
        ],
    );
    assert_eq!(key_of(&work, "pfx-key.pem", "PEM"), key_of(&work, "key.pem", "PEM"));
    assert_eq!(
        openssl(&work, &["x509", "-in", "pfx-cert.pem", "-outform", "DER"]),
        fs::read(work.join("signCert.der")).unwrap()
    );
    // It will not overwrite without --force.
    let err = env.fails(
        &["export", &serial, "--pfx", pfx.to_str().unwrap()],
        &[("DOJANG_CERT_PASSWORD", NEW_PW), ("DOJANG_PFX_PASSWORD", PFX_PW)],
    );
    assert!(err.contains("--force"), "{err}");

    // Import the PFX onto a removable disk with a new certificate password.
    let usb = tmp.path().join("usb");
    let usb_loc = format!("removable:{}", usb.display());
    let err = env.fails(
        &["import", pfx.to_str().unwrap(), "--location", &usb_loc, "--lang", "en"],
        &[("DOJANG_PFX_PASSWORD", PFX_PW), ("DOJANG_NEW_CERT_PASSWORD", NEW_PW)],
    );
    assert!(err.contains("no removable disk"), "{err}");
    fs::create_dir(&usb).unwrap();
    let err = env.fails(
        &["import", pfx.to_str().unwrap(), "--location", &usb_loc, "--lang", "en"],
        &[("DOJANG_PFX_PASSWORD", "wrong-one"), ("DOJANG_NEW_CERT_PASSWORD", NEW_PW)],
    );
    assert!(err.contains("PFX file password is wrong"), "{err}");
    env.ok(
        &["import", pfx.to_str().unwrap(), "--location", &usb_loc],
        &[("DOJANG_PFX_PASSWORD", PFX_PW), ("DOJANG_NEW_CERT_PASSWORD", OLD_PW)],
    );
    let usb_key =
        usb.join("NPKI").join("yessign").join("USER").join(SUBJECT_TEXT).join("signPri.key");
    let opass = format!("pass:{OLD_PW}");
    let mut args = vec![
        "pkcs8",
        "-inform",
        "DER",
        "-in",
        usb_key.to_str().unwrap(),
        "-passin",
        &opass,
        "-out",
        "usb-key.pem",
    ];
    args.extend(LEGACY);
    openssl(&work, &args);
    assert_eq!(key_of(&work, "usb-key.pem", "PEM"), key_of(&work, "key.pem", "PEM"));

    // Copy the removable disk's certificates into the phone store (folder import).
    env.ok(&["import", usb.to_str().unwrap(), "--location", "phone"], &[]);
    let phone = env.ok(&["list", "--location", "phone", "--json"], &[]);
    assert!(phone.contains(&serial), "{phone}");

    // delete asks first; "n" keeps it, --yes does not ask.
    let mut child =
        env.cmd(&["delete", &serial]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("취소"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(dir.exists());
    env.ok(&["delete", &serial, "--yes"], &[]);
    assert!(!dir.exists());
    let list = env.ok(&["list", "--json"], &[]);
    assert!(!list.contains(&serial) && list.contains(&other_serial), "{list}");
}

#[test]
fn a_file_that_is_not_a_pfx_is_refused_before_any_password_is_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let junk = tmp.path().join("junk.pfx");
    fs::write(&junk, b"this is not a PFX").unwrap();
    // No password in the environment and no terminal: it must fail on the format, not on
    // reading a password.
    let err = env.fails(&["import", junk.to_str().unwrap(), "--lang", "en"], &[]);
    assert!(err.contains("junk.pfx") && err.contains("not a valid PFX"), "{err}");
}

#[test]
fn damaged_files_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let work = tmp.path().join("work");
    make_npki_pair(&work, SUBJECT, "400");
    let bad = tmp.path().join("bad");
    fs::create_dir_all(&bad).unwrap();
    let cert = fs::read(work.join("signCert.der")).unwrap();
    fs::write(bad.join("signCert.der"), &cert[..cert.len() - 10]).unwrap();
    fs::copy(work.join("signPri.key"), bad.join("signPri.key")).unwrap();
    let err = env.fails(&["import", bad.to_str().unwrap(), "--lang", "en"], &[]);
    assert!(
        err.contains(&bad.join("signCert.der").display().to_string())
            && err.contains("not a valid certificate"),
        "{err}"
    );

    // A stored key file cut short: passwd names the file and says it is damaged.
    env.ok(&["import", work.to_str().unwrap()], &[]);
    let stored = env.npki.join("yessign").join("USER").join(SUBJECT_TEXT).join("signPri.key");
    let key = fs::read(&stored).unwrap();
    fs::write(&stored, &key[..key.len() / 2]).unwrap();
    let err = env.fails(
        &["passwd", "--lang", "en"],
        &[("DOJANG_CERT_PASSWORD", OLD_PW), ("DOJANG_NEW_CERT_PASSWORD", NEW_PW)],
    );
    assert!(err.contains("signPri.key") && !err.contains("password is wrong"), "{err}");
    assert!(!err.contains(OLD_PW) && !err.contains(NEW_PW), "{err}");
}

#[test]
fn output_cut_short_by_the_reader_ends_quietly_not_in_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The disk is there (a missing one is an error, tested below), with nothing on it.
    fs::create_dir_all(dir.path().join("usb")).expect("usb");
    let location = format!("removable:{}", dir.path().join("usb").display());
    // The reader is gone before anything is written (`dojang cert list | head -0`).
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_dojang"))
        .args(["cert", "list", "--location", &location])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("run dojang");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("panicked"), "{said}");
    assert!(out.status.success(), "{:?}: {said}", out.status);
}

#[test]
fn a_key_of_another_certificate_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let (hong, kim) = (tmp.path().join("hong"), tmp.path().join("kim"));
    make_npki_pair(&hong, SUBJECT, "400");
    make_npki_pair(&kim, OTHER_SUBJECT, "400");
    let swapped = tmp.path().join("swapped");
    fs::create_dir_all(&swapped).unwrap();
    fs::copy(hong.join("signCert.der"), swapped.join("signCert.der")).unwrap();
    fs::copy(kim.join("signPri.key"), swapped.join("signPri.key")).unwrap();
    // Without the password the key cannot be opened, so the files go in as they are…
    env.ok(&["import", swapped.join("signCert.der").to_str().unwrap(), "--lang", "en"], &[]);
    let stored = env.npki.join("yessign").join("USER").join(SUBJECT_TEXT).join("signPri.key");
    let before = fs::read(&stored).unwrap();
    // …and every use of the key refuses it, writing nothing.
    let pfx = tmp.path().join("swapped.pfx");
    let envs = [
        ("DOJANG_CERT_PASSWORD", OLD_PW),
        ("DOJANG_NEW_CERT_PASSWORD", NEW_PW),
        ("DOJANG_PFX_PASSWORD", PFX_PW),
    ];
    let err = env.fails(&["export", "--pfx", pfx.to_str().unwrap(), "--lang", "en"], &envs);
    assert!(err.contains("does not belong to this certificate"), "{err}");
    assert!(err.contains("mixed up or damaged"), "{err}");
    assert!(!pfx.exists(), "no PFX is written");
    let err = env.fails(&["passwd"], &envs);
    assert!(err.contains("이 인증서") && err.contains("것이 아닙니다"), "{err}");
    assert_eq!(fs::read(&stored).unwrap(), before, "the key file is not resealed");
    for secret in [OLD_PW, NEW_PW, PFX_PW] {
        assert!(!err.contains(secret), "{err}");
    }
}

#[test]
fn a_damaged_folder_is_named_not_skipped_and_can_be_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let (hong, kim) = (tmp.path().join("hong"), tmp.path().join("kim"));
    make_npki_pair(&hong, SUBJECT, "400");
    make_npki_pair(&kim, OTHER_SUBJECT, "400");
    env.ok(&["import", hong.to_str().unwrap()], &[]);
    env.ok(&["import", kim.to_str().unwrap()], &[]);
    let hong_dir = env.npki.join("yessign").join("USER").join(SUBJECT_TEXT);
    let cert = fs::read(hong_dir.join("signCert.der")).unwrap();
    fs::write(hong_dir.join("signCert.der"), &cert[..cert.len() / 2]).unwrap();
    let kim_dir = fs::read_dir(env.npki.join("yessign").join("USER"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("김철수"))
        .unwrap();

    // No certificate named: 김철수's is not "the only one" while 홍길동's cannot be read.
    let err = env.fails(&["delete", "--yes", "--lang", "en"], &[]);
    assert!(err.contains(&hong_dir.display().to_string()), "{err}");
    assert!(err.contains("cannot be read") && err.contains("--folder"), "{err}");
    assert!(kim_dir.exists(), "김철수's certificate must not be deleted");
    let err = env.fails(&["show", "홍길동", "--lang", "en"], &[]);
    assert!(err.contains(&hong_dir.display().to_string()), "{err}");
    assert!(!err.contains("no certificate matches"), "{err}");
    let err = env.fails(&["show", "홍길동"], &[]);
    assert!(err.contains("읽을 수 없는 폴더"), "{err}");
    let listed = env.run(&["list", "--lang", "en"], &[]);
    let warned = String::from_utf8(listed.stderr).unwrap();
    assert!(
        warned.contains(&format!("dojang cert delete --folder \"{SUBJECT_TEXT}\"")),
        "{warned}"
    );

    // The damaged folder goes by its name; 김철수's stays.
    let out = env.ok(&["delete", "--folder", SUBJECT_TEXT, "--yes", "--lang", "en"], &[]);
    assert!(out.contains("Deleted:"), "{out}");
    assert!(!hong_dir.exists() && kim_dir.exists());
    let err = env.fails(&["delete", "--folder", "cn=nobody", "--yes", "--lang", "en"], &[]);
    assert!(err.contains("not a certificate folder"), "{err}");
    let out = env.ok(&["show", "--lang", "en"], &[]);
    assert!(out.contains("김철수"), "{out}");

    // A key whose certificate file is lost: named with what is missing, deletable by name,
    // and no obstacle to choosing the one certificate there is.
    fs::create_dir_all(&hong_dir).unwrap();
    fs::write(hong_dir.join("signPri.key"), b"a key").unwrap();
    let listed = env.run(&["list"], &[]);
    let warned = String::from_utf8(listed.stderr).unwrap();
    assert!(warned.contains("signPri.key") && warned.contains("signCert.der"), "{warned}");
    assert!(warned.contains("온전하지 않습니다"), "{warned}");
    assert!(
        warned.contains(&format!("dojang cert delete --folder \"{SUBJECT_TEXT}\"")),
        "{warned}"
    );
    let out = env.ok(&["show", "--lang", "en"], &[]);
    assert!(out.contains("김철수"), "{out}");
    env.ok(&["delete", "--folder", SUBJECT_TEXT, "--yes", "--lang", "en"], &[]);
    assert!(!hong_dir.exists() && kim_dir.exists());
}

#[test]
fn a_folder_import_that_cannot_take_every_pair_takes_none() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let hong = tmp.path().join("hong");
    make_npki_pair(&hong, SUBJECT, "400");
    env.ok(&["import", hong.to_str().unwrap()], &[]);
    let src = tmp.path().join("src5");
    make_npki_pair(&src.join("a-kim"), OTHER_SUBJECT, "400");
    make_npki_pair(&src.join("b-hong2"), SUBJECT, "700");
    let err = env.fails(&["import", src.to_str().unwrap(), "--lang", "en"], &[]);
    assert!(err.contains("already holds another certificate"), "{err}");
    let listed = env.ok(&["list", "--json"], &[]);
    assert!(!listed.contains("김철수"), "nothing of the import may be kept: {listed}");
}

#[test]
fn the_file_exists_message_says_how_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let hong = tmp.path().join("hong");
    make_npki_pair(&hong, SUBJECT, "400");
    env.ok(&["import", hong.to_str().unwrap()], &[]);
    let there = tmp.path().join("adir");
    fs::create_dir_all(&there).unwrap();
    let err = env.fails(&["export", "--pfx", there.to_str().unwrap(), "--lang", "en"], &[]);
    assert!(err.contains("exists already; to overwrite it, use --force"), "{err}");
    let err = env.fails(&["export", "--pfx", there.to_str().unwrap()], &[]);
    assert!(err.contains("--force"), "{err}");
}

#[test]
fn a_removable_disk_that_is_not_there_is_said_to_be_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let location = format!("removable:{}", tmp.path().join("usb-not-plugged-in").display());
    let out = env.run(&["list", "--location", &location], &[]);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{stdout}");
    assert!(!stdout.contains("저장된 인증서가 없습니다"), "{stdout}");
    assert!(stderr.contains("이동식 디스크(USB 등)를 찾을 수 없습니다"), "{stderr}");
    assert!(stderr.contains("usb-not-plugged-in"), "{stderr}");
    let err = env.fails(&["list", "--location", &location, "--lang", "en"], &[]);
    assert!(err.contains("no removable disk"), "{err}");
}

#[test]
fn store_and_pfx_errors_are_korean_in_korean_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let junk = tmp.path().join("junk.pfx");
    fs::write(&junk, b"this is not a PFX").unwrap();
    let err = env.fails(&["import", junk.to_str().unwrap()], &[]);
    assert!(
        err.contains("junk.pfx") && err.contains("PFX 파일이 아니거나 손상되었습니다"),
        "{err}"
    );
    assert!(!err.contains("not a valid PFX"), "{err}");

    let work = tmp.path().join("work");
    make_npki_pair(&work, SUBJECT, "400");
    let bad = tmp.path().join("bad");
    fs::create_dir_all(&bad).unwrap();
    let cert = fs::read(work.join("signCert.der")).unwrap();
    fs::write(bad.join("signCert.der"), &cert[..cert.len() - 10]).unwrap();
    fs::copy(work.join("signPri.key"), bad.join("signPri.key")).unwrap();
    let err = env.fails(&["import", bad.to_str().unwrap()], &[]);
    assert!(err.contains("인증서 파일이 손상되었습니다") && err.contains("signCert.der"), "{err}");
    assert!(!err.contains("not a valid certificate"), "{err}");

    // A folder that cannot be read is a Korean warning, and the rest is listed.
    env.ok(&["import", work.to_str().unwrap()], &[]);
    fs::create_dir_all(env.npki.join("CrossCert")).unwrap();
    std::os::unix::fs::symlink("USER", env.npki.join("CrossCert").join("USER")).unwrap();
    let out = env.run(&["list"], &[]);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains(SUBJECT_TEXT), "{stdout}");
    assert!(stderr.contains("경고: 폴더를 읽을 수 없습니다"), "{stderr}");
    assert!(stderr.contains(&env.npki.join("CrossCert").join("USER").display().to_string()));
    let json: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"], &[])).unwrap();
    assert_eq!(json["certificates"].as_array().unwrap().len(), 1);
    assert!(json["problems"][0].as_str().unwrap().contains("폴더를 읽을 수 없습니다"), "{json}");
}

#[test]
fn a_certificate_without_its_key_is_listed_as_unable_to_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let work = tmp.path().join("work");
    make_npki_pair(&work, SUBJECT, "400");
    env.ok(&["import", work.to_str().unwrap()], &[]);
    let dir = env.npki.join("yessign").join("USER").join(SUBJECT_TEXT);
    fs::remove_file(dir.join("signPri.key")).unwrap();
    let list = env.ok(&["list"], &[]);
    assert!(
        list.contains(SUBJECT_TEXT) && list.contains("개인키 파일(signPri.key)이 없어"),
        "{list}"
    );
    let list = env.ok(&["list", "--lang", "en"], &[]);
    assert!(list.contains("cannot sign"), "{list}");
    let json: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"], &[])).unwrap();
    assert_eq!(json["certificates"][0]["key_missing"], true);
    let pfx = tmp.path().join("x.pfx");
    let err = env.fails(
        &["export", "--pfx", pfx.to_str().unwrap()],
        &[("DOJANG_CERT_PASSWORD", OLD_PW), ("DOJANG_PFX_PASSWORD", PFX_PW)],
    );
    assert!(err.contains("개인키 파일(signPri.key)이 없어"), "{err}");
}

#[test]
fn an_npki_pair_with_a_damaged_km_pair_beside_it_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let work = tmp.path().join("work");
    make_npki_pair(&work, SUBJECT, "400");
    let cert = fs::read(work.join("signCert.der")).unwrap();
    fs::write(work.join("kmCert.der"), &cert[..cert.len() / 2]).unwrap();
    fs::copy(work.join("signPri.key"), work.join("kmPri.key")).unwrap();
    for named in ["signCert.der", "signPri.key", "kmCert.der"] {
        let err = env.fails(&["import", work.join(named).to_str().unwrap()], &[]);
        assert!(err.contains("kmCert.der") && err.contains("손상"), "{err}");
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["list", "--json"], &[])).unwrap();
        assert!(json["certificates"].as_array().unwrap().is_empty(), "{named}: {json}");
        assert!(!env.npki.join("yessign").exists(), "{named}: nothing may be written");
    }
}

#[test]
fn a_certificate_a_crash_hid_is_put_back_by_list() {
    let tmp = tempfile::tempdir().unwrap();
    let env = Env::new(tmp.path());
    let work = tmp.path().join("work");
    let serial = make_npki_pair(&work, SUBJECT, "400");
    env.ok(&["import", work.to_str().unwrap()], &[]);
    let user = env.npki.join("yessign").join("USER");
    // Moved aside by a replace, then the computer stopped before the new folder came in.
    fs::rename(user.join(SUBJECT_TEXT), user.join(format!(".{SUBJECT_TEXT}.old-0123456789ab")))
        .unwrap();
    let out = env.run(&["list"], &[]);
    assert!(out.status.success());
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&serial), "{stdout}");
    assert!(stderr.contains("되살렸습니다"), "{stderr}");
    assert_eq!(fs::read_dir(&user).unwrap().count(), 1, "no hidden copy is left");
}
