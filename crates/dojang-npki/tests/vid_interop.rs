//! The VID against independent tools: the hash from Python `hashlib`, and a certificate whose
//! identifyData OpenSSL encoded from an ASN.1 description of the KISA layout.

mod support;

use der::{Decode, Encode};
use dojang_npki::vid::{self, IdentifyData, Rrn, Vid, VidError, VidHash};
use support::{npki_py, openssl, path};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

const RRN: &str = "9001011234567";
const R: [u8; 20] = [
    0x5a, 0x01, 0x99, 0x3c, 0x00, 0x42, 0xfe, 0x10, 0x77, 0x81, 0x0d, 0xee, 0x12, 0x34, 0x56, 0x78,
    0x9a, 0xbc, 0xde, 0xf0,
];

fn python_vid(rrn: &str, r: &[u8], hash: &str) -> String {
    let out = npki_py(&["vid", rrn, &hex::encode(r), hash]);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn rrn(s: &str) -> Rrn {
    Rrn::new(s).expect("valid RRN format")
}

#[test]
fn vid_matches_python_hashlib_and_a_wrong_rrn_does_not() {
    let fresh = vid::generate_random_num().expect("rng");
    for (r, digits) in [(&R[..], RRN), (&fresh[..], "0502284123456"), (&b"x"[..], "0000000000000")]
    {
        for (hash, name) in [(VidHash::Sha256, "sha256"), (VidHash::Sha1, "sha1")] {
            let ours = Vid::compute(&rrn(digits), r, hash).expect("computes");
            let theirs = python_vid(digits, r, name);
            assert_eq!(hex::encode(ours.as_bytes()), theirs, "{name}");
            // One digit off: a different VID, and no match.
            let wrong = Vid::compute(&rrn("9001011234568"), r, hash).expect("computes");
            assert_ne!(hex::encode(wrong.as_bytes()), theirs);
            assert!(!ours.matches(&rrn("9001011234568"), r));
            assert!(ours.matches(&rrn(digits), r));
        }
    }
}

/// A self-signed certificate whose subjectAltName OpenSSL builds from `identify_data`
/// (an OpenSSL ASN1_generate_nconf description), or with no subjectAltName when `None`.
fn openssl_certificate(identify_data: Option<&str>) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (key, cnf, crt) =
        (path(dir.path(), "k.pem"), path(dir.path(), "c.cnf"), path(dir.path(), "c.der"));
    openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", &key]);
    let mut config = String::from(
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = 홍길동()0011234567890123\n",
    );
    if let Some(sections) = identify_data {
        config.push_str(
            "[ext]\nsubjectAltName = otherName:1.2.410.200004.10.1.1;SEQUENCE:identify_data\n",
        );
        config.push_str(sections);
    } else {
        config.push_str("[ext]\nbasicConstraints = CA:FALSE\n");
    }
    std::fs::write(&cnf, config).expect("write config");
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &key,
        "-config",
        &cnf,
        "-extensions",
        "ext",
        "-days",
        "1",
        "-outform",
        "DER",
        "-out",
        &crt,
    ]);
    std::fs::read(&crt).expect("read certificate")
}

/// The KISA identifyData layout of NPKI-NOTES.md, as OpenSSL config sections.
fn kisa_sections(real_name: &str, hash_oid: &str, vid_hex: &str) -> String {
    format!(
        "[identify_data]\nrealName = FORMAT:UTF8,UTF8:{real_name}\nuserInfos = SEQUENCE:user_infos\n\
         [user_infos]\nvidInfo = SEQUENCE:vid_info\n\
         [vid_info]\ntype = OID:1.2.410.200004.10.1.1.1\nvid = SEQUENCE:vid\n\
         [vid]\nhashAlg = SEQUENCE:hash_alg\nvirtualID = EXPLICIT:0,FORMAT:HEX,BITSTRING:{vid_hex}\n\
         [hash_alg]\nalgorithm = OID:{hash_oid}\n"
    )
}

#[test]
fn identify_data_in_an_openssl_certificate_is_read_and_verified() {
    let vid_hex = python_vid(RRN, &R, "sha256");
    let der =
        openssl_certificate(Some(&kisa_sections("홍길동", "2.16.840.1.101.3.4.2.1", &vid_hex)));
    let cert = Certificate::from_der(&der).expect("parses");

    let id = IdentifyData::from_certificate(&cert).expect("has identifyData");
    assert_eq!(id.real_name, "홍길동");
    assert_eq!(id.vid.hash(), VidHash::Sha256);
    assert_eq!(hex::encode(id.vid.as_bytes()), vid_hex);

    assert_eq!(vid::verify(&cert, &rrn(RRN), &R), Ok(true));
    assert_eq!(vid::verify(&cert, &rrn("9001011234568"), &R), Ok(false), "wrong RRN");
    let mut wrong_r = R;
    wrong_r[0] ^= 0x80;
    assert_eq!(vid::verify(&cert, &rrn(RRN), &wrong_r), Ok(false), "wrong R");
}

#[test]
fn our_encoding_is_byte_identical_to_openssls() {
    let vid_hex = python_vid(RRN, &R, "sha256");
    let der =
        openssl_certificate(Some(&kisa_sections("홍길동", "2.16.840.1.101.3.4.2.1", &vid_hex)));
    let cert = Certificate::from_der(&der).expect("parses");
    let (_, san) = cert.tbs_certificate.get::<SubjectAltName>().expect("decodes").expect("present");
    let theirs = san.to_der().expect("encodes");

    let ours = IdentifyData::new("홍길동", &rrn(RRN), &R, VidHash::Sha256).expect("builds");
    assert_eq!(hex::encode(ours.subject_alt_name_der().expect("encodes")), hex::encode(theirs));
}

#[test]
fn sha1_identify_data_is_read_too() {
    let vid_hex = python_vid(RRN, &R, "sha1");
    let der = openssl_certificate(Some(&kisa_sections("김철수", "1.3.14.3.2.26", &vid_hex)));
    let cert = Certificate::from_der(&der).expect("parses");
    let id = IdentifyData::from_certificate(&cert).expect("has identifyData");
    assert_eq!((id.real_name.as_str(), id.vid.hash()), ("김철수", VidHash::Sha1));
    assert_eq!(vid::verify(&cert, &rrn(RRN), &R), Ok(true));
}

#[test]
fn a_certificate_without_a_vid_says_so() {
    let cert = Certificate::from_der(&openssl_certificate(None)).expect("parses");
    assert_eq!(vid::verify(&cert, &rrn(RRN), &R), Err(VidError::NoSubjectAltName));
}
