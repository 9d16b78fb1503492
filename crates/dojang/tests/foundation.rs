//! Issue 2, end to end: a real `dojang serve`, the real `dojang ca` commands, and OpenSSL and
//! Python `cryptography` as independent judges of what comes out.

mod support;

use std::io::Read;

use support::*;

/// A test holder's resident registration number (format only; not a real person's).
const HOLDER_RRN: &str = "9001011234567";

const SUBJECT_BANK: &str =
    "/C=KR/O=dojang/OU=personal4IB/OU=DOJANGBANK/CN=홍길동()0011234567890123";

fn subject(product_ou: &str, cn: &str) -> String {
    format!("/C=KR/O=dojang/OU={product_ou}/OU=DOJANGBANK/CN={cn}")
}

fn issue(c: &TestCenter, name: &str, key: &str, subject: &str, product: &str) -> (String, String) {
    let csr = c.csr(name, key, subject);
    let out = c.p(&format!("{name}.pem"));
    let o = c.dojang_env(
        &["ca", "issue", "--csr", &csr, "--product", product, "--out", &out],
        &[("DOJANG_HOLDER_RRN", HOLDER_RRN)],
    );
    assert!(o.status.success(), "issue failed: {}", text(&o));
    assert!(!text(&o).contains(HOLDER_RRN), "the RRN must never be printed");
    let serial = line_value(&text(&o), "issued");
    (out, serial)
}

fn inspect(c: &TestCenter, cert: &str) -> serde_json::Value {
    let script = tests_dir().join("py/inspect_cert.py");
    let out = ok("python3", &[&script.display().to_string(), cert], c.dir.path());
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("bad JSON from inspect_cert.py ({e}): {out}"))
}

fn openssl_ski(c: &TestCenter, cert: &str) -> String {
    let out = ok(
        "openssl",
        &["x509", "-in", cert, "-noout", "-ext", "subjectKeyIdentifier"],
        c.dir.path(),
    );
    out.lines().nth(1).expect("SKI line").trim().replace(':', "").to_lowercase()
}

#[test]
fn each_joint_product_is_issued_in_the_korean_profile_and_verifies() {
    let c = TestCenter::started();
    let (root, issuing) = c.fetch_chain();
    let issuing_ski = openssl_ski(&c, &issuing);
    let cases = [
        ("bank", "rsa:2048", "personal4IB", "personal-bank", "1.2.410.200005.1.1.4"),
        ("general", "rsa:2048", "personal", "personal-general", "1.2.410.200005.1.1.1"),
        ("limited", "rsa:2048", "limited", "limited", "1.3.6.1.4.1.32473.1.3"),
        ("corp", "rsa:2048", "corporation", "corporate-general", "1.2.410.200005.1.1.5"),
        ("bank-ec", "ec", "personal4IB", "personal-bank", "1.2.410.200005.1.1.4"),
    ];
    let mut serials = std::collections::HashSet::new();
    for (name, key, ou, product, policy) in cases {
        let cn = if product == "corporate-general" {
            "(주)도장상사()0011234567890123"
        } else {
            "홍길동()0011234567890123"
        };
        let (leaf, serial) = issue(&c, name, key, &subject(ou, cn), product);
        assert!(serials.insert(serial.clone()), "serial {serial} repeated");

        let v = ok(
            "openssl",
            &["verify", "-CAfile", &root, "-untrusted", &issuing, &leaf],
            c.dir.path(),
        );
        assert!(v.contains(": OK"), "{v}");

        let t = ok(
            "openssl",
            &["x509", "-in", &leaf, "-noout", "-text", "-nameopt", "utf8,sep_comma_plus_space"],
            c.dir.path(),
        );
        for want in [
            "Basic Constraints: critical",
            "CA:FALSE",
            "Key Usage: critical",
            "Digital Signature, Non Repudiation",
            &format!("Policy: {policy}"),
            &format!("URI:{}/crl/issuing.crl", c.base),
            &format!("OCSP - URI:{}/ocsp", c.base),
            &format!("CA Issuers - URI:{}/ca/issuing.crt", c.base),
            "Subject Key Identifier",
            "Authority Key Identifier",
            &format!("OU=DOJANGBANK, CN={cn}"),
            "Issuer: C=KR, O=dojang, OU=AccreditedCA, CN=dojangCA Class 1",
        ] {
            assert!(t.contains(want), "openssl -text of {product} lacks {want:?}:\n{t}");
        }

        let j = inspect(&c, &leaf);
        assert_eq!(j["serial_hex"], serial.trim_start_matches('0'), "{j}");
        let serial_int: u128 = u128::from_str_radix(&serial, 16).expect("hex");
        assert!(
            serial_int > 0 && serial.len() <= 40,
            "serial {serial} not a positive ≤20-octet number"
        );
        assert_eq!(j["basic_constraints"], serde_json::json!({"critical": true, "ca": false}));
        assert_eq!(j["key_usage"]["critical"], true);
        assert_eq!(j["key_usage"]["digital_signature"], true);
        assert_eq!(j["key_usage"]["non_repudiation"], true);
        assert_eq!(j["key_usage"]["key_cert_sign"], false);
        assert_eq!(j["ski_matches_key"], true);
        assert_eq!(j["aki"], issuing_ski);
        assert_eq!(j["policies"], serde_json::json!([policy]));
        assert_eq!(j["crl_urls"], serde_json::json!([format!("{}/crl/issuing.crl", c.base)]));
        assert_eq!(j["ocsp_urls"], serde_json::json!([format!("{}/ocsp", c.base)]));
        assert_eq!(j["ca_issuer_urls"], serde_json::json!([format!("{}/ca/issuing.crt", c.base)]));
        assert_eq!(j["days"], 730, "two years by default");
        assert_eq!(j["issuer"], "CN=dojangCA Class 1,OU=AccreditedCA,O=dojang,C=KR");
        assert!(j["subject"].as_str().is_some_and(|s| s.starts_with(&format!("CN={cn}"))), "{j}");
        assert_eq!(j["key_size"], if key == "ec" { 256 } else { 2048 });
    }
}

