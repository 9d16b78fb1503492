//! The CSR parser and checker (`dojang_ra::csr::check`): PEM or DER PKCS#10, key judged,
//! self-signature verified. Any input must give a CSR or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(checked) = dojang_ra::csr::check(data) {
        // What the RA does next with an accepted CSR: its subject goes through the rules.
        let _ = dojang_profile::name::korean_text(&checked.subject);
    }
});
