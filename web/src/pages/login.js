// 인증서 로그인: log in to this bank with a certificate.
//
// - A joint certificate (this bank's, or another institution's registered here): the center
//   gives a single-use challenge, the certificate's key signs the possession message in this
//   browser (the key file is opened here with the certificate password), and the certificate,
//   its chain, the signature and R (the VID's random value, from the key file) go to
//   `POST /api/v1/login`.
// - The financial certificate: the same challenge, signed in the bank's cloud after the PIN
//   (CSC `credentials/authorize` → `signatures/signHash` over SHA-256 of the message), with R
//   as the cloud signer gives it (`vid_random`).
//
// The session token is kept in this page's memory only (a reload forgets it; 로그아웃 ends it
// at the center); every refusal is shown with its reason in plain words and what to do next.

import { ApiError, api, clientError, get, post } from '../api.js';
import { add, field, h, replace } from '../dom.js';
import { L } from '../i18n.js';
import { dateTime } from '../format.js';
import { alertBox } from '../alert.js';
import { busyForm, digitsOnly } from '../fields.js';
import { base64Encode } from '../crypto/bytes.js';
import { possessionMessage, signPossession } from '../certs.js';
import { certificatePicker } from '../cert-picker.js';
import { cloud, cloudSignInForm, cloudSignOut, credentialCard } from './financial.js';

/** The logged-in session of this page load: { token, who (GET /api/v1/session), certificate }. */
let current = null;

/** Per refusal: a short title and where to go next. */
function help(code) {
  const issue = ['#/issue', L('인증서 발급', 'Get a certificate')];
  const support = ['#/support', L('고객지원', 'Support')];
  const table = {
    expired: [L('만료된 인증서', 'Expired certificate'), [issue]],
    revoked: [L('폐기된 인증서', 'Revoked certificate'), [issue, ['#/manage', L('인증서 관리', 'My certificates')]]],
    suspended: [L('효력정지된 인증서', 'Suspended certificate'), [['#/resume', L('효력회복', 'Resume it')]]],
    not_yet_valid: [L('아직 유효기간이 시작되지 않은 인증서', 'Not yet valid'), []],
    wrong_person: [L('본인의 인증서가 아닙니다', 'Not your certificate'), []],
    no_vid: [L('본인확인 정보가 없는 인증서', 'No VID in the certificate'), [issue]],
    unknown_issuer: [L('신뢰하지 않는 기관의 인증서', 'Issuer not trusted here'), [issue]],
    not_registered: [L('이 은행에 등록되지 않은 인증서', 'Not registered at this bank'), [['#/other-ca', L('타기관 인증서 등록', 'Register it')]]],
    bad_signature_over_challenge: [L('전자서명이 인증서와 맞지 않습니다', 'Signature does not match'), []],
    bad_signature: [L('인증서의 서명이 올바르지 않습니다', 'Bad signature in the chain'), [['#/reissue', L('재발급', 'Reissue')]]],
    bad_chain: [L('인증서의 발급 경로가 올바르지 않습니다', 'Bad certificate chain'), [support]],
    malformed: [L('사용할 수 없는 인증서', 'Unusable certificate'), []],
    status_unavailable: [L('인증서 상태를 확인할 수 없습니다', 'Status unavailable'), []],
    status_unknown: [L('발급기관이 모르는 인증서', 'Unknown to its issuer'), [support]],
    challenge_expired: [L('로그인 요청 시간이 지났습니다', 'The login request expired'), []],
    challenge_used: [L('이미 사용된 로그인 요청', 'Login request already used'), []],
    challenge_unknown: [L('로그인 요청을 찾을 수 없습니다', 'Unknown login request'), []],
    customer_locked: [L('이용이 잠겨 있습니다', 'Access locked'), [support]],
    invalid_pin: [L('금융인증서 비밀번호가 틀렸습니다', 'Wrong PIN'), []],
    pin_locked: [L('금융인증서 비밀번호가 잠겼습니다', 'PIN locked'), [['#/financial/reissue', L('금융인증서 재발급', 'Reissue it')]]],
    authentication_error: [L('인터넷뱅킹 ID 또는 비밀번호가 맞지 않습니다', 'Wrong banking ID or password'), []],
    no_random: [L('금융인증서의 본인확인 값(R)을 받지 못했습니다', 'No VID random value from the cloud'), [['#/financial/reissue', L('금융인증서 재발급', 'Reissue it')]]],
  };
  return table[code] || [L('로그인할 수 없습니다', 'Login failed'), []];
}

function showRefusal(alert, e) {
  const code = e instanceof ApiError ? e.code : 'client';
  const [title, actions] = help(code);
  alert.show(e, { title: code === 'client_check' ? null : L(`로그인할 수 없습니다: ${title}`, `Cannot log in: ${title}`), actions });
}

async function finishLogin(body) {
  const loggedIn = await post('/api/v1/login', body);
  const who = await get('/api/v1/session', { headers: { Authorization: `Bearer ${loggedIn.session}` } });
  current = { token: loggedIn.session, who, certificate: loggedIn.certificate };
}

