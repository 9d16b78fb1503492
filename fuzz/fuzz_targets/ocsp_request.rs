//! The OCSP responder (`Responder::respond`) on a real center: any bytes must come back as a
//! DER OCSPResponse (mostly `malformedRequest`), never a panic or an internal error.
#![no_main]

#[path = "center.rs"]
mod center;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = center::shared();
    let now = time::OffsetDateTime::now_utc();
    let (der, outcome) = s.runtime.block_on(s.center.ocsp.respond(data, now));
    assert!(!der.is_empty(), "an empty OCSP answer");
    assert_ne!(outcome, dojang_status::ocsp::Outcome::InternalError, "internal error on input");
});
