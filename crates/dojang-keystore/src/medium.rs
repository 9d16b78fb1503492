//! Every place a customer's certificate can be: an NPKI folder ([`Location`]) or a security
//! token (보안토큰, `token:LABEL`), whose key lives inside it and never as a file.

use std::fmt;
use std::str::FromStr;

use crate::location::Location;

/// A PKCS#11 token label: 1 to 32 bytes (the field is 32 bytes), no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLabel(String);

impl TokenLabel {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a certificate is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Medium {
    /// An NPKI folder: hard disk, removable disk or the phone store.
    Npki(Location),
    /// A security token, by its label.
    Token(TokenLabel),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown location {0:?}; use disk, removable:PATH, phone or token:LABEL")]
pub struct BadMedium(pub String);

impl FromStr for Medium {
    type Err = BadMedium;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("token:") {
            Some(label)
                if !label.is_empty()
                    && label.len() <= 32
                    && !label.chars().any(char::is_control) =>
            {
                Ok(Medium::Token(TokenLabel(label.to_string())))
            }
            Some(_) => Err(BadMedium(s.to_string())),
            None => s.parse().map(Medium::Npki).map_err(|_| BadMedium(s.to_string())),
        }
    }
}

impl fmt::Display for Medium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Medium::Npki(l) => l.fmt(f),
            Medium::Token(t) => write!(f, "token:{t}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_folders() {
        assert_eq!("disk".parse(), Ok(Medium::Npki(Location::HardDisk)));
        assert_eq!(
            "removable:/media/usb".parse(),
            Ok(Medium::Npki(Location::Removable("/media/usb".into())))
        );
        let t: Medium = "token:보안토큰".parse().unwrap();
        assert_eq!(t.to_string(), "token:보안토큰");
        for bad in ["token:", "token:a\nb", &format!("token:{}", "x".repeat(33)), "cloud"] {
            assert!(bad.parse::<Medium>().is_err(), "{bad}");
        }
    }
}
