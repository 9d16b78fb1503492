//! Whose certificate it is: the VID in subjectAltName (identifyData) against the person's RRN
//! and R, the random value from the holder's key file, as Korean relying parties check it.

use dojang_npki::vid::{IdentifyData, Rrn};

use crate::cert::Cert;
use crate::refusal::Refusal;

/// Passes when the certificate's VID was made from `rrn` and `r`. Neither appears in the
/// refusal.
pub fn check(cert: &Cert, rrn: &Rrn, r: &[u8]) -> Result<(), Refusal> {
    let data = IdentifyData::from_certificate(&cert.cert).map_err(|_| Refusal::NoVid)?;
    if data.verify(rrn, r) {
        Ok(())
    } else {
        Err(Refusal::WrongPerson)
    }
}

/// The real name the VID carries, if any (shown to the relying party).
pub fn real_name(cert: &Cert) -> Option<String> {
    IdentifyData::from_certificate(&cert.cert).ok().map(|d| d.real_name)
}
