//! The one-time authentication number (인증번호) the receiving device shows and the sending
//! device's customer types: `1234-5678-9012`.
//!
//! The first four digits are the *slot*: the center chose them to find the transfer, and sees
//! them. The last eight are the *secret*: the receiving device drew them and keyed SPAKE2 with
//! them; they never leave the two devices, so the center, which relays every byte, cannot
//! read the certificate or test guesses offline.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use zeroize::Zeroizing;

use crate::error::TransferError;

/// Digits in the slot the center chose.
pub const SLOT_DIGITS: usize = 4;
/// Digits in the secret only the two devices know.
pub const SECRET_DIGITS: usize = 8;

/// The center's part of the number: which transfer (`0000`–`9999`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot(u16);

impl Slot {
    /// A random slot, for the center to try.
    pub fn random() -> Slot {
        Slot(rand::thread_rng().gen_range(0..10_000))
    }

    /// The slot as the center keeps it: four digits.
    pub fn as_digits(&self) -> String {
        format!("{:04}", self.0)
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

impl FromStr for Slot {
    type Err = TransferError;
    fn from_str(s: &str) -> Result<Slot, TransferError> {
        if s.len() != SLOT_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TransferError::BadNumber("the transfer code must be four digits"));
        }
        s.parse::<u16>()
            .map(Slot)
            .map_err(|_| TransferError::BadNumber("the transfer code must be four digits"))
    }
}

/// The devices' part of the number: eight digits, the SPAKE2 password.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Eight random digits (from the operating system's generator, through `rand`).
    pub fn generate() -> Secret {
        let mut rng = rand::rngs::OsRng;
        let digits: String =
            (0..SECRET_DIGITS).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect();
        Secret(Zeroizing::new(digits))
    }

    fn from_digits(digits: &str) -> Result<Secret, TransferError> {
        if digits.len() != SECRET_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TransferError::BadNumber("the secret part must be eight digits"));
        }
        Ok(Secret(Zeroizing::new(digits.to_string())))
    }

    /// The SPAKE2 password: the eight ASCII digits.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

/// The whole number as shown and typed.
#[derive(Clone, PartialEq, Eq)]
pub struct Number {
    pub slot: Slot,
    pub secret: Secret,
}

impl Number {
    /// The number as the receiving device shows it: `1234-5678-9012`. This is the one place
    /// the secret is turned into text for a person; never log it.
    pub fn display(&self) -> Zeroizing<String> {
        let s = self.secret.0.as_str();
        Zeroizing::new(format!("{}-{}-{}", self.slot, &s[..4], &s[4..]))
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({}-****-****)", self.slot)
    }
}

impl FromStr for Number {
    type Err = TransferError;
    /// Twelve digits; spaces and dashes between them are allowed, anything else is not.
    fn from_str(s: &str) -> Result<Number, TransferError> {
        let mut digits = Zeroizing::new(String::with_capacity(12));
        for c in s.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => {
                    return Err(TransferError::BadNumber("the number has only digits (and dashes)"))
                }
            }
        }
        if digits.len() != SLOT_DIGITS + SECRET_DIGITS {
            return Err(TransferError::BadNumber("the number has twelve digits"));
        }
        Ok(Number {
            slot: digits[..SLOT_DIGITS].parse()?,
            secret: Secret::from_digits(&digits[SLOT_DIGITS..])?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_as_shown() {
        let n = Number { slot: "0042".parse().unwrap(), secret: Secret::generate() };
        let shown = n.display();
        assert_eq!(shown.len(), 14);
        assert_eq!(&shown[..5], "0042-");
        let back: Number = shown.parse().unwrap();
        assert_eq!(back, n);
        let spaced: Number = shown.replace('-', " ").parse().unwrap();
        assert_eq!(spaced, n);
    }

    #[test]
    fn bad_numbers_say_why() {
        for bad in ["", "1234-5678-901", "1234-5678-90123", "1234-5678-901x", "１２３４56789012"]
        {
            let e = bad.parse::<Number>().unwrap_err();
            assert!(matches!(e, TransferError::BadNumber(_)), "{bad}: {e}");
        }
    }

    #[test]
    fn secrets_are_eight_digits_and_never_debug_printed() {
        let s = Secret::generate();
        assert_eq!(s.as_bytes().len(), 8);
        assert!(s.as_bytes().iter().all(u8::is_ascii_digit));
        let n = Number { slot: Slot::random(), secret: s.clone() };
        let debug = format!("{n:?} {s:?}");
        assert!(!debug.contains(std::str::from_utf8(s.as_bytes()).unwrap()), "{debug}");
    }
}
