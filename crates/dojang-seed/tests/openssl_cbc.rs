//! SEED-CBC against OpenSSL's implementation (`seed-cbc`, in its legacy provider), on random
//! keys, IVs and plaintexts of every length class (empty, partial block, whole blocks).
//!
//! The test needs the `openssl` command; it fails, never skips, when it is missing, because a
//! skipped interoperability check reads as a passed one. The project's test script installs it.

use std::io::Write;
use std::process::{Command, Stdio};

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use dojang_seed::Seed;
use rand::{Rng, RngCore};

/// Runs `openssl enc -seed-cbc` (add `-d` to decrypt) on `input`.
fn openssl_seed_cbc(key: &[u8; 16], iv: &[u8; 16], input: &[u8], decrypt: bool) -> Vec<u8> {
    let mut cmd = Command::new("openssl");
    cmd.args(["enc", "-seed-cbc", "-K", &hex::encode(key), "-iv", &hex::encode(iv)]);
    cmd.args(["-provider", "legacy", "-provider", "default"]);
    if decrypt {
        cmd.arg("-d");
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run `openssl` (install OpenSSL 3 with its legacy provider): {e}")
        });
    child.stdin.take().expect("stdin is piped").write_all(input).expect("write to openssl");
    let out = child.wait_with_output().expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl enc -seed-cbc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ours_encrypt(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    cbc::Encryptor::<Seed>::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext)
}

fn ours_decrypt(key: &[u8; 16], iv: &[u8; 16], ciphertext: &[u8]) -> Vec<u8> {
    cbc::Decryptor::<Seed>::new(key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .expect("valid padding")
}

#[test]
fn cbc_matches_openssl_on_random_inputs() {
    let mut rng = rand::thread_rng();
    // Fixed lengths first (the padding edge cases), then random ones.
    let mut lengths = vec![0usize, 1, 15, 16, 17, 31, 32, 48, 1000];
    lengths.extend((0..16).map(|_| rng.gen_range(0..600)));
    for len in lengths {
        let (mut key, mut iv) = ([0u8; 16], [0u8; 16]);
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut iv);
        let mut plaintext = vec![0u8; len];
        rng.fill_bytes(&mut plaintext);

        let theirs = openssl_seed_cbc(&key, &iv, &plaintext, false);
        let ours = ours_encrypt(&key, &iv, &plaintext);
        assert_eq!(
            hex::encode(&ours),
            hex::encode(&theirs),
            "ciphertext differs for key {} iv {} length {len}",
            hex::encode(key),
            hex::encode(iv)
        );
        assert_eq!(ours_decrypt(&key, &iv, &theirs), plaintext);
        assert_eq!(openssl_seed_cbc(&key, &iv, &ours, true), plaintext);
    }
}
