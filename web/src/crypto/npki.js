// The NPKI pair as files: `NPKI/<CA>/USER/<subject>/signCert.der` + `signPri.key`, packed in
// a zip (fflate) for the customer to save on the hard disk or a USB disk, and read back from
// a zip or from the two files chosen separately. Folder names follow crates/dojang-keystore
// (names.rs): the CA folder is the issuer's O, the certificate folder the subject in the
// Korean text form, with characters Windows forbids turned into `_`.

import { unzipSync, zipSync } from 'fflate';

export const SIGN_CERT = 'signCert.der';
export const SIGN_KEY = 'signPri.key';
// The key-management pair some CAs issue beside the signing pair (kept and copied with it).
export const KM_CERT = 'kmCert.der';
export const KM_KEY = 'kmPri.key';

/** One path component every platform accepts (mirrors names.rs safe_component). */
export function safeComponent(raw) {
  let s = Array.from(String(raw), (c) => ('<>:"/\\|?*'.includes(c) || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '_' : c)).join('');
  const enc = new TextEncoder();
  while (enc.encode(s).length > 200) s = Array.from(s).slice(0, -1).join('');
  s = s.replace(/[. ]+$/, '');
  if (s === '' || s === '.' || s === '..') return '_';
  const stem = s.split('.')[0].toUpperCase();
  if (['CON', 'PRN', 'AUX', 'NUL'].includes(stem) || /^(COM|LPT)\d$/.test(stem)) s = `_${s}`;
  return s;
}

/** The folder inside the zip: NPKI/<ca>/USER/<subject>. */
export function folderOf(caName, subjectText) {
  return `NPKI/${safeComponent(caName)}/USER/${safeComponent(subjectText)}`;
}

/** A zip of the NPKI pair (and the km pair, `km` = { certDer, keyDer }, when there is one). */
export function zipPair({ caName, subjectText, certDer, keyDer, km = null }) {
  const dir = folderOf(caName, subjectText);
  const files = {
    [`${dir}/${SIGN_CERT}`]: [certDer, { level: 0 }],
    [`${dir}/${SIGN_KEY}`]: [keyDer, { level: 0 }],
  };
  if (km) {
    files[`${dir}/${KM_CERT}`] = [km.certDer, { level: 0 }];
    files[`${dir}/${KM_KEY}`] = [km.keyDer, { level: 0 }];
  }
  return zipSync(files, { mtime: new Date() });
}

/**
 * Every signCert.der + signPri.key pair in a zip, as { folder, certDer, keyDer, km } — km the
 * folder's { certDer, keyDer } key-management pair, or null.
 */
export function pairsInZip(bytes) {
  const files = unzipSync(bytes);
  const byFolder = new Map();
  for (const [path, data] of Object.entries(files)) {
    const slash = path.lastIndexOf('/');
    const folder = slash < 0 ? '' : path.slice(0, slash);
    const name = path.slice(slash + 1).toLowerCase();
    const entry = byFolder.get(folder) || {};
    if (name === SIGN_CERT.toLowerCase()) entry.certDer = data;
    if (name === SIGN_KEY.toLowerCase()) entry.keyDer = data;
    if (name === KM_CERT.toLowerCase()) entry.kmCertDer = data;
    if (name === KM_KEY.toLowerCase()) entry.kmKeyDer = data;
    byFolder.set(folder, entry);
  }
  return [...byFolder.entries()]
    .filter(([, e]) => e.certDer && e.keyDer)
    .map(([folder, e]) => ({ folder, certDer: e.certDer, keyDer: e.keyDer, km: e.kmCertDer && e.kmKeyDer ? { certDer: e.kmCertDer, keyDer: e.kmKeyDer } : null }));
}
