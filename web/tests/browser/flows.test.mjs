// The certificate center's page in a real browser (Debian's Chromium, headless), against a real
// `dojang serve` on a temporary data directory with customers enrolled at the "branch":
//
// - the home page shows the products and their fees, in Korean and in English;
// - a customer issues a joint certificate through every step, reading the ARS code off the
//   simulated phone, after a wrong code is refused with the server's message; the saved zip
//   (signCert.der + signPri.key) and PFX are read by `dojang cert import` and by `openssl`
//   (chain, key, R as randomNum → VID);
// - a security card locked by wrong answers is shown with its message;
// - a customer revokes a certificate with its files and password, and OCSP says revoked;
// - the staff console unlocks the card and revokes a certificate, and shows the audit trail;
// - the support page stores an inquiry without echoing it;
// - the page's requests are protected (cross-site refused, staff changes need the CSRF token);
// - with the center's clock moved 710 days on, the customer renews inside the window.
//
// Screenshots of the main steps at 1280×800 and 390×844 go to docs/screenshots/.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT_PW, BANKING_PW, Center, DESKTOP, DOJANG, PHONE, STAFF_PW, cardAnswer, launch, newPage, ok, run, shots } from './support.mjs';
import { CERT_PW, acceptTerms, cardCheck, clickAndRedraw, clickForError, downloadTo, expectError, identifyAs, issue, payFrom, phoneCheck, step, unzipPair } from './journeys.mjs';

const RENEWED_PW = 'Renewed#Pass-2';

let center;
let browser;
let hong; // issues through every step; renews later
let kim; // revokes with the certificate files
let lee; // locks the security card
const files = {};

/** The first hex-looking value of the randomNum attribute `openssl pkcs12 -info` prints. */
function randomNumFromPfx(pfx, password, cwd) {
  const out = ok('openssl', ['pkcs12', '-in', pfx, '-passin', `pass:${password}`, '-nodes', '-info'], { cwd });
  const m = /1\.2\.410\.200004\.10\.1\.1\.3: ([0-9A-F ]+)/.exec(out);
  assert.ok(m, `the key carries R (randomNum):\n${out.slice(0, 2000)}`);
  return m[1].replace(/\s+/g, '');
}

function chain(cwd) {
  ok('openssl', ['x509', '-inform', 'DER', '-in', center.path('root.der'), '-out', center.path('root.pem')], { cwd });
  ok('openssl', ['x509', '-inform', 'DER', '-in', center.path('issuing.der'), '-out', center.path('issuing.pem')], { cwd });
}

async function fetchChain() {
  for (const [name, url] of [['root.der', '/ca/root.crt'], ['issuing.der', '/ca/issuing.crt']]) {
    const r = await fetch(`${center.base}${url}`);
    writeFileSync(center.path(name), Buffer.from(await r.arrayBuffer()));
  }
  chain(center.dir);
}

function ocspStatus(certPem) {
  const out = ok(
    'openssl',
    ['ocsp', '-issuer', center.path('issuing.pem'), '-cert', certPem, '-url', `${center.base}/ocsp`, '-CAfile', center.path('root.pem'), '-no_nonce'],
    { cwd: center.dir },
  );
  return out;
}

