// 인증서 복사/이동 on the page (#/copy), in Debian's Chromium against a real `dojang serve`:
//
// (a) a certificate issued on the page with storage 휴대폰 goes page to page: the receiving
//     browser (phone width) shows the number, the sending browser types it; the received copy
//     logs in on 인증서 로그인, and its saved zip holds the certificate openssl reads;
// (b) page → `dojang cert copy receive --location removable:DIR` (the Rust client), whose copy
//     then logs in with `dojang login`;
// (c) a wrong number is refused on both screens with the tries left, and the third cancels the
//     copy on both, after which the number is refused for good;
// (d) a move: the certificate leaves the sending browser only once the receiver's confirmation
//     verifies — not while the receiver holds the offer, not on a forged confirmation.
//
// Screenshots of the main steps at 1280×800 and 390×844 go to docs/screenshots/ (34–40).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Receiving } from '../../src/transfer.js';
import { Center, DESKTOP, DOJANG, PHONE, apiAt, launch, newPage, ok, shots } from './support.mjs';
import { CERT_PW, downloadTo, issue, unzipPair } from './journeys.mjs';

let center;
let browser;
let kim;
let sender; // the desktop browser that issued the certificate and sends it
let serial;
let issuedCert; // its signCert.der, as the page-to-page copy saved it

/** Moves within the page (same document: the files it holds in memory stay). */
async function go(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.locator('main h1').waitFor();
}

/** 인증서 관리 → the certificate's 복사/이동: the sending form with it chosen. */
async function openSend(page) {
  await go(page, '#/manage');
  await page.locator(`[data-testid="cert-card"][data-serial="${serial}"]`).getByTestId('cert-copy').click();
  await page.getByTestId('copy-send-form').waitFor();
  assert.ok(await page.locator(`input[value="file:${serial}"]`).isChecked());
}

/** Problems the page reported, minus the refusals the tests provoke on purpose. */
const unexpected = (page) => page.problems.filter((p) => !/status of 4\d\d/.test(p));

/** Whether this browser's certificate list (인증서 관리) holds `serial`. */
const holds = (page, s) => page.evaluate((x) => (sessionStorage.getItem('dojang.wallet') || '').includes(x), s);

/** Clicks 인증서 보내기 and waits for the next message in the copy alert, which must match. */
async function sendForError(page, pattern) {
  const box = page.getByTestId('copy-send-error');
  const before = Number((await box.getAttribute('data-seq')) || 0);
  await page.getByTestId('copy-send').click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="copy-send-error"]')?.dataset.seq || 0) > n, before);
  const text = await box.textContent();
  assert.match(text, pattern);
  return { text, code: await box.getAttribute('data-code') };
}

/** A receiving browser at phone width with a fresh number; returns { page, number }. */
async function receiver() {
  const page = await newPage(browser, PHONE);
  await page.goto(`${center.base}/#/copy`);
  // From the keyboard: the button is reached and pressed without a mouse.
  await page.getByTestId('copy-receive-start').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('copy-number').waitFor();
  return { page, number: await page.getByTestId('copy-number').getAttribute('data-number') };
}

/** The sending form, `serial` chosen, with `number` typed in. */
async function typeNumber(page, number) {
  const input = page.getByTestId('copy-number-input');
  await input.fill('');
  await input.pressSequentially(number.replace(/-/g, ''));
  assert.equal(await input.inputValue(), number, 'typed digits are grouped as the receiver shows them');
}

const wrongOf = (number, i) => number.replace(/\d$/, (d) => String((Number(d) + i) % 10));

