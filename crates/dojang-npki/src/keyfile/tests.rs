//! Unit tests of the key-file schemes; interoperability with OpenSSL and Python is in
//! `tests/keyfile_interop.rs`.

use super::*;
use der::{Encode, Tag};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// An EC P-256 PKCS#8 PrivateKeyInfo made by `openssl genpkey` (test key, no attributes).
const EC_KEY: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420d640b1b2f1223e484478571e306ad3cc4a4f55bd679fb81c75b07a3c7d7ddf18a14403420004512305349eb775dc58ccac0ef1ed29a30cd222bb17ec62e97cfba54e01cdde49f964332832f23413c57956185d7b87fcce15ba165c5634b70e3f792c701006c5";

const R: [u8; 20] = *b"R-value-0123456789ab";
const PASSWORD: &[u8] = b"dojang-Test-123!";

fn ec_key() -> Vec<u8> {
    hex::decode(EC_KEY).expect("valid hex")
}

fn key_with_r() -> PrivateKey {
    PrivateKey::with_random_num(&ec_key(), &R).expect("adds randomNum")
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(7)
}

/// Cheap iteration counts so the suite stays fast; the counts are parameters like any other.
fn all_schemes() -> Vec<Scheme> {
    vec![
        Scheme::SeedCbcWithSha1 { iterations: 3 },
        Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 3 },
        Scheme::Pbes2Seed { prf: Prf::HmacSha256, iterations: 2 },
        Scheme::Pbes2Aes { key_bits: 128, prf: Prf::HmacSha256, iterations: 2 },
        Scheme::Pbes2Aes { key_bits: 192, prf: Prf::HmacSha512, iterations: 2 },
        Scheme::Pbes2Aes { key_bits: 256, prf: Prf::HmacSha1, iterations: 2 },
        Scheme::Pbes2Seed { prf: Prf::HmacSha224, iterations: 1 },
        Scheme::Pbes2Seed { prf: Prf::HmacSha384, iterations: 1 },
    ]
}

#[test]
fn every_scheme_round_trips_byte_for_byte_with_r() {
    let key = key_with_r();
    for scheme in all_schemes() {
        let file = encrypt_with_rng(&key, PASSWORD, scheme, &mut rng()).expect("encrypts");
        assert_eq!(scheme_of(&file), Ok(FileScheme::Writable(scheme)), "{scheme}");
        let back = decrypt(&file, PASSWORD).expect("decrypts");
        assert_eq!(back.pkcs8_der(), key.pkcs8_der(), "{scheme}");
        assert_eq!(back.random_num(), Some(&R[..]), "{scheme}");
    }
}

#[test]
fn default_scheme_is_pbes2_seed_hmac_sha1() {
    assert_eq!(
        Scheme::default(),
        Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: DEFAULT_ITERATIONS }
    );
    let key = key_with_r();
    let file = encrypt(&key, PASSWORD, Scheme::default()).expect("encrypts");
    assert_eq!(scheme_of(&file), Ok(FileScheme::Writable(Scheme::default())));
    assert_eq!(decrypt(&file, PASSWORD), Ok(key));
}

#[test]
fn a_wrong_password_is_reported_as_a_wrong_password() {
    let key = key_with_r();
    for scheme in all_schemes() {
        let file = encrypt_with_rng(&key, PASSWORD, scheme, &mut rng()).expect("encrypts");
        // Many attempts: about one in 256 wrong keys still yields valid padding, and those
        // must be caught by the PrivateKeyInfo check.
        for i in 0..300 {
            let wrong = format!("wrong-password-{i}");
            assert_eq!(
                decrypt(&file, wrong.as_bytes()),
                Err(KeyFileError::WrongPassword),
                "{scheme}"
            );
        }
    }
}

