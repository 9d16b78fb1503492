//! Certificate serial numbers: positive, at most 20 octets (RFC 5280 §4.1.2.2), unpredictable.

use std::fmt;
use std::str::FromStr;

/// A certificate serial number as the unsigned big-endian bytes of a positive integer, without
/// leading zero octets, 1 to 20 octets long. Shown and parsed as upper-case hex.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(Vec<u8>);

/// Why a serial number was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SerialError {
    #[error("serial number is empty; give it as hex digits, e.g. 5A3F01")]
    Empty,
    #[error("serial number is not hex: {0:?}; give it as hex digits, e.g. 5A3F01")]
    NotHex(String),
    #[error("serial number is zero; serials are positive")]
    Zero,
    #[error("serial number is {0} octets long; at most 20 are allowed")]
    TooLong(usize),
}

impl Serial {
    /// Octets of entropy in a freshly made serial: 127 bits, well above CA/B Forum's 64.
    const RANDOM_LEN: usize = 16;

    /// A new random serial. The first octet is forced into 0x01..=0x7F so the number is
    /// positive, has no leading zero and always encodes as exactly 16 octets of DER content.
    pub fn random<R: rand::RngCore + rand::CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = vec![0u8; Self::RANDOM_LEN];
        rng.fill_bytes(&mut bytes);
        bytes[0] = (bytes[0] & 0x7f) | 0x01;
        Serial(bytes)
    }

    /// Random octets after the time in a [`Serial::time_ordered`] serial: 72 bits, above CA/B
    /// Forum's 64.
    const ORDERED_RANDOM_LEN: usize = 9;

    /// A new serial that sorts by the time it was made: `01`, then `unix_millis` in six octets,
    /// then nine random octets — 16 octets, positive, no leading zero, 72 bits unpredictable.
    ///
    /// For the certificates a center issues by the thousand: a store keeps them in an index by
    /// serial, and a random serial lands on a random page of it, so once the index spans more
    /// pages than a commit holds certificates, every certificate stored dirtied a page of its
    /// own (written to the journal at the commit, and again at the checkpoint). Serials made one
    /// after another land together at the index's end.
    /// What the serial tells beyond the random part is the issuance time, which `notBefore`
    /// already says to the second.
    pub fn time_ordered<R: rand::RngCore + rand::CryptoRng>(unix_millis: u64, rng: &mut R) -> Self {
        let mut bytes = Vec::with_capacity(1 + 6 + Self::ORDERED_RANDOM_LEN);
        bytes.push(0x01);
        // The low 48 bits: milliseconds until the year 10889.
        bytes.extend_from_slice(&unix_millis.to_be_bytes()[2..]);
        let mut random = [0u8; Self::ORDERED_RANDOM_LEN];
        rng.fill_bytes(&mut random);
        bytes.extend_from_slice(&random);
        Serial(bytes)
    }

    /// From the unsigned big-endian magnitude; leading zero octets are dropped.
    pub fn from_unsigned_bytes(bytes: &[u8]) -> Result<Self, SerialError> {
        let first = bytes.iter().position(|b| *b != 0);
        let Some(first) = first else {
            return Err(if bytes.is_empty() { SerialError::Empty } else { SerialError::Zero });
        };
        let trimmed = &bytes[first..];
        if trimmed.len() > 20 {
            return Err(SerialError::TooLong(trimmed.len()));
        }
        Ok(Serial(trimmed.to_vec()))
    }

    /// From the content octets of a DER INTEGER (two's complement). Negative numbers are refused.
    pub fn from_der_integer_bytes(bytes: &[u8]) -> Result<Self, SerialError> {
        if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(SerialError::Zero);
        }
        Self::from_unsigned_bytes(bytes)
    }

    /// The unsigned big-endian magnitude.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The content octets of the DER INTEGER: a zero octet is prefixed when the top bit is set.
    pub fn to_der_integer_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        if self.0[0] & 0x80 != 0 {
            out.push(0);
        }
        out.extend_from_slice(&self.0);
        out
    }

    /// As an `x509-cert` serial number.
    pub fn to_x509(&self) -> x509_cert::serial_number::SerialNumber {
        // Our bytes are always a valid positive integer of at most 21 content octets, which
        // `SerialNumber::new` accepts; the fallback cannot be reached but keeps this total.
        x509_cert::serial_number::SerialNumber::new(&self.to_der_integer_bytes())
            .unwrap_or_else(|_| x509_cert::serial_number::SerialNumber::from(1u8))
    }

    /// From an `x509-cert` serial number.
    pub fn from_x509(s: &x509_cert::serial_number::SerialNumber) -> Result<Self, SerialError> {
        Self::from_der_integer_bytes(s.as_bytes())
    }

    /// Upper-case hex, the form operators type and the store keys on.
    pub fn to_hex(&self) -> String {
        hex::encode_upper(&self.0)
    }
}

