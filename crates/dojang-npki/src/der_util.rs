//! Small DER helpers shared by the key-file and VID code: building a TLV from parts we already
//! hold as bytes, so that what we read is written back byte for byte.

use der::{Encode, Header, Length, Tag};
use zeroize::Zeroizing;

/// `tag ‖ length ‖ content`, in a buffer allocated once at its final size (no reallocation
/// leaves copies of key material behind) and wiped when dropped.
pub(crate) fn tlv(tag: Tag, content: &[u8]) -> der::Result<Zeroizing<Vec<u8>>> {
    let header = Header::new(tag, Length::try_from(content.len())?)?;
    let header_len = usize::try_from(header.encoded_len()?)?;
    let mut out = Zeroizing::new(Vec::with_capacity(header_len + content.len()));
    header.encode_to_vec(&mut out)?;
    out.extend_from_slice(content);
    Ok(out)
}

/// Concatenates parts into one buffer allocated at its final size and wiped when dropped.
pub(crate) fn concat(parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// The X.690 (DER) order of the elements of a SET OF: by their encodings compared as octet
/// strings, the shorter one padded with zero octets.
pub(crate) fn der_set_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let len = a.len().max(b.len());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| at(a, i).cmp(&at(b, i)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}
