// The KISA SEED block cipher (RFC 4269) and SEED-CBC with PKCS#7 padding, for the key file
// (signPri.key) the page writes and reads. It mirrors crates/dojang-seed: the S-boxes are
// derived from their algebraic definition (no 512-byte table to mistype), lookups scan the
// whole table so the memory access pattern does not depend on the key, and the tests check it
// against the RFC's known answers, OpenSSL and the Rust implementation.

const POLY = 0x163; // x^8 + x^6 + x^5 + x + 1
const A1 = [0x14, 0x88, 0x21, 0x45, 0x42, 0x85, 0xfe, 0x8a];
const A2 = [0x14, 0x42, 0x88, 0x8a, 0x21, 0xfe, 0x85, 0x45];
const M0 = 0xfc;
const M1 = 0xf3;
const M2 = 0xcf;
const M3 = 0x3f;
const KC0 = 0x9e3779b9;

function gfMul(a, b) {
  let product = 0;
  while (b) {
    if (b & 1) product ^= a;
    b >>>= 1;
    a <<= 1;
    if (a & 0x100) a ^= POLY;
  }
  return product & 0xff;
}

function gfPow(x, exp) {
  let result = 1;
  let base = x;
  while (exp) {
    if (exp & 1) result = gfMul(result, base);
    base = gfMul(base, base);
    exp >>>= 1;
  }
  return result;
}

function parity(v) {
  v ^= v >>> 4;
  v ^= v >>> 2;
  v ^= v >>> 1;
  return v & 1;
}

function sbox(rows, exponent, constant) {
  const table = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const p = gfPow(x, exponent);
    let out = 0;
    for (let i = 0; i < 8; i++) out |= parity(rows[i] & p) << i;
    table[x] = out ^ constant;
  }
  return table;
}

const S1 = sbox(A1, 247, 169);
const S2 = sbox(A2, 251, 56);

// table[x], reading every entry whatever x is: the kept entry is selected by a mask.
function lookup(table, x) {
  let out = 0;
  for (let i = 0; i < 256; i++) {
    const diff = i ^ x; // 0 only at the wanted entry
    const mask = ((diff - 1) >> 8) & 0xff; // 0xff when diff == 0, else 0
    out |= table[i] & mask;
  }
  return out;
}

function g(x) {
  const y0 = lookup(S1, x & 0xff);
  const y1 = lookup(S2, (x >>> 8) & 0xff);
  const y2 = lookup(S1, (x >>> 16) & 0xff);
  const y3 = lookup(S2, (x >>> 24) & 0xff);
  const z0 = (y0 & M0) ^ (y1 & M1) ^ (y2 & M2) ^ (y3 & M3);
  const z1 = (y0 & M1) ^ (y1 & M2) ^ (y2 & M3) ^ (y3 & M0);
  const z2 = (y0 & M2) ^ (y1 & M3) ^ (y2 & M0) ^ (y3 & M1);
  const z3 = (y0 & M3) ^ (y1 & M0) ^ (y2 & M1) ^ (y3 & M2);
  return ((z3 << 24) | (z2 << 16) | (z1 << 8) | z0) >>> 0;
}

function rotl32(x, n) {
  n &= 31;
  return n === 0 ? x >>> 0 : ((x << n) | (x >>> (32 - n))) >>> 0;
}

function readWords(bytes, offset) {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const o = offset + 4 * i;
    w[i] = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
  }
  return w;
}

/** The 16 round-key pairs of a 16-byte key (RFC 4269 §2.2). */
export function keySchedule(key) {
  if (!(key instanceof Uint8Array) || key.length !== 16) throw new Error('a SEED key is 16 bytes');
  let [a, b, c, d] = readWords(key, 0);
  const keys = new Uint32Array(32);
  for (let i = 0; i < 16; i++) {
    const kc = rotl32(KC0, i);
    keys[2 * i] = g((a + c - kc) >>> 0);
    keys[2 * i + 1] = g((b - d + kc) >>> 0);
    if (i % 2 === 0) {
      // A||B rotates right by 8 bits.
      const na = ((a >>> 8) | (b << 24)) >>> 0;
      const nb = ((b >>> 8) | (a << 24)) >>> 0;
      a = na;
      b = nb;
    } else {
      // C||D rotates left by 8 bits.
      const nc = ((c << 8) | (d >>> 24)) >>> 0;
      const nd = ((d << 8) | (c >>> 24)) >>> 0;
      c = nc;
      d = nd;
    }
  }
  return keys;
}

