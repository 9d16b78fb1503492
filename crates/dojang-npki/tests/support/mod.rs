//! Running the independent tools (OpenSSL, Python) the interop tests compare against.
//!
//! A missing tool fails the test with a message, never skips it: a skipped interop check
//! would read as a passed one. The project's test script installs both.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `program args…`, panicking with its stderr if it cannot start or fails.
pub fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{program}` (it must be installed for this test): {e}")
    });
    assert!(
        out.status.success(),
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `openssl args…`.
pub fn openssl(args: &[&str]) -> Output {
    run("openssl", args)
}

/// Our independent Python implementation (tests/support/npki.py) with `args`.
pub fn npki_py(args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/npki.py");
    let script = script.to_str().expect("UTF-8 path");
    let mut all = vec![script];
    all.extend_from_slice(args);
    run("python3", &all)
}

/// A fresh RSA-2048 key (the NPKI norm) as PKCS#8 DER, made by OpenSSL.
pub fn openssl_rsa_key(dir: &Path) -> Vec<u8> {
    let pem = path(dir, "rsa.pem");
    let der = path(dir, "rsa.der");
    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", &pem]);
    openssl(&["pkcs8", "-topk8", "-nocrypt", "-in", &pem, "-outform", "DER", "-out", &der]);
    std::fs::read(&der).expect("read key")
}

/// `dir/name` as a string for command lines.
pub fn path(dir: &Path, name: &str) -> String {
    let p: PathBuf = dir.join(name);
    p.to_str().expect("UTF-8 temp path").to_owned()
}
