//! The CA's keys in an HSM: with `[ca.hsm]` set, the first start makes the root, issuing and
//! OCSP-signing key pairs inside a PKCS#11 token (SoftHSM2 here, initialised by its own
//! `softhsm2-util`). Certificates, CRLs and OCSP answers signed there are accepted by openssl;
//! OpenSC's `pkcs11-tool` reports the keys sensitive and never extractable; the CA directory
//! holds PKCS#11 URIs and no key material; the vault's master key is sealed under an AES
//! key-encryption key in the token too; a wrong PIN stops the start with a clear error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;

use support::{ok, text, TestCenter, DOJANG};

const TOKEN: &str = "dojang-ca";
const PIN: &str = "246810";
const SO_PIN: &str = "13579135";

fn module() -> String {
    dojang_token::module_path()
        .expect("SoftHSM2 (scripts/install-test-deps installs it)")
        .display()
        .to_string()
}

/// `pkcs11-tool` (OpenSC) on the CA's token.
fn pkcs11_tool(args: &[&str]) -> String {
    let out = Command::new("pkcs11-tool")
        .args(["--module", &module(), "--token-label", TOKEN, "--login", "--pin", PIN])
        .args(args)
        .output()
        .expect("pkcs11-tool (OpenSC; scripts/install-test-deps installs it)");
    assert!(out.status.success(), "pkcs11-tool {args:?}:\n{}", text(&out));
    text(&out)
}

fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn ca_keys_made_and_used_in_a_softhsm_token() {
    let mut c = TestCenter::new();
    // This test binary holds this one test, so the token settings can be the process's own
    // environment, which `dojang serve` and the `ca` commands inherit.
    let tokens = c.path("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = c.path("softhsm2.conf");
    std::fs::write(
        &conf,
        format!("directories.tokendir = {}\nobjectstore.backend = file\n", tokens.display()),
    )
    .unwrap();
    std::env::set_var("SOFTHSM2_CONF", &conf);
    std::env::set_var("DOJANG_HSM_PIN", PIN);
    std::env::set_var("DOJANG_HOLDER_RRN", "9001011234567");
    ok(
        "softhsm2-util",
        &["--init-token", "--free", "--label", TOKEN, "--so-pin", SO_PIN, "--pin", PIN],
        c.dir.path(),
    );
    let toml = c.data.join("dojang.toml");
    let mut config = std::fs::read_to_string(&toml).unwrap();
    config.push_str(&format!("\n[ca.hsm]\ntoken = \"{TOKEN}\"\nmodule = \"{}\"\n", module()));
    std::fs::write(&toml, config).unwrap();

    // First start: the hierarchy is made with keys inside the token.
    c.start();
    let (root, issuing) = c.fetch_chain();
    let ca_dir = c.data.join("ca");
    for name in ["root.key", "issuing.key", "ocsp.key"] {
        let text = std::fs::read_to_string(ca_dir.join(name)).unwrap();
        assert!(text.starts_with("pkcs11:token=dojang-ca;"), "{name}: {text}");
    }
    for f in all_files(&ca_dir) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"),
            "key material in {}",
            f.display()
        );
    }

    // What the token says of them (OpenSC): three RSA private keys, each sensitive, never
    // extractable, and made in the token.
    let objects = pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    let keys: Vec<&str> = objects.split("Private Key Object").skip(1).collect();
    assert_eq!(keys.len(), 3, "{objects}");
    for k in keys {
        let access = k.lines().find(|l| l.trim_start().starts_with("Access:")).unwrap();
        assert!(
            access.contains("sensitive")
                && access.contains("never extractable")
                && access.contains("local"),
            "{access}"
        );
    }

    // The vault's master key is sealed under an AES key-encryption key in the same token
    // (version 2 of the vault file), so the vault file and the CA passphrase alone open nothing.
    let secret = pkcs11_tool(&["--list-objects", "--type", "secrkey"]);
    assert!(secret.contains("dojang vault KEK"), "{secret}");
    let access = secret.lines().find(|l| l.trim_start().starts_with("Access:")).unwrap();
    assert!(access.contains("sensitive") && access.contains("never extractable"), "{access}");
    let vault = ok(
        "python3",
        &[
            "-c",
            "import base64,sys;t=open(sys.argv[1]).read().splitlines();print(base64.b64decode(''.join(l for l in t if not l.startswith('-')))[0])",
            &c.data.join("vault.key").display().to_string(),
        ],
        c.dir.path(),
    );
    assert_eq!(vault.trim(), "2", "the vault is sealed under the HSM's key too");

    // A certificate signed in the HSM: openssl verifies it up to the root, and the OCSP
    // answer (signed by the HSM's OCSP key) and the CRL (the issuing key) verify too.
    let csr = c.csr(
        "leaf",
        "rsa:2048",
        "/C=KR/O=dojang/OU=personal4IB/OU=DOJANGBANK/CN=홍길동()0011234567890123",
    );
    let out = c.p("leaf.pem");
    ok(
        DOJANG,
        &["ca", "issue", "--csr", &csr, "--product", "personal-bank", "--out", &out]
            .iter()
            .copied()
            .chain(["--data", &c.data_arg()])
            .collect::<Vec<_>>(),
        c.dir.path(),
    );
    let verified =
        ok("openssl", &["verify", "-CAfile", &root, "-untrusted", &issuing, &out], c.dir.path());
    assert!(verified.contains(": OK"), "{verified}");
    let status = ok(
        "openssl",
        &[
            "ocsp",
            "-issuer",
            &issuing,
            "-cert",
            &out,
            "-url",
            &format!("{}/ocsp", c.base),
            "-CAfile",
            &root,
        ],
        c.dir.path(),
    );
    assert!(status.contains("Response verify OK") && status.contains(": good"), "{status}");
    std::fs::write(c.path("issuing.crl"), c.get("/crl/issuing.crl")).unwrap();
    let crl = ok(
        "openssl",
        &["crl", "-inform", "DER", "-in", &c.p("issuing.crl"), "-CAfile", &issuing, "-noout"],
        c.dir.path(),
    );
    assert!(crl.contains("verify OK"), "{crl}");

    // A wrong PIN: the center does not start, says why, and never prints the PIN.
    c.stop();
    let wrong = Command::new(DOJANG)
        .args(["ca", "crl", "--out", &c.p("again.crl"), "--data", &c.data_arg()])
        .env("DOJANG_HSM_PIN", "999999")
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let said = text(&wrong);
    assert!(said.contains("HSM") && said.to_lowercase().contains("pin"), "{said}");
    assert!(!said.contains("999999") && !said.contains(PIN), "{said}");
}
