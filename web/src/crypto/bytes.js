// Small byte helpers shared by the crypto modules.

export function concat(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function toBytes(buf) {
  if (buf instanceof Uint8Array) return buf;
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  throw new Error('not bytes');
}

/** A copy in an ArrayBuffer of its own (what asn1js and WebCrypto want). */
export function toArrayBuffer(bytes) {
  const b = toBytes(bytes);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

export function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export function base64Encode(bytes) {
  const b = toBytes(bytes);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64Decode(text) {
  const s = atob(text.replace(/\s+/g, ''));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function hex(bytes) {
  return Array.from(toBytes(bytes), (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** PEM text of `der` with the given label, lines of 64. */
export function pem(label, der) {
  const b64 = base64Encode(der).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** The DER inside the first PEM block with `label` (or any label when omitted). */
export function pemToDer(text, label) {
  const re = label
    ? new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`)
    : /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/;
  const m = re.exec(text);
  if (!m) throw new Error('no PEM block');
  return base64Decode(m[1]);
}

/** Overwrites a byte array (best effort: JS cannot promise the engine kept no copy). */
export function wipe(...arrays) {
  for (const a of arrays) if (a && typeof a.fill === 'function') a.fill(0);
}