#[test]
fn change_password_keeps_scheme_and_r() {
    let key = key_with_r();
    let scheme = Scheme::SeedCbcWithSha1 { iterations: 5 };
    let file = encrypt_with_rng(&key, PASSWORD, scheme, &mut rng()).expect("encrypts");
    let changed = change_password(&file, PASSWORD, b"new-Password-456@").expect("changes");
    assert_eq!(scheme_of(&changed), Ok(FileScheme::Writable(scheme)));
    assert_eq!(decrypt(&changed, PASSWORD), Err(KeyFileError::WrongPassword));
    let back = decrypt(&changed, b"new-Password-456@").expect("new password opens it");
    assert_eq!(back.pkcs8_der(), key.pkcs8_der());
    assert_eq!(change_password(&file, b"not it", b"x"), Err(KeyFileError::WrongPassword));
}

#[test]
fn legacy_top_level_seed_cbc_is_read_with_either_derivation() {
    let key = key_with_r();
    let salt = *b"saltsalt";
    let iterations = 4;
    // PBKDF1-SHA1, first 16 bytes.
    let dk = kdf::pbkdf1_sha1(PASSWORD, &salt, iterations);
    let ct = CbcCipher::Seed.encrypt(&dk[..16], LEGACY_IV, key.pkcs8_der()).expect("encrypts");
    let file = asn1::encode_legacy_seed_cbc(&salt, iterations, &ct).expect("encodes");
    assert_eq!(scheme_of(&file), Ok(FileScheme::LegacySeedCbc { iterations }));
    assert_eq!(decrypt(&file, PASSWORD).as_ref().map(PrivateKey::pkcs8_der), Ok(key.pkcs8_der()));
    // PBKDF2-HMAC-SHA1 truncated to 16 bytes.
    let mut k = [0u8; 16];
    kdf::pbkdf2(Prf::HmacSha1, PASSWORD, &salt, iterations, &mut k);
    let ct = CbcCipher::Seed.encrypt(&k, LEGACY_IV, key.pkcs8_der()).expect("encrypts");
    let file = asn1::encode_legacy_seed_cbc(&salt, iterations, &ct).expect("encodes");
    assert_eq!(decrypt(&file, PASSWORD).as_ref().map(PrivateKey::pkcs8_der), Ok(key.pkcs8_der()));
    assert_eq!(decrypt(&file, b"wrong"), Err(KeyFileError::WrongPassword));
    // Re-encryption turns it into seedCBCWithSHA1, which we can write.
    let changed = change_password(&file, PASSWORD, b"other").expect("rewrites");
    assert_eq!(
        scheme_of(&changed),
        Ok(FileScheme::Writable(Scheme::SeedCbcWithSha1 { iterations }))
    );
}

#[test]
fn pbes2_declaring_sha256_but_derived_with_sha1_still_opens() {
    let key = key_with_r();
    let (salt, iv) = (*b"12345678", [9u8; 16]);
    let mut k = [0u8; 16];
    kdf::pbkdf2(Prf::HmacSha1, PASSWORD, &salt, 3, &mut k);
    let ct = CbcCipher::Seed.encrypt(&k, &iv, key.pkcs8_der()).expect("encrypts");
    let file =
        asn1::encode_pbes2(Prf::HmacSha256, &salt, 3, CbcCipher::Seed, &iv, &ct).expect("encodes");
    assert_eq!(decrypt(&file, PASSWORD), Ok(key));
}

#[test]
fn truncation_is_reported_with_lengths() {
    let file =
        encrypt_with_rng(&key_with_r(), PASSWORD, all_schemes()[1], &mut rng()).expect("encrypts");
    assert!(
        matches!(decrypt(&file[..2], PASSWORD), Err(KeyFileError::Corrupt(m)) if m.contains("truncated"))
    );
    for cut in [4, 10, file.len() / 2, file.len() - 1] {
        let err = decrypt(&file[..cut], PASSWORD).expect_err("truncated");
        assert_eq!(
            err,
            KeyFileError::Truncated { expected: file.len(), actual: cut },
            "cut at {cut}"
        );
        assert_eq!(scheme_of(&file[..cut]), Err(err));
    }
    assert!(matches!(decrypt(&[], PASSWORD), Err(KeyFileError::Corrupt(m)) if m.contains("empty")));
}

