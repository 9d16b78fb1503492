// The certificate center's page: layout, navigation, language switch and the hash router
// (#/issue, #/manage, …). Each page module draws into <main>.

import { get } from './api.js';
import { add, focusHeading, h, replace } from './dom.js';
import { L, lang, onLangChange, setLang } from './i18n.js';
import { setServerNow } from './format.js';
import { phoneDrawer, phoneScreen } from './phone.js';
import { renderHome } from './pages/home.js';
import { renderFlow } from './pages/flow.js';
import { renderManage } from './pages/manage.js';
import { renderSupport } from './pages/support.js';
import { renderStaff } from './pages/staff.js';
import { renderOtherCa } from './pages/other-ca.js';
import { renderFinancial } from './pages/financial.js';
import { renderLogin } from './pages/login.js';
import { renderCopy } from './pages/copy.js';

export const app = { info: null, products: null };

const NAV = [
  ['#/', () => L('인증센터 홈', 'Home')],
  ['#/issue', () => L('발급/재발급', 'Issue / reissue')],
  ['#/renew', () => L('갱신', 'Renew')],
  ['#/revoke', () => L('폐기', 'Revoke')],
  ['#/suspend', () => L('효력정지/회복', 'Suspend / resume')],
  ['#/manage', () => L('인증서 관리', 'My certificates')],
  ['#/copy', () => L('인증서 복사/이동', 'Copy / move')],
  ['#/login', () => L('인증서 로그인', 'Certificate login')],
  ['#/other-ca', () => L('타기관 인증서 등록/해제', 'Other banks’ certificates')],
  ['#/financial', () => L('금융인증서', 'Financial certificate')],
  ['#/support', () => L('고객지원', 'Support')],
];

function route() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : '';
  const [path, query = ''] = raw.split('?');
  return { path: path.replace(/\/+$/, ''), params: new URLSearchParams(query) };
}

let cleanup = null;
let drawer = null;

