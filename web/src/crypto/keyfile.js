// signPri.key: the password-encrypted PKCS#8 private key of an NPKI folder
// (EncryptedPrivateKeyInfo). Written as PBES2 with PBKDF2-HMAC-SHA1 and SEED-CBC — the scheme
// crates/dojang-npki writes by default, which Korean clients and OpenSSL (legacy provider)
// both read. Read: that, PBES2 with SEED or AES and any SHA PRF WebCrypto has, the KISA
// seedCBCWithSHA1 scheme, and the legacy top-level seedCBC (see /work/shared/NPKI-NOTES.md).
//
// The DER is built and parsed with asn1js; key derivation is WebCrypto's PBKDF2 (and SHA-1
// for PBKDF1); SEED is ./seed.js.

import * as asn1js from 'asn1js';
import { cbcDecrypt, cbcEncrypt } from './seed.js';
import { randomBytes, toArrayBuffer, toBytes, wipe } from './bytes.js';

export const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  seedCBC: '1.2.410.200004.1.4',
  seedCBCWithSHA1: '1.2.410.200004.1.15',
  aes128CBC: '2.16.840.1.101.3.4.1.2',
  aes192CBC: '2.16.840.1.101.3.4.1.22',
  aes256CBC: '2.16.840.1.101.3.4.1.42',
};

const PRF_HASH = {
  [OID.hmacWithSHA1]: 'SHA-1',
  [OID.hmacWithSHA256]: 'SHA-256',
  [OID.hmacWithSHA384]: 'SHA-384',
  [OID.hmacWithSHA512]: 'SHA-512',
};

const AES_BITS = { [OID.aes128CBC]: 128, [OID.aes192CBC]: 192, [OID.aes256CBC]: 256 };

/** What crates/dojang-npki writes by default: 1,300,000 PBKDF2-HMAC-SHA1 iterations. */
export const DEFAULT_ITERATIONS = 1_300_000;
/** Refuse files asking for more (a hostile file must not stall the page). */
export const MAX_ITERATIONS = 10_000_000;

/** The password does not open the file. */
export class WrongPasswordError extends Error {
  constructor() {
    super('the certificate password is wrong');
    this.name = 'WrongPasswordError';
  }
}

/** The file is not a key file we can read; says why. */
export class KeyFileError extends Error {
  constructor(message) {
    super(message);
    this.name = 'KeyFileError';
  }
}

const subtle = () => {
  if (!globalThis.crypto?.subtle) throw new KeyFileError('WebCrypto is not available (the page must be served over https or from localhost)');
  return globalThis.crypto.subtle;
};

function passwordBytes(password) {
  return new TextEncoder().encode(password);
}

async function pbkdf2(password, salt, iterations, hash, bytes) {
  const pw = passwordBytes(password);
  try {
    const base = await subtle().importKey('raw', pw, 'PBKDF2', false, ['deriveBits']);
    const bits = await subtle().deriveBits({ name: 'PBKDF2', hash, salt: toArrayBuffer(salt), iterations }, base, bytes * 8);
    return new Uint8Array(bits);
  } finally {
    wipe(pw);
  }
}

/** PBKDF1 with SHA-1: T1 = SHA1(P ‖ S), Ti = SHA1(Ti−1). */
async function pbkdf1Sha1(password, salt, iterations) {
  const pw = passwordBytes(password);
  const first = new Uint8Array(pw.length + salt.length);
  first.set(pw);
  first.set(salt, pw.length);
  let t = new Uint8Array(await subtle().digest('SHA-1', first));
  for (let i = 1; i < iterations; i++) t = new Uint8Array(await subtle().digest('SHA-1', t));
  wipe(pw, first);
  return t;
}

/** KISA seedCBCWithSHA1: key = DK[0..16], IV = SHA1(DK[16..20])[0..16]. */
async function seedCbcWithSha1Key(password, salt, iterations) {
  const dk = await pbkdf1Sha1(password, salt, iterations);
  const key = dk.slice(0, 16);
  const iv = new Uint8Array(await subtle().digest('SHA-1', dk.slice(16, 20))).slice(0, 16);
  wipe(dk);
  return { key, iv };
}