describe('the certificate center page in a browser', { timeout: 900_000 }, () => {
  before(async () => {
    center = await Center.create();
    hong = center.enrol(1, '홍길동', 100_000);
    kim = center.enrol(2, '김영희', 50_000);
    lee = center.enrol(3, '이철수', 50_000);
    assert.equal(center.addStaff('kim.teller', '김직원').status, 0);
    await center.start();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await center?.stop();
    center?.cleanup();
  });

  it('shows the home page with the products and their fees, in Korean and in English', async () => {
    const page = await newPage(browser, DESKTOP);
    await page.goto(center.base);
    await page.getByTestId('products').waitFor();
    const table = await page.getByTestId('products').textContent();
    assert.match(table, /4,400원/);
    assert.match(table, /110,000원 \/ 년/);
    assert.match(table, /무료/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ko');
    await shots(page, '01-home');
    await page.getByTestId('lang-toggle').click();
    await page.getByTestId('products').waitFor();
    assert.match(await page.getByTestId('products').textContent(), /KRW 4,400/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await shots(page, '01-home-english');
    await page.getByTestId('lang-toggle').click();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('lets a customer issue a joint certificate through every step, codes from the simulated phone', async () => {
    const page = await newPage(browser, DESKTOP);
    const { serial, feeText } = await issue(page, center, hong, { product: 'personal-general', screens: true, wrongArs: true });
    assert.match(feeText, /4,400원/, 'the fee is shown before it is charged');
    assert.match(await page.locator('section[data-step="result"]').textContent(), /4,400원 출금/);
    files.hongZip = await downloadTo(page, 'download-zip', center.path('hong.zip'));
    files.hongPfx = await downloadTo(page, 'download-pfx', center.path('hong.pfx'));
    files.hongSerial = serial;
    // No secret the customer typed is anywhere in the page.
    const html = await page.content();
    for (const secret of [hong.rrn, hong.rrn.slice(6), BANKING_PW, ACCOUNT_PW, CERT_PW]) assert.ok(!html.includes(secret), `the page must not show ${secret.length} secret characters`);
    // The certificate is in 인증서 관리 with its status and days left.
    await page.goto(`${center.base}/#/manage`);
    const card = page.locator(`[data-testid="cert-card"][data-serial="${serial}"]`);
    await card.getByTestId('cert-state').waitFor();
    assert.equal((await card.getByTestId('cert-state').textContent()).trim(), '정상');
    assert.match(await card.getByTestId('days-left').textContent(), /^(729|730)일/);
    await shots(page, '11-manage');
    assert.deepEqual(page.problems.filter((p) => !p.includes('status of 403')), []);
    await page.context().close();
    // The fee was charged once.
    const show = center.dojang(['admin', 'customer', 'show', hong.bankingId]).out;
    assert.match(show, /balance 95,600원/);
  });

  it('saves files that dojang cert import and openssl read', async () => {
    await fetchChain();
    const usb = center.path('usb');
    mkdirSync(usb);
    mkdirSync(center.path('usb2'));
    const folder = unzipPair(files.hongZip, center.path('unzipped'));
    // The NPKI pair: imported by the client, its key opened by Rust (export needs it).
    const bin = DOJANG;
    ok(bin, ['cert', 'import', join(folder, 'signCert.der'), '--location', `removable:${usb}`], { cwd: center.dir });
    const listed = ok(bin, ['cert', 'list', '--location', `removable:${usb}`, '--json'], { cwd: center.dir });
    assert.ok(listed.includes(files.hongSerial), `imported: ${listed}`);
    const rustPfx = center.path('rust-export.pfx');
    ok(bin, ['cert', 'export', files.hongSerial, '--location', `removable:${usb}`, '--pfx', rustPfx], {
      cwd: center.dir,
      env: { DOJANG_CERT_PASSWORD: CERT_PW, DOJANG_PFX_PASSWORD: CERT_PW },
    });
    // openssl: the chain verifies; the SEED/PBES2 key file opens and holds the certificate's key.
    const certPem = center.path('hong.pem');
    ok('openssl', ['x509', '-inform', 'DER', '-in', join(folder, 'signCert.der'), '-out', certPem], { cwd: center.dir });
    assert.match(ok('openssl', ['verify', '-CAfile', center.path('root.pem'), '-untrusted', center.path('issuing.pem'), certPem], { cwd: center.dir }), /OK/);
    const keyPem = center.path('hong-key.pem');
    ok('openssl', ['pkcs8', '-inform', 'DER', '-in', join(folder, 'signPri.key'), '-passin', `pass:${CERT_PW}`, '-provider', 'legacy', '-provider', 'default', '-out', keyPem], { cwd: center.dir });
    const fromKey = ok('openssl', ['pkey', '-in', keyPem, '-pubout'], { cwd: center.dir });
    const fromCert = ok('openssl', ['x509', '-in', certPem, '-pubkey', '-noout'], { cwd: center.dir });
    assert.equal(fromKey, fromCert, 'signPri.key holds the certificate’s private key');
    assert.match(ok('openssl', ['asn1parse', '-inform', 'DER', '-in', join(folder, 'signPri.key')], { cwd: center.dir }), /seed-cbc/);
    // R went into the key as randomNum: the copy Rust exported carries it, and it is the R of the VID.
    const r1 = randomNumFromPfx(rustPfx, CERT_PW, center.dir);
    const vid = run(bin, ['ca', 'verify-vid', '--cert', certPem, '--random', r1], { cwd: center.dir, env: { DOJANG_HOLDER_RRN: hong.rrn } });
    assert.equal(vid.status, 0, vid.out);
    assert.match(vid.out, /VID matches/);
    // The browser's PFX: openssl reads it (default provider) and the client imports it.
    const pfxOut = ok('openssl', ['pkcs12', '-in', files.hongPfx, '-passin', `pass:${CERT_PW}`, '-nodes'], { cwd: center.dir });
    assert.match(pfxOut, /BEGIN PRIVATE KEY/);
    assert.equal(randomNumFromPfx(files.hongPfx, CERT_PW, center.dir), r1, 'the PFX keeps the same R');
    ok(bin, ['cert', 'import', files.hongPfx, '--location', `removable:${center.path('usb2')}`], { cwd: center.dir, env: { DOJANG_PFX_PASSWORD: CERT_PW, DOJANG_NEW_CERT_PASSWORD: CERT_PW } });
  });

  it('shows a locked security card with its message', async () => {
    const page = await newPage(browser, PHONE);
    await page.goto(`${center.base}/#/issue`);
    await page.getByTestId('start').click();
    await acceptTerms(page);
    await identifyAs(page, lee);
    await step(page, 'product');
    await page.getByTestId('submit').click();
    await phoneCheck(page, lee, 'check-ars');
    await payFrom(page, lee);
    await step(page, 'check-second-factor');
    await page.getByTestId('challenge-start').click();
    let message = '';
    // Five wrong answers in a row lock the card; each question takes three, then a new one is asked.
    for (let wrong = 1; wrong <= 5; wrong++) {
      const q = page.getByTestId('card-question');
      await q.waitFor();
      const right = cardAnswer(lee.card, Number(await q.getAttribute('data-first')), Number(await q.getAttribute('data-second')));
      await page.getByTestId('card-first').fill(right.first === '00' ? '11' : '00');
      await page.getByTestId('card-second').fill(right.second);
      message = await clickForError(page, page.getByTestId('challenge-answer'), wrong < 5 ? /보안카드 번호가 일치하지 않습니다/ : /잠겼습니다/);
      if (wrong === 3) {
        // This question took its three wrong answers: ask for another one.
        assert.match(message, /입력 가능 횟수를 모두 사용했습니다/);
        await clickAndRedraw(page, page.getByTestId('challenge-again'), page.getByTestId('card-question'));
      }
    }
    assert.match(message, /보안카드 입력 오류가 5회 연속되어 보안카드가 잠겼습니다/);
    assert.match(message, /영업점을 방문하거나 고객센터\(평일 09:00–18:00\)에 문의/);
    assert.equal(await page.getByTestId('error').getAttribute('data-code'), 'locked');
    await shots(page, '12-security-card-locked');
    await page.context().close();
  });

  it('lets a customer revoke a certificate with its files and password; OCSP then says revoked', async () => {
    const page = await newPage(browser, DESKTOP);
    const { serial } = await issue(page, center, kim, { product: 'personal-bank', password: CERT_PW });
    const zip = await downloadTo(page, 'download-zip', center.path('kim.zip'));
    const folder = unzipPair(zip, center.path('kim-unzipped'));
    const certPem = center.path('kim.pem');
    ok('openssl', ['x509', '-inform', 'DER', '-in', join(folder, 'signCert.der'), '-out', certPem], { cwd: center.dir });
    assert.match(ocspStatus(certPem), /: good/);
    await page.context().close();

    // A fresh browser: the key is only in the files now.
    const fresh = await newPage(browser, DESKTOP);
    await fresh.goto(`${center.base}/#/revoke`);
    await fresh.getByTestId('method-certificate').click();
    await step(fresh, 'possession');
    await fresh.getByTestId('cert-files').setInputFiles(zip);
    await fresh.getByTestId('cert-password').fill('Wrong-pass9!');
    await clickForError(fresh, fresh.getByTestId('possession-submit'), /인증서 암호가 맞지 않습니다/);
    await fresh.getByTestId('cert-password').fill(CERT_PW);
    await shots(fresh, '13-revoke-certificate');
    await fresh.getByTestId('possession-submit').click();
    await step(fresh, 'reason');
    await fresh.getByTestId('submit').click();
    await step(fresh, 'confirm');
    await fresh.getByTestId('confirm').click();
    await fresh.locator('section[data-step="result"]').waitFor();
    assert.match(await fresh.getByTestId('result-title').textContent(), /폐기되었습니다/);
    assert.equal((await fresh.getByTestId('result-serial').textContent()).trim(), serial);
    await shots(fresh, '14-revoke-result');
    await fresh.context().close();
    assert.match(ocspStatus(certPem), /: revoked/);
    const status = await center.json(`/api/v1/certificates/${serial}`);
    assert.equal(status.status.state, 'revoked');
  });

  it('keeps cross-site and token-less changes out', async () => {
    const cross = await fetch(`${center.base}/api/v1/flows`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' }, body: '{"kind":"issue"}' });
    assert.equal(cross.status, 403);
    const form = await fetch(`${center.base}/api/v1/flows`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'kind=issue' });
    assert.equal(form.status, 415);
    // The CLI's way (no browser, no cookie) still works.
    const cli = await fetch(`${center.base}/api/v1/flows`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"kind":"issue"}' });
    assert.equal(cli.status, 201);
    const login = await fetch(`${center.base}/api/v1/staff/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'kim.teller', password: STAFF_PW }) });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie');
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const noToken = await fetch(`${center.base}/api/v1/staff/customers/1/unlock`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie.split(';')[0] }, body: '{}' });
    assert.equal(noToken.status, 403);
    assert.equal((await noToken.json()).error, 'csrf_token_mismatch');
    const page = await fetch(`${center.base}/`);
    assert.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  });

  it('stores an inquiry from the support page without echoing it', async () => {
    const page = await newPage(browser, PHONE);
    await page.goto(`${center.base}/#/support`);
    await page.getByLabel('이름', { exact: true }).fill('홍길동');
    await page.getByLabel('연락받을 전화번호 또는 이메일').fill(hong.phone);
    await page.getByLabel('제목').fill('갱신 문의');
    await page.getByLabel('문의 내용').fill(`제 주민번호 ${hong.rrn.slice(0, 6)}-${hong.rrn.slice(6)} 로 갱신이 되나요?`);
    await page.getByLabel(/개인정보\(이름, 연락처\) 수집·이용에 동의/).check();
    await shots(page, '18-support');
    await page.getByTestId('inquiry-form').locator('button[type=submit]').click();
    await page.getByTestId('inquiry-received').waitFor();
    assert.match(await page.getByTestId('inquiry-received').textContent(), /접수번호 Q-0000\d\d/);
    assert.ok(!(await page.content()).includes(hong.rrn.slice(6)), 'the RRN typed is not shown back');
    await page.context().close();
    const db = center.dojang(['admin', 'audit', 'verify']);
    assert.equal(db.status, 0, db.out);
  });

  it('lets staff sign in, unlock the card, revoke a certificate and read the audit trail', async () => {
    const page = await newPage(browser, DESKTOP);
    await page.goto(`${center.base}/#/staff`);
    await page.getByTestId('staff-login').waitFor();
    await page.getByLabel('직원 ID').fill('kim.teller');
    await page.getByLabel('비밀번호').fill('wrong-password1!');
    await page.getByTestId('staff-login').locator('button[type=submit]').click();
    await expectError(page, /아이디 또는 비밀번호가 올바르지 않습니다/);
    await page.getByLabel('비밀번호').fill(STAFF_PW);
    await page.getByTestId('staff-login').locator('button[type=submit]').click();
    await page.getByTestId('customers').waitFor();
    // The customer whose card locked: unlock after checking identity at the branch.
    await page.getByTestId('customer-search').fill(lee.bankingId);
    await page.getByTestId('customer-search').press('Enter');
    await page.locator('[data-testid="customers"] tbody tr').filter({ hasText: lee.bankingId }).getByTestId('customer-open').click();
    await page.getByTestId('card-status').waitFor();
    assert.match(await page.getByTestId('card-status').textContent(), /잠김/);
    await shots(page, '15-staff-customer');
    await page.getByTestId('unlock').click();
    await page.getByTestId('staff-message').waitFor();
    assert.match(await page.getByTestId('staff-message').textContent(), /잠금을 해제했습니다: 보안카드/);
    await page.waitForFunction(() => !document.querySelector('[data-testid="card-status"]')?.textContent.includes('잠김'));
    // Revoke 홍길동's certificate from the certificates tab.
    await page.getByRole('tab', { name: '인증서' }).click();
    await page.getByTestId('cert-search').fill(files.hongSerial.slice(0, 10));
    await page.getByTestId('cert-search').press('Enter');
    const row = page.locator(`[data-testid="certificates"] tr[data-serial="${files.hongSerial}"]`);
    await row.getByTestId('revoke-open').click();
    await row.getByTestId('revoke-reason').selectOption('affiliationChanged');
    await shots(page, '16-staff-revoke');
    await row.getByTestId('revoke-confirm').click();
    await page.getByTestId('staff-message').waitFor();
    assert.match(await page.getByTestId('staff-message').textContent(), /폐기/);
    const status = await center.json(`/api/v1/certificates/${files.hongSerial}`);
    assert.equal(status.status.state, 'revoked');
    assert.equal(status.status.reason, 'affiliationChanged');
    assert.match(ocspStatus(center.path('hong.pem')), /: revoked/);
    // The audit trail names the staff member.
    await page.getByRole('tab', { name: '감사 기록' }).click();
    await page.getByTestId('audit').waitFor();
    assert.match(await page.getByTestId('audit-verdict').textContent(), /정상/);
    const audit = await page.getByTestId('audit').textContent();
    assert.match(audit, /staff:kim\.teller/);
    assert.match(audit, /customer\.unlock/);
    assert.match(audit, /certificate\.revoke/);
    await shots(page, '17-staff-audit');
    // The inquiry left on the support page, with the RRN masked.
    await page.getByRole('tab', { name: '문의' }).click();
    const inquiry = page.locator('.inquiries li').filter({ hasText: '갱신 문의' });
    await inquiry.waitFor();
    assert.match(await inquiry.textContent(), /\*\*\*\*\*\*-\*\*\*\*\*\*\*/);
    assert.ok(!(await inquiry.textContent()).includes(hong.rrn.slice(6)));
    await inquiry.getByRole('button', { name: '처리 완료' }).click();
    await page.locator('.inquiries li').filter({ hasText: '갱신 문의' }).filter({ hasText: '처리 완료 (kim.teller)' }).waitFor();
    await page.getByTestId('staff-logout').click();
    await page.getByTestId('staff-login').waitFor();
    assert.deepEqual(page.problems.filter((p) => !/status of 40[13]/.test(p)), []);
    await page.context().close();
  });

  it('reissues a certificate (the old one revoked), then suspends and resumes it', async () => {
    const park = center.enrol(4, '박민수', 50_000);
    const page = await newPage(browser, PHONE);
    const { serial: first } = await issue(page, center, park, { product: 'personal-bank' });
    // 재발급: identify, pick the certificate, the same checks, a new key and password.
    await page.goto(`${center.base}/#/reissue`);
    await page.getByTestId('start').click();
    await acceptTerms(page);
    await identifyAs(page, park);
    await step(page, 'select');
    await page.locator(`input[value="${first}"]`).waitFor();
    assert.ok(await page.locator(`input[value="${first}"]`).isChecked());
    await shots(page, '21-reissue-select');
    await page.getByTestId('submit').click();
    await phoneCheck(page, park, 'check-ars');
    await payFrom(page, park);
    await cardCheck(page, park);
    await step(page, 'confirm');
    assert.match(await page.locator('section.step').textContent(), /기존 인증서와 같음/);
    await page.getByTestId('confirm').click();
    await step(page, 'csr');
    await page.getByTestId('new-password').fill('Reissued#Pass3');
    await page.getByTestId('new-password-2').fill('Reissued#Pass3');
    await page.getByTestId('issue').click();
    await page.locator('section[data-step="result"]').waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId('result-title').textContent(), /재발급이 완료되었습니다/);
    const second = (await page.getByTestId('result-serial').textContent()).trim();
    const old = await center.json(`/api/v1/certificates/${first}`);
    const fresh = await center.json(`/api/v1/certificates/${second}`);
    assert.equal(old.status.state, 'revoked');
    assert.equal(old.status.reason, 'superseded');
    assert.equal(fresh.not_after, old.not_after, 'a reissued certificate keeps the old end');

    // 효력정지 by identity (banking password + ARS), as after losing the phone.
    await page.goto(`${center.base}/#/suspend`);
    await page.getByTestId('method-identity').click();
    await identifyAs(page, park, { password: BANKING_PW });
    await step(page, 'select');
    await page.getByTestId('submit').click();
    await phoneCheck(page, park, 'check-ars');
    await step(page, 'confirm');
    await page.getByTestId('confirm').click();
    await page.locator('section[data-step="result"]').waitFor();
    assert.match(await page.getByTestId('result-title').textContent(), /효력이 정지되었습니다/);
    assert.equal((await center.json(`/api/v1/certificates/${second}`)).status.state, 'suspended');

    // 효력회복 with the certificate itself (its key is still in this page, no password asked).
    await page.goto(`${center.base}/#/resume`);
    await page.getByTestId('method-certificate').click();
    await step(page, 'possession');
    assert.ok(await page.getByTestId('cert-password').isHidden(), 'a key kept in this page needs no password');
    await page.getByTestId('possession-submit').click();
    await step(page, 'confirm');
    await page.getByTestId('confirm').click();
    await page.locator('section[data-step="result"]').waitFor();
    assert.match(await page.getByTestId('result-title').textContent(), /효력이 회복되었습니다/);
    assert.equal((await center.json(`/api/v1/certificates/${second}`)).status.state, 'good');
    await page.context().close();
  });

  it('renews inside the window when the center’s clock is 710 days on', async () => {
    // A fresh certificate for 홍길동 (the first one was revoked by staff), saved as files.
    let page = await newPage(browser, DESKTOP);
    const { serial: old } = await issue(page, center, hong, { product: 'personal-general', password: CERT_PW });
    const zip = await downloadTo(page, 'download-zip', center.path('hong-2.zip'));
    await page.context().close();

    await center.stop();
    await center.start({ offset: '+710d' });
    page = await newPage(browser, DESKTOP);
    await page.goto(`${center.base}/#/manage`);
    await page.getByTestId('manage-files').setInputFiles(zip);
    const card = page.locator(`[data-testid="cert-card"][data-serial="${old}"]`);
    await card.getByTestId('cert-state').waitFor();
    assert.match(await card.getByTestId('days-left').textContent(), /^(19|20)일/);
    await card.getByRole('link', { name: '갱신' }).waitFor();
    await shots(page, '19-renew-window');
    await card.getByRole('link', { name: '갱신' }).click();
    await page.getByTestId('start').click();
    await acceptTerms(page);
    await step(page, 'possession');
    await page.getByTestId('cert-password').fill(CERT_PW);
    await page.getByTestId('possession-submit').click();
    await phoneCheck(page, hong, 'check-sms');
    assert.match(await payFrom(page, hong), /4,400원/);
    await step(page, 'confirm');
    await page.getByTestId('confirm').click();
    await step(page, 'csr');
    await page.getByTestId('new-password').fill(RENEWED_PW);
    await page.getByTestId('new-password-2').fill(RENEWED_PW);
    await page.getByTestId('issue').click();
    await page.locator('section[data-step="result"]').waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId('result-title').textContent(), /갱신이 완료되었습니다/);
    await shots(page, '20-renew-result');
    const serial = (await page.getByTestId('result-serial').textContent()).trim();
    assert.notEqual(serial, old);
    const oldStatus = await center.json(`/api/v1/certificates/${old}`);
    assert.equal(oldStatus.status.state, 'revoked');
    assert.equal(oldStatus.status.reason, 'superseded');
    const fresh = await center.json(`/api/v1/certificates/${serial}`);
    assert.equal(fresh.status.state, 'good');
    assert.ok(Date.parse(fresh.not_after) > Date.parse(oldStatus.not_after), 'the renewed certificate ends later');
    await page.context().close();
  });
});
