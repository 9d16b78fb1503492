// Certificate copy (인증서 복사 / 이동) in the page: src/crypto/copy.js (protocol dojang-copy/1)
// and src/transfer.js (the relay client).
//
// - the known-answer vector of docs/copy.md, read from the document itself, reproduced byte for
//   byte: both SPAKE2 messages, both confirmations and the sealed box;
// - a wrong number fails the sender's confirmation and opens nothing; a changed box is caught;
//   the payload and the number are read as strictly as crates/dojang-transfer reads them;
// - against the Rust client through a real `dojang serve`: the page's receiver gets what
//   `dojang cert copy send` sends (after a wrong number it counted), and `dojang cert copy
//   receive` keeps what the page's sender sends (the page checks its confirmation); three wrong
//   numbers kill the copy on both sides.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ApiError } from '../../src/api.js';
import { CopyProtocolError, ReceiverRound, WrongNumberError, formatNumber, makeOffer, newSecret, parseNumber, parsePayload, payloadJson } from '../../src/crypto/copy.js';
import { pairsInZip, zipPair } from '../../src/crypto/npki.js';
import { buildPfx } from '../../src/crypto/pfx.js';
import { Receiving, send } from '../../src/transfer.js';
import { Center, DOJANG, ROOT, apiAt, ok } from '../browser/support.mjs';

const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
const seq = (from, to) => new Uint8Array(Array.from({ length: to - from + 1 }, (_, i) => from + i));
const PAIR = { signCert: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), signKey: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x02]) };

/** The vector's lines in docs/copy.md: { receiver_message: hex, … }. */
function vectorFromDoc() {
  const doc = readFileSync(join(ROOT, 'docs/copy.md'), 'utf8');
  const out = {};
  for (const m of doc.matchAll(/^(receiver_message|sender_message|sender_confirm|sealed|receiver_confirm) ([0-9a-f]+)$/gm)) out[m[1]] = m[2];
  assert.equal(Object.keys(out).length, 5, 'docs/copy.md holds the five lines of the vector');
  return out;
}

