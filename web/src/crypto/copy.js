// Certificate copy between two devices (인증서 복사 / 이동), protocol `dojang-copy/1` as
// docs/copy.md fixes it and crates/dojang-transfer implements it: SPAKE2 over Ed25519 exactly as
// RustCrypto's `spake2` 0.4 (the sender is side A, the receiver side B), keyed by the eight
// secret digits of the number; HKDF-SHA256 draws a confirmation key for each side and the
// payload key; the NPKI pair (signPri.key still under its certificate password) travels as JSON
// sealed with AES-256-GCM. The center relays the messages and can test no guess of the number.
//
// Points and scalars come from @noble/curves (ed25519), hashes from @noble/hashes; AES-GCM is
// WebCrypto's. Pure: no network, no page — the relay is ./../transfer.js.

import { ed25519 } from '@noble/curves/ed25519';
import { bytesToNumberBE, bytesToNumberLE } from '@noble/curves/utils';
import { hkdf } from '@noble/hashes/hkdf';
import { hmac } from '@noble/hashes/hmac';
import { sha256 } from '@noble/hashes/sha2';
import { base64Decode, base64Encode, concat, randomBytes, toArrayBuffer, wipe } from './bytes.js';

export const LABEL = 'dojang-copy/1';
/** A SPAKE2 message: the side byte (`A` or `B`) and a compressed Edwards point. */
export const MESSAGE_LEN = 33;
export const CONFIRM_LEN = 32;
export const NONCE_LEN = 12;
/** Each file of the pair, as docs/copy.md bounds it. */
export const MAX_FILE = 32 * 1024;

const Point = ed25519.Point;
const L = Point.CURVE().n;
// SPAKE2's fixed points for Ed25519 (python-spake2 and RustCrypto agree on them).
const M = Point.fromHex('15cfd18e385952982b6a8f8c7854963b58e34388c8e6dae891db756481a02312');
const N = Point.fromHex('f04f2e7eb734b2a8f8b472eaf9c3c632576ac64aea650b496a8a20ff00e583c3');
const SIDE_A = 0x41;
const SIDE_B = 0x42;

const utf8 = (s) => new TextEncoder().encode(s);

/** Why a copy could not go on; `code` names it for the page. */
export class CopyProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'CopyProtocolError';
    this.code = code;
  }
}

/** The sender's confirmation does not match: the number typed on the sending device is wrong. */
export class WrongNumberError extends CopyProtocolError {
  constructor() {
    super('wrong_number', 'the authentication number is wrong');
  }
}

// ---------------------------------------------------------------------------------------------
// The number: SSSS-XXXX-XXXX (the center's four-digit code, then the receiver's eight secret
// digits, which never leave the two devices).

/** Eight digits drawn uniformly from the CSPRNG (rejection sampling, no modulo bias). */
export function newSecret() {
  let out = '';
  while (out.length < 8) {
    const b = randomBytes(16);
    for (const x of b) if (x < 250 && out.length < 8) out += String(x % 10);
  }
  return out;
}

