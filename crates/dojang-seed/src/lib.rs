//! The KISA SEED block cipher (RFC 4269) on the RustCrypto [`cipher`] 0.4 traits.
//!
//! SEED is the Korean national 128-bit block cipher. NPKI key files (`signPri.key`) are
//! encrypted with it in CBC mode, so the certificate center and its client must speak it even
//! though nothing else in the system would choose it. This crate gives [`Seed`], a
//! 128-bit-key, 128-bit-block cipher implementing [`KeyInit`], [`BlockCipher`],
//! [`BlockEncrypt`](cipher::BlockEncrypt) and [`BlockDecrypt`](cipher::BlockDecrypt), so the
//! ordinary mode crates (`cbc::Encryptor<Seed>`, …) work on it:
//!
//! ```
//! use cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
//! use dojang_seed::Seed;
//!
//! let (key, iv) = ([0x11u8; 16], [0x22u8; 16]);
//! let ciphertext = cbc::Encryptor::<Seed>::new(&key.into(), &iv.into())
//!     .encrypt_padded_vec_mut::<Pkcs7>(b"signPri.key body");
//! let plaintext = cbc::Decryptor::<Seed>::new(&key.into(), &iv.into())
//!     .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext)
//!     .map_err(|_| "bad padding")?;
//! assert_eq!(plaintext, b"signPri.key body");
//! # Ok::<(), &'static str>(())
//! ```
//!
//! Written from the specification, not from existing code: the S-boxes are derived from their
//! algebraic definition at compile time (module `sbox`), every S-box read is constant-time
//! (no secret-indexed memory access), and the key schedule is zeroized on drop.
//! Checked by the RFC 4269 known answers and, in CBC mode, against OpenSSL's `seed-cbc`.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod round;
mod sbox;

use core::fmt;

pub use cipher;
use cipher::consts::U16;
use cipher::zeroize::{Zeroize, ZeroizeOnDrop};
use cipher::{AlgorithmName, BlockCipher, Key, KeyInit, KeySizeUser};

/// SEED with its 16 round-key pairs expanded from a 128-bit key.
///
/// `Debug` shows no key material; the round keys are zeroized when the value is dropped.
#[derive(Clone)]
pub struct Seed {
    /// `round_keys[i] = (K_{i,0}, K_{i,1})` for round `i + 1`.
    round_keys: [[u32; 2]; 16],
}

impl KeySizeUser for Seed {
    type KeySize = U16;
}

impl KeyInit for Seed {
    fn new(key: &Key<Self>) -> Self {
        Self { round_keys: round::key_schedule(&(*key).into()) }
    }
}

impl BlockCipher for Seed {}

cipher::impl_simple_block_encdec!(
    Seed, U16, state, block,
    encrypt: {
        let out = round::encrypt(&state.round_keys, &(*block.get_in()).into());
        *block.get_out() = out.into();
    }
    decrypt: {
        let out = round::decrypt(&state.round_keys, &(*block.get_in()).into());
        *block.get_out() = out.into();
    }
);

impl AlgorithmName for Seed {
    fn write_alg_name(f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SEED")
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed { .. }")
    }
}

impl Drop for Seed {
    fn drop(&mut self) {
        self.round_keys.zeroize();
    }
}

impl ZeroizeOnDrop for Seed {}

#[cfg(test)]
extern crate std;

#[cfg(test)]
mod tests {
    use super::*;
    use cipher::{BlockDecrypt, BlockEncrypt};

    /// RFC 4269 Appendix B: (key, plaintext, ciphertext).
    const VECTORS: [([u8; 16], [u8; 16], [u8; 16]); 4] = [
        (
            [0; 16],
            [
                0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
                0x0e, 0x0f,
            ],
            [
                0x5e, 0xba, 0xc6, 0xe0, 0x05, 0x4e, 0x16, 0x68, 0x19, 0xaf, 0xf1, 0xcc, 0x6d, 0x34,
                0x6c, 0xdb,
            ],
        ),
        (
            [
                0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
                0x0e, 0x0f,
            ],
            [0; 16],
            [
                0xc1, 0x1f, 0x22, 0xf2, 0x01, 0x40, 0x50, 0x50, 0x84, 0x48, 0x35, 0x97, 0xe4, 0x37,
                0x0f, 0x43,
            ],
        ),
        (
            [
                0x47, 0x06, 0x48, 0x08, 0x51, 0xe6, 0x1b, 0xe8, 0x5d, 0x74, 0xbf, 0xb3, 0xfd, 0x95,
                0x61, 0x85,
            ],
            [
                0x83, 0xa2, 0xf8, 0xa2, 0x88, 0x64, 0x1f, 0xb9, 0xa4, 0xe9, 0xa5, 0xcc, 0x2f, 0x13,
                0x1c, 0x7d,
            ],
            [
                0xee, 0x54, 0xd1, 0x3e, 0xbc, 0xae, 0x70, 0x6d, 0x22, 0x6b, 0xc3, 0x14, 0x2c, 0xd4,
                0x0d, 0x4a,
            ],
        ),
        (
            [
                0x28, 0xdb, 0xc3, 0xbc, 0x49, 0xff, 0xd8, 0x7d, 0xcf, 0xa5, 0x09, 0xb1, 0x1d, 0x42,
                0x2b, 0xe7,
            ],
            [
                0xb4, 0x1e, 0x6b, 0xe2, 0xeb, 0xa8, 0x4a, 0x14, 0x8e, 0x2e, 0xed, 0x84, 0x59, 0x3c,
                0x5e, 0xc7,
            ],
            [
                0x9b, 0x9b, 0x7b, 0xfc, 0xd1, 0x81, 0x3c, 0xb9, 0x5d, 0x0b, 0x36, 0x18, 0xf4, 0x0f,
                0x51, 0x22,
            ],
        ),
    ];

    #[test]
    fn rfc_4269_known_answers_encrypt() {
        for (key, plain, expected) in VECTORS {
            let cipher = Seed::new(&key.into());
            let mut block = plain.into();
            cipher.encrypt_block(&mut block);
            assert_eq!(block.as_slice(), expected);
        }
    }

    #[test]
    fn rfc_4269_known_answers_decrypt() {
        for (key, expected, ciphertext) in VECTORS {
            let cipher = Seed::new(&key.into());
            let mut block = ciphertext.into();
            cipher.decrypt_block(&mut block);
            assert_eq!(block.as_slice(), expected);
        }
    }

    #[test]
    fn cbc_over_seed_wipes_its_state() {
        fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
        zeroize_on_drop::<Seed>();
        zeroize_on_drop::<cbc::Encryptor<Seed>>();
        zeroize_on_drop::<cbc::Decryptor<Seed>>();
    }

    #[test]
    fn debug_shows_no_key_material() {
        let cipher = Seed::new(&[0x5a; 16].into());
        assert_eq!(std::format!("{cipher:?}"), "Seed { .. }");
    }
}