#[test]
fn the_chain_can_be_built_from_the_leaf_alone() {
    let c = TestCenter::started();
    let (leaf, _) = issue(&c, "leaf", "rsa:2048", SUBJECT_BANK, "personal-bank");
    let fetch = |url: &str, name: &str| -> String {
        let mut body = Vec::new();
        ureq::get(url).call().expect("fetch").into_reader().read_to_end(&mut body).expect("body");
        std::fs::write(c.path(&format!("{name}.der")), body).expect("write");
        let pem = c.p(&format!("{name}.pem"));
        ok(
            "openssl",
            &["x509", "-inform", "DER", "-in", &c.p(&format!("{name}.der")), "-out", &pem],
            c.dir.path(),
        );
        pem
    };
    let j = inspect(&c, &leaf);
    let issuing = fetch(j["ca_issuer_urls"][0].as_str().expect("AIA"), "via-aia-issuing");
    let t = ok("openssl", &["x509", "-in", &issuing, "-noout", "-text"], c.dir.path());
    let root_url = line_value(&t, "CA Issuers - URI:");
    assert_eq!(root_url, format!("{}/ca/root.crt", c.base));
    assert!(t.contains("CA:TRUE, pathlen:0"), "{t}");
    assert!(t.contains(&format!("URI:{}/crl/root.crl", c.base)), "{t}");
    let root = fetch(&root_url, "via-aia-root");
    let v =
        ok("openssl", &["verify", "-CAfile", &root, "-untrusted", &issuing, &leaf], c.dir.path());
    assert!(v.contains(": OK"), "{v}");
    // Every CRL on the path is published too: a full CRL check of the whole chain passes.
    std::fs::write(c.path("issuing.crl"), c.get("/crl/issuing.crl")).expect("crl");
    std::fs::write(c.path("root.crl"), c.get("/crl/root.crl")).expect("arl");
    ok(
        "openssl",
        &["crl", "-inform", "DER", "-in", &c.p("issuing.crl"), "-out", &c.p("issuing-crl.pem")],
        c.dir.path(),
    );
    ok(
        "openssl",
        &["crl", "-inform", "DER", "-in", &c.p("root.crl"), "-out", &c.p("root-crl.pem")],
        c.dir.path(),
    );
    let v = ok(
        "openssl",
        &[
            "verify",
            "-crl_check_all",
            "-CRLfile",
            &c.p("issuing-crl.pem"),
            "-CRLfile",
            &c.p("root-crl.pem"),
            "-CAfile",
            &root,
            "-untrusted",
            &issuing,
            &leaf,
        ],
        c.dir.path(),
    );
    assert!(v.contains(": OK"), "{v}");
}

fn ocsp(c: &TestCenter, root: &str, issuing: &str, target: &[&str]) -> String {
    let leaf_for_url = c.p("leaf.pem");
    let url = ok("openssl", &["x509", "-in", &leaf_for_url, "-noout", "-ocsp_uri"], c.dir.path())
        .trim()
        .to_string();
    assert_eq!(url, format!("{}/ocsp", c.base));
    let mut args = vec!["ocsp", "-issuer", issuing, "-url", &url, "-CAfile", root];
    args.extend_from_slice(target);
    ok("openssl", &args, c.dir.path())
}

