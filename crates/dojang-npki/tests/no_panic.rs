//! Hostile input: random bytes, DER-shaped random bytes and random mutations of valid files
//! go to every parser of this crate's key-file and VID code. Each must return (an error,
//! mostly), never panic.

use std::sync::OnceLock;

use dojang_npki::keyfile::{self, Prf, PrivateKey, Scheme};
use dojang_npki::vid::{IdentifyData, Rrn, VidHash};
use proptest::prelude::*;

const PASSWORD: &[u8] = b"prop-Test-123!";

/// An EC P-256 PKCS#8 key (OpenSSL-made test key).
const EC_KEY: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420d640b1b2f1223e484478571e306ad3cc4a4f55bd679fb81c75b07a3c7d7ddf18a14403420004512305349eb775dc58ccac0ef1ed29a30cd222bb17ec62e97cfba54e01cdde49f964332832f23413c57956185d7b87fcce15ba165c5634b70e3f792c701006c5";

/// Valid files in every scheme (cheap iteration counts), the key inside, and a valid
/// identifyData and subjectAltName.
struct Samples {
    files: Vec<Vec<u8>>,
    key: Vec<u8>,
    identify_data: Vec<u8>,
    san: Vec<u8>,
}

fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let plain = hex::decode(EC_KEY).expect("hex");
        let key = PrivateKey::with_random_num(&plain, &[7u8; 20]).expect("key");
        let files = [
            Scheme::SeedCbcWithSha1 { iterations: 2 },
            Scheme::Pbes2Seed { prf: Prf::HmacSha1, iterations: 2 },
            Scheme::Pbes2Seed { prf: Prf::HmacSha256, iterations: 2 },
            Scheme::Pbes2Aes { key_bits: 256, prf: Prf::HmacSha256, iterations: 2 },
        ]
        .into_iter()
        .map(|s| keyfile::encrypt(&key, PASSWORD, s).expect("encrypts"))
        .collect();
        let rrn = Rrn::new("9001011234567").expect("rrn");
        let id = IdentifyData::new("홍길동", &rrn, &[7u8; 20], VidHash::Sha256).expect("id");
        Samples {
            files,
            key: key.pkcs8_der().to_vec(),
            identify_data: id.to_der().expect("der"),
            san: id.subject_alt_name_der().expect("san"),
        }
    })
}

/// Every parser, on one input.
fn feed_everything(bytes: &[u8]) {
    let _ = keyfile::scheme_of(bytes);
    let _ = keyfile::decrypt(bytes, PASSWORD);
    let _ = keyfile::change_password(bytes, PASSWORD, b"other");
    if let Ok(key) = PrivateKey::from_pkcs8_der(bytes) {
        let _ = key.random_num();
        let _ = key.without_attributes();
        let _ = PrivateKey::with_random_num(bytes, b"R");
    }
    let _ = IdentifyData::from_der(bytes);
    let _ = IdentifyData::from_subject_alt_name_der(bytes);
}

/// Applies `edits` (position, new byte) and an optional cut to `base`.
fn mutate(base: &[u8], edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut out = base.to_vec();
    for &(pos, byte) in edits {
        if !out.is_empty() {
            let at = pos % out.len();
            out[at] = byte;
        }
    }
    if let Some(cut) = cut {
        out.truncate(cut % (out.len() + 1));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        feed_everything(&bytes);
    }

    /// Random content under a valid outer SEQUENCE header, so parsing gets past byte one.
    #[test]
    fn der_shaped_random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = vec![0x30];
        if body.len() < 0x80 {
            bytes.push(body.len() as u8);
        } else {
            bytes.extend([0x82, (body.len() >> 8) as u8, body.len() as u8]);
        }
        bytes.extend_from_slice(&body);
        feed_everything(&bytes);
    }

    #[test]
    fn mutated_key_files_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let s = samples();
        let file = mutate(&s.files[which], &edits, cut);
        feed_everything(&file);
    }

    #[test]
    fn mutated_keys_and_identify_data_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let s = samples();
        let base = [&s.key, &s.identify_data, &s.san][which];
        feed_everything(&mutate(base, &edits, cut));
    }

    #[test]
    fn arbitrary_strings_are_never_taken_for_an_rrn_unless_they_are_one(text in ".{0,20}") {
        let ok = Rrn::new(&text).is_ok();
        let digits: String = text.chars().filter(|c| *c != '-').collect();
        let shaped = (text.len() == 13 || (text.len() == 14 && text.as_bytes().get(6) == Some(&b'-')))
            && digits.len() == 13
            && digits.bytes().all(|b| b.is_ascii_digit());
        prop_assert_eq!(ok, shaped);
    }
}

#[test]
fn the_samples_themselves_are_valid() {
    let s = samples();
    for file in &s.files {
        assert_eq!(
            keyfile::decrypt(file, PASSWORD).expect("decrypts").pkcs8_der(),
            s.key.as_slice()
        );
    }
    assert!(IdentifyData::from_der(&s.identify_data).is_ok());
    assert!(IdentifyData::from_subject_alt_name_der(&s.san).is_ok());
}