/** A transfer id: 32 lowercase hex digits. */
export function newTransferId() {
  return Array.from(randomBytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function isTransferId(id) {
  return typeof id === 'string' && /^[0-9a-f]{32}$/.test(id);
}

/** 'SSSS-XXXX-XXXX'. */
export function formatNumber(code, secret) {
  return `${code}-${secret.slice(0, 4)}-${secret.slice(4)}`;
}

/**
 * The number as typed: twelve digits, spaces and dashes allowed between them. Returns
 * { code, secret } or throws a CopyProtocolError with code `bad_number` (`reason`: 'chars' or
 * 'length').
 */
export function parseNumber(text) {
  const t = String(text ?? '').trim();
  if (/[^0-9 -]/.test(t)) {
    const e = new CopyProtocolError('bad_number', 'the number has only digits (and dashes)');
    e.reason = 'chars';
    throw e;
  }
  const digits = t.replace(/[ -]/g, '');
  if (digits.length !== 12) {
    const e = new CopyProtocolError('bad_number', 'the number has twelve digits');
    e.reason = 'length';
    throw e;
  }
  return { code: digits.slice(0, 4), secret: digits.slice(4) };
}

// ---------------------------------------------------------------------------------------------
// SPAKE2 (spake2 0.4, Ed25519Group)

function checkSecret(secret) {
  if (!/^[0-9]{8}$/.test(secret)) throw new CopyProtocolError('bad_number', 'the secret part must be eight digits');
}

/** w = HKDF-SHA256(salt empty, ikm password, info "SPAKE2 pw", 48 bytes), big-endian, mod ℓ. */
function passwordScalar(password) {
  return bytesToNumberBE(hkdf(sha256, password, new Uint8Array(0), utf8('SPAKE2 pw'), 48)) % L;
}

/** A scalar from 64 random bytes, little-endian, mod ℓ (curve25519-dalek's Scalar::random). */
function scalarFrom(random64) {
  if (!(random64 instanceof Uint8Array) || random64.length !== 64) throw new CopyProtocolError('internal', 'a SPAKE2 scalar needs 64 random bytes');
  return bytesToNumberLE(random64) % L;
}

// noble refuses the scalar 0 (probability 2⁻²⁵²); then the try fails and is retried anew.
const times = (point, k) => (k === 0n ? Point.ZERO : point.multiply(k));

function identities(transferId) {
  return { idA: utf8(`${LABEL} sender ${transferId}`), idB: utf8(`${LABEL} receiver ${transferId}`) };
}

/** Starts one side: { scalar, message (33 bytes) }. */
function start(side, password, random64) {
  const w = passwordScalar(password);
  const x = scalarFrom(random64);
  const blind = side === SIDE_A ? M : N;
  const point = times(Point.BASE, x).add(times(blind, w));
  return { w, x, message: concat(new Uint8Array([side]), point.toBytes()) };
}

function decodePeer(message, side, what) {
  if (!(message instanceof Uint8Array) || message.length !== MESSAGE_LEN || message[0] !== side) throw new CopyProtocolError('malformed', `${what} is not a SPAKE2 message of side ${String.fromCharCode(side)}`);
  try {
    return Point.fromHex(message.subarray(1), false);
  } catch {
    throw new CopyProtocolError('malformed', `${what} is not a point on Ed25519`);
  }
}

/**
 * The shared SPAKE2 key of one side: K = x·(peer − w·blind) (no cofactor clearing), then
 * SHA-256(SHA-256(pw) ‖ SHA-256(idA) ‖ SHA-256(idB) ‖ X ‖ Y ‖ K) with X side A's point.
 */
function finish({ side, password, transferId, own, peerMessage }) {
  const peerSide = side === SIDE_A ? SIDE_B : SIDE_A;
  const peer = decodePeer(peerMessage, peerSide, side === SIDE_A ? "the receiver's message" : "the sender's message");
  const unblind = side === SIDE_A ? N : M;
  const k = times(peer.subtract(times(unblind, own.w)), own.x).toBytes();
  const { idA, idB } = identities(transferId);
  const X = side === SIDE_A ? own.message.subarray(1) : peerMessage.subarray(1);
  const Y = side === SIDE_A ? peerMessage.subarray(1) : own.message.subarray(1);
  const key = sha256(concat(sha256(password), sha256(idA), sha256(idB), X, Y, k));
  wipe(k);
  return key;
}

/** HKDF-SHA256 (salt LABEL) → k_sc, k_rc, k_p. */
function schedule(spakeKey) {
  const expand = (info) => hkdf(sha256, spakeKey, utf8(LABEL), utf8(info), 32);
  return { senderConfirm: expand('sender confirm'), receiverConfirm: expand('receiver confirm'), payload: expand('payload') };
}

/** Constant-time comparison of two byte strings of equal length. */
function sameBytes(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// ---------------------------------------------------------------------------------------------
// The box: nonce ‖ AES-256-GCM(k_p, nonce, payload JSON, AAD "dojang-copy/1 payload <id>") ‖ tag

const aad = (transferId) => utf8(`${LABEL} payload ${transferId}`);

async function aesKey(raw, usage) {
  return crypto.subtle.importKey('raw', toArrayBuffer(raw), { name: 'AES-GCM' }, false, [usage]);
}

async function seal(key, nonce, transferId, plain) {
  const k = await aesKey(key, 'encrypt');
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: toArrayBuffer(nonce), additionalData: toArrayBuffer(aad(transferId)), tagLength: 128 }, k, toArrayBuffer(plain)));
  return concat(nonce, body);
}

