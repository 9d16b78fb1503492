// The key pair and the certificate request (PKCS#10), made in the browser. The private key
// never leaves the page: only the CSR (public key, subject, self-signature) goes to the center.
// pkijs builds and signs the request; WebCrypto makes the RSA-2048 key.

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pem, toArrayBuffer } from './bytes.js';

const ATTRIBUTE_OIDS = {
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  SERIALNUMBER: '2.5.4.5',
};

/**
 * Parses a subject in OpenSSL's `-subj` form, root first (`/C=KR/O=dojang/OU=…/CN=홍길동()…`;
 * `\/` is a slash inside a value), into [[attribute, value], …].
 */
export function parseOpensslSubject(text) {
  const s = String(text).trim();
  if (!s.startsWith('/')) throw new Error('the subject must start with /');
  const parts = [];
  let current = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      current += s[++i];
    } else if (c === '/') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts.map((part) => {
    const eq = part.indexOf('=');
    if (eq < 1) throw new Error(`subject part "${part}" has no "="`);
    const key = part.slice(0, eq).trim().toUpperCase();
    const value = part.slice(eq + 1);
    if (!ATTRIBUTE_OIDS[key]) throw new Error(`unknown subject attribute ${key}`);
    if (!value) throw new Error(`${key} is empty`);
    return [key, value];
  });
}

/**
 * The subject as the center encodes its own names (it compares them as values): C a
 * PrintableString, every other attribute a UTF8String, one attribute per RDN, root first.
 */
export function subjectName(rdns) {
  // One attribute per RDN (SET), as X.509 names are laid out: pkijs would put a list of
  // attributes it is given into a single multi-valued RDN, so the SEQUENCE OF SET is built
  // here and handed to pkijs as a parsed schema.
  const sets = rdns.map(([key, value]) => {
    const v = key === 'C' ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value });
    const atv = new pkijs.AttributeTypeAndValue({ type: ATTRIBUTE_OIDS[key], value: v });
    return new asn1js.Set({ value: [atv.toSchema()] });
  });
  const der = new asn1js.Sequence({ value: sets }).toBER(false);
  return new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(der).result });
}

/**
 * A new RSA-2048 key pair for RSASSA-PKCS1-v1_5 with SHA-256. Extractable only so that the
 * page can seal it into signPri.key / a PFX under the customer's password.
 */
export async function generateKeyPair() {
  return globalThis.crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
}

/** A PKCS#10 request for `subjectText` (OpenSSL form) with the key pair's public key, signed by it. */
export async function buildCsr(keyPair, subjectText) {
  const csr = new pkijs.CertificationRequest();
  csr.version = 0;
  csr.subject = subjectName(parseOpensslSubject(subjectText));
  await csr.subjectPublicKeyInfo.importKey(keyPair.publicKey);
  csr.attributes = [];
  await csr.sign(keyPair.privateKey, 'SHA-256');
  const der = new Uint8Array(csr.toSchema().toBER(false));
  return { der, pem: pem('CERTIFICATE REQUEST', der) };
}

/** The SubjectPublicKeyInfo DER of a WebCrypto public key. */
export async function spkiOf(publicKey) {
  return new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', publicKey));
}

/** The SubjectPublicKeyInfo DER inside a certificate. */
export function certificateSpki(cert) {
  return new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER(false));
}

/** Parses a DER certificate with pkijs. */
export function parseCertificate(der) {
  const parsed = asn1js.fromBER(toArrayBuffer(der));
  if (parsed.offset === -1) throw new Error('not a certificate (bad DER)');
  return new pkijs.Certificate({ schema: parsed.result });
}
