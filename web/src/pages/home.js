// 인증센터 홈: what the center does, the products and what each costs, what to prepare.

import { ApiError, get } from '../api.js';
import { add, h, replace } from '../dom.js';
import { L, pick } from '../i18n.js';
import { won, years } from '../format.js';

export async function loadProducts(app) {
  if (!app.products) app.products = (await get('/api/v1/products')).products;
  return app.products;
}

function feeText(p) {
  const fee = won(p.fee_krw);
  return p.fee_krw > 0 && p.fee_period === 'per-year' ? L(`${fee} / 년`, `${fee} / year`) : fee;
}

export function productsTable(products) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'products', 'data-testid': 'products' },
      h('caption', {}, L('인증서 종류와 수수료', 'Certificates and fees')),
      h(
        'thead',
        {},
        h('tr', {}, h('th', { scope: 'col' }, L('인증서', 'Certificate')), h('th', { scope: 'col' }, L('사용처', 'Usable at')), h('th', { scope: 'col' }, L('수수료', 'Fee')), h('th', { scope: 'col' }, L('유효기간', 'Validity'))),
      ),
      h(
        'tbody',
        {},
        products.map((p) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, pick(p, 'name')),
            h('td', {}, pick(p, 'usable_at')),
            h('td', { class: 'fee' }, feeText(p)),
            h('td', {}, years(p.validity_days)),
          ),
        ),
      ),
    ),
  );
}

const TASKS = [
  ['#/issue', '인증서 발급/재발급', 'Issue / reissue', '처음 발급받거나, 분실·비밀번호 분실·PC 포맷으로 다시 받을 때', 'A first certificate, or again after losing it, its password or the PC'],
  ['#/renew', '인증서 갱신', 'Renew', '만료 30일 전부터 만료일까지, 지금 인증서로 기간 연장', 'In the last 30 days before expiry, with your current certificate'],
  ['#/revoke', '인증서 폐기', 'Revoke', '더 쓰지 않거나 유출이 의심될 때 즉시 사용 중지', 'Stop a certificate for good when unused or leaked'],
  ['#/suspend', '효력정지/회복', 'Suspend / resume', '잠시 사용을 멈추고, 다시 살릴 때', 'Pause a certificate and bring it back'],
  ['#/manage', '인증서 관리', 'My certificates', '보유한 인증서의 상태와 남은 기간 확인', 'Status and days left of the certificates you hold'],
  ['#/copy', '인증서 복사/이동', 'Copy / move a certificate', 'PC와 휴대폰 사이에 인증번호로 인증서를 옮기기', 'Between PC and phone, with a one-time number'],
  ['#/login', '인증서 로그인', 'Certificate login', '공동인증서나 금융인증서로 인터넷뱅킹 로그인', 'Log in with a joint or financial certificate'],
  ['#/other-ca', '타기관 인증서 등록/해제', 'Other banks’ certificates', '다른 은행에서 받은 인증서를 새로 발급받지 않고 이 은행에서 쓰기', 'Use a certificate from another bank here, no new one needed'],
  ['#/financial', '금융인증서', 'Financial certificate', '은행 클라우드에 보관, 비밀번호 6자리로 사용 (발급·재발급·자동 갱신)', 'Kept in the bank’s cloud, used with a 6-digit PIN (issue, reissue, auto-renewal)'],
  ['#/support', '고객지원', 'Support', '자주 묻는 질문, 문의하기, 운영시간', 'FAQ, inquiries, hours'],
];

export function renderHome({ main, app }) {
  const productsSlot = h('div', { class: 'products-slot' }, h('p', { class: 'hint' }, L('인증서 종류를 불러오는 중…', 'Loading the products…')));
  add(main, 
    h(
      'section',
      { class: 'hero' },
      h('h1', {}, `${app.info?.organization || 'dojang'} `, L('인증센터', 'Certificate Center')),
      h(
        'p',
        { class: 'lead' },
        L(
          '공동인증서는 온라인에서 본인임을 증명하는 가상의 인감증명서입니다. 인증서의 발급·재발급·갱신·폐기를 이곳에서 하실 수 있습니다.',
          'A joint certificate is your virtual seal: it proves who you are online. Get, renew and revoke certificates here.',
        ),
      ),
      h('p', {}, h('a', { class: 'button primary', href: '#/issue' }, L('공동인증서 발급 시작', 'Get a joint certificate')), ' ', h('a', { class: 'button', href: '#/manage' }, L('내 인증서 확인', 'My certificates'))),
    ),
    h(
      'section',
      { 'aria-labelledby': 'tasks-h' },
      h('h2', { id: 'tasks-h' }, L('무엇을 도와드릴까요?', 'What would you like to do?')),
      h(
        'ul',
        { class: 'cards' },
        TASKS.map(([href, ko, en, dko, den]) => h('li', {}, h('a', { href, class: 'card' }, h('strong', {}, L(ko, en)), h('span', {}, L(dko, den))))),
      ),
    ),
    h('section', { 'aria-labelledby': 'products-h' }, h('h2', { id: 'products-h' }, L('인증서 종류와 수수료', 'Certificates and fees')), productsSlot),
    h(
      'section',
      { 'aria-labelledby': 'prep-h', class: 'panel' },
      h('h2', { id: 'prep-h' }, L('발급 전에 준비하세요', 'Before you start')),
      h(
        'ol',
        { class: 'checklist' },
        h('li', {}, L('인터넷뱅킹 가입: 신분증을 가지고 영업점에서 먼저 가입해 주세요.', 'Internet banking: sign up at a branch first (bring your ID card).')),
        h('li', {}, L('인터넷뱅킹 ID와 주민등록번호', 'Your internet banking ID and resident registration number')),
        h('li', {}, L('ARS 인증 전화를 받을 등록된 휴대폰', 'Your registered phone, for the ARS call')),
        h('li', {}, L('출금계좌번호와 계좌 비밀번호 (수수료가 있는 인증서)', 'Your withdrawal account and its password (for paid certificates)')),
        h('li', {}, L('보안카드 또는 OTP', 'Your security card or OTP device')),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'rp-h' },
      h('h2', { id: 'rp-h' }, L('인증서 검증 (이용기관용)', 'For relying parties')),
      h(
        'ul',
        {},
        h('li', {}, h('a', { href: '/ca/root.crt' }, L('최상위 인증기관 인증서 (Root CA)', 'Root CA certificate'))),
        h('li', {}, h('a', { href: '/ca/issuing.crt' }, L('인증기관 인증서 (Issuing CA)', 'Issuing CA certificate'))),
        h('li', {}, h('a', { href: '/crl/issuing.crl' }, L('인증서 폐지 목록 (CRL)', 'Certificate revocation list (CRL)'))),
        h('li', {}, 'OCSP: ', h('code', {}, `${app.info?.base_url || location.origin}/ocsp`)),
      ),
    ),
  );
  loadProducts(app)
    .then((products) => replace(productsSlot, productsTable(products)))
    .catch((e) => replace(productsSlot, h('p', { class: 'error', role: 'alert' }, e instanceof ApiError ? e.text() : String(e))));
  return null;
}
