//! CBC with PKCS#7 padding over the block ciphers key files use: SEED (ours) and AES.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipher, BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use zeroize::Zeroizing;

/// A block cipher in CBC mode, as named by a key file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CbcCipher {
    Seed,
    Aes128,
    Aes192,
    Aes256,
}

/// Both ciphers have 16-byte blocks, hence 16-byte IVs.
pub(crate) const BLOCK_LEN: usize = 16;

impl CbcCipher {
    pub(crate) fn key_len(self) -> usize {
        match self {
            CbcCipher::Seed | CbcCipher::Aes128 => 16,
            CbcCipher::Aes192 => 24,
            CbcCipher::Aes256 => 32,
        }
    }

    /// Encrypts with PKCS#7 padding. `None` only if `key` or `iv` has the wrong length.
    pub(crate) fn encrypt(self, key: &[u8], iv: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
        fn run<C>(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Option<Vec<u8>>
        where
            C: BlockEncryptMut + BlockCipher + KeyInit,
        {
            let enc = cbc::Encryptor::<C>::new_from_slices(key, iv).ok()?;
            Some(enc.encrypt_padded_vec_mut::<Pkcs7>(plaintext))
        }
        match self {
            CbcCipher::Seed => run::<dojang_seed::Seed>(key, iv, plaintext),
            CbcCipher::Aes128 => run::<aes::Aes128>(key, iv, plaintext),
            CbcCipher::Aes192 => run::<aes::Aes192>(key, iv, plaintext),
            CbcCipher::Aes256 => run::<aes::Aes256>(key, iv, plaintext),
        }
    }

    /// Decrypts and removes the padding. `None` when the padding is wrong (the usual sign of a
    /// wrong password) or a length is off; the caller has checked the ciphertext length.
    pub(crate) fn decrypt(
        self,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        fn run<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>>
        where
            C: BlockDecryptMut + BlockCipher + KeyInit,
        {
            let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
            let mut buf = Zeroizing::new(ciphertext.to_vec());
            let len = dec.decrypt_padded_mut::<Pkcs7>(&mut buf).ok()?.len();
            buf.truncate(len);
            Some(buf)
        }
        match self {
            CbcCipher::Seed => run::<dojang_seed::Seed>(key, iv, ciphertext),
            CbcCipher::Aes128 => run::<aes::Aes128>(key, iv, ciphertext),
            CbcCipher::Aes192 => run::<aes::Aes192>(key, iv, ciphertext),
            CbcCipher::Aes256 => run::<aes::Aes256>(key, iv, ciphertext),
        }
    }
}
