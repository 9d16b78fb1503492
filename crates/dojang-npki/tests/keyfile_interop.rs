//! Key files against independent implementations: OpenSSL 3 (SEED from its legacy provider)
//! and a separate Python implementation (`tests/support/npki.py`: hashlib + `cryptography`,
//! SEED from its `decrepit` module), plus `cryptography`'s own PKCS#8 reader.

mod support;

use std::sync::OnceLock;

use dojang_npki::keyfile::{self, FileScheme, KeyFileError, Prf, PrivateKey, Scheme};
use support::{npki_py, openssl, openssl_rsa_key, path};

const PASSWORD: &str = "dojang-Interop-2024!";
const R: [u8; 20] = *b"\x8f\x01randomNum-R-test!!";

/// One RSA key for the whole file (key generation is the slow part).
fn rsa_key() -> &'static [u8] {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        openssl_rsa_key(dir.path())
    })
}

fn key_with_r() -> PrivateKey {
    PrivateKey::with_random_num(rsa_key(), &R).expect("adds randomNum")
}

/// OpenSSL decrypts `file` and re-encodes the key as PKCS#8 DER (it drops attributes when it
/// re-encodes, so this compares the key itself; the Python tests compare every byte).
fn openssl_decrypt(file: &[u8], legacy: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (enc, pem, der) =
        (path(dir.path(), "k.enc"), path(dir.path(), "k.pem"), path(dir.path(), "k.der"));
    std::fs::write(&enc, file).expect("write");
    let pass = format!("pass:{PASSWORD}");
    let mut args = vec!["pkcs8", "-inform", "DER", "-in", &enc, "-passin", &pass, "-out", &pem];
    if legacy {
        args.extend(["-provider", "legacy", "-provider", "default"]);
    }
    openssl(&args);
    openssl(&["pkcs8", "-topk8", "-nocrypt", "-in", &pem, "-outform", "DER", "-out", &der]);
    std::fs::read(&der).expect("read")
}

/// OpenSSL encrypts the RSA key with `-v2 cipher -v2prf prf -iter 2048`.
fn openssl_encrypt(cipher: &str, prf: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (plain, enc) = (path(dir.path(), "k.der"), path(dir.path(), "k.enc"));
    std::fs::write(&plain, rsa_key()).expect("write");
    let pass = format!("pass:{PASSWORD}");
    openssl(&[
        "pkcs8",
        "-topk8",
        "-v2",
        cipher,
        "-v2prf",
        prf,
        "-iter",
        "2048",
        "-provider",
        "legacy",
        "-provider",
        "default",
        "-inform",
        "DER",
        "-in",
        &plain,
        "-outform",
        "DER",
        "-passout",
        &pass,
        "-out",
        &enc,
    ]);
    std::fs::read(&enc).expect("read")
}

#[test]
fn openssl_decrypts_our_default_scheme_to_the_same_key() {
    let key = key_with_r();
    let file = keyfile::encrypt(&key, PASSWORD.as_bytes(), Scheme::default()).expect("encrypts");
    assert_eq!(keyfile::scheme_of(&file), Ok(FileScheme::Writable(Scheme::default())));
    assert_eq!(openssl_decrypt(&file, true), rsa_key());
}

#[test]
fn openssl_decrypts_every_pbes2_variant_we_write() {
    let key = key_with_r();
    let cases = [
        (Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 2048 }, true),
        (Scheme::Pbes2Seed { prf: Prf::HmacSha256, iterations: 2048 }, true),
        // AES needs no legacy provider: readable by a stock OpenSSL.
        (Scheme::Pbes2Aes { key_bits: 128, prf: Prf::HmacSha1, iterations: 2048 }, false),
        (Scheme::Pbes2Aes { key_bits: 256, prf: Prf::HmacSha256, iterations: 2048 }, false),
    ];
    for (scheme, legacy) in cases {
        let file = keyfile::encrypt(&key, PASSWORD.as_bytes(), scheme).expect("encrypts");
        assert_eq!(openssl_decrypt(&file, legacy), rsa_key(), "{scheme}");
    }
}

