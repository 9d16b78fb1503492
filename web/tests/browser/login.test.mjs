// 인증서 로그인, 타기관 인증서 등록/해제 and 금융인증서 on the page, in Debian's Chromium,
// against two real centers — bank B (the page under test, this bank) and bank A (another
// bank with its own CA, which bank B trusts through `[[trusted_issuers]]`):
//
// - a financial certificate issued through every step of the page, the PIN rule shown for a
//   weak PIN; then certificate login with it through the cloud signer (PIN → signHash, R from
//   `vid_random`), a wrong PIN counted; the customer's financial certificate shown with its
//   days left, and automatic renewal switched off (the center agrees);
// - login with a joint certificate the page issued, loaded back from the saved zip (the key
//   decrypted in the browser); a wrong password told apart; after revocation the login is
//   refused as "폐기된 인증서";
// - a certificate issued at bank A by the command-line client (`dojang cert issue`, so its
//   signPri.key was written by the Rust side) registered at bank B with the ARS code from the
//   phone panel, used to log in at B (status asked at A's OCSP), unregistered, then refused.
//
// Screenshots of the main steps at 1280×800 and 390×844 go to docs/screenshots/.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BANKING_PW, Center, DESKTOP, PHONE, codeFromPhone, launch, newPage, shots } from './support.mjs';
import { CERT_PW, acceptTerms, cardCheck, clickForError, downloadTo, identifyAs, issue, payFrom, phoneCheck, step } from './journeys.mjs';

const PIN = '482916';
const LEE_PW = 'Lee-sunsin#1592';

let bankA;
let bankB;
let browser;
let hong; // financial certificate at B
let kim; // joint certificate issued on B's page
let lee; // a customer of both banks, certificate from A
let leeAtA; // the same person as bank A enrolled them (their own security card there)

/** Moves within the page (a same-document navigation: what the page holds in memory stays). */
async function go(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.locator('main h1').waitFor();
}

/** Problems the page reported, minus the refusals the tests provoke on purpose. */
function unexpected(page) {
  return page.problems.filter((p) => !/status of 4\d\d/.test(p));
}

/** Clicks `locator` and waits for the next message in the alert box `testid`, which must match. */
async function alertAfter(page, locator, testid, pattern) {
  const box = page.getByTestId(testid);
  const before = Number((await box.getAttribute('data-seq')) || 0);
  await locator.click();
  await page.waitForFunction(([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)?.dataset.seq || 0) > n, [testid, before]);
  const text = await box.textContent();
  assert.match(text, pattern);
  return text;
}