function checkIterations(n) {
  if (!Number.isSafeInteger(n) || n < 1) throw new KeyFileError('the iteration count is not valid');
  if (n > MAX_ITERATIONS) throw new KeyFileError(`the file asks for ${n} iterations, more than ${MAX_ITERATIONS}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Encrypts a PKCS#8 PrivateKeyInfo (DER, R already in it as randomNum) under `password`:
 * PBES2, PBKDF2-HMAC-SHA1 (PRF omitted: it is the default), SEED-CBC, 8-byte salt, random IV.
 */
export async function encryptKeyFile(pkcs8, password, { iterations = DEFAULT_ITERATIONS } = {}) {
  if (!password) throw new KeyFileError('the password is empty');
  checkIterations(iterations);
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const key = await pbkdf2(password, salt, iterations, 'SHA-1', 16);
  const ciphertext = cbcEncrypt(key, iv, toBytes(pkcs8));
  wipe(key);
  const der = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: OID.pbes2 }),
          new asn1js.Sequence({
            value: [
              new asn1js.Sequence({
                value: [
                  new asn1js.ObjectIdentifier({ value: OID.pbkdf2 }),
                  new asn1js.Sequence({
                    value: [
                      new asn1js.OctetString({ valueHex: toArrayBuffer(salt) }),
                      new asn1js.Integer({ value: iterations }),
                    ],
                  }),
                ],
              }),
              new asn1js.Sequence({
                value: [
                  new asn1js.ObjectIdentifier({ value: OID.seedCBC }),
                  new asn1js.OctetString({ valueHex: toArrayBuffer(iv) }),
                ],
              }),
            ],
          }),
        ],
      }),
      new asn1js.OctetString({ valueHex: toArrayBuffer(ciphertext) }),
    ],
  });
  return new Uint8Array(der.toBER(false));
}

// ---------------------------------------------------------------------------------------------
// Reading

function parseDer(bytes, what) {
  const parsed = asn1js.fromBER(toArrayBuffer(bytes));
  if (parsed.offset === -1) throw new KeyFileError(`${what} is not DER`);
  return parsed.result;
}

function children(node, what, atLeast = 0) {
  const list = node?.valueBlock?.value;
  if (!Array.isArray(list) || list.length < atLeast) throw new KeyFileError(`${what} is malformed`);
  return list;
}

function oidOf(node, what) {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw new KeyFileError(`${what}: an OID is expected`);
  return node.valueBlock.toString();
}

function octets(node, what) {
  if (!(node instanceof asn1js.OctetString)) throw new KeyFileError(`${what}: an OCTET STRING is expected`);
  return new Uint8Array(node.valueBlock.valueHexView);
}

function integer(node, what) {
  if (!(node instanceof asn1js.Integer)) throw new KeyFileError(`${what}: an INTEGER is expected`);
  return Number(node.toBigInt());
}

/** Which scheme protects a key file, with its parameters (no password needed). */
export function parseKeyFile(der) {
  const top = children(parseDer(der, 'the key file'), 'the EncryptedPrivateKeyInfo', 2);
  const alg = children(top[0], 'the encryption algorithm', 1);
  const ciphertext = octets(top[1], 'the encrypted key');
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw new KeyFileError('the encrypted key is not a whole number of 16-byte blocks');
  const oid = oidOf(alg[0], 'the encryption algorithm');
  if (oid === OID.seedCBCWithSHA1 || oid === OID.seedCBC) {
    const p = children(alg[1], 'the SEED parameters', 2);
    return {
      scheme: oid === OID.seedCBC ? 'legacy-seed-cbc' : 'seed-cbc-with-sha1',
      salt: octets(p[0], 'the salt'),
      iterations: checkIterations(integer(p[1], 'the iteration count')),
      ciphertext,
    };
  }
  if (oid !== OID.pbes2) throw new KeyFileError(`unknown key-file scheme ${oid}`);
  const p = children(alg[1], 'the PBES2 parameters', 2);
  const kdf = children(p[0], 'the key derivation', 2);
  if (oidOf(kdf[0], 'the key derivation') !== OID.pbkdf2) throw new KeyFileError('only PBKDF2 is supported under PBES2');
  const kp = children(kdf[1], 'the PBKDF2 parameters', 2);
  let prf = 'SHA-1';
  for (const extra of kp.slice(2)) {
    if (extra instanceof asn1js.Sequence) {
      const prfOid = oidOf(children(extra, 'the PRF', 1)[0], 'the PRF');
      prf = PRF_HASH[prfOid];
      if (!prf) throw new KeyFileError(`the PBKDF2 PRF ${prfOid} is not supported in the browser`);
    }
  }
  const enc = children(p[1], 'the encryption scheme', 2);
  const encOid = oidOf(enc[0], 'the encryption scheme');
  let cipher;
  if (encOid === OID.seedCBC) cipher = { name: 'SEED', bits: 128 };
  else if (AES_BITS[encOid]) cipher = { name: 'AES-CBC', bits: AES_BITS[encOid] };
  else throw new KeyFileError(`the cipher ${encOid} is not supported`);
  const iv = octets(enc[1], 'the IV');
  if (iv.length !== 16) throw new KeyFileError('the IV is not 16 bytes');
  return {
    scheme: 'pbes2',
    prf,
    salt: octets(kp[0], 'the salt'),
    iterations: checkIterations(integer(kp[1], 'the iteration count')),
    cipher,
    iv,
    ciphertext,
  };
}

/** Whether the bytes look like a PrivateKeyInfo: SEQUENCE { INTEGER 0|1, SEQUENCE, OCTET STRING, … }. */
function looksLikePkcs8(bytes) {
  try {
    const parsed = asn1js.fromBER(toArrayBuffer(bytes));
    if (parsed.offset !== bytes.length) return false;
    const v = parsed.result.valueBlock.value;
    return (
      parsed.result instanceof asn1js.Sequence &&
      v.length >= 3 &&
      v[0] instanceof asn1js.Integer &&
      Number(v[0].toBigInt()) <= 1 &&
      v[1] instanceof asn1js.Sequence &&
      v[2] instanceof asn1js.OctetString &&
      v[2].valueBlock.valueHexView.length > 0
    );
  } catch {
    return false;
  }
}

async function openWith(cipher, key, iv, ciphertext) {
  let plain = null;
  if (cipher === 'SEED') {
    plain = cbcDecrypt(key, iv, ciphertext);
  } else {
    try {
      const k = await subtle().importKey('raw', key, { name: 'AES-CBC' }, false, ['decrypt']);
      plain = new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv }, k, ciphertext));
    } catch {
      plain = null;
    }
  }
  if (plain && looksLikePkcs8(plain)) return plain;
  wipe(plain);
  return null;
}

/** Decrypts a signPri.key; the PKCS#8 PrivateKeyInfo (DER), randomNum included. */
export async function decryptKeyFile(der, password) {
  const f = parseKeyFile(der);
  let plain = null;
  if (f.scheme === 'seed-cbc-with-sha1') {
    const { key, iv } = await seedCbcWithSha1Key(password, f.salt, f.iterations);
    plain = await openWith('SEED', key, iv, f.ciphertext);
    wipe(key);
  } else if (f.scheme === 'legacy-seed-cbc') {
    const iv = new TextEncoder().encode('0123456789012345');
    const dk = await pbkdf1Sha1(password, f.salt, f.iterations);
    plain = await openWith('SEED', dk.slice(0, 16), iv, f.ciphertext);
    if (!plain) {
      const k2 = await pbkdf2(password, f.salt, f.iterations, 'SHA-1', 16);
      plain = await openWith('SEED', k2, iv, f.ciphertext);
      wipe(k2);
    }
    wipe(dk);
  } else {
    const attempt = async (prf) => {
      const key = await pbkdf2(password, f.salt, f.iterations, prf, f.cipher.bits / 8);
      const out = await openWith(f.cipher.name, key, f.iv, f.ciphertext);
      wipe(key);
      return out;
    };
    plain = await attempt(f.prf);
    // Some Korean writers derive with HMAC-SHA1 whatever the file says.
    if (!plain && f.prf !== 'SHA-1') plain = await attempt('SHA-1');
  }
  if (!plain) throw new WrongPasswordError();
  return plain;
}
