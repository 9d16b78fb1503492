//! Unit tests of identifyData; the independent check against Python `hashlib` and a
//! certificate made by OpenSSL are in `tests/vid_interop.rs`.

use super::*;

const R: [u8; 20] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
    0x00, 0x11, 0x22, 0x33,
];

fn rrn() -> Rrn {
    Rrn::new("900101-1234567").expect("valid format")
}

#[test]
fn vid_is_the_double_hash_of_the_der_hash_content() {
    let vid = Vid::compute(&rrn(), &R, VidHash::Sha256).expect("computes");
    // SEQUENCE { PrintableString "9001011234567", BIT STRING 00 ‖ R }, spelled out by hand.
    let mut content = vec![0x30, 15 + 23, 0x13, 13];
    content.extend_from_slice(b"9001011234567");
    content.extend_from_slice(&[0x03, 21, 0x00]);
    content.extend_from_slice(&R);
    let expected = sha2::Sha256::digest(sha2::Sha256::digest(&content));
    assert_eq!(vid.as_bytes(), expected.as_slice());
    let sha1 = Vid::compute(&rrn(), &R, VidHash::Sha1).expect("computes");
    assert_eq!(sha1.as_bytes(), sha1::Sha1::digest(sha1::Sha1::digest(&content)).as_slice());
}

#[test]
fn only_the_right_rrn_and_r_match() {
    let vid = Vid::compute(&rrn(), &R, VidHash::Sha256).expect("computes");
    assert!(vid.matches(&rrn(), &R));
    assert!(!vid.matches(&Rrn::new("9001011234568").expect("valid"), &R));
    let mut other_r = R;
    other_r[19] ^= 1;
    assert!(!vid.matches(&rrn(), &other_r));
    assert!(!vid.matches(&rrn(), &[]));
    assert_eq!(Vid::compute(&rrn(), &[], VidHash::Sha256), Err(VidError::EmptyRandomNum));
}

#[test]
fn identify_data_round_trips_through_every_form() {
    for hash in [VidHash::Sha256, VidHash::Sha1] {
        let id = IdentifyData::new("홍길동", &rrn(), &R, hash).expect("builds");
        assert_eq!(IdentifyData::from_der(&id.to_der().expect("der")), Ok(id.clone()));
        assert_eq!(
            IdentifyData::from_other_name(&id.to_other_name().expect("other")),
            Ok(id.clone())
        );
        let san_der = id.subject_alt_name_der().expect("san");
        assert_eq!(IdentifyData::from_subject_alt_name_der(&san_der), Ok(id.clone()));
        assert!(id.verify(&rrn(), &R));
    }
}

#[test]
fn identify_data_has_the_kisa_layout() {
    let id = IdentifyData::new("홍길동", &rrn(), &R, VidHash::Sha256).expect("builds");
    let der = id.to_der().expect("der");
    let name = "홍길동".as_bytes();
    let mut expected = vec![0x30, 0x4f, 0x0c, name.len() as u8];
    expected.extend_from_slice(name);
    // userInfos { userInfo { VID oid, VID { SEQUENCE { sha256 }, [0] { BIT STRING 00 ‖ vid } } } }
    expected.extend_from_slice(&[0x30, 0x42, 0x30, 0x40, 0x06, 0x0a]);
    expected.extend_from_slice(&[0x2a, 0x83, 0x1a, 0x8c, 0x9a, 0x44, 0x0a, 0x01, 0x01, 0x01]);
    expected.extend_from_slice(&[0x30, 0x32, 0x30, 0x0b, 0x06, 0x09]);
    expected.extend_from_slice(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]);
    expected.extend_from_slice(&[0xa0, 0x23, 0x03, 0x21, 0x00]);
    expected.extend_from_slice(id.vid.as_bytes());
    assert_eq!(hex::encode(&der), hex::encode(&expected));
}

#[test]
fn sha1_certificates_and_octet_string_vids_are_read() {
    let vid = Vid::compute(&rrn(), &R, VidHash::Sha1).expect("computes");
    // A SHA-1 identifyData with NULL hash parameters and the VID in an OCTET STRING.
    let mut vid_seq = vec![0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00];
    vid_seq.extend_from_slice(&[0xa0, 22, 0x04, 20]);
    vid_seq.extend_from_slice(vid.as_bytes());
    let der = build_identify_data("김철수", oid::VID, &vid_seq);
    let id = IdentifyData::from_der(&der).expect("reads");
    assert_eq!(id.real_name, "김철수");
    assert_eq!(id.vid.hash(), VidHash::Sha1);
    assert!(id.verify(&rrn(), &R));
}

#[test]
fn unsupported_and_malformed_identify_data_are_reported() {
    // MD5 as the hash.
    let md5 = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
    let mut vid_seq = vec![0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05];
    vid_seq.extend_from_slice(&[0xa0, 19, 0x03, 17, 0x00]);
    vid_seq.extend_from_slice(&[0u8; 16]);
    let der = build_identify_data("x", oid::VID, &vid_seq);
    assert_eq!(IdentifyData::from_der(&der), Err(VidError::UnknownHash(md5)));

    // Only an EncryptedVID.
    let der = build_identify_data("x", oid::ENCRYPTED_VID, &[0x04, 0x01, 0x00]);
    assert_eq!(IdentifyData::from_der(&der), Err(VidError::EncryptedVidOnly));

    // A SHA-256 VID of the wrong length.
    let mut vid_seq =
        vec![0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    vid_seq.extend_from_slice(&[0xa0, 5, 0x03, 3, 0x00, 1, 2]);
    let der = build_identify_data("x", oid::VID, &vid_seq);
    assert!(
        matches!(IdentifyData::from_der(&der), Err(VidError::Malformed(m)) if m.contains("2 bytes"))
    );

    assert!(matches!(IdentifyData::from_der(b"\x30\x03\x0c\x01"), Err(VidError::Malformed(_))));
    assert!(matches!(
        IdentifyData::from_subject_alt_name_der(b"\x30\x00"),
        Err(VidError::NoIdentifyData)
    ));
}

/// `SEQUENCE { UTF8String name, SEQUENCE { SEQUENCE { kind, SEQUENCE { fields } } } }`.
fn build_identify_data(name: &str, kind: ObjectIdentifier, fields: &[u8]) -> Vec<u8> {
    let kind = kind.to_der().expect("oid");
    let value = tlv(Tag::Sequence, fields).expect("tlv");
    let value: &[u8] = &value;
    let info = tlv(Tag::Sequence, &concat(&[&kind, value])).expect("tlv");
    let infos = tlv(Tag::Sequence, &info).expect("tlv");
    let name = Utf8StringRef::new(name).and_then(|n| n.to_der()).expect("utf8");
    tlv(Tag::Sequence, &concat(&[&name, &infos])).expect("tlv").to_vec()
}

#[test]
fn random_nums_are_fresh_and_20_bytes() {
    let a = generate_random_num().expect("rng");
    let b = generate_random_num().expect("rng");
    assert_eq!(a.len(), RANDOM_NUM_LEN);
    assert_ne!(*a, *b);
}

#[test]
fn debug_output_never_holds_the_rrn() {
    let id = IdentifyData::new("홍길동", &rrn(), &R, VidHash::Sha256).expect("builds");
    let shown = format!("{id:?} {:?}", rrn());
    assert!(!shown.contains("9001011234567") && !shown.contains("1234567"), "{shown}");
}
