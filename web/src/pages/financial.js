// 금융인증서: what the financial certificate is (document 004), issue and reissue (the flows
// `financial-issue` / `financial-reissue`, drawn by ./flow.js), and the customer's own financial
// certificate read through the cloud signer after signing in with the internet-banking ID and
// password: its status, days left, a PIN lock, and automatic renewal switched on or off.

import { clientError } from '../api.js';
import { add, field, h, replace, uid } from '../dom.js';
import { busyForm } from '../fields.js';
import { L } from '../i18n.js';
import { date, daysLeft, stateText, years } from '../format.js';
import { alertBox } from '../alert.js';
import { CloudSession, credentialState } from '../cloud.js';
import { loadProducts } from './home.js';

/**
 * The cloud session of this page load (memory only), shared with 인증서 로그인:
 * { session, credentialId, info, bankingId } once signed in.
 */
export const cloud = { session: null, credentialId: null, info: null, bankingId: null };

export async function cloudSignOut() {
  const s = cloud.session;
  Object.assign(cloud, { session: null, credentialId: null, info: null, bankingId: null });
  if (s) await s.logout();
}

/**
 * The sign-in form (internet-banking ID and password). On success `cloud` holds the session and
 * the newest credential (or none) and `onDone()` runs; failures go to `alert`.
 */