#[test]
fn damage_outside_the_ciphertext_is_corruption_not_a_wrong_password() {
    let file =
        encrypt_with_rng(&key_with_r(), PASSWORD, all_schemes()[1], &mut rng()).expect("encrypts");
    let mut trailing = file.clone();
    trailing.extend_from_slice(b"junk");
    assert!(matches!(decrypt(&trailing, PASSWORD), Err(KeyFileError::Corrupt(_))));

    let mut not_a_sequence = file.clone();
    not_a_sequence[0] = 0x31;
    assert!(
        matches!(decrypt(&not_a_sequence, PASSWORD), Err(KeyFileError::Corrupt(m)) if m.contains("SET"))
    );

    // Ciphertext of 17 bytes: no block cipher produced that.
    let odd = asn1::encode_outer(
        oid::SEED_CBC_WITH_SHA1,
        &hex::decode("300d04087361 6c7473616c74020103".replace(' ', "")).expect("hex"),
        &[0u8; 17],
    )
    .expect("encodes");
    assert!(
        matches!(decrypt(&odd, PASSWORD), Err(KeyFileError::Corrupt(m)) if m.contains("17 bytes"))
    );
}

#[test]
fn unknown_algorithms_are_named_by_oid() {
    let ct = [0u8; 32];
    let params = hex::decode("300d04087361 6c7473616c74020103".replace(' ', "")).expect("hex");
    // pbeWithSHA1AndDES-CBC (PKCS#5 PBES1).
    let pbes1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.10");
    let file = asn1::encode_outer(pbes1, &params, &ct).expect("encodes");
    let err = decrypt(&file, PASSWORD).expect_err("unsupported");
    assert_eq!(err, KeyFileError::UnknownScheme { what: "the encryption algorithm", oid: pbes1 });
    assert!(err.to_string().contains("1.2.840.113549.1.5.10"), "{err}");

    // PBES2 with des-ede3-cbc: swap the cipher OID of a valid file.
    let good = asn1::encode_pbes2(Prf::HmacSha1, b"saltsalt", 2, CbcCipher::Seed, &[0; 16], &ct)
        .expect("encodes");
    let seed_oid = oid::SEED_CBC.to_der().expect("oid");
    let des3 = ObjectIdentifier::new_unwrap("1.2.840.113549.3.7");
    let des3_der = des3.to_der().expect("oid");
    assert_eq!(seed_oid.len(), des3_der.len());
    let at = good.windows(seed_oid.len()).position(|w| w == seed_oid.as_slice()).expect("present");
    let mut file = good.clone();
    file[at..at + seed_oid.len()].copy_from_slice(&des3_der);
    assert_eq!(
        scheme_of(&file),
        Err(KeyFileError::UnknownScheme { what: "the PBES2 encryption scheme", oid: des3 })
    );

    // A PRF we do not know (hmacWithMD5-like made-up OID under rsadsi digestAlgorithm).
    let weird_prf = ObjectIdentifier::new_unwrap("1.2.840.113549.2.6");
    let good = asn1::encode_pbes2(Prf::HmacSha256, b"saltsalt", 2, CbcCipher::Seed, &[0; 16], &ct)
        .expect("encodes");
    let sha256 = oid::HMAC_WITH_SHA256.to_der().expect("oid");
    let at = good.windows(sha256.len()).position(|w| w == sha256.as_slice()).expect("present");
    let mut file = good.clone();
    file[at..at + sha256.len()].copy_from_slice(&weird_prf.to_der().expect("oid"));
    assert_eq!(
        scheme_of(&file),
        Err(KeyFileError::UnknownScheme {
            what: "the PBKDF2 pseudo-random function",
            oid: weird_prf
        })
    );
}

