//! The outer EncryptedPrivateKeyInfo and the parameters of each scheme, read tolerantly and
//! written the way OpenSSL and Korean clients write them.
//!
//! ```text
//! EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier,
//!                                        encryptedData OCTET STRING }
//! seedCBCWithSHA1 / seedCBC (top level) params ::= SEQUENCE { salt OCTET STRING,
//!                                                             iterationCount INTEGER }
//! PBES2-params  ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier,   -- PBKDF2
//!                              encryptionScheme AlgorithmIdentifier }   -- SEED/AES-CBC, IV
//! PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER,
//!                              keyLength INTEGER OPTIONAL,
//!                              prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
//! ```
//! (RFC 8018 for PBES2/PBKDF2; KISA for the SEED OIDs, NPKI-NOTES.md for the layout.)

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, Null, OctetStringRef};
use der::{Decode, Encode, Header, Reader, SliceReader, Tag, Tagged};
use spki::AlgorithmIdentifierRef;

use super::block::{CbcCipher, BLOCK_LEN};
use super::{oid, KeyFileError, Prf, MAX_ITERATIONS};
use crate::der_util::{concat, tlv};

/// How a key file is protected, with the parameters read from it.
#[derive(Debug)]
pub(crate) enum Protection<'a> {
    /// KISA seedCBCWithSHA1: PBKDF1-SHA1 gives key and IV.
    SeedCbcWithSha1 { salt: &'a [u8], iterations: u32 },
    /// seedCBC as the top-level algorithm: fixed IV, key derivation not agreed on.
    LegacySeedCbc { salt: &'a [u8], iterations: u32 },
    /// PBES2: PBKDF2 and a CBC cipher with the IV in its parameters.
    Pbes2 { prf: Prf, salt: &'a [u8], iterations: u32, cipher: CbcCipher, iv: &'a [u8] },
}

/// A parsed `signPri.key` / `kmPri.key`.
pub(crate) struct EncryptedKey<'a> {
    pub(crate) protection: Protection<'a>,
    pub(crate) ciphertext: &'a [u8],
}

/// Reads the outer structure and the scheme's parameters (no password needed).
pub(crate) fn parse(der: &[u8]) -> Result<EncryptedKey<'_>, KeyFileError> {
    check_outer_length(der)?;
    let (algorithm, ciphertext) = SliceReader::new(der)
        .and_then(|mut reader| {
            let parts = reader.sequence(|r| {
                let algorithm: AlgorithmIdentifierRef<'_> = r.decode()?;
                let data: OctetStringRef<'_> = r.decode()?;
                Ok((algorithm, data.as_bytes()))
            })?;
            reader.finish(parts)
        })
        .map_err(|e| KeyFileError::corrupt("the EncryptedPrivateKeyInfo structure", e))?;
    if ciphertext.is_empty() || ciphertext.len() % BLOCK_LEN != 0 {
        return Err(KeyFileError::Corrupt(format!(
            "the encrypted key is {} bytes, not a whole number of 16-byte cipher blocks",
            ciphertext.len()
        )));
    }
    let protection = match algorithm.oid {
        oid::SEED_CBC_WITH_SHA1 => {
            let (salt, iterations) = pbe_params(algorithm.parameters, "seedCBCWithSHA1")?;
            Protection::SeedCbcWithSha1 { salt, iterations }
        }
        oid::SEED_CBC => {
            let (salt, iterations) = pbe_params(algorithm.parameters, "seedCBC")?;
            Protection::LegacySeedCbc { salt, iterations }
        }
        oid::PBES2 => pbes2_params(algorithm.parameters)?,
        other => {
            return Err(KeyFileError::UnknownScheme {
                what: "the encryption algorithm",
                oid: other,
            });
        }
    };
    Ok(EncryptedKey { protection, ciphertext })
}