function sessionPanel(redraw) {
  const { who, certificate } = current;
  const logout = h('button', { type: 'button', class: 'secondary', 'data-testid': 'logout' }, L('로그아웃', 'Log out'));
  logout.addEventListener('click', async () => {
    const token = current.token;
    current = null;
    try {
      // The center ends the session (DELETE /api/v1/session; the guard wants a JSON body).
      await api('DELETE', '/api/v1/session', {}, { headers: { Authorization: `Bearer ${token}` } });
    } catch {
      // Ended or expired already: the page forgets it either way.
    }
    redraw();
  });
  return h(
    'section',
    { class: 'panel result', 'data-testid': 'session' },
    h('h2', { 'data-testid': 'session-title' }, L(`${who.customer_name} 고객님, 로그인되었습니다`, `Logged in: ${who.customer_name}`)),
    h(
      'dl',
      { class: 'summary' },
      h('dt', {}, L('인터넷뱅킹 ID', 'Banking ID')),
      h('dd', { 'data-testid': 'session-banking-id' }, who.banking_id),
      h('dt', {}, L('사용한 인증서', 'Certificate')),
      h('dd', {}, h('code', { 'data-testid': 'session-serial' }, who.serial)),
      h('dt', {}, L('발급기관', 'Issuer')),
      h('dd', { 'data-testid': 'session-issuer' }, certificate?.trusted_issuer || who.issuer),
      certificate?.status_source ? [h('dt', {}, L('인증서 상태 확인', 'Status checked at')), h('dd', {}, { local: L('이 인증센터', 'this center'), ocsp: L('발급기관 OCSP', 'the issuer’s OCSP'), crl: L('발급기관 폐지 목록(CRL)', 'the issuer’s CRL') }[certificate.status_source] || certificate.status_source)] : null,
      h('dt', {}, L('로그인 유지', 'Session ends')),
      h('dd', {}, dateTime(who.expires_at)),
    ),
    h('p', { class: 'actions' }, logout),
  );
}