#[test]
fn hostile_iteration_counts_are_refused_before_any_work() {
    let ct = [0u8; 32];
    let file =
        asn1::encode_pbes2(Prf::HmacSha1, b"saltsalt", u32::MAX, CbcCipher::Seed, &[0; 16], &ct)
            .expect("encodes");
    assert_eq!(decrypt(&file, PASSWORD), Err(KeyFileError::TooManyIterations(u64::from(u32::MAX))));
    let file = asn1::encode_seed_cbc_with_sha1(b"saltsalt", 0, &ct).expect("encodes");
    assert!(matches!(decrypt(&file, PASSWORD), Err(KeyFileError::Corrupt(m)) if m.contains("0")));
}

#[test]
fn bad_requests_to_encrypt_are_refused() {
    let key = key_with_r();
    let err = |scheme| encrypt(&key, PASSWORD, scheme).expect_err("refused");
    assert!(matches!(
        err(Scheme::Pbes2Aes { key_bits: 100, prf: Prf::HmacSha1, iterations: 1 }),
        KeyFileError::InvalidInput(_)
    ));
    assert!(matches!(
        err(Scheme::SeedCbcWithSha1 { iterations: 0 }),
        KeyFileError::InvalidInput(_)
    ));
    assert!(matches!(
        err(Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: MAX_ITERATIONS + 1 }),
        KeyFileError::InvalidInput(_)
    ));
    assert!(matches!(encrypt(&key, b"", Scheme::default()), Err(KeyFileError::InvalidInput(_))));
}

