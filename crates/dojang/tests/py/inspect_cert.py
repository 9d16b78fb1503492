"""Prints what Python's `cryptography` package sees in a certificate, as JSON.

Used by the Rust end-to-end tests as a second, independent reader of what dojang issues.
"""
import json
import sys

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    cert = x509.load_pem_x509_certificate(data) if data.startswith(b"-----") else x509.load_der_x509_certificate(data)
    ext = cert.extensions
    bc = ext.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    ku = ext.get_extension_for_oid(ExtensionOID.KEY_USAGE)
    ski = ext.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    aki = ext.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    pol = ext.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES).value
    cdp = ext.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    aia = ext.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    out = {
        "serial": cert.serial_number,
        "serial_hex": format(cert.serial_number, "X"),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "days": (cert.not_valid_after_utc - cert.not_valid_before_utc).days,
        "basic_constraints": {"critical": bc.critical, "ca": bc.value.ca},
        "key_usage": {
            "critical": ku.critical,
            "digital_signature": ku.value.digital_signature,
            "non_repudiation": ku.value.content_commitment,
            "key_cert_sign": ku.value.key_cert_sign,
        },
        "ski": ski.digest.hex(),
        "ski_matches_key": ski.digest == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest,
        "aki": aki.key_identifier.hex(),
        "policies": [p.policy_identifier.dotted_string for p in pol],
        "crl_urls": [n.value for dp in cdp for n in dp.full_name],
        "ocsp_urls": [a.access_location.value for a in aia if a.access_method == AuthorityInformationAccessOID.OCSP],
        "ca_issuer_urls": [a.access_location.value for a in aia if a.access_method == AuthorityInformationAccessOID.CA_ISSUERS],
        "key_size": getattr(cert.public_key(), "key_size", None),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
