//! Inputs the fuzzer (`fuzz/`, `scripts/fuzz`) found, kept as tests: each must be refused
//! with an error, promptly — never a panic, never a hang.

use std::sync::mpsc;
use std::time::Duration;

/// `check(input)` in a thread of its own: an error within ten seconds, or the test fails
/// (rather than hanging the suite the way the input hung the parser).
fn refused_promptly(input: &'static [u8]) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(dojang_ra::csr::check(input).is_err());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(refused) => assert!(refused, "accepted: {:?}", String::from_utf8_lossy(input)),
        Err(_) => panic!("csr::check did not return: {:?}", String::from_utf8_lossy(input)),
    }
}

/// fuzz/artifacts/csr/timeout-1c187a25…: a blank line inside the PEM body made the streaming
/// PEM reader loop for ever — a CSR step on the API would have held a server thread.
#[test]
fn a_pem_csr_with_a_blank_line_in_its_body() {
    refused_promptly(
        b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n\n-----END CERTIFICATE REQUEST-----\n",
    );
}

#[test]
fn a_pem_csr_whose_body_is_too_short() {
    refused_promptly(
        b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
    );
    refused_promptly(b"-----BEGIN CERTIFICATE REQUEST-----\n\n-----END CERTIFICATE REQUEST-----\n");
    refused_promptly(b"-----BEGIN CERTIFICATE REQUEST-----\n");
}