/// A file shorter than its outer header announces is truncated, not merely "bad DER".
fn check_outer_length(der: &[u8]) -> Result<(), KeyFileError> {
    let header = SliceReader::new(der).and_then(|mut r| Header::decode(&mut r)).map_err(|e| {
        if der.is_empty() {
            KeyFileError::Corrupt("the file is empty".into())
        } else if der.first() == Some(&0x30)
            && matches!(e.kind(), der::ErrorKind::Incomplete { .. })
        {
            KeyFileError::Corrupt(format!(
                "the file is truncated: {} bytes, inside its first header",
                der.len()
            ))
        } else {
            KeyFileError::corrupt("it does not start with a DER SEQUENCE", e)
        }
    })?;
    if header.tag != Tag::Sequence {
        return Err(KeyFileError::Corrupt(format!(
            "it starts with a {} where a key file has a SEQUENCE",
            header.tag
        )));
    }
    let expected = header
        .encoded_len()
        .and_then(|h| h + header.length)
        .and_then(usize::try_from)
        .map_err(|e| KeyFileError::corrupt("the outer length", e))?;
    if expected > der.len() {
        return Err(KeyFileError::Truncated { expected, actual: der.len() });
    }
    Ok(())
}

fn iterations(n: u64) -> Result<u32, KeyFileError> {
    if n == 0 {
        return Err(KeyFileError::Corrupt("the iteration count is 0".into()));
    }
    if n > u64::from(MAX_ITERATIONS) {
        return Err(KeyFileError::TooManyIterations(n));
    }
    u32::try_from(n).map_err(|_| KeyFileError::TooManyIterations(n))
}

/// `SEQUENCE { salt OCTET STRING, iterationCount INTEGER }`.
fn pbe_params<'a>(params: Option<AnyRef<'a>>, name: &str) -> Result<(&'a [u8], u32), KeyFileError> {
    let params = params
        .ok_or_else(|| KeyFileError::Corrupt(format!("the {name} parameters are missing")))?;
    let (salt, count) = params
        .sequence(|r| {
            let salt: OctetStringRef<'a> = r.decode()?;
            let count: u64 = r.decode()?;
            Ok((salt.as_bytes(), count))
        })
        .map_err(|e| KeyFileError::corrupt(&format!("the {name} parameters"), e))?;
    Ok((salt, iterations(count)?))
}

