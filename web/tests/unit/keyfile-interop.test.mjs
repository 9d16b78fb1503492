// Reading other people's key files in the page (src/crypto/keyfile.js, pfx.js, pkcs8.js,
// certs.js), as 인증서 로그인 and 타기관 인증서 등록 do with a certificate another program saved:
//
// - files written by the Rust side — `dojang cert import` (PBES2, PBKDF2-HMAC-SHA1, SEED, R
//   kept), `dojang cert passwd` on a seedCBCWithSHA1 file (the KISA scheme Korean bank software
//   writes; the CLI keeps the scheme) and `dojang cert export --pfx` — open in the page with
//   the same key bytes and the same R, and a wrong password is told apart;
// - files written by an independent Python implementation (crates/dojang-npki/tests/support/
//   npki.py: hashlib + `cryptography`, SEED from its decrepit module) in every scheme the page
//   reads: seedCBCWithSHA1, PBES2 with SEED or AES-128/256 and an HMAC-SHA1 or -SHA256 PRF;
// - the opened key signs the possession message and `openssl dgst -verify` accepts the
//   signature (RSA PKCS#1 v1.5 and ECDSA P-256, SHA-256);
// - the financial certificate's PIN rule agrees with crates/dojang-flows (financial/pin.rs).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { decryptKeyFile, parseKeyFile, WrongPasswordError } from '../../src/crypto/keyfile.js';
import { randomNumOf, withRandomNum, withoutAttributes } from '../../src/crypto/pkcs8.js';
import { buildPfx, openPfx, PfxPasswordError } from '../../src/crypto/pfx.js';
import { possessionMessage, openSigner, signPossession, certInfo, KeyMismatchError } from '../../src/certs.js';
import { base64Decode, base64Encode } from '../../src/crypto/bytes.js';
import { pinChecks, pinPasses } from '../../src/pin-rule.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../../..');
const DOJANG = process.env.DOJANG_BIN || join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug/dojang');
const NPKI_PY = join(ROOT, 'crates/dojang-npki/tests/support/npki.py');
const PW = 'Key-file#2024';
const NEW_PW = 'Changed-pw#2025';
const R = new Uint8Array(Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0xff));
const SUBJECT = '/C=KR/O=otherbank/OU=personal4IB/OU=OTHERBANK/CN=홍길동()0011234567890123';

let dir;

