// The customer's certificates as files and keys: reading a certificate, loading the files a
// customer chooses (NPKI zip, signCert.der + signPri.key, PFX), opening the key with the
// certificate password, signing the proof of possession, and making the files to save after
// issuance.

import * as asn1js from 'asn1js';
import { base64Decode, base64Encode, hex, pemToDer, toArrayBuffer, wipe } from './crypto/bytes.js';
import { parseCertificate } from './crypto/csr.js';
import { decryptKeyFile, encryptKeyFile } from './crypto/keyfile.js';
import { KM_CERT, KM_KEY, SIGN_CERT, SIGN_KEY, pairsInZip, zipPair } from './crypto/npki.js';
import { buildPfx, openPfx } from './crypto/pfx.js';
import { importSigningKey, randomNumOf, withRandomNum } from './crypto/pkcs8.js';

const SHORT = { '2.5.4.6': 'c', '2.5.4.10': 'o', '2.5.4.11': 'ou', '2.5.4.3': 'cn', '2.5.4.7': 'l', '2.5.4.8': 'st', '2.5.4.5': 'serialNumber' };

function nameParts(name) {
  return name.typesAndValues.map((atv) => [SHORT[atv.type] || atv.type, atv.value.valueBlock.value]);
}

/** What a certificate says, from its DER. */
export function certInfo(der) {
  const cert = parseCertificate(der);
  let serialBytes = new Uint8Array(cert.serialNumber.valueBlock.valueHexView);
  while (serialBytes.length > 1 && serialBytes[0] === 0) serialBytes = serialBytes.slice(1);
  const subject = nameParts(cert.subject);
  const issuer = nameParts(cert.issuer);
  const cn = subject.find(([k]) => k === 'cn')?.[1] || '';
  return {
    serial: hex(serialBytes),
    subject: subject
      .slice()
      .reverse()
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    cn,
    holder: cn.split('()')[0] || cn,
    issuer_o: issuer.find(([k]) => k === 'o')?.[1] || issuer.find(([k]) => k === 'cn')?.[1] || 'unknown',
    not_before: cert.notBefore.value.toISOString(),
    not_after: cert.notAfter.value.toISOString(),
    cert_b64: base64Encode(der),
  };
}

/**
 * Reads the files a customer chose. Returns loaded entries:
 * { kind: 'npki', certDer, keyDer, km, info } (km: { certDer, keyDer } of kmCert.der and
 * kmPri.key when chosen too, else null) or { kind: 'pfx', bytes, name }.
 */
export async function readFiles(fileList) {
  const out = [];
  let cert = null;
  let key = null;
  const km = {};
  for (const f of Array.from(fileList)) {
    const bytes = new Uint8Array(await f.arrayBuffer());
    const name = f.name.toLowerCase();
    if (name.endsWith('.zip')) {
      for (const p of pairsInZip(bytes)) out.push({ kind: 'npki', certDer: p.certDer, keyDer: p.keyDer, km: p.km, info: certInfo(p.certDer) });
    } else if (name.endsWith('.pfx') || name.endsWith('.p12')) {
      out.push({ kind: 'pfx', bytes, name: f.name });
    } else if (name === KM_CERT.toLowerCase()) {
      km.certDer = bytes;
    } else if (name === KM_KEY.toLowerCase()) {
      km.keyDer = bytes;
    } else if (name === SIGN_KEY.toLowerCase() || name.endsWith('.key')) {
      key = bytes;
    } else {
      cert = name.endsWith('.pem') || name.endsWith('.crt') ? tryPem(bytes) : bytes;
    }
  }
  if (cert && key) out.push({ kind: 'npki', certDer: cert, keyDer: key, km: km.certDer && km.keyDer ? km : null, info: certInfo(cert) });
  else if (cert || key) throw new Error(`pair:${cert ? SIGN_KEY : SIGN_CERT}`);
  return out;
}

function tryPem(bytes) {
  const text = new TextDecoder().decode(bytes);
  return text.includes('-----BEGIN') ? pemToDer(text, 'CERTIFICATE') : bytes;
}

/**
 * Opens a loaded entry with the certificate (or PFX) password:
 * { pkcs8, certDer, chainDers, info } — chainDers the PFX's other certificates (CA certificates).
 */
export async function openEntry(entry, password) {
  if (entry.kind === 'pfx') {
    const { pkcs8, certificates } = await openPfx(entry.bytes, password);
    const certDer = certificates[0];
    return { pkcs8, certDer, chainDers: certificates.slice(1), info: certInfo(certDer) };
  }
  const pkcs8 = await decryptKeyFile(entry.keyDer, password);
  return { pkcs8, certDer: entry.certDer, chainDers: [], info: entry.info };
}

/** The key and the certificate do not belong together. */
export class KeyMismatchError extends Error {
  constructor() {
    super('the private key does not belong to the certificate');
    this.name = 'KeyMismatchError';
  }
}