#[test]
fn ocsp_says_good_then_revoked_at_once_and_unknown_for_a_serial_never_issued() {
    let c = TestCenter::started();
    let (root, issuing) = c.fetch_chain();
    let (leaf, serial) = issue(&c, "leaf", "rsa:2048", SUBJECT_BANK, "personal-bank");

    let good = ocsp(&c, &root, &issuing, &["-cert", &leaf]);
    assert!(good.contains("Response verify OK"), "{good}");
    assert!(good.contains(&format!("{leaf}: good")), "{good}");
    assert!(!good.contains("WARNING: no nonce"), "the nonce must be echoed: {good}");

    let o = c.dojang(&["ca", "revoke", "--serial", &serial, "--reason", "keyCompromise"]);
    assert!(o.status.success(), "{}", text(&o));

    // The very next answer says revoked, with its time and reason.
    let revoked = ocsp(&c, &root, &issuing, &["-cert", &leaf]);
    assert!(revoked.contains("Response verify OK"), "{revoked}");
    assert!(revoked.contains(&format!("{leaf}: revoked")), "{revoked}");
    assert!(revoked.contains("Reason: keyCompromise"), "{revoked}");
    assert!(revoked.contains("Revocation Time:"), "{revoked}");
    // A CertID hashed with SHA-384 or SHA-512 (newer clients) names the same certificate.
    for hash in ["-sha384", "-sha512"] {
        let asked = ocsp(&c, &root, &issuing, &[hash, "-cert", &leaf]);
        assert!(asked.contains(&format!("{leaf}: revoked")), "{hash}: {asked}");
    }

    let unknown = ocsp(&c, &root, &issuing, &["-serial", "0x0123456789ABCDEF"]);
    assert!(unknown.contains("Response verify OK"), "{unknown}");
    assert!(unknown.contains("0x0123456789ABCDEF: unknown"), "{unknown}");

    // RFC 5019 GET: the request in the URL, base64 and URL-encoded.
    ok(
        "openssl",
        &["ocsp", "-issuer", &issuing, "-cert", &leaf, "-no_nonce", "-reqout", &c.p("req.der")],
        c.dir.path(),
    );
    let req = std::fs::read(c.path("req.der")).expect("req");
    let b64 = base64_standard(&req);
    let encoded: String = b64
        .chars()
        .map(|ch| match ch {
            '+' => "%2B".to_string(),
            '/' => "%2F".to_string(),
            '=' => "%3D".to_string(),
            other => other.to_string(),
        })
        .collect();
    let resp = c.get(&format!("/ocsp/{encoded}"));
    std::fs::write(c.path("resp.der"), resp).expect("resp");
    let via_get = ok(
        "openssl",
        &[
            "ocsp",
            "-respin",
            &c.p("resp.der"),
            "-issuer",
            &issuing,
            "-cert",
            &leaf,
            "-CAfile",
            &root,
        ],
        c.dir.path(),
    );
    assert!(via_get.contains("Response verify OK") && via_get.contains(": revoked"), "{via_get}");
}