function layout() {
  const menuId = 'site-nav';
  const menuButton = h('button', { type: 'button', class: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': menuId }, L('메뉴', 'Menu'));
  const nav = h(
    'nav',
    { id: menuId, class: 'site-nav', 'aria-label': L('주 메뉴', 'Main menu') },
    h('ul', {}, NAV.map(([href, text]) => h('li', {}, h('a', { href }, text())))),
  );
  menuButton.addEventListener('click', () => {
    const open = menuButton.getAttribute('aria-expanded') !== 'true';
    menuButton.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  });
  nav.addEventListener('click', (e) => {
    if (e.target.closest('a')) {
      menuButton.setAttribute('aria-expanded', 'false');
      nav.classList.remove('open');
    }
  });
  const langButton = h(
    'button',
    { type: 'button', class: 'lang', lang: lang() === 'ko' ? 'en' : 'ko', 'data-testid': 'lang-toggle' },
    lang() === 'ko' ? 'English' : '한국어',
  );
  langButton.addEventListener('click', () => setLang(lang() === 'ko' ? 'en' : 'ko'));
  const org = app.info?.organization || 'dojang';
  drawer = phoneDrawer();
  const main = h('main', { id: 'main', tabindex: '-1' });
  const skip = h('a', { class: 'skip', href: '#main' }, L('본문 바로가기', 'Skip to content'));
  skip.addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  const shifted = app.info?.clock_shifted
    ? h('p', { class: 'demo-banner', role: 'note' }, L(`데모: 인증센터의 시계가 조정되어 있습니다 (지금: ${app.info.now.slice(0, 10)}).`, `Demo: the center's clock is shifted (now: ${app.info.now.slice(0, 10)}).`))
    : null;
  return {
    main,
    nav,
    root: [
      skip,
      h(
        'header',
        { class: 'site-header' },
        h(
          'div',
          { class: 'bar' },
          h('a', { class: 'brand', href: '#/' }, h('span', { class: 'seal', 'aria-hidden': 'true' }, '印'), h('span', {}, `${org} `, h('strong', {}, L('인증센터', 'Certificate Center')))),
          h('div', { class: 'tools' }, h('a', { href: '#/staff', class: 'staff-link' }, L('직원용', 'Staff')), langButton, menuButton),
        ),
        nav,
      ),
      shifted,
      main,
      h(
        'footer',
        { class: 'site-footer' },
        h(
          'p',
          {},
          L('고객센터 ', 'Customer center '),
          h('strong', {}, app.info?.support?.phone || '1588-0000'),
          ' · ',
          L(app.info?.support?.hours_ko || '평일 09:00–18:00', app.info?.support?.hours_en || 'Weekdays 09:00–18:00'),
        ),
        h(
          'p',
          {},
          h('a', { href: '/cps' }, L('인증업무준칙 (CPS)', 'Certification practice statement')),
          ' · ',
          h('a', { href: '#/phone' }, L('휴대폰 시뮬레이터', 'Phone simulator')),
          ' · ',
          h('a', { href: '#/staff' }, L('직원 콘솔', 'Staff console')),
        ),
      ),
      drawer.toggle,
      drawer.panel,
    ],
  };
}

let shell = null;
let keepState = false;

function draw() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const { path, params } = route();
  for (const a of shell.nav.querySelectorAll('a')) {
    const section = path.split('/')[0];
    const here = a.getAttribute('href') === `#/${section}` || (path === '' && a.getAttribute('href') === '#/');
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = shell.main;
  replace(main);
  const ctx = { main, params, app, keep: keepState, openPhone: () => drawer.open() };
  keepState = false;
  const flows = {
    issue: 'issue',
    reissue: 'reissue',
    renew: 'renew',
    revoke: 'revoke',
    suspend: 'suspend',
    resume: 'resume',
    'financial/issue': 'financial-issue',
    'financial/reissue': 'financial-reissue',
  };
  if (path === '') cleanup = renderHome(ctx);
  else if (flows[path]) cleanup = renderFlow(ctx, flows[path]);
  else if (path === 'manage') cleanup = renderManage(ctx);
  else if (path === 'support') cleanup = renderSupport(ctx);
  else if (path === 'staff') cleanup = renderStaff(ctx);
  else if (path === 'login') cleanup = renderLogin(ctx);
  else if (path === 'copy') cleanup = renderCopy(ctx);
  else if (path === 'other-ca') cleanup = renderOtherCa(ctx);
  else if (path === 'financial') cleanup = renderFinancial(ctx);
  else if (path === 'phone') {
    const screen = phoneScreen();
    add(main, h('h1', {}, L('휴대폰 시뮬레이터', 'Phone simulator')), h('p', {}, L('인증센터가 이 번호로 보낸 문자, ARS 전화 내용, 입금 알림을 보여 줍니다. 실제 은행에서는 고객의 휴대폰으로 전달됩니다.', 'The texts, ARS calls and deposit notices the center sent to this number. A real bank sends them to the customer’s phone.')), screen.root);
    screen.start();
    cleanup = () => screen.stop();
  } else {
    add(main, h('h1', {}, L('페이지를 찾을 수 없습니다', 'Page not found')), h('p', {}, h('a', { href: '#/' }, L('인증센터 홈으로', 'Back to the home page'))));
  }
  document.title = `${main.querySelector('h1')?.textContent || ''} | ${app.info?.organization || 'dojang'} ${L('인증센터', 'Certificate Center')}`;
}

function mount() {
  drawer?.stop();
  document.documentElement.lang = lang();
  const root = document.getElementById('app');
  shell = layout();
  replace(root, shell.root);
  draw();
}

async function boot() {
  try {
    app.info = await get('/api/v1/web/info');
    setServerNow(app.info.now);
  } catch {
    app.info = null;
  }
  mount();
  window.addEventListener('hashchange', () => {
    if (location.hash && !location.hash.startsWith('#/')) return; // in-page anchors
    draw();
    focusHeading(shell.main);
  });
  onLangChange(() => {
    keepState = true;
    mount();
  });
}

boot();
