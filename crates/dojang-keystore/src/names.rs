//! Folder names in the NPKI layout: `NPKI/<CA name>/USER/<subject DN as text>/`.
//!
//! Korean client software names the CA folder after the issuer's organisation (`yessign`,
//! `SignKorea`, `CrossCert`, `KICA`…) and the certificate folder after the subject in its
//! own text form, leaf first with lower-case attribute names:
//! `cn=홍길동()0011234567890123,ou=BANK,ou=personal4IB,o=yessign,c=kr`. We write the same,
//! made safe for every file system a removable disk may carry: characters Windows forbids
//! become `_`, and the name is kept short enough for any file system.
//!
//! Names are only ever written, never parsed back: the store finds a certificate by reading
//! the `signCert.der` inside each folder.

use const_oid::db::rfc4519;
use x509_cert::name::Name;

/// Longest folder name in bytes: ext4, NTFS and exFAT all allow 255; leave room.
const MAX_COMPONENT_BYTES: usize = 200;

/// The CA folder: the issuer's O, else its CN, else `unknown`.
pub fn ca_folder(issuer: &Name) -> String {
    let raw = dojang_profile::name::first(issuer, rfc4519::O)
        .or_else(|| dojang_profile::name::first(issuer, rfc4519::CN))
        .unwrap_or_else(|| "unknown".into());
    safe_component(&raw)
}

/// The subject folder: the subject in the Korean text form.
pub fn subject_folder(subject: &Name) -> String {
    safe_component(&dojang_profile::name::korean_text(subject))
}

/// One path component that every platform accepts and that cannot climb out of its parent.
pub fn safe_component(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    if s.len() > MAX_COMPONENT_BYTES {
        let mut cut = MAX_COMPONENT_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    // Windows drops trailing dots and spaces, which would merge distinct names.
    while s.ends_with('.') || s.ends_with(' ') {
        s.pop();
    }
    if s.is_empty() || s == "." || s == ".." {
        return "_".into();
    }
    let stem = s.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        s.insert(0, '_');
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn korean_subject_and_ca_folders() {
        let subject = dojang_profile::name::build(&[
            (rfc4519::C, "KR"),
            (rfc4519::O, "yessign"),
            (rfc4519::OU, "personal4IB"),
            (rfc4519::OU, "BANK"),
            (rfc4519::CN, "홍길동()0011234567890123"),
        ])
        .unwrap();
        assert_eq!(
            subject_folder(&subject),
            "cn=홍길동()0011234567890123,ou=BANK,ou=personal4IB,o=yessign,c=kr"
        );
        assert_eq!(ca_folder(&subject), "yessign");
        let cn_only = dojang_profile::name::build(&[(rfc4519::CN, "Root CA")]).unwrap();
        assert_eq!(ca_folder(&cn_only), "Root CA");
        assert_eq!(ca_folder(&Name::default()), "unknown");
    }

    #[test]
    fn unsafe_characters_and_names() {
        assert_eq!(safe_component("a/b\\c:d*e?f\"g<h>i|j"), "a_b_c_d_e_f_g_h_i_j");
        assert_eq!(safe_component(".."), "_");
        assert_eq!(safe_component(""), "_");
        assert_eq!(safe_component("name. "), "name");
        assert_eq!(safe_component("CON"), "_CON");
        assert_eq!(safe_component("com1.txt"), "_com1.txt");
        assert_eq!(safe_component("console"), "console");
        let long = "가".repeat(100);
        let s = safe_component(&long);
        assert!(s.len() <= MAX_COMPONENT_BYTES && s.chars().all(|c| c == '가'));
    }

    proptest! {
        #[test]
        fn always_one_plain_component(raw in ".*") {
            let s = safe_component(&raw);
            prop_assert!(!s.is_empty() && s.len() <= MAX_COMPONENT_BYTES);
            prop_assert!(s != "." && s != "..");
            prop_assert!(!s.contains('/') && !s.contains('\\') && !s.contains('\0'));
            let p = std::path::Path::new(&s);
            prop_assert_eq!(p.components().count(), 1);
        }
    }
}