fn base64_standard(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn the_crl_at_the_cdp_lists_revocations_and_openssl_then_rejects_the_leaf() {
    let c = TestCenter::started();
    let (root, issuing) = c.fetch_chain();
    let (revoked, serial) = issue(&c, "leaf", "rsa:2048", SUBJECT_BANK, "personal-bank");
    let (kept, _) = issue(&c, "kept", "ec", SUBJECT_BANK, "personal-bank");
    let first = c.get("/crl/issuing.crl");

    let o = c.dojang(&["ca", "revoke", "--serial", &serial, "--reason", "superseded"]);
    assert!(o.status.success(), "{}", text(&o));

    let j = inspect(&c, &revoked);
    let cdp = j["crl_urls"][0].as_str().expect("CDP").to_string();
    let mut der = Vec::new();
    ureq::get(&cdp).call().expect("CRL").into_reader().read_to_end(&mut der).expect("body");
    assert_ne!(der, first, "the CRL must be rebuilt after a revocation");
    std::fs::write(c.path("crl.der"), &der).expect("write");
    let t = ok(
        "openssl",
        &["crl", "-inform", "DER", "-in", &c.p("crl.der"), "-noout", "-text", "-CAfile", &issuing],
        c.dir.path(),
    );
    assert!(t.contains("verify OK"), "{t}");
    assert!(t.contains(&format!("Serial Number: {serial}")), "{t}");
    assert!(t.contains("Superseded"), "{t}");
    assert!(t.contains("X509v3 CRL Number"), "{t}");
    assert!(t.contains("Next Update:"), "{t}");
    ok(
        "openssl",
        &["crl", "-inform", "DER", "-in", &c.p("crl.der"), "-out", &c.p("crl.pem")],
        c.dir.path(),
    );

    let bad = fails(
        "openssl",
        &[
            "verify",
            "-crl_check",
            "-CRLfile",
            &c.p("crl.pem"),
            "-CAfile",
            &root,
            "-untrusted",
            &issuing,
            &revoked,
        ],
        c.dir.path(),
    );
    assert!(bad.contains("certificate revoked"), "{bad}");
    let fine = ok(
        "openssl",
        &[
            "verify",
            "-crl_check",
            "-CRLfile",
            &c.p("crl.pem"),
            "-CAfile",
            &root,
            "-untrusted",
            &issuing,
            &kept,
        ],
        c.dir.path(),
    );
    assert!(fine.contains(": OK"), "{fine}");

    // The operator can make one on demand; its number is higher.
    let o = c.dojang(&["ca", "crl", "--out", &c.p("manual.crl")]);
    assert!(o.status.success(), "{}", text(&o));
    let number = |path: &str| -> u64 {
        let t = ok(
            "openssl",
            &["crl", "-inform", "DER", "-in", path, "-noout", "-crlnumber"],
            c.dir.path(),
        );
        u64::from_str_radix(
            t.trim().trim_start_matches("crlNumber=0x").trim_start_matches("crlNumber="),
            16,
        )
        .expect("crl number")
    };
    assert!(number(&c.p("manual.crl")) > number(&c.p("crl.der")));
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let c = TestCenter::started();
    let (_, serial) = issue(&c, "good", "rsa:2048", SUBJECT_BANK, "personal-bank");
    let before = c.store_counts();
    assert_eq!(before.0, 1);
    let dir = c.dir.path();
    let issue_err = |csr: &str, product: &str| -> String {
        let out = c.p("out.pem");
        let o = c.dojang_env(
            &["ca", "issue", "--csr", csr, "--product", product, "--out", &out],
            &[("DOJANG_HOLDER_RRN", HOLDER_RRN)],
        );
        assert!(!o.status.success(), "should have been refused: {}", text(&o));
        assert!(!c.path("out.pem").exists(), "nothing may be written on a refusal");
        text(&o)
    };

    std::fs::write(c.path("garbage.csr"), b"this is not a CSR").expect("write");
    let e = issue_err(&c.p("garbage.csr"), "personal-bank");
    assert!(e.contains("could not be read"), "{e}");

    // A CSR whose signature was altered.
    let csr = c.csr("tamper", "rsa:2048", SUBJECT_BANK);
    ok("openssl", &["req", "-in", &csr, "-outform", "DER", "-out", &c.p("tamper.der")], dir);
    let mut der = std::fs::read(c.path("tamper.der")).expect("read");
    let last = der.len() - 1;
    der[last] ^= 0x01;
    std::fs::write(c.path("tamper.der"), &der).expect("write");
    let e = issue_err(&c.p("tamper.der"), "personal-bank");
    assert!(e.contains("signature does not verify"), "{e}");

    let small = c.csr("small", "rsa:1024", SUBJECT_BANK);
    let e = issue_err(&small, "personal-bank");
    assert!(e.contains("1024 bits") && e.contains("at least 2048"), "{e}");

    let good = c.p("good.csr");
    let e = issue_err(&good, "platinum");
    assert!(e.contains("unknown product") && e.contains("personal-bank"), "{e}");

    let e = issue_err(&good, "personal-general");
    assert!(e.contains("should be ou=personal but is ou=personal4IB"), "{e}");

    let stranger = c.csr("stranger", "rsa:2048", "/CN=someone");
    let e = issue_err(&stranger, "personal-bank");
    assert!(e.contains("c=KR, o=dojang, ou=personal4IB, ou=DOJANGBANK"), "{e}");

    let e = text(&c.dojang(&["ca", "revoke", "--serial", "0BADC0DE", "--reason", "keyCompromise"]));
    assert!(e.contains("no certificate with serial 0BADC0DE"), "{e}");
    let e = text(&c.dojang(&["ca", "revoke", "--serial", &serial, "--reason", "lost-it"]));
    assert!(e.contains("unknown revocation reason") && e.contains("keyCompromise"), "{e}");
    let e = text(&c.dojang(&["ca", "revoke", "--serial", "not-hex", "--reason", "keyCompromise"]));
    assert!(e.contains("not hex"), "{e}");
    let e = text(&c.dojang(&["ca", "show", "--serial", "0BADC0DE"]));
    assert!(e.contains("no certificate with serial 0BADC0DE"), "{e}");
    let e = fails(DOJANG, &["ca", "show", "--serial", "01", "--data", &c.p("nowhere")], dir);
    assert!(e.contains("no dojang data"), "{e}");
    assert!(!c.path("nowhere").join("dojang.sqlite3").exists());

    // A mistyped --data: the commands that need the CA refuse it too, naming it, and make no
    // new root CA, vault or passphrase file there (only `serve` makes a center). An empty
    // directory is refused the same way.
    std::fs::create_dir(c.path("empty")).expect("mkdir");
    for typo in [c.p("typo-data"), c.p("empty")] {
        let good_csr = c.p("good.csr");
        let out = c.p("typo.pem");
        let crl = c.p("typo.crl");
        let commands: [&[&str]; 2] = [
            &["ca", "issue", "--csr", &good_csr, "--product", "personal-bank", "--out", &out],
            &["ca", "crl", "--out", &crl],
        ];
        for args in commands {
            let o = std::process::Command::new(DOJANG)
                .args(args)
                .args(["--data", &typo])
                .current_dir(dir)
                .env_remove("DOJANG_DATA")
                .env_remove("DOJANG_CONFIG")
                .env_remove("DOJANG_DATABASE_URL")
                .env("DOJANG_HOLDER_RRN", HOLDER_RRN)
                .output()
                .expect("run dojang");
            let e = text(&o);
            assert!(!o.status.success(), "{args:?} on {typo}: {e}");
            assert!(e.contains(&format!("no dojang data in {typo}")), "{e}");
            assert!(e.contains("dojang serve --data"), "{e}");
            let made: Vec<_> = std::fs::read_dir(&typo)
                .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
                .unwrap_or_default();
            assert!(made.is_empty(), "{args:?} made {made:?} in {typo}");
            assert!(!c.path("typo.pem").exists() && !c.path("typo.crl").exists());
        }
    }

    // A garbage OCSP request gets a proper OCSP malformedRequest answer.
    let resp = ureq::post(&format!("{}/ocsp", c.base))
        .set("Content-Type", "application/ocsp-request")
        .send_bytes(b"\x30\x03garbage")
        .expect("OCSP POST");
    assert_eq!(resp.header("Content-Type"), Some("application/ocsp-response"));
    let mut body = Vec::new();
    resp.into_reader().read_to_end(&mut body).expect("body");
    std::fs::write(c.path("malformed.der"), &body).expect("write");
    let o =
        run("openssl", &["ocsp", "-respin", &c.p("malformed.der"), "-resp_text", "-noverify"], dir);
    assert!(text(&o).contains("malformedrequest"), "{}", text(&o));
    let empty = c.get("/ocsp/%%%not-base64");
    assert_eq!(empty, vec![0x30, 0x03, 0x0a, 0x01, 0x01]);
    // A body larger than any OCSP request: the same answer, not an HTTP 413 an OCSP client
    // cannot read. (One byte over the 16 KiB limit: the server knows only once it has read
    // the last byte, so a client still sending never races its close.)
    {
        use std::io::Write;
        let mut s = connect(&c);
        let mut request = b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nConnection: close\r\nContent-Length: 16385\r\n\r\n".to_vec();
        request.extend(std::iter::repeat_n(0x30, 16 * 1024 + 1));
        s.write_all(&request).expect("write");
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).expect("the answer, then the close");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("application/ocsp-response"), "{answer}");
        assert!(answer.ends_with("0\u{3}\n\u{1}\u{1}"), "malformedRequest: {answer:?}");
    }
    // A path that percent-decodes to no text at all (not UTF-8) is as unreadable as any other
    // request: an OCSPResponse, never an HTTP error.
    for path in ["/ocsp/%ff", "/ocsp/MEow%ff%fe", "/ocsp/%C3%28abc"] {
        let resp = ureq::get(&format!("{}{path}", c.base)).call().expect(path);
        assert_eq!(resp.header("Content-Type"), Some("application/ocsp-response"), "{path}");
        let mut body = Vec::new();
        resp.into_reader().read_to_end(&mut body).expect("body");
        std::fs::write(c.path("undecodable.der"), &body).expect("write");
        let o = run(
            "openssl",
            &["ocsp", "-respin", &c.p("undecodable.der"), "-resp_text", "-noverify"],
            dir,
        );
        assert!(text(&o).contains("malformedrequest"), "{path}: {}", text(&o));
    }

    assert_eq!(c.store_counts(), before, "refusals must leave the store as it was");

    // Revoking twice: the second is refused with when and why, and changes nothing.
    let o = c.dojang(&["ca", "revoke", "--serial", &serial, "--reason", "keyCompromise"]);
    assert!(o.status.success(), "{}", text(&o));
    let after_revoke = c.store_counts();
    let e = text(&c.dojang(&["ca", "revoke", "--serial", &serial, "--reason", "superseded"]));
    assert!(e.contains("already revoked (keyCompromise"), "{e}");
    assert_eq!(c.store_counts(), after_revoke);
    let shown = ok(DOJANG, &["ca", "show", "--serial", &serial, "--data", &c.data_arg()], dir);
    assert!(shown.contains("revoked (폐기)") && shown.contains("keyCompromise"), "{shown}");
}

