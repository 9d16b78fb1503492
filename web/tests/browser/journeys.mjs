// The steps a customer takes on the page, shared by the browser tests: waiting for a flow step,
// errors shown, the whole issue flow (every step, codes read off the simulated phone), and the
// files the result page saves.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { ACCOUNT_PW, cardAnswer, codeFromPhone, shots } from './support.mjs';

export const CERT_PW = 'Hong-gildong1!';

export async function step(page, name) {
  await page.locator(`section.step[data-step="${name}"]`).waitFor({ timeout: 20_000 });
}

/** How many errors the flow page has shown so far. */
export async function errorCount(page) {
  return Number((await page.getByTestId('error').getAttribute('data-seq')) || 0);
}

/** Clicks `locator` and waits for the next error message, which must match `pattern`. */
export async function clickForError(page, locator, pattern) {
  const before = await errorCount(page);
  await locator.click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="error"]')?.dataset.seq || 0) > n, before);
  const text = await page.getByTestId('error').textContent();
  assert.match(text, pattern);
  return text;
}

export async function expectError(page, pattern) {
  const box = page.getByTestId('error');
  await box.waitFor({ state: 'visible' });
  const text = await box.textContent();
  assert.match(text, pattern);
  return text;
}

/** Clicks `locator` and waits until `element` (a handle) has been replaced by a redraw. */
export async function clickAndRedraw(page, locator, element) {
  const handle = await element.elementHandle();
  await locator.click();
  await page.waitForFunction((el) => !el.isConnected, handle);
}

/** 약관 동의: every term accepted; `before` runs just before the step is sent (a screenshot). */
export async function acceptTerms(page, before = async () => {}) {
  await step(page, 'terms');
  await page.getByTestId('terms-all').check();
  await before();
  await page.getByTestId('submit').click();
}

/** 본인 확인 with the banking ID and RRN (and the banking password when `password`). */
export async function identifyAs(page, cust, { password = null, before = async () => {} } = {}) {
  await step(page, 'identify');
  await page.getByTestId('banking-id').fill(cust.bankingId);
  await page.getByTestId('rrn-front').fill(cust.rrn.slice(0, 6));
  await page.getByTestId('rrn-back').fill(cust.rrn.slice(6));
  if (password) await page.getByTestId('banking-password').fill(password);
  await before();
  await page.getByTestId('submit').click();
}

/** ARS or SMS: the code asked for, then read off the simulated phone and typed in. */
export async function phoneCheck(page, cust, name = 'check-ars') {
  await step(page, name);
  await page.getByTestId('challenge-start').click();
  await page.getByTestId('prompt').waitFor();
  await page.getByTestId('code').fill((await codeFromPhone(page, cust.phone)).code);
  await page.getByTestId('challenge-answer').click();
}

/** 출금계좌: the account and its password; returns the fee shown. */
export async function payFrom(page, cust, before = async () => {}) {
  await step(page, 'payment');
  const fee = await page.getByTestId('fee').textContent();
  await page.getByTestId('account').fill(cust.account);
  await page.getByTestId('account-password').fill(ACCOUNT_PW);
  await before();
  await page.getByTestId('submit').click();
  return fee;
}

/** 보안카드: the two codes asked for, from the card printed at enrolment. */
export async function cardCheck(page, cust, before = async () => {}) {
  await step(page, 'check-second-factor');
  await page.getByTestId('challenge-start').click();
  const question = page.getByTestId('card-question');
  await question.waitFor();
  const a = cardAnswer(cust.card, Number(await question.getAttribute('data-first')), Number(await question.getAttribute('data-second')));
  await page.getByTestId('card-first').fill(a.first);
  await page.getByTestId('card-second').fill(a.second);
  await before();
  await page.getByTestId('challenge-answer').click();
}

/**
 * Drives the issue flow for `cust` through every step. Options: product, password,
 * `screens` (take screenshots), `wrongArs` (type a wrong ARS code first), `storage` (the
 * 저장 위치 chosen: disk, removable, pfx or phone).
 */
export async function issue(page, center, cust, { product = 'personal-bank', password = CERT_PW, screens = false, wrongArs = false, storage = 'disk' } = {}) {
  const snap = async (name, focus = 'main h1') => {
    if (screens) await shots(page, name, focus);
  };
  await page.goto(`${center.base}/#/issue`);
  await page.getByTestId('start').click();
  await acceptTerms(page, () => snap('02-terms'));
  await identifyAs(page, cust, { before: () => snap('03-identify') });

  await step(page, 'product');
  await page.getByTestId(`product-${product}`).check();
  await snap('04-product');
  await page.getByTestId('submit').click();

  await step(page, 'check-ars');
  assert.match(await page.getByTestId('step-count').textContent(), /4\/8/);
  await page.getByTestId('challenge-start').click();
  await page.getByTestId('prompt').waitFor();
  if (wrongArs) {
    await page.getByTestId('code').fill('000000');
    const text = await clickForError(page, page.getByTestId('challenge-answer'), /ARS 승인번호가 일치하지 않습니다/);
    assert.match(text, /남은 입력 횟수 2회/);
    await snap('05-ars-wrong-code');
  }
  const { code } = await codeFromPhone(page, cust.phone);
  if (screens) {
    await page.getByTestId('phone-toggle').click();
    await page.getByTestId('phone-messages').locator('li.message').first().waitFor();
    await snap('05-ars-phone');
    await page.getByTestId('phone-toggle').click();
  }
  await page.getByTestId('code').fill(code);
  await page.getByTestId('challenge-answer').click();

  const feeText = await payFrom(page, cust, () => snap('06-payment-fee', '[data-testid="fee"]'));
  await cardCheck(page, cust, () => snap('07-security-card', '[data-testid="prompt"]'));

  await step(page, 'confirm');
  await snap('08-confirm');
  await page.getByTestId('confirm').click();

  await step(page, 'csr');
  // The password rule, shown live as the customer types.
  await page.getByTestId('new-password').fill('abc');
  const rules = page.getByTestId('password-rules');
  assert.equal(await rules.locator('li[data-rule="length"]').getAttribute('data-ok'), '0');
  assert.equal(await rules.locator('li[data-rule="digit"]').getAttribute('data-ok'), '0');
  await page.getByTestId(`storage-${storage}`).check();
  await page.getByTestId('new-password').fill(password);
  await page.getByTestId('new-password-2').fill(password);
  assert.equal(await rules.locator('li[data-ok="0"]').count(), 0, 'every rule is met');
  await snap('09-storage-password', '[data-testid="password-rules"]');
  await page.getByTestId('issue').click();
  await page.locator('section[data-step="result"]').waitFor({ timeout: 60_000 });
  await snap('10-result');
  const serial = (await page.getByTestId('result-serial').textContent()).trim();
  return { serial, feeText };
}

export async function downloadTo(page, testid, path) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  await download.saveAs(path);
  return path;
}

/** Extracts the zip's NPKI pair into `dir`; returns the folder holding signCert.der. */
export function unzipPair(zipPath, dir, org = 'dojang') {
  const entries = unzipSync(new Uint8Array(readFileSync(zipPath)));
  let folder = null;
  for (const [name, data] of Object.entries(entries)) {
    assert.ok(new RegExp(`^NPKI/${org}/USER/cn=[^/]+/(signCert\\.der|signPri\\.key)$`).test(name), `zip entry ${name}`);
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, data);
    if (name.endsWith('signCert.der')) folder = join(path, '..');
  }
  return folder;
}