#[test]
fn with_random_num_writes_the_kisa_attribute() {
    let plain = ec_key();
    let key = key_with_r();
    // [0] { SEQUENCE { OID randomNum, SET { BIT STRING 00 ‖ R } } } appended after privateKey.
    let mut attr = hex::decode("a027 3025 060a2a831a8c9a440a010103 3117 0315 00".replace(' ', ""))
        .expect("hex");
    attr.extend_from_slice(&R);
    let body = &plain[3..]; // the 0x30 0x81 0x87 header of the plain key is 3 bytes
    assert_eq!(&key.pkcs8_der()[3..3 + body.len()], body);
    assert_eq!(&key.pkcs8_der()[3 + body.len()..], attr.as_slice());
    assert_eq!(key.random_num(), Some(&R[..]));
    assert_eq!(key.algorithm(), ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"));
    // Without attributes gives the original back; replacing R replaces, not duplicates.
    assert_eq!(key.without_attributes().expect("strips").as_slice(), plain.as_slice());
    let replaced = PrivateKey::with_random_num(key.pkcs8_der(), b"another R").expect("replaces");
    assert_eq!(replaced.random_num(), Some(&b"another R"[..]));
    assert_eq!(replaced.without_attributes().expect("strips").as_slice(), plain.as_slice());
    assert!(PrivateKey::from_pkcs8_der(&plain).expect("plain key").random_num().is_none());
    assert!(matches!(
        PrivateKey::with_random_num(&plain, b""),
        Err(KeyFileError::InvalidPrivateKey(_))
    ));
}

#[test]
fn other_attributes_and_the_v2_public_key_are_kept_in_der_order() {
    // A v2 (RFC 5958) key with a public key [1] and an unrelated attribute.
    let plain = ec_key();
    let body = &plain[3..];
    let mut v2_body = body.to_vec();
    v2_body[2] = 1; // version 1
    let other_attr = hex::decode("300b06032a0304310404020000").expect("hex"); // OID 1.2.3.4, SET { OCTET STRING 0000 }
    let attrs = crate::der_util::tlv(
        Tag::ContextSpecific { constructed: true, number: der::TagNumber::N0 },
        &other_attr,
    )
    .expect("tlv");
    let public = hex::decode("8103000102").expect("hex");
    let content = crate::der_util::concat(&[&v2_body, &attrs, &public]);
    let v2 = crate::der_util::tlv(Tag::Sequence, &content).expect("tlv");

    let key = PrivateKey::with_random_num(&v2, &R).expect("adds R");
    assert_eq!(key.random_num(), Some(&R[..]));
    let der = key.pkcs8_der();
    assert!(der.ends_with(&public), "publicKey stays last");
    let other_at =
        der.windows(other_attr.len()).position(|w| w == other_attr.as_slice()).expect("kept");
    let r_at = der.windows(R.len()).position(|w| w == R).expect("added");
    // DER SET OF order: 30 0b … sorts before 30 1f ….
    assert!(other_at < r_at);
    // And it survives a file round trip untouched.
    let file = encrypt_with_rng(&key, PASSWORD, all_schemes()[0], &mut rng()).expect("encrypts");
    assert_eq!(decrypt(&file, PASSWORD).expect("decrypts").pkcs8_der(), der);
}

#[test]
fn nothing_secret_in_debug_or_errors() {
    let key = key_with_r();
    let shown = format!("{key:?}");
    assert!(shown.contains("PrivateKey") && shown.contains("random_num_len: Some(20)"), "{shown}");
    let secret_hex = "d640b1b2f1223e48";
    assert!(!shown.to_lowercase().contains(secret_hex) && !shown.contains("R-value"), "{shown}");
    let file = encrypt_with_rng(&key, PASSWORD, all_schemes()[1], &mut rng()).expect("encrypts");
    let err = decrypt(&file, b"hunter2-secret").expect_err("wrong");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn invalid_private_keys_are_refused() {
    assert!(matches!(
        PrivateKey::from_pkcs8_der(b"not der"),
        Err(KeyFileError::InvalidPrivateKey(_))
    ));
    let mut v3 = ec_key();
    v3[5] = 2; // version 2 does not exist
    assert!(matches!(PrivateKey::from_pkcs8_der(&v3), Err(KeyFileError::InvalidPrivateKey(_))));
}

#[test]
fn odd_attributes_do_not_make_a_key_look_like_a_wrong_password() {
    let plain = ec_key();
    let body = &plain[3..];
    // randomNum whose BIT STRING has 4 unused bits: R is unusable, the key is still a key.
    let odd_r = hex::decode("a014 3012 060a2a831a8c9a440a010103 3104 0302 04f0".replace(' ', ""))
        .expect("hex");
    let content = crate::der_util::concat(&[body, &odd_r]);
    let key_der = crate::der_util::tlv(Tag::Sequence, &content).expect("tlv");
    let key = PrivateKey::from_pkcs8_der(&key_der).expect("still a private key");
    assert_eq!(key.random_num(), None);
    let file = encrypt_with_rng(&key, PASSWORD, all_schemes()[0], &mut rng()).expect("encrypts");
    assert_eq!(decrypt(&file, PASSWORD).expect("decrypts").pkcs8_der(), key_der.as_slice());

    // Attributes that are not Attribute SEQUENCEs: kept as they are, but we will not rebuild
    // around them.
    let junk = hex::decode("a003 020100".replace(' ', "")).expect("hex");
    let content = crate::der_util::concat(&[body, &junk]);
    let key_der = crate::der_util::tlv(Tag::Sequence, &content).expect("tlv");
    assert!(PrivateKey::from_pkcs8_der(&key_der).is_ok());
    assert!(matches!(
        PrivateKey::with_random_num(&key_der, &R),
        Err(KeyFileError::InvalidPrivateKey(_))
    ));

    // A universal-class field after the key is not PKCS#8.
    let content = crate::der_util::concat(&[body, &[0x05, 0x00]]);
    let key_der = crate::der_util::tlv(Tag::Sequence, &content).expect("tlv");
    assert!(matches!(
        PrivateKey::from_pkcs8_der(&key_der),
        Err(KeyFileError::InvalidPrivateKey(_))
    ));
}