/// The names in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn ca_issue_and_crl_check_where_they_write_before_they_issue_and_never_overwrite_unasked() {
    let c = TestCenter::started();
    let csr = c.csr("me", "rsa:2048", SUBJECT_BANK);
    let issue = |out: &str, random_out: &str, more: &[&str]| {
        let mut args = vec!["ca", "issue", "--csr", &csr, "--product", "personal-bank"];
        args.extend(["--out", out, "--random-out", random_out]);
        args.extend(more);
        c.dojang_env(&args, &[("DOJANG_HOLDER_RRN", HOLDER_RRN)])
    };
    // An old file that happens to have the name the temporary file once had is not ours.
    std::fs::write(c.path("me.partial"), b"someone else's").expect("write");
    let before = names_in(c.dir.path());

    // An --out or --random-out that cannot be written is refused before anything is issued.
    let missing = c.p("no-such-dir/me.pem");
    let cases = [
        (missing.clone(), c.p("r.txt"), c.p("no-such-dir")),
        (c.p("me.pem"), c.p("no-such-dir/r.txt"), c.p("no-such-dir")),
        (c.p("data"), c.p("r.txt"), "is a directory".to_string()),
    ];
    for (out, random_out, said) in &cases {
        let o = issue(out, random_out, &[]);
        let e = text(&o);
        assert!(!o.status.success(), "{e}");
        assert!(e.contains(said.as_str()) && !e.contains("issued"), "{e}");
        assert_eq!(c.store_counts().0, 0, "nothing may be issued: {e}");
        assert_eq!(names_in(c.dir.path()), before, "nothing may be left behind: {e}");
    }

    // A file there already is kept unless --force.
    std::fs::write(c.path("me.pem"), b"keep me").expect("write");
    let o = issue(&c.p("me.pem"), &c.p("r.txt"), &[]);
    let e = text(&o);
    assert!(!o.status.success() && e.contains("exists already") && e.contains("--force"), "{e}");
    assert_eq!(c.store_counts().0, 0, "{e}");
    assert_eq!(std::fs::read(c.path("me.pem")).expect("read"), b"keep me");

    let o = issue(&c.p("me.pem"), &c.p("r.txt"), &["--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(c.store_counts().0, 1);
    let pem = std::fs::read_to_string(c.path("me.pem")).expect("read");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert!(text(&o).contains(&format!("VID R    written to {}", c.p("r.txt"))), "{}", text(&o));
    assert_eq!(std::fs::read(c.path("me.partial")).expect("read"), b"someone else's");

    // The same for a CRL.
    std::fs::write(c.path("now.crl"), b"keep me").expect("write");
    let o = c.dojang(&["ca", "crl", "--out", &c.p("now.crl")]);
    assert!(!o.status.success() && text(&o).contains("exists already"), "{}", text(&o));
    assert_eq!(std::fs::read(c.path("now.crl")).expect("read"), b"keep me");
    let o = c.dojang(&["ca", "crl", "--out", &c.p("now.crl"), "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(c.path("now.crl")).expect("read").first(), Some(&0x30), "DER");

    let left: Vec<String> =
        names_in(c.dir.path()).into_iter().filter(|n| n.contains(".partial")).collect();
    assert_eq!(left, ["me.partial"], "no temporary file may be left behind");
}

#[test]
fn serve_says_where_to_go_and_keeps_its_ca_across_restarts() {
    let mut c = TestCenter::new();
    c.start();
    let root1 = c.get("/ca/root.crt");
    let home = String::from_utf8(c.get("/")).expect("utf8");
    assert!(home.contains("인증센터") && home.contains("4,400원"), "{home}");
    let products: serde_json::Value =
        serde_json::from_slice(&c.get("/api/v1/products")).expect("json");
    assert_eq!(products["products"].as_array().map(Vec::len), Some(5));
    let printed = c.printed();
    assert!(printed.contains(&format!("open:     {}/", c.base)), "{printed}");
    assert!(printed.contains(&c.data.display().to_string()), "{printed}");
    assert!(printed.contains("created now") && printed.contains("DEMO passphrase"), "{printed}");
    c.stop();
    c.start();
    assert_eq!(c.get("/ca/root.crt"), root1, "the CA must be loaded, not made again");
    assert!(c.data.join("DEMO-ONLY-ca-passphrase.txt").exists());
}

fn check_vid(c: &TestCenter, cert: &str, rrn: &str, r: &str) -> serde_json::Value {
    let script = tests_dir().join("py/check_vid.py");
    let out = ok("python3", &[&script.display().to_string(), cert, rrn, r], c.dir.path());
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON from check_vid.py ({e}): {out}"))
}

#[test]
fn a_personal_certificate_carries_the_holders_vid() {
    let c = TestCenter::started();
    let csr = c.csr("me", "rsa:2048", SUBJECT_BANK);
    let out = c.p("me.pem");
    let args = ["ca", "issue", "--csr", &csr, "--product", "personal-bank", "--out", &out];

    // A personal certificate without the holder's RRN is refused, and nothing is written.
    let e = text(&c.dojang(&args));
    assert!(e.contains("DOJANG_HOLDER_RRN"), "{e}");
    assert!(!c.path("me.pem").exists());

    let o = c.dojang_env(&args, &[("DOJANG_HOLDER_RRN", "900101-1234567")]);
    assert!(o.status.success(), "{}", text(&o));
    let r = line_value(&text(&o), "VID R");
    assert_eq!(base64_decode_len(&r), 20, "R is 20 random bytes");

    let t = ok("openssl", &["x509", "-in", &out, "-noout", "-ext", "subjectAltName"], c.dir.path());
    assert!(t.contains("othername"), "{t}");

    // Python (hashlib + cryptography) computes the VID on its own and finds it, with the name.
    let j = check_vid(&c, &out, HOLDER_RRN, &r);
    assert_eq!(j["identify_data"], 1, "{j}");
    assert_eq!(j["vid_matches"], true, "{j}");
    assert_eq!(j["real_name"], "홍길동");
    assert_eq!(j["real_name_in_vid"], true, "{j}");
    let wrong = check_vid(&c, &out, "9001011234568", &r);
    assert_eq!(wrong["vid_matches"], false, "{wrong}");

    // The relying party's check through dojang.
    let verify = |rrn: &str| {
        std::process::Command::new(DOJANG)
            .args(["ca", "verify-vid", "--cert", &out, "--random", &r])
            .env("DOJANG_HOLDER_RRN", rrn)
            .output()
            .expect("run dojang")
    };
    let ok_run = verify(HOLDER_RRN);
    assert!(ok_run.status.success() && text(&ok_run).contains("VID matches"), "{}", text(&ok_run));
    let bad_run = verify("8001011234567");
    assert!(
        !bad_run.status.success() && text(&bad_run).contains("does not match"),
        "{}",
        text(&bad_run)
    );

    // A corporate certificate carries no personal VID.
    let corp_csr =
        c.csr("corp", "rsa:2048", &subject("corporation", "(주)도장상사()0011234567890123"));
    let corp = c.p("corp.pem");
    let o = c.dojang(&[
        "ca",
        "issue",
        "--csr",
        &corp_csr,
        "--product",
        "corporate-general",
        "--out",
        &corp,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let t = ok("openssl", &["x509", "-in", &corp, "-noout", "-text"], c.dir.path());
    assert!(!t.contains("Subject Alternative Name"), "{t}");
}

fn base64_decode_len(s: &str) -> usize {
    let pad = s.chars().rev().take_while(|c| *c == '=').count();
    s.trim().len() / 4 * 3 - pad
}

// The PEM that hung der 0.7's streaming reader (found by fuzzing), given to verify-vid:
// refused with a clear error, promptly.
#[test]
fn verify_vid_refuses_a_short_pem_instead_of_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = dir.path().join("short.pem");
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        .expect("write");
    let mut child = std::process::Command::new(DOJANG)
        .args(["ca", "verify-vid", "--cert"])
        .arg(&cert)
        .args(["--random", "AAAA"])
        .env("DOJANG_HOLDER_RRN", HOLDER_RRN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dojang");
    // A bound against the hang, not a speed limit.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dojang ca verify-vid did not return on a short PEM");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = child.wait_with_output().expect("output");
    assert!(!o.status.success());
    assert!(text(&o).contains("is not a certificate"), "{}", text(&o));
}

/// A center whose `[http]` limits are short enough to watch: `header`, `body` and `send`
/// seconds, at most `cap` connections at once.
fn center_with_limits(header: u64, body: u64, send: u64, cap: usize) -> TestCenter {
    let c = TestCenter::new();
    let config = c.data.join("dojang.toml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&format!(
        "[http]\nheader_timeout_seconds = {header}\nbody_timeout_seconds = {body}\n\
         send_timeout_seconds = {send}\nmax_connections = {cap}\n"
    ));
    std::fs::write(&config, text).expect("config");
    c
}

fn connect(c: &TestCenter) -> std::net::TcpStream {
    let addr = c.base.trim_start_matches("http://");
    let s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(15))).expect("read timeout");
    s
}

/// Reads until the server closes `s` (or resets it); how long that took.
fn closed_after(mut s: std::net::TcpStream) -> std::time::Duration {
    let start = std::time::Instant::now();
    let mut sink = Vec::new();
    match s.read_to_end(&mut sink) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server kept the connection open ({e})"),
    }
    start.elapsed()
}

#[test]
fn a_client_that_stops_half_way_is_disconnected_and_a_graceful_stop_still_exits_0() {
    use std::io::Write;
    use std::time::Duration;
    let c = center_with_limits(1, 1, 1, 64);
    let server = serve(&c.data, &c.base, None);

    // Half a header: closed once the header timeout has passed.
    let mut s = connect(&c);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").expect("write");
    let took = closed_after(s);
    assert!(took < Duration::from_secs(5), "half a header was kept {took:?}");

    // Nothing at all, not even a byte: the same.
    let took = closed_after(connect(&c));
    assert!(took < Duration::from_secs(5), "a silent connection was kept {took:?}");

    // A body cut short of its Content-Length: closed once it has been silent for the body
    // timeout.
    let mut s = connect(&c);
    s.write_all(
        b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 100\r\n\r\n0123456789",
    )
    .expect("write");
    let took = closed_after(s);
    assert!(took < Duration::from_secs(5), "a short body was kept {took:?}");

    // A body sent a byte at a time, each well inside the body timeout: refused once the body
    // timeout has passed since the header, however busy the client keeps it.
    let mut s = connect(&c);
    s.write_all(
        b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 100\r\n\r\n",
    )
    .expect("write");
    let mut trickle = s.try_clone().expect("clone");
    let sender = std::thread::spawn(move || {
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(200));
            if trickle.write_all(b"x").is_err() {
                return;
            }
        }
    });
    let took = closed_after(s);
    assert!(took < Duration::from_secs(5), "a trickled body was kept {took:?}");
    sender.join().expect("sender");

    // A kept-alive connection answers, then is closed once idle for the header timeout.
    let mut s = connect(&c);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    let mut answer = [0u8; 512];
    let n = s.read(&mut answer).expect("an answer");
    assert!(answer[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..n]));
    let took = closed_after(s);
    assert!(took < Duration::from_secs(5), "an idle keep-alive connection was kept {took:?}");

    // SIGTERM with a client half-way through its header: the stop waits at most the header
    // timeout for it and exits 0.
    let mut s = connect(&c);
    s.write_all(b"GET /healthz HTTP/1.1\r\n").expect("write");
    let start = std::time::Instant::now();
    server.terminate();
    assert!(start.elapsed() < Duration::from_secs(10), "the stop took {:?}", start.elapsed());
}