export function cloudSignInForm({ alert, onDone, submitLabel, testid = 'cloud-signin' }) {
  const id = field({ label: L('인터넷뱅킹 ID', 'Internet banking ID'), name: 'banking_id', attrs: { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', 'data-testid': `${testid}-id` } });
  const pw = field({ label: L('인터넷뱅킹 비밀번호', 'Internet banking password'), type: 'password', name: 'banking_password', attrs: { autocomplete: 'current-password', 'data-testid': `${testid}-password` } });
  return busyForm({
    testid,
    submitLabel: submitLabel || L('금융인증서 불러오기', 'Find my financial certificate'),
    submitTestid: `${testid}-submit`,
    fields: [id.wrap, pw.wrap],
    onStart: () => alert.clear(),
    always: () => {
      pw.input.value = '';
    },
    onError: (err) => alert.show(err, { actions: err?.status === 423 ? [['#/support', L('고객지원', 'Support')]] : [] }),
    run: async () => {
      const bankingId = id.input.value.trim();
      if (!bankingId || !pw.input.value) throw clientError('인터넷뱅킹 ID와 비밀번호를 입력해 주세요.', 'Enter your internet banking ID and password.');
      const session = await CloudSession.login(bankingId, pw.input.value);
      const ids = await session.credentials();
      const info = ids.length ? await session.info(ids[0]) : null;
      Object.assign(cloud, { session, credentialId: ids[0] || null, info, bankingId });
      onDone();
    },
  }).form;
}

/** The customer's financial certificate as a card (status, days left, PIN lock). */
export function credentialCard(info, extra = []) {
  const state = credentialState(info);
  const cert = info.cert || {};
  const days = daysLeft(cert.validTo);
  const locked = Boolean(info.dojang?.pinLocked);
  return h(
    'div',
    { class: 'cert-card', 'data-serial': cert.serialNumber, 'data-testid': 'financial-card' },
    h('h3', {}, L('금융인증서', 'Financial certificate'), ' ', h('span', { class: `badge state-${state}`, 'data-testid': 'financial-state' }, stateText(state)), locked ? h('span', { class: 'badge state-revoked', 'data-testid': 'pin-locked' }, L('비밀번호 잠김', 'PIN locked')) : null),
    h(
      'dl',
      { class: 'summary' },
      h('dt', {}, L('일련번호', 'Serial')),
      h('dd', {}, h('code', { 'data-testid': 'financial-serial' }, cert.serialNumber)),
      h('dt', {}, L('소유자 (DN)', 'Subject')),
      h('dd', {}, h('code', {}, cert.subjectDN)),
      h('dt', {}, L('유효기간', 'Validity')),
      h('dd', {}, `${date(cert.validFrom)} ~ ${date(cert.validTo)}`),
      h('dt', {}, L('남은 기간', 'Days left')),
      h('dd', { 'data-testid': 'financial-days-left' }, days >= 0 ? L(`${days}일 (D-${days})`, `${days} days`) : L('만료됨', 'Expired')),
    ),
    locked
      ? h('p', { class: 'warning' }, L('비밀번호를 5번 연속 틀려 잠겼습니다. 금융인증서 재발급(본인 확인 후 새 비밀번호)으로 다시 쓸 수 있습니다. ', 'Locked after five wrong PINs in a row. Reissue it (identity checks and a new PIN) to use it again. '), h('a', { href: '#/financial/reissue' }, L('금융인증서 재발급', 'Reissue')))
      : null,
    state === 'good' && days >= 0 && days <= 30 && !locked
      ? h('p', { class: 'notice' }, L('유효기간이 30일 이내로 남았습니다. 자동 갱신을 켜 두시거나 재발급을 받아 주세요.', 'It ends within 30 days: turn on automatic renewal or reissue it.'))
      : null,
    extra,
  );
}

function autoRenewSwitch(alert, redraw) {
  const on = Boolean(cloud.info?.dojang?.autoRenew);
  const id = uid('auto');
  const box = h('input', { type: 'checkbox', id, role: 'switch', checked: on, 'data-testid': 'auto-renew-toggle' });
  const status = h('span', { class: `badge ${on ? 'state-good' : ''}`, 'data-testid': 'auto-renew-status', 'aria-live': 'polite' }, on ? L('사용 중', 'On') : L('사용 안 함', 'Off'));
  box.addEventListener('change', async () => {
    alert.clear();
    box.disabled = true;
    const want = box.checked;
    try {
      await cloud.session.setAutoRenew(cloud.credentialId, want);
      cloud.info = await cloud.session.info(cloud.credentialId);
      redraw();
    } catch (e) {
      box.checked = !want;
      box.disabled = false;
      if (e?.code === 'invalid_token') {
        // The cloud session ended (30 minutes): sign in again.
        await cloudSignOut();
        redraw();
      }
      alert.show(e);
    }
  });
  return h(
    'div',
    { class: 'field check' },
    box,
    h('label', { for: id }, h('strong', {}, L('자동 갱신', 'Automatic renewal')), ' ', status, h('br'), L('만료 30일 전부터 은행이 새 금융인증서로 갱신합니다.', 'The bank renews it in its last 30 days.')),
  );
}

export function renderFinancial({ main, app }) {
  const alert = alertBox('financial-error');
  const mine = h('div', { 'data-testid': 'my-financial' });
  const validity = h('span', {}, L('2년', '2 years'));
  loadProducts(app)
    .then((products) => {
      const p = products.find((x) => x.id === 'financial');
      if (p) validity.textContent = years(p.validity_days);
    })
    .catch(() => {});

  function drawMine() {
    if (!cloud.session) {
      replace(
        mine,
        h('p', {}, L('인터넷뱅킹 ID와 비밀번호로 로그인하면 금융인증서의 상태와 남은 기간을 확인하고 자동 갱신을 설정할 수 있습니다.', 'Sign in with your internet banking ID and password to see your financial certificate and set automatic renewal.')),
        cloudSignInForm({ alert, onDone: drawMine, submitLabel: L('내 금융인증서 조회', 'Show my financial certificate') }),
      );
      return;
    }
    const signOut = h('button', { type: 'button', class: 'secondary', 'data-testid': 'cloud-signout' }, L('로그아웃', 'Sign out'));
    signOut.addEventListener('click', async () => {
      await cloudSignOut();
      drawMine();
    });
    if (!cloud.info) {
      replace(
        mine,
        h('div', { class: 'panel notice', 'data-testid': 'no-financial' }, h('p', {}, L('아직 금융인증서가 없습니다.', 'You have no financial certificate yet.')), h('p', {}, h('a', { class: 'button primary', href: '#/financial/issue' }, L('금융인증서 발급', 'Get one')), ' ', signOut)),
      );
      return;
    }
    replace(
      mine,
      credentialCard(cloud.info, [
        autoRenewSwitch(alert, drawMine),
        h('p', { class: 'actions' }, h('a', { class: 'button primary', href: '#/login?with=financial' }, L('금융인증서로 로그인', 'Log in with it')), ' ', h('a', { class: 'button', href: '#/financial/reissue' }, L('재발급', 'Reissue')), ' ', signOut),
      ]),
    );
  }

  add(
    main,
    h('h1', {}, L('금융인증서', 'Financial certificate')),
    h(
      'p',
      { class: 'lead' },
      L(
        '금융인증서는 은행의 클라우드에 보관되는 인증서입니다. PC나 휴대폰에 인증서 파일을 옮길 필요 없이, 숫자 6자리 비밀번호로 인터넷뱅킹과 스마트폰뱅킹 등 금융 거래에 사용합니다.',
        'The financial certificate is kept in the bank’s cloud: no files to carry between PC and phone. You use it with a six-digit PIN for internet and phone banking.',
      ),
    ),
    h(
      'ul',
      { class: 'facts' },
      h('li', {}, L('유효기간: 발급일로부터 ', 'Valid for '), validity, L('. 만료 30일 전에 안내해 드립니다.', ' from issue; we remind you 30 days before it ends.')),
      h('li', {}, L('재발급하면 이전 금융인증서는 폐기됩니다 (유출 예방).', 'Reissuing revokes the previous one (so a leaked one stops working).')),
      h('li', {}, L('비밀번호를 5번 연속 틀리면 잠기며, 재발급으로 다시 쓸 수 있습니다.', 'Five wrong PINs in a row lock it; reissue it to use it again.')),
      h('li', {}, L('수수료는 없습니다.', 'It is free.')),
    ),
    h(
      'div',
      { class: 'choice-buttons' },
      h('a', { class: 'button primary', href: '#/financial/issue', 'data-testid': 'financial-issue' }, h('strong', {}, L('금융인증서 발급', 'Get a financial certificate')), h('span', {}, L('처음 발급받을 때', 'The first time'))),
      h('a', { class: 'button secondary', href: '#/financial/reissue', 'data-testid': 'financial-reissue' }, h('strong', {}, L('금융인증서 재발급', 'Reissue')), h('span', {}, L('비밀번호 분실·잠김, 만료 30일 전', 'Forgotten or locked PIN, or ending soon'))),
    ),
    alert.el,
    h('section', { class: 'panel', 'aria-labelledby': 'mine-h' }, h('h2', { id: 'mine-h' }, L('내 금융인증서', 'My financial certificate')), mine),
    h(
      'section',
      { 'aria-labelledby': 'check-h' },
      h('h2', { id: 'check-h' }, L('발급 전에 확인하세요', 'Before you start')),
      h(
        'ul',
        { class: 'checklist' },
        h('li', {}, L('인터넷뱅킹 ID와 주민등록번호를 정확히 입력해 주세요.', 'Type your banking ID and RRN exactly.')),
        h('li', {}, L('등록된 휴대폰 번호가 최신인지 확인하고, ARS 전화가 오면 바로 받아 주세요.', 'Make sure your registered phone number is current and answer the ARS call at once.')),
        h('li', {}, L('출금계좌 비밀번호와 보안카드(또는 OTP)를 준비해 주세요.', 'Have your account password and security card (or OTP) at hand.')),
        h('li', {}, L('생년월일이나 123456처럼 쉬운 비밀번호는 쓸 수 없습니다.', 'Easy PINs such as your birth date or 123456 are not accepted.')),
      ),
    ),
  );
  drawMine();
  return null;
}