async function open(key, transferId, sealed) {
  if (!(sealed instanceof Uint8Array) || sealed.length < NONCE_LEN + 16) throw new CopyProtocolError('malformed', 'the sealed certificate is too short');
  const k = await aesKey(key, 'decrypt');
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: toArrayBuffer(sealed.subarray(0, NONCE_LEN)), additionalData: toArrayBuffer(aad(transferId)), tagLength: 128 },
      k,
      toArrayBuffer(sealed.subarray(NONCE_LEN)),
    );
    return new Uint8Array(plain);
  } catch {
    throw new CopyProtocolError('tampered', 'the sealed certificate was changed on the way');
  }
}

// ---------------------------------------------------------------------------------------------
// The payload: {"v":1,"sign_cert":B64,"sign_key":B64,"km_cert":B64|null,"km_key":B64|null}

/** The JSON bytes of the NPKI pair { signCert, signKey, kmCert?, kmKey? } (Uint8Arrays). */
export function payloadJson({ signCert, signKey, kmCert = null, kmKey = null }) {
  for (const [name, f] of [['signCert.der', signCert], ['signPri.key', signKey], ['kmCert.der', kmCert], ['kmPri.key', kmKey]]) {
    if (f !== null && (!(f instanceof Uint8Array) || f.length === 0 || f.length > MAX_FILE)) throw new CopyProtocolError('payload', `${name} is not a certificate file`);
  }
  if (!signCert || !signKey) throw new CopyProtocolError('payload', 'signCert.der and signPri.key are both needed');
  if ((kmCert === null) !== (kmKey === null)) throw new CopyProtocolError('payload', 'kmCert.der without kmPri.key');
  // Key order as crates/dojang-transfer writes it (serde keeps the struct's order).
  const doc = { v: 1, sign_cert: base64Encode(signCert), sign_key: base64Encode(signKey), km_cert: kmCert ? base64Encode(kmCert) : null, km_key: kmKey ? base64Encode(kmKey) : null };
  return utf8(JSON.stringify(doc));
}

