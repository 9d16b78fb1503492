//! The key types a certificate may carry.

use std::fmt;
use std::str::FromStr;

/// RSA-2048 is the NPKI norm; ECDSA P-256 is allowed where the product says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyType {
    #[serde(rename = "rsa2048")]
    Rsa2048,
    #[serde(rename = "p256")]
    EcdsaP256,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown key type {0:?}; use rsa2048 or p256")]
pub struct UnknownKeyType(pub String);

impl KeyType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Rsa2048 => "rsa2048",
            Self::EcdsaP256 => "p256",
        }
    }
}

impl FromStr for KeyType {
    type Err = UnknownKeyType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rsa2048" | "rsa" | "rsa-2048" => Ok(Self::Rsa2048),
            "p256" | "p-256" | "ecdsa-p256" | "prime256v1" | "secp256r1" => Ok(Self::EcdsaP256),
            _ => Err(UnknownKeyType(s.to_string())),
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
