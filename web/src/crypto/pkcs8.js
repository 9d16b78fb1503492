// The Korean PKCS#8 PrivateKeyInfo: the `randomNum` attribute (OID 1.2.410.200004.10.1.1.3)
// in the `[0] IMPLICIT` attributes carries R, the random value of the certificate's VID:
//
//   PrivateKeyInfo ::= SEQUENCE { version, privateKeyAlgorithm, privateKey OCTET STRING,
//                                 attributes [0] IMPLICIT SET OF Attribute OPTIONAL }
//   randomNum ::= SEQUENCE { OID 1.2.410.200004.10.1.1.3, SET { BIT STRING R } }
//
// Built and read with pkijs (PrivateKeyInfo, Attribute) and asn1js.

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer, toBytes } from './bytes.js';

export const RANDOM_NUM_OID = '1.2.410.200004.10.1.1.3';

function parse(pkcs8) {
  const parsed = asn1js.fromBER(toArrayBuffer(pkcs8));
  if (parsed.offset === -1) throw new Error('the private key is not DER');
  return new pkijs.PrivateKeyInfo({ schema: parsed.result });
}

/** The PrivateKeyInfo with R as its randomNum attribute (replacing any earlier one). */
export function withRandomNum(pkcs8, r) {
  if (!r || r.length === 0) throw new Error('the random value R is empty');
  const info = parse(pkcs8);
  const others = (info.attributes || []).filter((a) => a.type !== RANDOM_NUM_OID);
  info.attributes = [
    ...others,
    new pkijs.Attribute({
      type: RANDOM_NUM_OID,
      values: [new asn1js.BitString({ valueHex: toArrayBuffer(r), unusedBits: 0 })],
    }),
  ];
  return new Uint8Array(info.toSchema().toBER(false));
}

/** R from the randomNum attribute, or null if the key has none. */
export function randomNumOf(pkcs8) {
  const info = parse(pkcs8);
  const attr = (info.attributes || []).find((a) => a.type === RANDOM_NUM_OID);
  const value = attr?.values?.[0];
  if (!(value instanceof asn1js.BitString)) return null;
  return new Uint8Array(value.valueBlock.valueHexView);
}

/** The same PrivateKeyInfo without attributes, for WebCrypto's importKey. */
export function withoutAttributes(pkcs8) {
  const info = parse(pkcs8);
  delete info.attributes;
  return new Uint8Array(info.toSchema().toBER(false));
}

/** The private key as a WebCrypto key for signing (RSA PKCS#1 v1.5 or ECDSA P-256, SHA-256). */
export async function importSigningKey(pkcs8) {
  const bare = withoutAttributes(toBytes(pkcs8));
  const info = parse(bare);
  const alg = info.privateKeyAlgorithm.algorithmId;
  const algorithm =
    alg === '1.2.840.10045.2.1'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return globalThis.crypto.subtle.importKey('pkcs8', bare, algorithm, false, ['sign']);
}
