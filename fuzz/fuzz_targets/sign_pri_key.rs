//! `signPri.key` (NPKI EncryptedPrivateKeyInfo in its three schemes): the scheme reader, the
//! decryption with a password and the password change. Errors are fine; panics are not.
#![no_main]

use dojang_npki::keyfile;
use libfuzzer_sys::fuzz_target;

/// The parsers are what is fuzzed, not PBKDF2: a file asking for more iterations than this
/// is only read for its scheme (the library itself refuses more than its own maximum).
const FUZZ_ITERATIONS: u32 = 4096;

fuzz_target!(|data: &[u8]| {
    let Ok(scheme) = keyfile::scheme_of(data) else { return };
    if scheme.writable().iterations() > FUZZ_ITERATIONS {
        return;
    }
    if let Ok(key) = keyfile::decrypt(data, b"fuzz-Password1!") {
        let _ = key.random_num();
        let _ = key.without_attributes();
    }
    let _ = keyfile::change_password(data, b"fuzz-Password1!", b"other-Password2@");
});