describe('dojang-copy/1 in the page', () => {
  it('reproduces the known-answer vector of docs/copy.md byte for byte', async () => {
    const v = vectorFromDoc();
    const id = '0123456789abcdef0123456789abcdef';
    const receiver = new ReceiverRound('12345678', id, seq(0x41, 0x80));
    assert.equal(hex(receiver.message), v.receiver_message);
    const payload = parsePayload(new TextEncoder().encode('{"v":1,"sign_cert":"MAMCAQE=","sign_key":"MAMCAQI=","km_cert":null,"km_key":null}'));
    assert.deepEqual(payload, { ...PAIR, kmCert: null, kmKey: null });
    assert.equal(new TextDecoder().decode(payloadJson(payload)), '{"v":1,"sign_cert":"MAMCAQE=","sign_key":"MAMCAQI=","km_cert":null,"km_key":null}');
    const { offer, check } = await makeOffer({ secret: '12345678', transferId: id, receiverMessage: receiver.message, payload, random64: seq(0x01, 0x40), nonce: new Uint8Array(12).fill(7) });
    assert.equal(hex(offer.senderMessage), v.sender_message);
    assert.equal(hex(offer.senderConfirm), v.sender_confirm);
    assert.equal(hex(offer.sealed), v.sealed);
    const opened = await receiver.open(offer);
    assert.equal(hex(opened.receiverConfirm), v.receiver_confirm);
    assert.deepEqual(opened.payload, { ...PAIR, kmCert: null, kmKey: null });
    assert.ok(check(opened.receiverConfirm));
    assert.ok(!check(unhex(v.sender_confirm)), 'another value is not the confirmation');

    // And the page's receiver opens the vector's offer as the Rust sender would make it.
    const again = new ReceiverRound('12345678', id, seq(0x41, 0x80));
    const fromDoc = await again.open({ senderMessage: unhex(v.sender_message), senderConfirm: unhex(v.sender_confirm), sealed: unhex(v.sealed) });
    assert.equal(hex(fromDoc.receiverConfirm), v.receiver_confirm);
  });

  it('refuses a wrong number before opening anything, and catches a changed box', async () => {
    const id = 'aa'.repeat(16);
    const receiver = new ReceiverRound('12345678', id);
    const wrong = await makeOffer({ secret: '12345679', transferId: id, receiverMessage: receiver.message, payload: PAIR });
    await assert.rejects(receiver.open(wrong.offer), WrongNumberError);
    // Another transfer's id is another key.
    const r2 = new ReceiverRound('12345678', id);
    const other = await makeOffer({ secret: '12345678', transferId: 'bb'.repeat(16), receiverMessage: r2.message, payload: PAIR });
    await assert.rejects(r2.open(other.offer), WrongNumberError);
    // The right number, the box changed on the way: the key is confirmed, the box refused.
    const r3 = new ReceiverRound('12345678', id);
    const good = await makeOffer({ secret: '12345678', transferId: id, receiverMessage: r3.message, payload: PAIR });
    const sealed = good.offer.sealed.slice();
    sealed[sealed.length - 1] ^= 1;
    await assert.rejects(r3.open({ ...good.offer, sealed }), (e) => e instanceof CopyProtocolError && e.code === 'tampered');
    // Messages of the wrong side or size.
    const r4 = new ReceiverRound('12345678', id);
    await assert.rejects(makeOffer({ secret: '12345678', transferId: id, receiverMessage: good.offer.senderMessage, payload: PAIR }), (e) => e.code === 'malformed');
    // A sender's message of the wrong side, or no point at all, is a wrong number: not a reason to call the copy off.
    await assert.rejects(r4.open({ ...good.offer, senderMessage: r4.message }), WrongNumberError);
    const notAPoint = new Uint8Array(33); // side A, then y = 2, which is no point of Ed25519
    notAPoint[0] = 0x41;
    notAPoint[1] = 2;
    await assert.rejects(new ReceiverRound('12345678', id).open({ ...good.offer, senderMessage: notAPoint }), WrongNumberError);
    // The plain files are not in the box.
    const big = { signCert: new Uint8Array(600).fill(0x30), signKey: new TextEncoder().encode('0'.repeat(300) + 'ENCRYPTED-KEY-BYTES') };
    const r5 = new ReceiverRound('12345678', id);
    const boxed = await makeOffer({ secret: '12345678', transferId: id, receiverMessage: r5.message, payload: big });
    assert.ok(!Buffer.from(boxed.offer.sealed).includes(Buffer.from('ENCRYPTED-KEY-BYTES')));
    const opened = await r5.open(boxed.offer);
    assert.deepEqual(opened.payload.signKey, big.signKey);
  });

  it('reads the payload and the number as strictly as the Rust side', () => {
    for (const bad of [
      '{"v":2,"sign_cert":"MAE=","sign_key":"MAE=","km_cert":null,"km_key":null}',
      '{"v":1,"sign_cert":"","sign_key":"MAE=","km_cert":null,"km_key":null}',
      '{"v":1,"sign_cert":"MAE=","sign_key":"!!","km_cert":null,"km_key":null}',
      '{"v":1,"sign_cert":"MAE=","sign_key":"MAE=","km_cert":"MAE=","km_key":null}',
      '{"v":1,"sign_cert":"MAE=","sign_key":"MAE=","km_cert":null,"km_key":null,"x":1}',
      'not json',
    ]) {
      assert.throws(() => parsePayload(new TextEncoder().encode(bad)), (e) => e.code === 'payload', bad);
    }
    const km = parsePayload(payloadJson({ ...PAIR, kmCert: new Uint8Array([0x30, 3]), kmKey: new Uint8Array([0x30, 4]) }));
    assert.deepEqual(km.kmKey, new Uint8Array([0x30, 4]));
    assert.throws(() => payloadJson({ signCert: new Uint8Array(32 * 1024 + 1), signKey: PAIR.signKey }), (e) => e.code === 'payload');

    assert.deepEqual(parseNumber(' 1234-5678 9012 '), { code: '1234', secret: '56789012' });
    assert.deepEqual(parseNumber('123456789012'), { code: '1234', secret: '56789012' });
    assert.throws(() => parseNumber('1234-5678-901'), (e) => e.reason === 'length');
    assert.throws(() => parseNumber('1234-5678-901O'), (e) => e.reason === 'chars');
    assert.equal(formatNumber('0042', '00001234'), '0042-0000-1234');
    const seen = new Set();
    for (let i = 0; i < 200; i++) {
      const s = newSecret();
      assert.match(s, /^[0-9]{8}$/);
      seen.add(s);
    }
    assert.ok(seen.size > 190, 'secrets are drawn anew');
  });

  it('keeps a copied key-management pair (kmCert.der, kmPri.key) beside the signing pair in the zip', () => {
    const km = { certDer: new Uint8Array([0x30, 7]), keyDer: new Uint8Array([0x30, 8]) };
    const zip = zipPair({ caName: 'yessign', subjectText: 'cn=홍길동,o=yessign,c=kr', certDer: PAIR.signCert, keyDer: PAIR.signKey, km });
    const [pair] = pairsInZip(zip);
    assert.deepEqual(pair.km, km);
    assert.deepEqual(pair.keyDer, PAIR.signKey);
    const [bare] = pairsInZip(zipPair({ caName: 'yessign', subjectText: 'cn=홍길동,o=yessign,c=kr', certDer: PAIR.signCert, keyDer: PAIR.signKey }));
    assert.equal(bare.km, null);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the Rust client, through a real center

/** `dojang cert copy …` running on its own; `text()` is its output so far, `done` its exit. */
function cli(center, args, env = {}) {
  const e = { ...process.env, DOJANG_LANG: 'en', DOJANG_NPKI_HOME: center.path('home-npki'), DOJANG_PHONE_HOME: center.path('home-phone'), ...env };
  for (const k of ['DOJANG_SERVER', 'DOJANG_CLOCK_OFFSET', 'DOJANG_DATA', 'DOJANG_CONFIG']) delete e[k];
  if (!env.DOJANG_COPY_NUMBER) delete e.DOJANG_COPY_NUMBER;
  const child = spawn(DOJANG, ['cert', 'copy', ...args, '--server', center.base, '--lang', 'en'], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise((r) => child.once('exit', (code) => r(code)));
  return { child, text: () => out, done };
}

async function waitFor(what, fn, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The one NPKI folder on a removable disk, its two files. */
function pairOn(disk) {
  const found = [];
  for (const ca of readdirSync(join(disk, 'NPKI'))) for (const who of readdirSync(join(disk, 'NPKI', ca, 'USER'))) found.push(join(disk, 'NPKI', ca, 'USER', who));
  assert.equal(found.length, 1, `one certificate on ${disk}`);
  return { signCert: new Uint8Array(readFileSync(join(found[0], 'signCert.der'))), signKey: new Uint8Array(readFileSync(join(found[0], 'signPri.key'))) };
}

describe('the page and `dojang cert copy` copy to each other through `dojang serve`', { timeout: 180_000 }, () => {
  let center;
  let http;
  let usb; // the Rust client's removable disk holding the certificate to send
  const PW = 'Copy-interop#2024';

  before(async () => {
    assert.ok(existsSync(DOJANG), `the dojang binary is needed at ${DOJANG} (cargo build --bin dojang, or set DOJANG_BIN)`);
    center = await Center.create();
    await center.start();
    http = apiAt(center.base);
    // A certificate and its key (openssl), put on a removable disk by `dojang cert import`:
    // signPri.key as the Rust side seals it.
    const key = center.path('k.pem');
    ok('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
    ok('openssl', ['req', '-new', '-x509', '-key', key, '-subj', '/C=KR/O=otherbank/OU=personal4IB/OU=OTHERBANK/CN=홍길동()0011234567890123', '-utf8', '-days', '30', '-outform', 'DER', '-out', center.path('c.der')]);
    ok('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', key, '-outform', 'DER', '-out', center.path('k.der')]);
    const pfx = await buildPfx({ pkcs8: new Uint8Array(readFileSync(center.path('k.der'))), certDer: new Uint8Array(readFileSync(center.path('c.der'))), password: PW, friendlyName: '홍길동' });
    const pfxPath = center.path('in.pfx');
    writeFileSync(pfxPath, pfx);
    usb = center.path('usb');
    mkdirSync(usb);
    ok(DOJANG, ['cert', 'import', pfxPath, '--location', `removable:${usb}`, '--lang', 'en'], { env: { DOJANG_LANG: 'en', DOJANG_PFX_PASSWORD: PW, DOJANG_NEW_CERT_PASSWORD: PW } });
  });

  after(async () => {
    await center?.stop();
    center?.cleanup();
  });

  it('the page receives what `dojang cert copy send` sends, after a wrong number it counted', async () => {
    const receiving = await Receiving.open(http);
    assert.match(receiving.number, /^[0-9]{4}-[0-9]{4}-[0-9]{4}$/);
    assert.equal(receiving.attemptsLeft, 3);
    const { code, secret } = parseNumber(receiving.number);
    const wrongSecret = secret.replace(/^./, (d) => String((Number(d) + 1) % 10));

    const wrongSend = cli(center, ['send', '--location', `removable:${usb}`], { DOJANG_COPY_NUMBER: formatNumber(code, wrongSecret) });
    const first = await receiving.next();
    assert.deepEqual(first, { kind: 'wrong', attemptsLeft: 2 });
    assert.notEqual(await wrongSend.done, 0);
    assert.match(wrongSend.text(), /the authentication number is wrong \(2 tries left\)/);

    const rightSend = cli(center, ['send', '--location', `removable:${usb}`], { DOJANG_COPY_NUMBER: receiving.number });
    const got = await receiving.next();
    assert.equal(got.kind, 'arrived');
    const onDisk = pairOn(usb);
    assert.deepEqual(got.payload.signCert, onDisk.signCert);
    assert.deepEqual(got.payload.signKey, onDisk.signKey, 'signPri.key as it is on disk, still encrypted');
    assert.equal(got.payload.kmCert, null);
    await receiving.accept(got.confirm);
    assert.equal(await rightSend.done, 0, rightSend.text());
    assert.match(rightSend.text(), /the receiving device confirmed it kept it/);
  });

  it('`dojang cert copy receive` keeps what the page sends, and the page checks its confirmation', async () => {
    const disk = center.path('usb-received');
    mkdirSync(disk);
    const receiver = cli(center, ['receive', '--location', `removable:${disk}`]);
    const shown = await waitFor('the number', () => /Authentication number: ([0-9-]+)/.exec(receiver.text())?.[1]);
    const number = parseNumber(shown);
    const payload = pairOn(usb);

    const wrong = { code: number.code, secret: number.secret.replace(/.$/, (d) => String((Number(d) + 1) % 10)) };
    await assert.rejects(send(http, { number: wrong, payload }), (e) => e instanceof CopyProtocolError && e.code === 'wrong_number' && e.attemptsLeft === 2);
    await waitFor('the receiver to report the wrong number', () => /typed a wrong number \(2 tries left\)/.test(receiver.text()));

    let offered = false;
    await send(http, { number, payload, onOffered: () => (offered = true) });
    assert.ok(offered);
    assert.equal(await receiver.done, 0, receiver.text());
    assert.match(receiver.text(), /The certificate is copied here/);
    assert.deepEqual(pairOn(disk), payload, 'the Rust client kept the very files the page sent');
    // The copy is finished: the center forgot the code.
    await assert.rejects(http.get(`/api/v1/transfers/code/${number.code}`), (e) => e instanceof ApiError && e.status === 404);
  });

  it('three wrong numbers from the page kill the copy on both sides', async () => {
    const disk = center.path('usb-dead');
    mkdirSync(disk);
    const receiver = cli(center, ['receive', '--location', `removable:${disk}`]);
    const number = parseNumber(await waitFor('the number', () => /Authentication number: ([0-9-]+)/.exec(receiver.text())?.[1]));
    const payload = pairOn(usb);
    const wrong = (i) => ({ code: number.code, secret: number.secret.replace(/.$/, (d) => String((Number(d) + i) % 10)) });
    await assert.rejects(send(http, { number: wrong(1), payload }), (e) => e.code === 'wrong_number' && e.attemptsLeft === 2);
    await assert.rejects(send(http, { number: wrong(2), payload }), (e) => e.code === 'wrong_number' && e.attemptsLeft === 1);
    await assert.rejects(send(http, { number: wrong(3), payload }), (e) => e.code === 'transfer_dead' && e.attemptsLeft === 0);
    assert.notEqual(await receiver.done, 0);
    assert.match(receiver.text(), /wrong 3 times, so the copy is cancelled.*\(transfer_dead\)/);
    assert.deepEqual(readdirSync(disk), [], 'nothing kept');
    // Even the right number is refused now, with what to do.
    await assert.rejects(send(http, { number, payload }), (e) => e instanceof ApiError && ['transfer_dead', 'transfer_not_found'].includes(e.code));
  });
});
