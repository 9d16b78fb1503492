//! The resident registration number (주민등록번호), handled as the secret it is.

use std::fmt;

use zeroize::Zeroizing;

use super::VidError;

/// A resident registration number: 13 ASCII digits, `YYMMDD` + 7.
///
/// Only the format is checked, not the check digit (test numbers and numbers issued since
/// October 2020 do not satisfy it). The digits are wiped when the value is dropped and
/// `Debug` never shows them; there is no `Display`.
#[derive(Clone)]
pub struct Rrn(Zeroizing<[u8; 13]>);

impl Rrn {
    /// Accepts `"9001011234567"` or the printed form `"900101-1234567"`. The error does not
    /// repeat the input.
    pub fn new(text: &str) -> Result<Rrn, VidError> {
        let bytes = text.as_bytes();
        let hyphen = match bytes.len() {
            13 => None,
            14 if bytes.get(6) == Some(&b'-') => Some(6),
            _ => return Err(VidError::InvalidRrn),
        };
        let mut digits = Zeroizing::new([0u8; 13]);
        let mut slots = digits.iter_mut();
        for (i, &b) in bytes.iter().enumerate() {
            if Some(i) == hyphen {
                continue;
            }
            match slots.next() {
                Some(slot) if b.is_ascii_digit() => *slot = b,
                _ => return Err(VidError::InvalidRrn),
            }
        }
        Ok(Rrn(digits))
    }

    /// The 13 digits, for the few places that must have them (the VID hash, encryption at
    /// rest). Named to stand out in review.
    pub fn expose_digits(&self) -> &[u8; 13] {
        &self.0
    }
}

impl fmt::Debug for Rrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rrn(<redacted>)")
    }
}

impl std::str::FromStr for Rrn {
    type Err = VidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rrn::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_printed_forms() {
        let a = Rrn::new("9001011234567").expect("13 digits");
        let b = Rrn::new("900101-1234567").expect("with hyphen");
        assert_eq!(a.expose_digits(), b"9001011234567");
        assert_eq!(a.expose_digits(), b.expose_digits());
    }

    #[test]
    fn rejects_bad_formats_without_echoing_them() {
        for bad in [
            "",
            "900101123456",
            "90010112345678",
            "90010-11234567",
            "9001011234a67",
            "９００１０１１２３４５６７",
            "900101 1234567",
        ] {
            let err = Rrn::new(bad).expect_err(bad);
            assert_eq!(err, VidError::InvalidRrn);
            assert!(!err.to_string().contains("900101"));
        }
    }

    #[test]
    fn debug_hides_the_digits() {
        let rrn = Rrn::new("900101-1234567").expect("valid");
        let shown = format!("{rrn:?} {:?}", Some(&rrn));
        assert!(!shown.contains("1234567") && !shown.contains("900101"), "{shown}");
    }
}