/** `dojang <args>` running on its own; `text()` is its output so far, `done` its exit status. */
function start(args, env = {}) {
  const e = { ...process.env, DOJANG_LANG: 'en', DOJANG_NPKI_HOME: center.path('cli-npki'), DOJANG_PHONE_HOME: center.path('cli-phone'), ...env };
  for (const k of ['DOJANG_SERVER', 'DOJANG_CLOCK_OFFSET', 'DOJANG_DATA', 'DOJANG_CONFIG', 'DOJANG_COPY_NUMBER']) delete e[k];
  const child = spawn(DOJANG, [...args, '--server', center.base, '--lang', 'en'], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { text: () => out, done: new Promise((r) => child.once('exit', r)) };
}

describe('인증서 복사/이동 on the page', { timeout: 300_000 }, () => {
  before(async () => {
    center = await Center.create();
    kim = center.enrol(2, '김영희', 50_000);
    await center.start();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await center?.stop();
    center?.cleanup();
  });

  it('(a) copies page to page — issued with storage 휴대폰, the number typed — and the copy logs in', async () => {
    sender = await newPage(browser, DESKTOP);
    ({ serial } = await issue(sender, center, kim, { storage: 'phone' }));
    await sender.getByTestId('copy-to-phone').waitFor();
    await shots(sender, '34-copy-issued-to-phone', '[data-testid="copy-to-phone"]');
    await sender.getByTestId('copy-to-phone-link').click();
    await sender.getByTestId('copy-send-form').waitFor();
    assert.ok(await sender.locator(`input[value="file:${serial}"]`).isChecked(), 'the certificate just issued is chosen');
    assert.ok(await sender.getByTestId('cert-password').isHidden(), 'no certificate password is asked to send');

    const { page: phone, number } = await receiver();
    assert.match(number, /^\d{4}-\d{4}-\d{4}$/);
    assert.match(await phone.getByTestId('copy-time-left').textContent(), /남은 시간 [45]:\d\d/);
    assert.match(await phone.getByTestId('copy-attempts').textContent(), /남은 입력 횟수 3회/);
    // The language switch keeps the copy (same number), and English is there.
    await phone.getByTestId('lang-toggle').click();
    assert.equal(await phone.locator('main h1').textContent(), 'Copy or move a certificate');
    assert.equal(await phone.getByTestId('copy-number').getAttribute('data-number'), number);
    await phone.getByTestId('lang-toggle').click();
    await shots(phone, '35-copy-receive-number', '[data-testid="copy-number"]');

    await typeNumber(sender, number);
    await shots(sender, '36-copy-send', '[data-testid="copy-number-input"]');
    await sender.getByTestId('copy-send').click();
    await phone.getByTestId('copy-result-title').waitFor({ timeout: 20_000 });
    assert.match(await phone.getByTestId('copy-result-title').textContent(), /인증서를 받았습니다/);
    assert.equal((await phone.getByTestId('copy-result-serial').textContent()).trim(), serial);
    await sender.getByTestId('copy-sent-title').waitFor();
    assert.match(await sender.getByTestId('copy-sent-title').textContent(), /인증서를 보냈습니다/);
    assert.ok(await holds(sender, serial), 'a copy leaves the source where it was');
    await shots(phone, '37-copy-received', '[data-testid="copy-received"]');

    // The zip it saves holds the certificate as issued (openssl reads it, same serial).
    const zip = await downloadTo(phone, 'copy-download-zip', center.path('received.zip'));
    const folder = unzipPair(zip, center.path('received'));
    issuedCert = new Uint8Array(readFileSync(`${folder}/signCert.der`));
    const shown = ok('openssl', ['x509', '-inform', 'DER', '-in', `${folder}/signCert.der`, '-noout', '-serial']);
    assert.equal(shown.trim().replace(/^serial=/, '').replace(/^0+/, ''), serial.replace(/^0+/, ''));

    // 인증서 로그인 with the received copy: its key opens with the password it had.
    await phone.getByTestId('copy-go-login').click();
    await phone.locator(`input[value="file:${serial}"]`).waitFor();
    await phone.getByTestId('cert-password').fill(CERT_PW);
    await phone.getByTestId('login-banking-id').fill(kim.bankingId);
    await phone.getByTestId('login-submit').click();
    await phone.getByTestId('session').waitFor();
    assert.match(await phone.getByTestId('session-title').textContent(), /김영희 고객님, 로그인되었습니다/);
    assert.equal((await phone.getByTestId('session-serial').textContent()).trim(), serial);
    assert.deepEqual(unexpected(phone), []);
    await phone.context().close();
  });

  it('(b) copies from the page to `dojang cert copy receive`, whose copy logs in with `dojang login`', async () => {
    const disk = center.path('usb');
    mkdirSync(disk);
    const cli = start(['cert', 'copy', 'receive', '--location', `removable:${disk}`]);
    const deadline = Date.now() + 30_000;
    let number;
    while (!(number = /Authentication number: ([0-9-]+)/.exec(cli.text())?.[1])) {
      assert.ok(Date.now() < deadline, `no number from the client:\n${cli.text()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await openSend(sender);
    await typeNumber(sender, number);
    await sender.getByTestId('copy-send').click();
    await sender.getByTestId('copy-sent-title').waitFor({ timeout: 20_000 });
    assert.equal(await cli.done, 0, cli.text());
    assert.match(cli.text(), new RegExp(`The certificate is copied here[\\s\\S]*Serial ${serial}`));
    const login = start(['login', '--location', `removable:${disk}`, '--banking-id', kim.bankingId], { DOJANG_CERT_PASSWORD: CERT_PW });
    assert.equal(await login.done, 0, login.text());
    assert.match(login.text(), /Logged in: 김영희/);
  });

  it('(c) refuses a wrong number with its message and the tries left; the third cancels the copy', async () => {
    const { page: phone, number } = await receiver();
    await openSend(sender);

    await typeNumber(sender, wrongOf(number, 1));
    let r = await sendForError(sender, /인증번호가 틀렸습니다/);
    assert.equal(r.code, 'wrong_number');
    assert.match(r.text, /남은 입력 횟수: 2회/);
    assert.match(await phone.getByTestId('copy-wrong-notice').textContent(), /인증번호가 틀렸습니다\. 남은 입력 횟수: 2회/);
    assert.match(await phone.getByTestId('copy-attempts').textContent(), /남은 입력 횟수 2회/);
    await shots(sender, '38-copy-wrong-number', '[data-testid="copy-send-error"]');

    await typeNumber(sender, wrongOf(number, 2));
    r = await sendForError(sender, /남은 입력 횟수: 1회/);
    await typeNumber(sender, wrongOf(number, 3));
    r = await sendForError(sender, /인증번호를 3회 잘못 입력하여 이 인증서 복사는 취소되었습니다/);
    assert.equal(r.code, 'transfer_dead');
    assert.match(r.text, /새 인증번호를 받아/);
    // The receiving screen says so too, with the way on.
    const box = phone.getByTestId('copy-error');
    await box.waitFor();
    assert.equal(await box.getAttribute('data-code'), 'transfer_dead');
    assert.match(await box.textContent(), /인증서 복사가 취소되었습니다/);
    await shots(phone, '39-copy-cancelled', '[data-testid="copy-error"]');

    // The right number is refused now; the receiver starts over with a new number.
    await typeNumber(sender, number);
    r = await sendForError(sender, /취소되었습니다/);
    assert.equal(r.code, 'transfer_dead');
    await phone.getByTestId('copy-receive-restart').click();
    await phone.getByTestId('copy-number').waitFor();
    assert.notEqual(await phone.getByTestId('copy-number').getAttribute('data-number'), number);
    await phone.getByTestId('copy-receive-cancel').click();
    await phone.getByTestId('copy-receive-start').waitFor();
    assert.ok(await holds(sender, serial), 'nothing was taken from the sender');
    assert.deepEqual(unexpected(phone), []);
    await phone.context().close();
  });

  it('(d) moves: the source leaves the sending browser only once the receiver’s confirmation verifies', async () => {
    // The other device is played by the page's own module (src/transfer.js), so that the test
    // decides when it answers.
    const api = apiAt(center.base);
    await openSend(sender);

    // A forged confirmation: the page refuses it and keeps the certificate.
    const forged = await Receiving.open(api);
    await typeNumber(sender, forged.number);
    await sender.getByTestId('copy-move').check();
    const box = sender.getByTestId('copy-send-error');
    const seq = Number((await box.getAttribute('data-seq')) || 0);
    await sender.getByTestId('copy-send').click();
    const offered = await forged.next();
    assert.equal(offered.kind, 'arrived');
    assert.ok(await holds(sender, serial), 'still there while the receiver holds the offer');
    await forged.accept(crypto.getRandomValues(new Uint8Array(32)));
    await sender.waitForFunction((n) => Number(document.querySelector('[data-testid="copy-send-error"]')?.dataset.seq || 0) > n, seq);
    assert.equal(await box.getAttribute('data-code'), 'not_confirmed');
    assert.match(await box.textContent(), /이 브라우저의 인증서는 지우지 않았습니다/);
    assert.ok(await holds(sender, serial), 'kept after a confirmation that does not verify');

    // The real one: removed only after it.
    const device = await Receiving.open(api);
    await typeNumber(sender, device.number);
    assert.ok(await sender.getByTestId('copy-move').isChecked());
    await sender.getByTestId('copy-send').click();
    const got = await device.next();
    assert.equal(got.kind, 'arrived');
    assert.deepEqual(got.payload.signCert, issuedCert, 'the certificate issued in (a)');
    assert.ok(await holds(sender, serial), 'not removed before the confirmation');
    await device.accept(got.confirm);
    await sender.getByTestId('copy-sent-title').waitFor({ timeout: 20_000 });
    assert.match(await sender.getByTestId('copy-sent-title').textContent(), /인증서를 이동했습니다/);
    assert.match(await sender.getByTestId('copy-moved-note').textContent(), /이 브라우저에서 인증서를 지웠습니다/);
    assert.ok(!(await holds(sender, serial)), 'gone from the sending browser');
    await shots(sender, '40-copy-moved', '[data-testid="copy-sent"]');
    await go(sender, '#/manage');
    assert.match(await sender.getByTestId('cert-list').textContent(), /보관 중인 인증서가 없습니다/);
    assert.deepEqual(unexpected(sender), []);
    await sender.context().close();
  });
});
