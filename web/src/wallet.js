// What the customer holds in this browser: the certificates issued or loaded in this session
// (public data only, in sessionStorage so that a reload keeps the list), and — for this page
// load only, in memory — a non-extractable signing key for a certificate just issued (with its
// R, for certificate login), or the still password-protected files the customer loaded.

const KEY = 'dojang.wallet';
const keys = new Map();
const randoms = new Map();
const files = new Map();

function read() {
  try {
    const list = JSON.parse(sessionStorage.getItem(KEY) || '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function write(list) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // storage full or disabled: the list lives for this page load only
  }
}

/** Every certificate held, newest first. */
export function certificates() {
  return read();
}

export function find(serial) {
  return read().find((c) => c.serial === serial) || null;
}

/** Adds or updates a certificate: { serial, subject, holder, not_before, not_after, cert_b64, source }. */
export function put(entry) {
  const list = read().filter((c) => c.serial !== entry.serial);
  list.unshift({ ...entry, added_at: new Date().toISOString() });
  write(list);
}

export function remove(serial) {
  write(read().filter((c) => c.serial !== serial));
  keys.delete(serial);
  randoms.get(serial)?.fill(0);
  randoms.delete(serial);
  files.delete(serial);
}

/** A signing key (non-extractable CryptoKey) usable without the password until the page is left. */
export function setKey(serial, key) {
  keys.set(serial, key);
}

export function key(serial) {
  return keys.get(serial) || null;
}

/** R (the VID's random value) of a certificate issued here, kept beside its key for login. */
export function setRandom(serial, r) {
  randoms.set(serial, r);
}

export function random(serial) {
  return randoms.get(serial) || null;
}

/** The files a certificate was loaded from: { kind: 'npki', keyDer } or { kind: 'pfx', bytes }. */
export function setFile(serial, file) {
  files.set(serial, file);
}

export function file(serial) {
  return files.get(serial) || null;
}