#[test]
fn beyond_the_connection_cap_newcomers_wait_and_are_answered_once_slow_clients_go() {
    use std::io::Write;
    use std::time::Duration;
    let c = center_with_limits(5, 5, 5, 4);
    let _server = serve(&c.data, &c.base, None);

    // Four clients that say nothing fill every slot…
    let slow: Vec<_> = (0..4).map(|_| connect(&c)).collect();
    std::thread::sleep(Duration::from_millis(300));
    // …so a fifth is not served while they stay…
    let mut fifth = connect(&c);
    fifth.set_read_timeout(Some(Duration::from_millis(1500))).expect("read timeout");
    fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    let waited = fifth.read_to_end(&mut answer);
    assert!(
        waited.is_err() && answer.is_empty(),
        "the fifth connection was served past the cap: {}",
        String::from_utf8_lossy(&answer)
    );
    // …and is answered as soon as they go, well before their header timeout would end them.
    let gone = std::time::Instant::now();
    drop(slow);
    fifth.set_read_timeout(Some(Duration::from_secs(15))).expect("read timeout");
    fifth.read_to_end(&mut answer).expect("the answer");
    assert!(gone.elapsed() < Duration::from_secs(3), "answered only after {:?}", gone.elapsed());
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "{answer}");
    // The center goes on serving as before.
    assert_eq!(c.get("/healthz"), b"ok");
}