/** 공동인증서: the picker, an optional banking ID, and the signature made here. */
function jointForm(alert, done) {
  const picker = certificatePicker({ onLoaded: (err) => (err ? alert.show(err) : alert.clear()) });
  const bankingId = field({ label: L('인터넷뱅킹 ID (선택)', 'Internet banking ID (optional)'), name: 'banking_id', hint: L('입력하면 그 ID의 고객 인증서인지도 확인합니다.', 'If given, the certificate must be this customer’s.'), attrs: { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', 'data-testid': 'login-banking-id' } });
  return busyForm({
    testid: 'joint-login',
    submitLabel: L('인증서로 로그인', 'Log in'),
    submitTestid: 'login-submit',
    fields: [...picker.root, bankingId.wrap],
    onStart: () => alert.clear(),
    onError: (err) => showRefusal(alert, err),
    run: async (say) => {
      say(L('인증서를 여는 중…', 'Opening the certificate…'));
      const signer = await picker.open();
      say(L('인증센터에서 확인하는 중…', 'The center is checking…'));
      const challenge = await post('/api/v1/login/challenge', {});
      const signature = await signPossession(signer.key, challenge.challenge_id, challenge.nonce);
      const body = { challenge_id: challenge.challenge_id, certificate: base64Encode(signer.certDer), chain: signer.chainDers.map(base64Encode), signature };
      if (signer.randomNum) body.random_num = base64Encode(signer.randomNum);
      if (bankingId.input.value.trim()) body.banking_id = bankingId.input.value.trim();
      await finishLogin(body);
      done();
    },
  }).form;
}

/** 금융인증서: sign in to the cloud signer, then the PIN. */
function financialForm(alert, done, redraw) {
  if (!cloud.session) {
    return h(
      'div',
      {},
      h('p', {}, L('먼저 인터넷뱅킹 ID와 비밀번호로 금융인증서를 불러옵니다.', 'First find your financial certificate with your internet banking ID and password.')),
      cloudSignInForm({ alert, onDone: redraw, testid: 'financial-signin' }),
    );
  }
  if (!cloud.info) {
    return h('div', { class: 'panel notice', 'data-testid': 'no-financial' }, h('p', {}, L('금융인증서가 없습니다. 먼저 발급받아 주세요.', 'You have no financial certificate; get one first.')), h('p', {}, h('a', { class: 'button primary', href: '#/financial/issue' }, L('금융인증서 발급', 'Get one'))));
  }
  const pin = field({ label: L('금융인증서 비밀번호 (숫자 6자리)', 'PIN (six digits)'), type: 'password', name: 'pin', attrs: { inputmode: 'numeric', maxlength: 6, autocomplete: 'off', 'data-testid': 'login-pin' } });
  digitsOnly(pin.input);
  const other = h('button', { type: 'button', class: 'link' }, L('다른 ID로 불러오기', 'Use another ID'));
  other.addEventListener('click', async () => {
    await cloudSignOut();
    redraw();
  });
  return busyForm({
    testid: 'financial-login',
    submitLabel: L('금융인증서로 로그인', 'Log in'),
    submitTestid: 'financial-login-submit',
    fields: [credentialCard(cloud.info), pin.wrap],
    secondary: [other],
    onStart: () => alert.clear(),
    always: () => {
      pin.input.value = '';
    },
    onError: async (err) => {
      if (err instanceof ApiError && err.code === 'invalid_token') {
        await cloudSignOut();
        redraw();
      } else if (err instanceof ApiError && err.code === 'pin_locked') {
        // Show the card as locked, with the way out (reissue).
        cloud.info = await cloud.session.info(cloud.credentialId).catch(() => cloud.info);
        redraw();
      }
      showRefusal(alert, err);
    },
    run: async (say) => {
      if (!/^[0-9]{6}$/.test(pin.input.value)) throw clientError('금융인증서 비밀번호 숫자 6자리를 입력해 주세요.', 'Enter the six-digit PIN.');
      say(L('클라우드에서 전자서명하는 중…', 'Signing in the cloud…'));
      const challenge = await post('/api/v1/login/challenge', {});
      const message = possessionMessage(challenge.challenge_id, challenge.nonce);
      const { signature, vidRandom } = await cloud.session.sign(cloud.credentialId, cloud.info, pin.input.value, message);
      pin.input.value = '';
      if (!vidRandom) {
        throw new ApiError(409, {
          error: 'no_random',
          message_ko: '인증센터가 이 금융인증서의 본인확인 값(R)을 알려 주지 않아 본인 여부를 확인할 수 없습니다. 금융인증서를 재발급하면 로그인에 쓸 수 있습니다.',
          message_en: 'The center did not give this financial certificate’s VID random value (R), so whose it is cannot be checked. Reissue the financial certificate to log in with it.',
        });
      }
      const [leaf, ...chain] = cloud.info.cert.certificates;
      await finishLogin({ challenge_id: challenge.challenge_id, certificate: leaf, chain, signature, random_num: vidRandom, banking_id: cloud.bankingId });
      done();
    },
  }).form;
}

export function renderLogin({ main, params }) {
  const alert = alertBox('login-error');
  const body = h('div', {});
  let tab = params.get('with') === 'financial' ? 'financial' : 'joint';

  function draw() {
    if (current) {
      replace(body, sessionPanel(draw));
      return;
    }
    const tabs = [
      ['joint', L('공동인증서', 'Joint certificate')],
      ['financial', L('금융인증서', 'Financial certificate')],
    ].map(([id, label]) => {
      const b = h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-selected': String(tab === id), 'aria-controls': 'login-panel', tabindex: tab === id ? '0' : '-1', 'data-testid': `tab-${id}` }, label);
      b.addEventListener('click', () => {
        tab = id;
        alert.clear();
        draw();
        body.querySelector(`#tab-${id}`)?.focus();
      });
      b.addEventListener('keydown', (e) => {
        if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
        tab = tab === 'joint' ? 'financial' : 'joint';
        draw();
        body.querySelector(`#tab-${tab}`)?.focus();
      });
      return b;
    });
    const done = () => {
      alert.clear();
      draw();
      body.querySelector('h2')?.focus?.();
    };
    const panel = h(
      'div',
      { role: 'tabpanel', id: 'login-panel', 'aria-labelledby': `tab-${tab}`, class: 'panel' },
      tab === 'joint'
        ? [h('p', {}, L('이 은행에서 발급한 공동인증서나, 등록한 다른 기관의 공동인증서로 로그인합니다. 인증서 파일은 이 브라우저에서만 열리며, 개인키로 서명한 값만 보냅니다.', 'Use a joint certificate from this bank, or one from another institution you registered here. The files are opened in this browser only; only a signature is sent.')), jointForm(alert, done)]
        : [h('p', {}, L('은행의 클라우드에 보관된 금융인증서로, 비밀번호 6자리를 입력해 로그인합니다.', 'Log in with the financial certificate kept in the bank’s cloud and its six-digit PIN.')), financialForm(alert, done, draw)],
    );
    replace(body, h('div', { class: 'tabs', role: 'tablist', 'aria-label': L('인증서 종류', 'Kind of certificate') }, tabs), panel);
  }

  add(
    main,
    h('h1', {}, L('인증서 로그인', 'Certificate login')),
    h('p', { class: 'lead' }, L('인증서로 본인임을 확인하고 인터넷뱅킹에 로그인합니다.', 'Prove it is you with a certificate and log in to internet banking.')),
    alert.el,
    body,
    h('ul', { class: 'related' }, h('li', {}, h('a', { href: '#/other-ca' }, L('다른 은행의 인증서를 쓰려면: 타기관 인증서 등록', 'A certificate from another bank? Register it first'))), h('li', {}, h('a', { href: '#/financial' }, L('금융인증서 안내', 'About the financial certificate')))),
  );
  draw();
  return null;
}