/** Reads the payload JSON back (every rule crates/dojang-transfer's reader keeps). */
export function parsePayload(bytes) {
  let doc;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new CopyProtocolError('payload', 'the copied data is not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CopyProtocolError('payload', 'the copied data is not a JSON object');
  const known = new Set(['v', 'sign_cert', 'sign_key', 'km_cert', 'km_key']);
  for (const k of Object.keys(doc)) if (!known.has(k)) throw new CopyProtocolError('payload', `unknown field ${k}`);
  if (doc.v !== 1) throw new CopyProtocolError('payload', `format version ${doc.v} is not known (this page reads 1); reload the page`);
  const file = (name, b64) => {
    if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new CopyProtocolError('payload', `${name} is not base64`);
    const b = base64Decode(b64);
    if (b.length === 0 || b.length > MAX_FILE) throw new CopyProtocolError('payload', `${name} has ${b.length} bytes, not a certificate file`);
    return b;
  };
  const hasKmCert = doc.km_cert !== null && doc.km_cert !== undefined;
  const hasKmKey = doc.km_key !== null && doc.km_key !== undefined;
  if (hasKmCert !== hasKmKey) throw new CopyProtocolError('payload', 'kmCert.der without kmPri.key');
  return {
    signCert: file('signCert.der', doc.sign_cert),
    signKey: file('signPri.key', doc.sign_key),
    kmCert: hasKmCert ? file('kmCert.der', doc.km_cert) : null,
    kmKey: hasKmKey ? file('kmPri.key', doc.km_key) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// The two sides

/**
 * The receiving device's side of one try. `random64` (64 bytes) is for the known-answer test;
 * normally fresh randomness is drawn. Each try (after a wrong number too) starts anew.
 */
export class ReceiverRound {
  constructor(secret, transferId, random64 = randomBytes(64)) {
    checkSecret(secret);
    this.password = utf8(secret);
    this.transferId = transferId;
    this.own = start(SIDE_B, this.password, random64);
    wipe(random64);
  }

  /** SPAKE2 side B's message (33 bytes), for the center to hand to the sender. */
  get message() {
    return this.own.message;
  }

  /**
   * Checks the sender's confirmation, then opens the box. Throws WrongNumberError when the
   * confirmation does not match (nothing is decrypted then), or the sender's message is no
   * SPAKE2 message of side A. Returns { payload,
   * receiverConfirm } — send the confirmation only after the files are kept.
   */
  async open({ senderMessage, senderConfirm, sealed }) {
    let spakeKey;
    try {
      spakeKey = finish({ side: SIDE_B, password: this.password, transferId: this.transferId, own: this.own, peerMessage: senderMessage });
    } catch (e) {
      // A sender's message that is no SPAKE2 message cannot be told from a guess here; calling
      // the copy off over it would let anyone who knows the center's code end a copy with one
      // request. As a wrong number it costs them a try.
      if (e instanceof CopyProtocolError && e.code === 'malformed') throw new WrongNumberError();
      throw e;
    }
    const keys = schedule(spakeKey);
    try {
      const expected = hmac(sha256, keys.senderConfirm, concat(senderMessage, this.own.message));
      if (!sameBytes(expected, senderConfirm)) throw new WrongNumberError();
      const plain = await open(keys.payload, this.transferId, sealed);
      const payload = parsePayload(plain);
      wipe(plain);
      const receiverConfirm = hmac(sha256, keys.receiverConfirm, concat(this.own.message, senderMessage, sha256(sealed)));
      return { payload, receiverConfirm };
    } finally {
      wipe(spakeKey, keys.senderConfirm, keys.receiverConfirm, keys.payload);
    }
  }
}

/**
 * The sending device's one try against the receiver's message, keyed by the typed secret:
 * { offer: { senderMessage, senderConfirm, sealed }, check(receiverConfirm) → boolean } —
 * `check` says whether the receiver opened exactly this box (only then may a move delete the
 * source). `random64` and `nonce` are for the known-answer test.
 */
export async function makeOffer({ secret, transferId, receiverMessage, payload, random64 = randomBytes(64), nonce = randomBytes(NONCE_LEN) }) {
  checkSecret(secret);
  const password = utf8(secret);
  const own = start(SIDE_A, password, random64);
  wipe(random64);
  const spakeKey = finish({ side: SIDE_A, password, transferId, own, peerMessage: receiverMessage });
  const keys = schedule(spakeKey);
  wipe(spakeKey);
  const senderConfirm = hmac(sha256, keys.senderConfirm, concat(own.message, receiverMessage));
  const plain = payloadJson(payload);
  const sealed = await seal(keys.payload, nonce, transferId, plain);
  wipe(plain, keys.senderConfirm, keys.payload);
  const transcript = concat(receiverMessage, own.message, sha256(sealed));
  const rc = keys.receiverConfirm;
  return {
    offer: { senderMessage: own.message, senderConfirm, sealed },
    check: (receiverConfirm) => sameBytes(hmac(sha256, rc, transcript), receiverConfirm),
  };
}
