//! The web page's SEED (`web/src/crypto/seed.js`, run by Node through
//! `web/tests/seed-bridge.mjs`) against this crate: the RFC 4269 known answers block by block,
//! then SEED-CBC with PKCS#7 padding on random keys, IVs and plaintexts of every length class.
//! The browser writes `signPri.key` with that module, so the two must agree bit for bit.
//!
//! The test needs `node`; it fails, never skips, when it is missing (the project's test script
//! installs it), because a skipped interoperability check reads as a passed one.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use dojang_seed::Seed;
use rand::{Rng, RngCore};

/// (key, plaintext, ciphertext) of RFC 4269 Appendix B.
const KNOWN: [(&str, &str, &str); 4] = [
    (
        "00000000000000000000000000000000",
        "000102030405060708090A0B0C0D0E0F",
        "5EBAC6E0054E166819AFF1CC6D346CDB",
    ),
    (
        "000102030405060708090A0B0C0D0E0F",
        "00000000000000000000000000000000",
        "C11F22F20140505084483597E4370F43",
    ),
    (
        "4706480851E61BE85D74BFB3FD956185",
        "83A2F8A288641FB9A4E9A5CC2F131C7D",
        "EE54D13EBCAE706D226BC3142CD40D4A",
    ),
    (
        "28DBC3BC49FFD87DCFA509B11D422BE7",
        "B41E6BE2EBA84A148E2EED84593C5EC7",
        "9B9B7BFCD1813CB95D0B3618F40F5122",
    ),
];

fn bridge() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/tests/seed-bridge.mjs")
}

/// Runs the JavaScript SEED on `cases` (one `op key iv data` line each, hex, `-` for empty);
/// returns its `(encrypted, decrypted)` answers in order.
fn javascript(cases: &[String]) -> Vec<(String, String)> {
    let mut child = Command::new("node")
        .arg(bridge())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run `node` (scripts/install-test-deps installs it): {e}")
        });
    let mut input = cases.join("\n");
    input.push('\n');
    child.stdin.take().expect("stdin is piped").write_all(input.as_bytes()).expect("write to node");
    let out = child.wait_with_output().expect("node runs");
    assert!(
        out.status.success(),
        "seed-bridge.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 from the bridge")
        .lines()
        .map(|l| {
            let (e, d) = l.split_once(' ').unwrap_or_else(|| panic!("bad answer line {l:?}"));
            (e.to_string(), d.to_string())
        })
        .collect()
}

fn hex_or_dash(b: &[u8]) -> String {
    if b.is_empty() {
        "-".into()
    } else {
        hex::encode(b)
    }
}

#[test]
fn the_browser_seed_matches_the_known_answers_and_this_crate() {
    let cases: Vec<String> = KNOWN.iter().map(|(k, p, _)| format!("block {k} - {p}")).collect();
    let answers = javascript(&cases);
    assert_eq!(answers.len(), KNOWN.len());
    for ((key, plain, cipher), (js, back)) in KNOWN.iter().zip(&answers) {
        assert_eq!(js, &cipher.to_lowercase(), "JavaScript SEED, key {key}");
        assert_eq!(back, &plain.to_lowercase(), "JavaScript SEED decrypts, key {key}");
        let key: [u8; 16] = hex::decode(key).expect("hex").try_into().expect("16 bytes");
        let mut block: [u8; 16] = hex::decode(plain).expect("hex").try_into().expect("16 bytes");
        Seed::new(&key.into()).encrypt_block((&mut block).into());
        assert_eq!(&hex::encode(block), js, "Rust and JavaScript agree, key {}", hex::encode(key));
    }
}

#[test]
fn the_browser_seed_cbc_matches_this_crate_on_random_inputs() {
    let mut rng = rand::thread_rng();
    let mut lengths = vec![0usize, 1, 15, 16, 17, 31, 32, 48, 1217, 1300];
    lengths.extend((0..40).map(|_| rng.gen_range(0..2000)));
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for len in lengths {
        let (mut key, mut iv) = ([0u8; 16], [0u8; 16]);
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut iv);
        let mut data = vec![0u8; len];
        rng.fill_bytes(&mut data);
        let ours = cbc::Encryptor::<Seed>::new(&key.into(), &iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(&data);
        cases.push(format!("cbc {} {} {}", hex::encode(key), hex::encode(iv), hex_or_dash(&data)));
        expected.push((hex::encode(&ours), hex_or_dash(&data)));
    }
    let answers = javascript(&cases);
    assert_eq!(answers.len(), expected.len());
    for (i, ((ours, plain), (js, back))) in expected.iter().zip(&answers).enumerate() {
        assert_eq!(
            js,
            ours,
            "case {i}: JavaScript SEED-CBC differs from Rust ({} bytes)",
            plain.len() / 2
        );
        assert_eq!(back, plain, "case {i}: JavaScript decrypts its own ciphertext");
    }
}