function feistel(keys, decrypt, input, inOff, output, outOff) {
  let [l0, l1, r0, r1] = readWords(input, inOff);
  for (let round = 0; round < 16; round++) {
    const i = decrypt ? 15 - round : round;
    const c = (r0 ^ keys[2 * i]) >>> 0;
    const a = g((c ^ r1 ^ keys[2 * i + 1]) >>> 0);
    const b = g((a + c) >>> 0);
    const dOut = g((b + a) >>> 0);
    const f0 = (dOut + b) >>> 0;
    const f1 = dOut;
    const nr0 = (l0 ^ f0) >>> 0;
    const nr1 = (l1 ^ f1) >>> 0;
    l0 = r0;
    l1 = r1;
    r0 = nr0;
    r1 = nr1;
  }
  const words = [r0, r1, l0, l1];
  for (let w = 0; w < 4; w++) {
    const o = outOff + 4 * w;
    output[o] = words[w] >>> 24;
    output[o + 1] = (words[w] >>> 16) & 0xff;
    output[o + 2] = (words[w] >>> 8) & 0xff;
    output[o + 3] = words[w] & 0xff;
  }
}

/** Encrypts one 16-byte block. */
export function encryptBlock(key, block) {
  const out = new Uint8Array(16);
  feistel(keySchedule(key), false, block, 0, out, 0);
  return out;
}

/** Decrypts one 16-byte block. */
export function decryptBlock(key, block) {
  const out = new Uint8Array(16);
  feistel(keySchedule(key), true, block, 0, out, 0);
  return out;
}

/** SEED-CBC with PKCS#7 padding. */
export function cbcEncrypt(key, iv, plaintext) {
  if (iv.length !== 16) throw new Error('a SEED-CBC IV is 16 bytes');
  const keys = keySchedule(key);
  const pad = 16 - (plaintext.length % 16);
  const padded = new Uint8Array(plaintext.length + pad);
  padded.set(plaintext);
  padded.fill(pad, plaintext.length);
  const out = new Uint8Array(padded.length);
  const chain = Uint8Array.from(iv);
  const block = new Uint8Array(16);
  for (let off = 0; off < padded.length; off += 16) {
    for (let i = 0; i < 16; i++) block[i] = padded[off + i] ^ chain[i];
    feistel(keys, false, block, 0, out, off);
    chain.set(out.subarray(off, off + 16));
  }
  padded.fill(0);
  block.fill(0);
  return out;
}

/** SEED-CBC decryption; returns null when the padding is wrong (a wrong key, usually). */
export function cbcDecrypt(key, iv, ciphertext) {
  if (iv.length !== 16) throw new Error('a SEED-CBC IV is 16 bytes');
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) return null;
  const keys = keySchedule(key);
  const out = new Uint8Array(ciphertext.length);
  const plain = new Uint8Array(16);
  for (let off = 0; off < ciphertext.length; off += 16) {
    feistel(keys, true, ciphertext, off, plain, 0);
    const prev = off === 0 ? iv : ciphertext.subarray(off - 16, off);
    for (let i = 0; i < 16; i++) out[off + i] = plain[i] ^ prev[i];
  }
  plain.fill(0);
  const pad = out[out.length - 1];
  let bad = pad < 1 || pad > 16 ? 1 : 0;
  for (let i = 1; i <= 16; i++) {
    // Check every padding byte without an early exit.
    const inPad = i <= pad ? 1 : 0;
    bad |= inPad & (out[out.length - i] !== pad ? 1 : 0);
  }
  if (bad) {
    out.fill(0);
    return null;
  }
  const result = out.slice(0, out.length - pad);
  out.fill(0);
  return result;
}