function run(program, args, { env = {}, input } = {}) {
  const r = spawnSync(program, args, { input, env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`cannot run ${program} (scripts/install-test-deps installs it; the dojang binary comes from \`cargo build --bin dojang\`): ${r.error.message}`);
  assert.equal(r.status, 0, `${program} ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const openssl = (args, input) => run('openssl', args, { input });
const python = (args) => run('python3', [NPKI_PY, ...args]);
const hex = (b) => Buffer.from(b).toString('hex');
const file = (name) => join(dir, name);

/** `dojang cert …` on a removable-disk store (no server, no data directory needed). */
function dojang(args, env = {}) {
  return run(DOJANG, ['cert', ...args, '--lang', 'en'], { env: { DOJANG_LANG: 'en', ...env } });
}

/** The one NPKI folder under `root` (a removable disk), with its two files. */
function pairIn(root) {
  const users = [];
  for (const ca of readdirSync(join(root, 'NPKI'))) {
    for (const who of readdirSync(join(root, 'NPKI', ca, 'USER'))) users.push(join(root, 'NPKI', ca, 'USER', who));
  }
  assert.equal(users.length, 1, `one certificate folder in ${root}`);
  return { certDer: new Uint8Array(readFileSync(join(users[0], 'signCert.der'))), keyDer: new Uint8Array(readFileSync(join(users[0], 'signPri.key'))) };
}

/** A key (openssl), its certificate (self-signed, Korean subject) and the PKCS#8 with R. */
function keyAndCert(name, algorithm) {
  const keyPem = file(`${name}.key.pem`);
  if (algorithm === 'ec') openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPem]);
  else openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPem]);
  const certDer = new Uint8Array(openssl(['req', '-new', '-x509', '-key', keyPem, '-subj', SUBJECT, '-utf8', '-days', '30', '-outform', 'DER']));
  const bare = new Uint8Array(openssl(['pkcs8', '-topk8', '-nocrypt', '-in', keyPem, '-outform', 'DER']));
  return { keyPem, certDer, bare, withR: withRandomNum(bare, R) };
}

/** openssl checks a possession signature with the certificate's public key. */
function opensslVerifies(certDer, message, signatureB64, name) {
  writeFileSync(file(`${name}.crt.der`), certDer);
  writeFileSync(file(`${name}.pub.pem`), openssl(['x509', '-inform', 'DER', '-in', file(`${name}.crt.der`), '-pubkey', '-noout']));
  writeFileSync(file(`${name}.msg`), message);
  writeFileSync(file(`${name}.sig`), base64Decode(signatureB64));
  const out = openssl(['dgst', '-sha256', '-verify', file(`${name}.pub.pem`), '-signature', file(`${name}.sig`), file(`${name}.msg`)]).toString();
  assert.match(out, /Verified OK/);
}

describe('key files written by others open in the page', () => {
  let rsa;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dojang-web-keyfiles-'));
    assert.ok(existsSync(DOJANG), `the dojang binary is needed at ${DOJANG} (cargo build --bin dojang, or set DOJANG_BIN)`);
    rsa = keyAndCert('rsa', 'rsa');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads signPri.key that `dojang cert import` wrote (PBES2, HMAC-SHA1, SEED), R kept', async () => {
    // The Rust client imports a PFX and seals the key in its default scheme.
    const pfx = await buildPfx({ pkcs8: rsa.withR, certDer: rsa.certDer, password: PW, friendlyName: '홍길동' });
    writeFileSync(file('in.pfx'), pfx);
    const usb = file('usb-import');
    mkdirSync(usb);
    dojang(['import', file('in.pfx'), '--location', `removable:${usb}`], { DOJANG_PFX_PASSWORD: PW, DOJANG_NEW_CERT_PASSWORD: PW });
    const { certDer, keyDer } = pairIn(usb);
    assert.equal(hex(certDer), hex(rsa.certDer));
    const scheme = parseKeyFile(keyDer);
    assert.equal(scheme.scheme, 'pbes2');
    assert.equal(scheme.cipher.name, 'SEED');
    assert.equal(scheme.prf, 'SHA-1');
    const plain = await decryptKeyFile(keyDer, PW);
    assert.equal(hex(withoutAttributes(plain)), hex(rsa.bare), 'the same key');
    assert.equal(hex(randomNumOf(plain)), hex(R), 'the same R');
    await assert.rejects(decryptKeyFile(keyDer, 'Wrong-pass#1'), WrongPasswordError);

    // As the login page uses it: opened, R read, the possession message signed; openssl agrees.
    const signer = await openSigner({ kind: 'npki', certDer, keyDer, info: certInfo(certDer) }, PW);
    assert.equal(hex(signer.randomNum), hex(R));
    const nonce = base64Encode(crypto.getRandomValues(new Uint8Array(32)));
    const signature = await signPossession(signer.key, 'challenge-1', nonce);
    opensslVerifies(certDer, possessionMessage('challenge-1', nonce), signature, 'rsa-import');
  });

  it('reads a seedCBCWithSHA1 file after `dojang cert passwd` re-sealed it (the KISA scheme)', async () => {
    // An independent writer makes the KISA file; the Rust client changes its password and keeps
    // the scheme, so what the page opens below is the Rust side's own seedCBCWithSHA1 output.
    const folder = file('kisa/NPKI/otherbank/USER/cn=홍길동()0011234567890123');
    mkdirSync(folder, { recursive: true });
    writeFileSync(file('rsa.withR.der'), rsa.withR);
    python(['enc-seedsha1', file('rsa.withR.der'), join(folder, 'signPri.key'), PW, '2048']);
    writeFileSync(join(folder, 'signCert.der'), rsa.certDer);
    const serial = certInfo(rsa.certDer).serial;
    dojang(['passwd', serial, '--location', `removable:${file('kisa')}`], { DOJANG_CERT_PASSWORD: PW, DOJANG_NEW_CERT_PASSWORD: NEW_PW });
    const { keyDer } = pairIn(file('kisa'));
    const scheme = parseKeyFile(keyDer);
    assert.equal(scheme.scheme, 'seed-cbc-with-sha1');
    assert.equal(scheme.iterations, 2048);
    await assert.rejects(decryptKeyFile(keyDer, PW), WrongPasswordError, 'the old password no longer opens it');
    const plain = await decryptKeyFile(keyDer, NEW_PW);
    assert.equal(hex(plain), hex(rsa.withR), 'every byte, R included');
  });

  it('opens the PFX `dojang cert export` wrote, with the certificate and R', async () => {
    const serial = certInfo(rsa.certDer).serial;
    dojang(['export', serial, '--location', `removable:${file('kisa')}`, '--pfx', file('rust.pfx')], { DOJANG_CERT_PASSWORD: NEW_PW, DOJANG_PFX_PASSWORD: PW });
    const bytes = new Uint8Array(readFileSync(file('rust.pfx')));
    const opened = await openPfx(bytes, PW);
    assert.equal(hex(withoutAttributes(opened.pkcs8)), hex(rsa.bare));
    assert.equal(hex(randomNumOf(opened.pkcs8)), hex(R));
    assert.equal(hex(opened.certificates[0]), hex(rsa.certDer));
    await assert.rejects(openPfx(bytes, 'Wrong-pass#1'), PfxPasswordError);
    const signer = await openSigner({ kind: 'pfx', bytes, name: 'rust.pfx' }, PW);
    assert.equal(signer.serial, serial);
    assert.equal(hex(signer.randomNum), hex(R));
  });

  it('reads every scheme an independent implementation writes', async () => {
    writeFileSync(file('rsa.withR.der'), rsa.withR);
    const cases = [
      ['enc-seedsha1', '2048'],
      ['enc-pbes2', '2048', 'sha1', 'seed'],
      ['enc-pbes2', '2048', 'sha256', 'seed'],
      ['enc-pbes2', '2048', 'sha256', 'aes128'],
      ['enc-pbes2', '2048', 'sha256', 'aes256'],
      ['enc-pbes2', '2048', 'sha1', 'aes256'],
    ];
    for (const [cmd, iter, prf, cipher] of cases) {
      const out = file(`py-${cmd}-${prf || ''}-${cipher || ''}.key`);
      python([cmd, file('rsa.withR.der'), out, PW, iter, ...(prf ? [prf, cipher] : [])]);
      const der = new Uint8Array(readFileSync(out));
      const what = `${cmd} ${prf || ''} ${cipher || ''}`;
      assert.equal(hex(await decryptKeyFile(der, PW)), hex(rsa.withR), what);
      await assert.rejects(decryptKeyFile(der, 'Wrong-pass#1'), WrongPasswordError, what);
    }
  });

  it('signs with an ECDSA P-256 key from a key file, as the center verifies it', async () => {
    const ec = keyAndCert('ec', 'ec');
    writeFileSync(file('ec.withR.der'), ec.withR);
    python(['enc-pbes2', file('ec.withR.der'), file('ec.key'), PW, '2048', 'sha1', 'seed']);
    const keyDer = new Uint8Array(readFileSync(file('ec.key')));
    const signer = await openSigner({ kind: 'npki', certDer: ec.certDer, keyDer, info: certInfo(ec.certDer) }, PW);
    assert.equal(signer.key.algorithm.name, 'ECDSA');
    assert.equal(hex(signer.randomNum), hex(R));
    const nonce = base64Encode(crypto.getRandomValues(new Uint8Array(32)));
    const signature = await signPossession(signer.key, 'registration-7', nonce);
    opensslVerifies(ec.certDer, possessionMessage('registration-7', nonce), signature, 'ec');
    // A key file beside the wrong certificate is refused before anything is sent.
    await assert.rejects(openSigner({ kind: 'npki', certDer: rsa.certDer, keyDer, info: certInfo(rsa.certDer) }, PW), KeyMismatchError);
  });
});

describe('the financial certificate’s PIN rule', () => {
  it('refuses what crates/dojang-flows refuses, naming the rule', () => {
    const birth = '900101';
    const broken = (pin) => pinChecks(pin, pin, birth).filter((c) => !c.ok).map((c) => c.id);
    for (const [pin, rule] of [
      ['12345', 'six-digits'],
      ['12a456', 'six-digits'],
      ['1234567', 'six-digits'],
      ['111111', 'repeated-digits'],
      ['000000', 'repeated-digits'],
      ['123456', 'sequential-digits'],
      ['654321', 'sequential-digits'],
      ['890123', 'sequential-digits'],
      ['121212', 'repeated-pattern'],
      ['123123', 'repeated-pattern'],
      ['900101', 'birth-date'],
    ]) {
      assert.ok(broken(pin).includes(rule), `${pin} breaks ${rule} (got ${broken(pin)})`);
      assert.ok(!pinPasses(pin, pin, birth), pin);
    }
    for (const good of ['482916', '135790', '902101', '271828']) assert.ok(pinPasses(good, good, birth), good);
    assert.ok(!pinPasses('482916', '482917', birth), 'both entries must match');
    // Without the birth date known, that rule is left to the center.
    assert.ok(pinPasses('900101', '900101', null));
  });
});