fn pbes2_params(params: Option<AnyRef<'_>>) -> Result<Protection<'_>, KeyFileError> {
    let params =
        params.ok_or_else(|| KeyFileError::Corrupt("the PBES2 parameters are missing".into()))?;
    let (kdf, scheme) = params
        .sequence(|r| {
            let kdf: AlgorithmIdentifierRef<'_> = r.decode()?;
            let scheme: AlgorithmIdentifierRef<'_> = r.decode()?;
            Ok((kdf, scheme))
        })
        .map_err(|e| KeyFileError::corrupt("the PBES2 parameters", e))?;

    let cipher = match scheme.oid {
        oid::SEED_CBC => CbcCipher::Seed,
        oid::AES_128_CBC => CbcCipher::Aes128,
        oid::AES_192_CBC => CbcCipher::Aes192,
        oid::AES_256_CBC => CbcCipher::Aes256,
        other => {
            return Err(KeyFileError::UnknownScheme {
                what: "the PBES2 encryption scheme",
                oid: other,
            });
        }
    };
    let iv = scheme
        .parameters
        .ok_or_else(|| KeyFileError::Corrupt("the cipher's IV is missing".into()))
        .and_then(|p| {
            OctetStringRef::try_from(p).map_err(|e| KeyFileError::corrupt("the cipher's IV", e))
        })?
        .as_bytes();
    if iv.len() != BLOCK_LEN {
        return Err(KeyFileError::Corrupt(format!(
            "the cipher's IV is {} bytes, not 16",
            iv.len()
        )));
    }

    if kdf.oid != oid::PBKDF2 {
        return Err(KeyFileError::UnknownScheme {
            what: "the PBES2 key derivation function",
            oid: kdf.oid,
        });
    }
    let kdf_params = kdf
        .parameters
        .ok_or_else(|| KeyFileError::Corrupt("the PBKDF2 parameters are missing".into()))?;
    let (salt, count, key_length, prf) = kdf_params
        .sequence(|r| {
            let salt: AnyRef<'_> = r.decode()?;
            let count: u64 = r.decode()?;
            let key_length: Option<u64> = r.decode()?;
            let prf: Option<AlgorithmIdentifierRef<'_>> = r.decode()?;
            Ok((salt, count, key_length, prf))
        })
        .map_err(|e| KeyFileError::corrupt("the PBKDF2 parameters", e))?;
    let salt = match salt.tag() {
        Tag::OctetString => salt.value(),
        _ => {
            return Err(KeyFileError::Corrupt(
                "the PBKDF2 salt is not an OCTET STRING (the RFC 8018 'otherSource' salt is not supported)".into(),
            ))
        }
    };
    if let Some(len) = key_length {
        if usize::try_from(len).ok() != Some(cipher.key_len()) {
            return Err(KeyFileError::Corrupt(format!(
                "PBKDF2 keyLength {len} does not fit the cipher's {}-byte key",
                cipher.key_len()
            )));
        }
    }
    let prf = match prf {
        None => Prf::HmacSha1,
        Some(alg) => {
            if alg.parameters.is_some_and(|p| !p.is_null()) {
                return Err(KeyFileError::Corrupt(
                    "the PBKDF2 PRF has parameters other than NULL".into(),
                ));
            }
            Prf::from_oid(alg.oid).ok_or(KeyFileError::UnknownScheme {
                what: "the PBKDF2 pseudo-random function",
                oid: alg.oid,
            })?
        }
    };
    Ok(Protection::Pbes2 { prf, salt, iterations: iterations(count)?, cipher, iv })
}

/// `SEQUENCE { salt, iterations }` for seedCBCWithSHA1.
pub(crate) fn encode_seed_cbc_with_sha1(
    salt: &[u8],
    iterations: u32,
    ciphertext: &[u8],
) -> der::Result<Vec<u8>> {
    let params = tlv(
        Tag::Sequence,
        &concat(&[&OctetStringRef::new(salt)?.to_der()?, &iterations.to_der()?]),
    )?;
    encode_outer(oid::SEED_CBC_WITH_SHA1, &params, ciphertext)
}

/// PBES2 with PBKDF2 and `cipher`. The PRF is omitted when it is the default HMAC-SHA1 and
/// written with NULL parameters otherwise; no keyLength (the cipher fixes it): exactly what
/// OpenSSL writes.
pub(crate) fn encode_pbes2(
    prf: Prf,
    salt: &[u8],
    iterations: u32,
    cipher: CbcCipher,
    iv: &[u8],
    ciphertext: &[u8],
) -> der::Result<Vec<u8>> {
    let salt = OctetStringRef::new(salt)?.to_der()?;
    let count = iterations.to_der()?;
    let prf_alg = match prf {
        Prf::HmacSha1 => Vec::new(),
        other => tlv(Tag::Sequence, &concat(&[&other.oid().to_der()?, &Null.to_der()?]))?.to_vec(),
    };
    let kdf_params = tlv(Tag::Sequence, &concat(&[&salt, &count, &prf_alg]))?;
    let kdf = tlv(Tag::Sequence, &concat(&[&oid::PBKDF2.to_der()?, &kdf_params]))?;
    let cipher_oid = match cipher {
        CbcCipher::Seed => oid::SEED_CBC,
        CbcCipher::Aes128 => oid::AES_128_CBC,
        CbcCipher::Aes192 => oid::AES_192_CBC,
        CbcCipher::Aes256 => oid::AES_256_CBC,
    };
    let scheme =
        tlv(Tag::Sequence, &concat(&[&cipher_oid.to_der()?, &OctetStringRef::new(iv)?.to_der()?]))?;
    let params = tlv(Tag::Sequence, &concat(&[&kdf, &scheme]))?;
    encode_outer(oid::PBES2, &params, ciphertext)
}

/// The legacy top-level seedCBC layout (for tests: we never write it).
#[cfg(test)]
pub(crate) fn encode_legacy_seed_cbc(
    salt: &[u8],
    iterations: u32,
    ciphertext: &[u8],
) -> der::Result<Vec<u8>> {
    let params = tlv(
        Tag::Sequence,
        &concat(&[&OctetStringRef::new(salt)?.to_der()?, &iterations.to_der()?]),
    )?;
    encode_outer(oid::SEED_CBC, &params, ciphertext)
}

pub(crate) fn encode_outer(
    algorithm: ObjectIdentifier,
    params: &[u8],
    ciphertext: &[u8],
) -> der::Result<Vec<u8>> {
    let alg = tlv(Tag::Sequence, &concat(&[&algorithm.to_der()?, params]))?;
    let data = OctetStringRef::new(ciphertext)?.to_der()?;
    Ok(tlv(Tag::Sequence, &concat(&[&alg, &data]))?.to_vec())
}