#[test]
fn we_decrypt_what_openssl_encrypts() {
    let cases = [
        ("seed-cbc", "hmacWithSHA1", Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 2048 }),
        (
            "seed-cbc",
            "hmacWithSHA256",
            Scheme::Pbes2Seed { prf: Prf::HmacSha256, iterations: 2048 },
        ),
        (
            "aes-128-cbc",
            "hmacWithSHA1",
            Scheme::Pbes2Aes { key_bits: 128, prf: Prf::HmacSha1, iterations: 2048 },
        ),
        (
            "aes-192-cbc",
            "hmacWithSHA512",
            Scheme::Pbes2Aes { key_bits: 192, prf: Prf::HmacSha512, iterations: 2048 },
        ),
        (
            "aes-256-cbc",
            "hmacWithSHA256",
            Scheme::Pbes2Aes { key_bits: 256, prf: Prf::HmacSha256, iterations: 2048 },
        ),
    ];
    for (cipher, prf, scheme) in cases {
        let file = openssl_encrypt(cipher, prf);
        assert_eq!(keyfile::scheme_of(&file), Ok(FileScheme::Writable(scheme)), "{cipher} {prf}");
        let key = keyfile::decrypt(&file, PASSWORD.as_bytes()).expect("decrypts");
        assert_eq!(key.pkcs8_der(), rsa_key(), "{cipher} {prf}");
        assert_eq!(key.random_num(), None);
        assert_eq!(keyfile::decrypt(&file, b"not the password"), Err(KeyFileError::WrongPassword));
    }
}

/// Our PBES2/SEED file has exactly OpenSSL's layout (same structure, same lengths; only the
/// salt, IV and ciphertext differ), which is the layout Korean PBES2 readers were built for.
#[test]
fn our_pbes2_seed_file_has_the_openssl_layout() {
    let skeleton = |file: &[u8]| {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = path(dir.path(), "f.der");
        std::fs::write(&p, file).expect("write");
        let out = openssl(&["asn1parse", "-inform", "DER", "-in", &p]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split("[HEX DUMP]").next().unwrap_or_default().trim_end().to_owned())
            .collect::<Vec<_>>()
    };
    let theirs = openssl_encrypt("seed-cbc", "hmacWithSHA1");
    let plain = PrivateKey::from_pkcs8_der(rsa_key()).expect("key");
    let ours = keyfile::encrypt(
        &plain,
        PASSWORD.as_bytes(),
        Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 2048 },
    )
    .expect("encrypts");
    assert_eq!(skeleton(&ours), skeleton(&theirs));
}

#[test]
fn a_kmpri_key_is_the_same_format() {
    // The key-management key (kmPri.key) is a second, independent key in the same format.
    let dir = tempfile::tempdir().expect("temp dir");
    let km = openssl_rsa_key(dir.path());
    let key = PrivateKey::from_pkcs8_der(&km).expect("key");
    let file = keyfile::encrypt(
        &key,
        PASSWORD.as_bytes(),
        Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 2048 },
    )
    .expect("encrypts");
    assert_eq!(openssl_decrypt(&file, true), km);
    assert_eq!(
        keyfile::decrypt(&file, PASSWORD.as_bytes()).expect("decrypts").pkcs8_der(),
        km.as_slice()
    );
}

