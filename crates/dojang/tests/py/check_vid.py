"""Independent check of the VID (KISA identifyData) in a certificate.

Reads the subjectAltName with Python's `cryptography`, computes the VID with `hashlib` as
NPKI-NOTES.md describes — SHA-256(SHA-256(DER(SEQUENCE { PrintableString RRN, BIT STRING R }))) —
and reports whether the certificate's identifyData carries it and the real name.
Usage: check_vid.py CERT.pem RRN R_BASE64
"""
import base64
import hashlib
import json
import sys

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

IDENTIFY_DATA = "1.2.410.200004.10.1.1"


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def main(cert_path, rrn, r_b64):
    cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
    r = base64.b64decode(r_b64)
    inner = tlv(0x30, tlv(0x13, rrn.encode("ascii")) + tlv(0x03, b"\x00" + r))
    vid = hashlib.sha256(hashlib.sha256(inner).digest()).digest()
    san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    others = [n for n in san if isinstance(n, x509.OtherName) and n.type_id.dotted_string == IDENTIFY_DATA]
    value = others[0].value if others else b""
    # The virtualID is a BIT STRING with no unused bits: 03 21 00 <32 bytes>.
    print(json.dumps({
        "identify_data": len(others),
        "vid_matches": tlv(0x03, b"\x00" + vid) in value,
        "real_name": cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value.split("()")[0],
        "real_name_in_vid": tlv(0x0C, cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value.split("()")[0].encode("utf-8")) in value,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(*sys.argv[1:4])