/** The customer's financial credential as the CSC API tells it (a program, not the page). */
async function cloudInfo(center, cust) {
  const basic = Buffer.from(`${cust.bankingId}:${BANKING_PW}`).toString('base64');
  const post = async (path, body, auth) => {
    const r = await fetch(`${center.base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: JSON.stringify(body) });
    assert.ok(r.ok, `${path}: ${r.status}`);
    return r.json();
  };
  const { access_token: token } = await post('/csc/v1/auth/login', {}, `Basic ${basic}`);
  const { credentialIDs } = await post('/csc/v1/credentials/list', {}, `Bearer ${token}`);
  return post('/csc/v1/credentials/info', { credentialID: credentialIDs[0] }, `Bearer ${token}`);
}

/** The signCert.der and signPri.key the command-line client saved under `usb`. */
function npkiFiles(usb, org) {
  const users = join(usb, 'NPKI', org, 'USER');
  const [folder] = readdirSync(users);
  return [join(users, folder, 'signCert.der'), join(users, folder, 'signPri.key')];
}

describe('certificate login, other banks’ certificates and the financial certificate', { timeout: 600_000 }, () => {
  before(async () => {
    bankA = await Center.create({ config: '[ca]\norganization = "banka"\nbank_ou = "BANKA"\nroot_cn = "banka Root CA"\nissuing_cn = "bankaCA Class 1"\n' });
    bankB = await Center.create({ config: `[[trusted_issuers]]\nname = "A은행"\ncertificate_urls = ["${bankA.base}/ca/root.crt"]\n` });
    hong = bankB.enrol(1, '홍길동', 100_000);
    kim = bankB.enrol(2, '김영희', 50_000);
    lee = bankB.enrol(3, '이순신', 50_000);
    leeAtA = bankA.enrol(3, '이순신', 50_000); // the same person (same RRN and phone) at bank A
    await bankA.start();
    await bankB.start();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    for (const c of [bankB, bankA]) {
      await c?.stop();
      c?.cleanup();
    }
  });

  it('issues a financial certificate through every step (PIN rule shown) and logs in with it', async () => {
    const page = await newPage(browser, DESKTOP);
    await page.goto(`${bankB.base}/#/financial`);
    await page.getByTestId('financial-issue').click();
    await page.getByTestId('start').click();
    // Document 004's steps: ID + RRN, ARS, account and password, security card, SMS, the PIN.
    await acceptTerms(page);
    await identifyAs(page, hong);
    await phoneCheck(page, hong, 'check-ars');
    await payFrom(page, hong);
    await cardCheck(page, hong);
    await phoneCheck(page, hong, 'check-sms');
    await step(page, 'confirm');
    assert.match(await page.locator('section.step').textContent(), /금융인증서 발급/);
    await page.getByTestId('confirm').click();

    // The PIN rule, item by item as the customer types; a weak PIN is refused with the rule.
    await step(page, 'pin');
    assert.match(await page.getByTestId('step-count').textContent(), /8\/8/);
    const rules = page.getByTestId('pin-rules');
    await page.getByTestId('pin').fill('123456');
    await page.getByTestId('pin-2').fill('123456');
    assert.equal(await rules.locator('li[data-rule="sequential-digits"]').getAttribute('data-ok'), '0');
    assert.equal(await rules.locator('li[data-rule="six-digits"]').getAttribute('data-ok'), '1');
    await shots(page, '22-financial-pin-rule', '[data-testid="pin-rules"]');
    await clickForError(page, page.getByTestId('pin-submit'), /연속된 숫자\(예: 123456, 654321\)는 비밀번호로 쓸 수 없습니다/);
    await page.getByTestId('pin').fill(hong.rrn.slice(0, 6));
    assert.equal(await rules.locator('li[data-rule="birth-date"]').getAttribute('data-ok'), '0', 'the birth date is refused');
    await page.getByTestId('pin').fill(PIN);
    await page.getByTestId('pin-2').fill(PIN);
    assert.equal(await rules.locator('li[data-ok="0"]').count(), 0, 'every rule is met');
    await page.getByTestId('auto-renew').check();
    await page.getByTestId('pin-submit').click();
    await page.locator('section[data-step="result"]').waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId('result-title').textContent(), /금융인증서 발급이 완료되었습니다/);
    assert.match(await page.getByTestId('result-auto-renew').textContent(), /사용/);
    const serial = (await page.getByTestId('result-serial').textContent()).trim();
    await shots(page, '23-financial-result');
    assert.ok(!(await page.content()).includes(PIN), 'the PIN is not on the page');

    // 인증서 로그인 with it: the banking ID and password find it, the PIN signs in the cloud.
    await page.getByTestId('financial-login-link').click();
    await page.getByTestId('financial-signin-id').fill(hong.bankingId);
    await page.getByTestId('financial-signin-password').fill(BANKING_PW);
    await page.getByTestId('financial-signin-submit').click();
    await page.getByTestId('financial-card').waitFor();
    assert.equal((await page.getByTestId('financial-serial').textContent()).trim(), serial);
    await page.getByTestId('login-pin').fill('000000');
    const wrong = await alertAfter(page, page.getByTestId('financial-login-submit'), 'login-error', /금융인증서 비밀번호가 틀렸습니다/);
    assert.match(wrong, /4번 더 틀리면 잠깁니다/);
    await page.getByTestId('login-pin').fill(PIN);
    await shots(page, '24-login-financial', '[data-testid="financial-card"]');
    await page.getByTestId('financial-login-submit').click();
    await page.getByTestId('session').waitFor();
    assert.match(await page.getByTestId('session-title').textContent(), /홍길동 고객님, 로그인되었습니다/);
    assert.equal((await page.getByTestId('session-serial').textContent()).trim(), serial);
    assert.equal((await page.getByTestId('session-banking-id').textContent()).trim(), hong.bankingId);
    await shots(page, '25-login-session');
    await page.getByTestId('logout').click();
    await page.getByTestId('tab-joint').waitFor();

    // 내 금융인증서: status, days left, and automatic renewal switched off.
    await go(page, '#/financial');
    const card = page.getByTestId('financial-card');
    await card.waitFor();
    assert.equal((await card.getByTestId('financial-state').textContent()).trim(), '정상');
    assert.match(await card.getByTestId('financial-days-left').textContent(), /^(729|730)일/);
    const toggle = page.getByTestId('auto-renew-toggle');
    assert.ok(await toggle.isChecked());
    await toggle.uncheck();
    await page.waitForFunction(() => document.querySelector('[data-testid="auto-renew-status"]')?.textContent.includes('사용 안 함'));
    await shots(page, '26-financial-mine', '[data-testid="financial-card"]');
    assert.equal((await cloudInfo(bankB, hong)).dojang.autoRenew, false, 'the center has it off');
    assert.deepEqual(unexpected(page), []);
    await page.context().close();
  });

  it('logs in with a joint certificate the page issued, from the saved zip; once revoked, it is refused', async () => {
    let page = await newPage(browser, DESKTOP);
    const { serial } = await issue(page, bankB, kim, { product: 'personal-bank', password: CERT_PW });
    const zip = await downloadTo(page, 'download-zip', bankB.path('kim.zip'));
    await page.context().close();

    // A fresh browser, at phone width: only the saved files hold the key now.
    page = await newPage(browser, PHONE);
    await page.goto(`${bankB.base}/#/login`);
    // The tabs work from the keyboard, and the page speaks English when asked.
    await page.getByTestId('tab-joint').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByTestId('tab-financial').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getByTestId('tab-joint').getAttribute('aria-selected'), 'true');
    await page.getByTestId('lang-toggle').click();
    assert.equal(await page.locator('main h1').textContent(), 'Certificate login');
    assert.ok(await page.getByLabel('Certificate password').isVisible());
    await page.getByTestId('lang-toggle').click();
    await page.getByTestId('cert-files').setInputFiles(zip);
    await page.locator(`input[value="file:${serial}"]`).waitFor();
    await page.getByTestId('cert-password').fill('Wrong-pass9!');
    await alertAfter(page, page.getByTestId('login-submit'), 'login-error', /인증서 암호가 맞지 않습니다/);
    await page.getByTestId('cert-password').fill(CERT_PW);
    await page.getByTestId('login-banking-id').fill(kim.bankingId);
    await shots(page, '27-login-joint', '[data-testid="joint-login"]');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('session').waitFor();
    assert.match(await page.getByTestId('session-title').textContent(), /김영희 고객님, 로그인되었습니다/);
    assert.equal((await page.getByTestId('session-serial').textContent()).trim(), serial);
    assert.ok(!(await page.content()).includes(CERT_PW), 'the password is not on the page');
    await page.getByTestId('logout').click();

    // Revoked at the center: the next login says so, and what to do.
    const revoked = bankB.dojang(['ca', 'revoke', '--serial', serial, '--reason', 'keyCompromise']);
    assert.equal(revoked.status, 0, revoked.out);
    await page.getByTestId('cert-password').fill(CERT_PW);
    const text = await alertAfter(page, page.getByTestId('login-submit'), 'login-error', /폐기된 인증서/);
    assert.match(text, /인증서를 새로 발급받아 주세요/);
    assert.equal(await page.getByTestId('login-error').getAttribute('data-code'), 'revoked');
    assert.match(await page.getByTestId('login-error-title').textContent(), /로그인할 수 없습니다: 폐기된 인증서/);
    await shots(page, '28-login-revoked', '[data-testid="login-error"]');
    assert.deepEqual(unexpected(page), []);
    await page.context().close();
  });

  it('registers bank A’s certificate at bank B, logs in with it, unregisters it, and is then refused', async () => {
    // At bank A, with the command-line client: its signPri.key is written by the Rust side.
    const usb = bankA.path('usb');
    await bankA.cliIssue(leeAtA, usb, LEE_PW);
    const files = npkiFiles(usb, 'banka');

    const page = await newPage(browser, DESKTOP);
    await page.goto(`${bankB.base}/#/other-ca`);
    await page.getByTestId('banking-id').fill(lee.bankingId);
    await page.getByTestId('rrn-front').fill(lee.rrn.slice(0, 6));
    await page.getByTestId('rrn-back').fill(lee.rrn.slice(6));
    await shots(page, '29-other-ca-identify');
    await page.getByTestId('reg-start').click();
    await page.locator('section[data-step="reg-register"]').waitFor();
    // The ARS number's own clock (three minutes), under the request's (ten).
    assert.match(await page.getByTestId('code-timer').textContent(), /ARS 승인번호 입력 남은 시간 [23]:\d\d/);
    assert.match(await page.getByTestId('timer').textContent(), /등록 신청 남은 시간 (9|10):\d\d/);
    const { code } = await codeFromPhone(page, lee.phone);
    await page.getByTestId('cert-files').setInputFiles(files);
    await page.getByTestId('cert-choices').locator('input[type=radio]').first().waitFor();
    await page.getByTestId('cert-password').fill(LEE_PW);
    await page.getByTestId('code').fill(code);
    await shots(page, '30-other-ca-register', '[data-testid="prompt"]');
    await page.getByTestId('reg-submit').click();
    await page.locator('section[data-step="result"]').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('result-title').textContent(), /타기관 인증서가 등록되었습니다/);
    assert.match(await page.getByTestId('result-issuer').textContent(), /A은행/);
    const serial = (await page.getByTestId('result-serial').textContent()).trim();
    await shots(page, '31-other-ca-registered');

    // Logs in at B; the status was asked at bank A's own OCSP responder.
    await page.getByTestId('go-login').click();
    await page.locator(`input[value="file:${serial}"]`).waitFor();
    await page.getByTestId('cert-password').fill(LEE_PW);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('session').waitFor();
    assert.match(await page.getByTestId('session-title').textContent(), /이순신 고객님, 로그인되었습니다/);
    assert.equal((await page.getByTestId('session-issuer').textContent()).trim(), 'A은행');
    assert.match(await page.getByTestId('session').textContent(), /발급기관 OCSP/);
    await shots(page, '32-login-other-bank');
    await page.getByTestId('logout').click();

    // 해제: the ARS code again, the certificate chosen without its password.
    await go(page, '#/other-ca');
    await page.getByTestId('action-unregister').check();
    await page.getByTestId('banking-id').fill(lee.bankingId);
    await page.getByTestId('rrn-front').fill(lee.rrn.slice(0, 6));
    await page.getByTestId('rrn-back').fill(lee.rrn.slice(6));
    await page.getByTestId('reg-start').click();
    await page.locator('section[data-step="reg-unregister"]').waitFor();
    assert.ok(await page.getByTestId('cert-password').isHidden(), 'no password to unregister');
    await page.getByTestId('code').fill((await codeFromPhone(page, lee.phone)).code);
    await page.getByTestId('reg-submit').click();
    await page.locator('section[data-step="result"]').waitFor();
    assert.match(await page.getByTestId('result-title').textContent(), /타기관 인증서가 해제되었습니다/);
    assert.equal((await page.getByTestId('result-serial').textContent()).trim(), serial);

    // Now bank B refuses it, and says how to use it again.
    await go(page, '#/login');
    await page.locator(`input[value="file:${serial}"]`).waitFor();
    await page.getByTestId('cert-password').fill(LEE_PW);
    await alertAfter(page, page.getByTestId('login-submit'), 'login-error', /이 은행에 등록되지 않은 인증서/);
    assert.equal(await page.getByTestId('login-error').getAttribute('data-code'), 'not_registered');
    assert.ok(await page.getByTestId('login-error').getByRole('link', { name: '타기관 인증서 등록' }).isVisible());
    await shots(page, '33-login-not-registered', '[data-testid="login-error"]');
    assert.deepEqual(unexpected(page), []);
    await page.context().close();
  });
});