#[test]
fn we_decrypt_what_python_writes_byte_for_byte() {
    let key = key_with_r();
    let dir = tempfile::tempdir().expect("temp dir");
    let (plain, enc) = (path(dir.path(), "plain.der"), path(dir.path(), "k.enc"));
    std::fs::write(&plain, key.pkcs8_der()).expect("write");
    let cases: [(&[&str], Scheme); 4] = [
        (
            &["enc-seedsha1", &plain, &enc, PASSWORD, "2048"],
            Scheme::SeedCbcWithSha1 { iterations: 2048 },
        ),
        (
            &["enc-pbes2", &plain, &enc, PASSWORD, "2048", "sha1", "seed"],
            Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 2048 },
        ),
        (
            &["enc-pbes2", &plain, &enc, PASSWORD, "1000", "sha256", "seed"],
            Scheme::Pbes2Seed { prf: Prf::HmacSha256, iterations: 1000 },
        ),
        (
            &["enc-pbes2", &plain, &enc, PASSWORD, "1000", "sha256", "aes256"],
            Scheme::Pbes2Aes { key_bits: 256, prf: Prf::HmacSha256, iterations: 1000 },
        ),
    ];
    for (args, scheme) in cases {
        npki_py(args);
        let file = std::fs::read(&enc).expect("read");
        assert_eq!(keyfile::scheme_of(&file), Ok(FileScheme::Writable(scheme)));
        let back = keyfile::decrypt(&file, PASSWORD.as_bytes()).expect("decrypts");
        assert_eq!(back.pkcs8_der(), key.pkcs8_der(), "{scheme}");
        assert_eq!(back.random_num(), Some(&R[..]), "{scheme}");
        assert_eq!(keyfile::decrypt(&file, b"wrong password"), Err(KeyFileError::WrongPassword));
    }
}

#[test]
fn python_decrypts_what_we_write_byte_for_byte() {
    let key = key_with_r();
    let dir = tempfile::tempdir().expect("temp dir");
    let (enc, out) = (path(dir.path(), "k.enc"), path(dir.path(), "out.der"));
    for scheme in [
        Scheme::SeedCbcWithSha1 { iterations: 2048 },
        Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 2048 },
        Scheme::Pbes2Seed { prf: Prf::HmacSha256, iterations: 1000 },
        Scheme::Pbes2Aes { key_bits: 128, prf: Prf::HmacSha1, iterations: 1000 },
        Scheme::Pbes2Aes { key_bits: 256, prf: Prf::HmacSha256, iterations: 1000 },
    ] {
        let file = keyfile::encrypt(&key, PASSWORD.as_bytes(), scheme).expect("encrypts");
        std::fs::write(&enc, &file).expect("write");
        npki_py(&["dec", &enc, &out, PASSWORD]);
        assert_eq!(std::fs::read(&out).expect("read"), key.pkcs8_der(), "{scheme}");
    }
}

#[test]
fn cryptography_reads_our_aes_files_with_the_random_num_attribute() {
    let key = key_with_r();
    let dir = tempfile::tempdir().expect("temp dir");
    let (enc, plain) = (path(dir.path(), "k.enc"), path(dir.path(), "plain.der"));
    std::fs::write(&plain, rsa_key()).expect("write");
    for scheme in [
        Scheme::Pbes2Aes { key_bits: 256, prf: Prf::HmacSha256, iterations: 1000 },
        Scheme::Pbes2Aes { key_bits: 128, prf: Prf::HmacSha1, iterations: 1000 },
    ] {
        let file = keyfile::encrypt(&key, PASSWORD.as_bytes(), scheme).expect("encrypts");
        std::fs::write(&enc, &file).expect("write");
        let out = npki_py(&["same-key", &enc, PASSWORD, &plain]);
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "same", "{scheme}");
    }
}

#[test]
fn a_password_change_keeps_r_and_stays_readable_by_openssl() {
    let key = key_with_r();
    let file = keyfile::encrypt(
        &key,
        b"old-Password-1!",
        Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 2048 },
    )
    .expect("encrypts");
    let changed =
        keyfile::change_password(&file, b"old-Password-1!", PASSWORD.as_bytes()).expect("changes");
    let back = keyfile::decrypt(&changed, PASSWORD.as_bytes()).expect("decrypts");
    assert_eq!(back.pkcs8_der(), key.pkcs8_der());
    assert_eq!(back.random_num(), Some(&R[..]));
    assert_eq!(openssl_decrypt(&changed, true), rsa_key());
}