impl FromStr for Serial {
    type Err = SerialError;

    /// Accepts hex with or without `0x`, colons or spaces (as `openssl x509 -serial` and
    /// browsers print it), in either case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let cleaned: String = s
            .trim()
            .trim_start_matches("0x")
            .trim_start_matches("0X")
            .chars()
            .filter(|c| *c != ':' && !c.is_whitespace())
            .collect();
        if cleaned.is_empty() {
            return Err(SerialError::Empty);
        }
        let padded = if cleaned.len() % 2 == 1 { format!("0{cleaned}") } else { cleaned };
        let bytes = hex::decode(&padded).map_err(|_| SerialError::NotHex(s.to_string()))?;
        Self::from_unsigned_bytes(&bytes)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_serials_are_positive_16_octets_and_distinct() {
        let mut rng = rand::thread_rng();
        let a = Serial::random(&mut rng);
        let b = Serial::random(&mut rng);
        assert_ne!(a, b);
        for s in [&a, &b] {
            assert_eq!(s.as_bytes().len(), 16);
            assert!(s.as_bytes()[0] >= 1 && s.as_bytes()[0] <= 0x7f);
            assert_eq!(s.to_der_integer_bytes(), s.as_bytes());
        }
    }

    #[test]
    fn time_ordered_serials_sort_by_time_and_keep_72_random_bits() {
        let mut rng = rand::thread_rng();
        let t = 1_795_000_000_123_u64; // November 2026, in milliseconds
        let a = Serial::time_ordered(t, &mut rng);
        let same_moment = Serial::time_ordered(t, &mut rng);
        let later = Serial::time_ordered(t + 1, &mut rng);
        assert_ne!(a, same_moment, "the random part tells serials of one moment apart");
        for s in [&a, &same_moment, &later] {
            assert_eq!(s.as_bytes().len(), 16);
            assert_eq!(s.as_bytes()[0], 0x01);
            assert_eq!(s.to_der_integer_bytes(), s.as_bytes(), "positive, no leading zero");
            assert_eq!(Serial::from_x509(&s.to_x509()).as_ref(), Ok(s));
        }
        assert_eq!(&a.as_bytes()[1..7], &t.to_be_bytes()[2..]);
        assert_eq!(&later.as_bytes()[1..7], &(t + 1).to_be_bytes()[2..]);
        // Later sorts after, as numbers and as the upper-case hex the store keeps.
        assert!(a < later && same_moment < later);
        assert!(a.to_hex() < later.to_hex() && same_moment.to_hex() < later.to_hex());
    }

    #[test]
    fn parses_the_forms_people_paste() {
        let s: Serial = "0x5a:3f:01".parse().expect("valid");
        assert_eq!(s.to_hex(), "5A3F01");
        assert_eq!("00 5A3F01".parse::<Serial>(), Ok(s.clone()));
        assert_eq!("A3F01".parse::<Serial>().map(|s| s.to_hex()), Ok("0A3F01".into()));
        assert_eq!("".parse::<Serial>(), Err(SerialError::Empty));
        assert_eq!("000".parse::<Serial>(), Err(SerialError::Zero));
        assert!(matches!("xyz".parse::<Serial>(), Err(SerialError::NotHex(_))));
        assert_eq!("11".repeat(21).parse::<Serial>(), Err(SerialError::TooLong(21)));
    }

    #[test]
    fn high_bit_gets_a_sign_octet_and_round_trips_through_x509() {
        let s = Serial::from_unsigned_bytes(&[0x80, 1]).expect("valid");
        assert_eq!(s.to_der_integer_bytes(), vec![0, 0x80, 1]);
        assert_eq!(Serial::from_x509(&s.to_x509()), Ok(s));
    }
}