/**
 * Opens an entry for signing: { serial, certDer, chainDers, info, key, randomNum } — key a
 * non-extractable CryptoKey, randomNum R from the key's randomNum attribute (null when the file
 * has none). The decrypted PKCS#8 bytes are wiped before this returns.
 */
export async function openSigner(entry, password) {
  const opened = await openEntry(entry, password);
  let randomNum = null;
  try {
    randomNum = randomNumOf(opened.pkcs8);
  } catch {
    randomNum = null;
  }
  const key = await signingKey(opened.pkcs8);
  if (!(await keyMatches(key, opened.certDer))) throw new KeyMismatchError();
  return { serial: opened.info.serial, certDer: opened.certDer, chainDers: opened.chainDers, info: opened.info, key, randomNum };
}

/** Whether `privateKey` belongs to the certificate (a signature it makes verifies with the certificate's key). */
export async function keyMatches(privateKey, certDer) {
  const cert = parseCertificate(certDer);
  const spki = cert.subjectPublicKeyInfo.toSchema().toBER(false);
  const ec = privateKey.algorithm.name === 'ECDSA';
  const alg = ec ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  let pub;
  try {
    pub = await crypto.subtle.importKey('spki', spki, alg, false, ['verify']);
  } catch {
    return false; // the certificate's key is of another type (RSA against ECDSA)
  }
  const msg = crypto.getRandomValues(new Uint8Array(32));
  const params = ec ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  const sig = await crypto.subtle.sign(params, privateKey, msg);
  return crypto.subtle.verify(params, pub, sig, msg);
}

/** WebCrypto's raw ECDSA r‖s as the DER SEQUENCE { r INTEGER, s INTEGER } the center verifies. */
function ecdsaDer(raw) {
  const half = raw.length / 2;
  const int = (b) => {
    let v = b;
    while (v.length > 1 && v[0] === 0 && v[1] < 0x80) v = v.slice(1);
    if (v[0] & 0x80) {
      const w = new Uint8Array(v.length + 1);
      w.set(v, 1);
      v = w;
    }
    return new asn1js.Integer({ valueHex: toArrayBuffer(v) });
  };
  return new Uint8Array(new asn1js.Sequence({ value: [int(raw.slice(0, half)), int(raw.slice(half))] }).toBER(false));
}

/**
 * The message a certificate's key signs to prove it is held (dojang_pki::possession::message):
 * "dojang proof of possession v1\n" + id (a flow, login challenge or registration) + "\n" +
 * the nonce's bytes.
 */
export function possessionMessage(id, nonceB64) {
  const prefix = new TextEncoder().encode(`dojang proof of possession v1\n${id}\n`);
  const nonce = base64Decode(nonceB64);
  const msg = new Uint8Array(prefix.length + nonce.length);
  msg.set(prefix);
  msg.set(nonce, prefix.length);
  return msg;
}

/** The proof of possession, signed here with the certificate's key (SHA-256); base64. */
export async function signPossession(privateKey, id, nonceB64) {
  const msg = possessionMessage(id, nonceB64);
  const ec = privateKey.algorithm.name === 'ECDSA';
  const params = ec ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  let sig = new Uint8Array(await crypto.subtle.sign(params, privateKey, msg));
  if (ec) sig = ecdsaDer(sig);
  return base64Encode(sig);
}

/** A non-extractable signing key from PKCS#8 bytes (which are then wiped). */
export async function signingKey(pkcs8) {
  try {
    return await importSigningKey(pkcs8);
  } finally {
    wipe(pkcs8);
  }
}

/**
 * The files to save after issuance, both sealed under `password`: the NPKI pair in a zip
 * (signPri.key: PBES2/PBKDF2-HMAC-SHA1/SEED with R as randomNum) and a PFX. Returns
 * { zip, pfx, signingKey } — the last a non-extractable copy for this page load.
 */
export async function sealIssued({ keyPair, issued, password, onProgress = () => {} }) {
  const certDer = pemToDer(issued.certificate_pem, 'CERTIFICATE');
  const chainDers = (issued.chain_pem || []).map((p) => pemToDer(p, 'CERTIFICATE'));
  const info = certInfo(certDer);
  let pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keyPair.privateKey));
  try {
    if (issued.random_num) {
      const bare = pkcs8;
      pkcs8 = withRandomNum(bare, base64Decode(issued.random_num));
      wipe(bare);
    }
    onProgress('keyfile');
    const keyDer = await encryptKeyFile(pkcs8, password);
    const zip = zipPair({ caName: info.issuer_o, subjectText: issued.subject || info.subject, certDer, keyDer });
    onProgress('pfx');
    const pfx = await buildPfx({ pkcs8, certDer, chainDers, password, friendlyName: `${info.holder} (${info.serial})` });
    const signing = await importSigningKey(pkcs8);
    return { zip, pfx, certDer, keyDer, info, signingKey: signing };
  } finally {
    wipe(pkcs8);
  }
}

/** Offers bytes as a download with a file name (a blob URL, revoked after a while). */
export function download(bytes, fileName, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
