// The page's crypto modules under Node (same WebCrypto API as the browser), checked against
// OpenSSL — an implementation we did not write:
// - SEED-CBC on random keys, IVs and data equals `openssl enc -seed-cbc`;
// - signPri.key written by the page (PBES2, PBKDF2-HMAC-SHA1, SEED-CBC, R as randomNum) opens
//   with `openssl pkcs8` and holds the same key; OpenSSL's own PBES2 files (SEED and AES) open
//   in the page; a wrong password is told apart;
// - the CSR verifies with `openssl req -verify` and carries the subject as the center encodes it;
// - the PFX is DER (no indefinite lengths) and `openssl pkcs12` reads it, R included; the page
//   opens OpenSSL's PFX;
// - the NPKI zip lays the pair out as NPKI/<CA>/USER/<subject>/;
// - the password rule.
// (The Rust side of SEED is compared in crates/dojang-seed/tests/javascript.rs; the whole
// chain — browser files into `dojang cert import` — in tests/browser/flows.test.mjs.)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { cbcDecrypt, cbcEncrypt } from '../../src/crypto/seed.js';
import { decryptKeyFile, encryptKeyFile, parseKeyFile, WrongPasswordError } from '../../src/crypto/keyfile.js';
import { randomNumOf, withRandomNum, withoutAttributes } from '../../src/crypto/pkcs8.js';
import { buildCsr, generateKeyPair, parseOpensslSubject } from '../../src/crypto/csr.js';
import { buildPfx, openPfx, PfxPasswordError } from '../../src/crypto/pfx.js';
import { pairsInZip, safeComponent, zipPair } from '../../src/crypto/npki.js';
import { checks, passes } from '../../src/password-rule.js';

const LEGACY = ['-provider', 'legacy', '-provider', 'default'];
let dir;

