//! PFX (PKCS#12) import: the format check and the import with a password, over every bag,
//! cipher and MAC this crate reads. Errors are fine; panics are not.
#![no_main]

use dojang_npki::pfx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if pfx::check_format(data).is_ok() {
        let _ = pfx::import(data, "fuzz-Password1!");
    }
});
