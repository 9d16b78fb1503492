"""An independent NPKI key-file implementation in Python, for dojang's interop tests.

Written from NPKI-NOTES.md with hashlib and `cryptography` (SEED from its `decrepit` module),
sharing no code with the Rust side. Subcommands (files are DER):

  enc-seedsha1  PLAIN OUT PASSWORD ITER        seedCBCWithSHA1 (PBKDF1-SHA1, SEED-CBC)
  enc-pbes2     PLAIN OUT PASSWORD ITER PRF C  PBES2, PBKDF2-HMAC-<PRF: sha1|sha256>, C: seed|aes128|aes256
  dec           FILE OUT PASSWORD              decrypt any of those, write the PrivateKeyInfo
  same-key      FILE PASSWORD PLAIN            load FILE with cryptography's own PKCS#8 reader and
                                               print "same" if it is the key in PLAIN
  vid           RRN R_HEX HASH                 print H(H(DER(SEQUENCE{PrintableString RRN, BIT STRING R}))) in hex
"""

import hashlib
import os
import sys

from cryptography.hazmat.decrepit.ciphers.algorithms import SEED
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OID_SEED_CBC_WITH_SHA1 = "1.2.410.200004.1.15"
OID_SEED_CBC = "1.2.410.200004.1.4"
OID_PBES2 = "1.2.840.113549.1.5.13"
OID_PBKDF2 = "1.2.840.113549.1.5.12"
OID_HMAC = {"1.2.840.113549.2.7": "sha1", "1.2.840.113549.2.9": "sha256"}
OID_AES = {"2.16.840.1.101.3.4.1.2": 16, "2.16.840.1.101.3.4.1.42": 32}


# --- DER, by hand -------------------------------------------------------------------------

def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + enc_len(len(content)) + content


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def octets(b):
    return tlv(0x04, b)


def integer(n):
    b = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return tlv(0x02, b)


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    body = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, body)


def read(buf, i=0):
    """(tag, content, next index) of the TLV at i."""
    tag = buf[i]
    n = buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, buf[i:i + n], i + n


def items(content):
    out, i = [], 0
    while i < len(content):
        tag, body, i = read(content, i)
        out.append((tag, body))
    return out


def oid_str(body):
    arcs, v = [body[0] // 40, body[0] % 40], 0
    for b in body[1:]:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(v)
            v = 0
    return ".".join(map(str, arcs))


# --- crypto -------------------------------------------------------------------------------

def pbkdf1_sha1(password, salt, iterations):
    t = hashlib.sha1(password + salt).digest()
    for _ in range(iterations - 1):
        t = hashlib.sha1(t).digest()
    return t


def seedsha1_key_iv(password, salt, iterations):
    dk = pbkdf1_sha1(password, salt, iterations)
    return dk[:16], hashlib.sha1(dk[16:20]).digest()[:16]


def cbc(alg, key, iv, data, decrypt):
    cipher = Cipher(alg(key), modes.CBC(iv))
    if decrypt:
        d = cipher.decryptor()
        padded = d.update(data) + d.finalize()
        u = padding.PKCS7(128).unpadder()
        return u.update(padded) + u.finalize()
    p = padding.PKCS7(128).padder()
    padded = p.update(data) + p.finalize()
    e = cipher.encryptor()
    return e.update(padded) + e.finalize()


# --- commands -----------------------------------------------------------------------------

def enc_seedsha1(plain, password, iterations):
    salt = os.urandom(8)
    key, iv = seedsha1_key_iv(password, salt, iterations)
    ct = cbc(SEED, key, iv, plain, False)
    alg = seq(oid(OID_SEED_CBC_WITH_SHA1), seq(octets(salt), integer(iterations)))
    return seq(alg, octets(ct))


def enc_pbes2(plain, password, iterations, prf, cipher_name):
    salt, iv = os.urandom(16), os.urandom(16)
    key_len = {"seed": 16, "aes128": 16, "aes256": 32}[cipher_name]
    key = hashlib.pbkdf2_hmac(prf, password, salt, iterations, key_len)
    alg = SEED if cipher_name == "seed" else algorithms.AES
    ct = cbc(alg, key, iv, plain, False)
    prf_oid = {v: k for k, v in OID_HMAC.items()}[prf]
    kdf_params = [octets(salt), integer(iterations)]
    if prf != "sha1":
        kdf_params.append(seq(oid(prf_oid), b"\x05\x00"))
    enc_oid = OID_SEED_CBC if cipher_name == "seed" else {16: "2.16.840.1.101.3.4.1.2", 32: "2.16.840.1.101.3.4.1.42"}[key_len]
    params = seq(seq(oid(OID_PBKDF2), seq(*kdf_params)), seq(oid(enc_oid), octets(iv)))
    return seq(seq(oid(OID_PBES2), params), octets(ct))


def dec(data, password):
    _, outer, _ = read(data)
    (_, alg), (_, ct) = items(outer)
    (_, alg_oid), (_, params) = items(alg)[:2]
    alg_oid = oid_str(alg_oid)
    if alg_oid == OID_SEED_CBC_WITH_SHA1:
        (_, salt), (_, count) = items(params)
        key, iv = seedsha1_key_iv(password, salt, int.from_bytes(count, "big"))
        return cbc(SEED, key, iv, ct, True)
    if alg_oid == OID_PBES2:
        (_, kdf), (_, scheme) = items(params)
        kdf_items = items(kdf)
        assert oid_str(kdf_items[0][1]) == OID_PBKDF2
        kp = items(kdf_items[1][1])
        salt, count = kp[0][1], int.from_bytes(kp[1][1], "big")
        prf = "sha1"
        for tag, body in kp[2:]:
            if tag == 0x30:
                prf = OID_HMAC[oid_str(items(body)[0][1])]
        (_, enc_oid), (_, iv) = items(scheme)
        enc_oid = oid_str(enc_oid)
        if enc_oid == OID_SEED_CBC:
            alg, key_len = SEED, 16
        else:
            alg, key_len = algorithms.AES, OID_AES[enc_oid]
        key = hashlib.pbkdf2_hmac(prf, password, salt, count, key_len)
        return cbc(alg, key, iv, ct, True)
    raise SystemExit("unsupported scheme " + alg_oid)


def vid(rrn, r, hash_name):
    content = seq(tlv(0x13, rrn), tlv(0x03, b"\x00" + r))
    return hashlib.new(hash_name, hashlib.new(hash_name, content).digest()).hexdigest()


def main(argv):
    cmd = argv[1]
    if cmd == "enc-seedsha1":
        plain = open(argv[2], "rb").read()
        open(argv[3], "wb").write(enc_seedsha1(plain, argv[4].encode(), int(argv[5])))
    elif cmd == "enc-pbes2":
        plain = open(argv[2], "rb").read()
        open(argv[3], "wb").write(enc_pbes2(plain, argv[4].encode(), int(argv[5]), argv[6], argv[7]))
    elif cmd == "dec":
        open(argv[3], "wb").write(dec(open(argv[2], "rb").read(), argv[4].encode()))
    elif cmd == "same-key":
        theirs = serialization.load_der_private_key(open(argv[2], "rb").read(), argv[3].encode())
        plain = serialization.load_der_private_key(open(argv[4], "rb").read(), None)
        fmt = (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        print("same" if theirs.private_bytes(*fmt) == plain.private_bytes(*fmt) else "different")
    elif cmd == "vid":
        print(vid(argv[2].encode(), bytes.fromhex(argv[3]), argv[4]))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