function openssl(args, input) {
  const r = spawnSync('openssl', args, { input, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`cannot run openssl (scripts/install-test-deps installs it): ${r.error.message}`);
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** stdout and stderr together (`openssl pkcs12 -info` writes its details to stderr). */
function opensslAll(args, input) {
  const r = spawnSync('openssl', args, { input, maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return Buffer.concat([r.stdout, r.stderr]).toString('latin1');
}

const hex = (b) => Buffer.from(b).toString('hex');
const random = (n) => crypto.getRandomValues(new Uint8Array(n));

async function rsaPkcs8() {
  const kp = await generateKeyPair();
  return { kp, pkcs8: new Uint8Array(await crypto.subtle.exportKey('pkcs8', kp.privateKey)) };
}

describe('the page’s crypto against OpenSSL', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dojang-web-unit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SEED-CBC equals openssl enc -seed-cbc on random inputs', () => {
    for (const len of [0, 1, 15, 16, 17, 100, 1217, ...Array.from({ length: 12 }, () => Math.floor(Math.random() * 3000))]) {
      const key = random(16);
      const iv = random(16);
      const data = random(len);
      const ours = cbcEncrypt(key, iv, data);
      const theirs = openssl(['enc', '-seed-cbc', '-K', hex(key), '-iv', hex(iv), ...LEGACY], data);
      assert.equal(hex(ours), hex(theirs), `${len} bytes`);
      assert.equal(hex(cbcDecrypt(key, iv, ours)), hex(data));
    }
  });

  it('writes signPri.key that openssl opens, with R kept, and reads OpenSSL’s key files', async () => {
    const { pkcs8 } = await rsaPkcs8();
    const r = random(20);
    const withR = withRandomNum(pkcs8, r);
    assert.equal(hex(randomNumOf(withR)), hex(r));
    const file = await encryptKeyFile(withR, 'Hong-gildong1!', { iterations: 2048 });
    const f = parseKeyFile(file);
    assert.equal(f.scheme, 'pbes2');
    assert.equal(f.prf, 'SHA-1');
    assert.equal(f.cipher.name, 'SEED');
    assert.equal(f.salt.length, 8);
    writeFileSync(join(dir, 'signPri.key'), file);
    const opened = openssl(['pkcs8', '-inform', 'DER', '-in', join(dir, 'signPri.key'), '-passin', 'pass:Hong-gildong1!', ...LEGACY, '-topk8', '-nocrypt', '-outform', 'DER']);
    const bare = withoutAttributes(withR);
    const pubOurs = openssl(['pkey', '-inform', 'DER', '-pubout'], Buffer.from(bare));
    const pubTheirs = openssl(['pkey', '-inform', 'DER', '-pubout'], opened);
    assert.equal(pubOurs.toString(), pubTheirs.toString(), 'openssl finds the same key');
    assert.equal(hex(await decryptKeyFile(file, 'Hong-gildong1!')), hex(withR), 'the page reads back the same bytes, R included');
    await assert.rejects(decryptKeyFile(file, 'Wrong-pass1!'), WrongPasswordError);

    // OpenSSL's own files: PBES2 with SEED and HMAC-SHA1 (the NPKI way) and its default (AES-256, HMAC-SHA256).
    writeFileSync(join(dir, 'plain.der'), bare);
    for (const extra of [['-v2', 'seed-cbc', '-v2prf', 'hmacWithSHA1', ...LEGACY], ['-v2', 'aes-256-cbc']]) {
      const theirs = openssl(['pkcs8', '-topk8', '-inform', 'DER', '-in', join(dir, 'plain.der'), '-outform', 'DER', '-passout', 'pass:Open-ssl#2048', '-iter', '2048', ...extra]);
      const back = await decryptKeyFile(new Uint8Array(theirs), 'Open-ssl#2048');
      assert.equal(hex(withoutAttributes(back)), hex(bare), `opened OpenSSL's ${extra[1]} file`);
    }
  });

  it('builds a CSR that openssl verifies, with the subject encoded as the center does', async () => {
    assert.deepEqual(parseOpensslSubject('/C=KR/O=a\\/b/CN=홍길동()001'), [['C', 'KR'], ['O', 'a/b'], ['CN', '홍길동()001']]);
    assert.throws(() => parseOpensslSubject('C=KR'));
    const { kp } = await rsaPkcs8();
    const subject = '/C=KR/O=dojang/OU=personal4IB/OU=DOJANGBANK/CN=홍길동()0011234567890123';
    const csr = await buildCsr(kp, subject);
    writeFileSync(join(dir, 'req.pem'), csr.pem);
    const text = openssl(['req', '-in', join(dir, 'req.pem'), '-noout', '-verify', '-subject', '-nameopt', 'RFC2253,-esc_msb']).toString();
    assert.match(text, /CN=홍길동\(\)0011234567890123,OU=DOJANGBANK,OU=personal4IB,O=dojang,C=KR/);
    const parsed = openssl(['asn1parse', '-in', join(dir, 'req.pem')]).toString();
    assert.match(parsed, /PRINTABLESTRING\s+:KR/);
    assert.match(parsed, /UTF8STRING\s+:dojang/);
    assert.equal((parsed.match(/ SET /g) || []).length, 5, 'one attribute per RDN');
  });

  it('builds a DER PFX that openssl reads with R, and opens OpenSSL’s PFX', async () => {
    const { pkcs8 } = await rsaPkcs8();
    const r = random(20);
    const withR = withRandomNum(pkcs8, r);
    writeFileSync(join(dir, 'key.der'), withoutAttributes(withR));
    openssl(['req', '-new', '-x509', '-key', join(dir, 'key.der'), '-keyform', 'DER', '-subj', '/C=KR/O=dojang/CN=test', '-days', '2', '-outform', 'DER', '-out', join(dir, 'cert.der')]);
    const certDer = new Uint8Array(readFileSync(join(dir, 'cert.der')));
    const pfx = await buildPfx({ pkcs8: withR, certDer, password: 'Hong-gildong1!', friendlyName: '홍길동' });
    writeFileSync(join(dir, 'web.pfx'), pfx);
    assert.ok(!/\binf\b/.test(openssl(['asn1parse', '-inform', 'DER', '-in', join(dir, 'web.pfx')]).toString()), 'definite lengths only');
    const info = opensslAll(['pkcs12', '-in', join(dir, 'web.pfx'), '-passin', 'pass:Hong-gildong1!', '-nodes', '-info']);
    assert.match(info, /MAC: sha256, Iteration 10000/);
    assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
    assert.match(info, new RegExp(`1\\.2\\.410\\.200004\\.10\\.1\\.1\\.3: ${hex(r).toUpperCase().match(/../g).join(' ')}`));
    const back = await openPfx(pfx, 'Hong-gildong1!');
    assert.equal(hex(back.pkcs8), hex(withR));
    assert.equal(hex(back.certificates[0]), hex(certDer));
    await assert.rejects(openPfx(pfx, 'Wrong-pass1!'), PfxPasswordError);
    openssl(['pkey', '-inform', 'DER', '-in', join(dir, 'key.der'), '-out', join(dir, 'key.pem')]);
    openssl(['x509', '-inform', 'DER', '-in', join(dir, 'cert.der'), '-out', join(dir, 'cert.pem')]);
    const theirs = openssl(['pkcs12', '-export', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'cert.pem'), '-passout', 'pass:Open-ssl#2048', '-certpbe', 'AES-256-CBC', '-keypbe', 'AES-256-CBC']);
    const opened = await openPfx(new Uint8Array(theirs), 'Open-ssl#2048');
    assert.equal(hex(withoutAttributes(opened.pkcs8)), hex(withoutAttributes(withR)));
  });

  it('zips the NPKI pair in its folder layout and reads it back', () => {
    const subject = 'cn=홍길동()0011234567890123,ou=DOJANGBANK,ou=personal4IB,o=dojang,c=kr';
    const zip = zipPair({ caName: 'dojang', subjectText: subject, certDer: new Uint8Array([1, 2]), keyDer: new Uint8Array([3]) });
    const pairs = pairsInZip(zip);
    assert.equal(pairs.length, 1);
    assert.equal(pairs[0].folder, `NPKI/dojang/USER/${subject}`);
    assert.equal(safeComponent('a/b:c*'), 'a_b_c_');
    assert.equal(safeComponent('CON'), '_CON');
    assert.equal(safeComponent('..'), '_');
  });

  it('checks the certificate password rule item by item', () => {
    assert.ok(passes('Hong-gildong1!', 'Hong-gildong1!'));
    assert.ok(!passes('Hong-gildong1!', 'Hong-gildong1?'));
    const failed = (pw) => checks(pw, pw).filter((c) => !c.ok).map((c) => c.id);
    assert.deepEqual(failed('abc'), ['length', 'digit', 'symbol']);
    assert.deepEqual(failed('1234567890!'), ['letter']);
    assert.deepEqual(failed('비밀번호abc123!!'), ['charset']);
    assert.deepEqual(failed('abc 123 !!xx'), ['charset']);
    assert.deepEqual(failed(`A1!${'x'.repeat(28)}`), ['length']);
  });
});