#[test]
fn a_client_that_takes_none_of_its_answers_is_disconnected_and_frees_its_slot() {
    use std::io::Write;
    use std::time::Duration;
    let c = center_with_limits(30, 30, 1, 1);
    let _server = serve(&c.data, &c.base, None);

    // The only slot: a client that asks for the page's script sixty times over (37 MB of
    // answers, far more than the sockets' buffers hold) and reads none of it.
    let mut greedy = connect(&c);
    let ask = b"GET /assets/app.js HTTP/1.1\r\nHost: x\r\n\r\n".repeat(60);
    greedy.write_all(&ask).expect("write");
    std::thread::sleep(Duration::from_millis(300));

    // A second client waits behind it, and is served once the server gives up on the first:
    // its header timeout (30 s) would never end it, since it sent every request it meant to.
    let start = std::time::Instant::now();
    let mut next = connect(&c);
    next.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    next.read_to_end(&mut answer).expect("the second client's answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "{answer}");
    assert!(start.elapsed() < Duration::from_secs(10), "served after {:?}", start.elapsed());

    // The first was disconnected: what reached its socket ends, short of sixty answers.
    let mut got = Vec::new();
    match greedy.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server kept the greedy connection open ({e})"),
    }
    assert!(got.len() < 60 * 600_000, "all {} bytes were sent", got.len());
}
