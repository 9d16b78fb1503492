// 인증서 관리: the certificates the customer holds in this browser (issued here in this session,
// or loaded from their files), each with its live status from the center, its end date and
// the days left, the renewal window, and the actions that fit.

import { ApiError, get } from '../api.js';
import { add, h, replace, uid } from '../dom.js';
import { L } from '../i18n.js';
import { date, daysLeft, stateText } from '../format.js';
import { readFiles, openEntry } from '../certs.js';
import { PfxPasswordError } from '../crypto/pfx.js';
import * as wallet from '../wallet.js';
import { loadProducts } from './home.js';

function statusBadge(state) {
  return h('span', { class: `badge state-${state}`, 'data-testid': 'cert-state' }, stateText(state));
}

function card(cert, app, refresh) {
  const state = h('span', {}, h('span', { class: 'badge' }, L('확인 중…', 'Checking…')));
  const days = daysLeft(cert.not_after);
  const windowDays = app.info?.renewal_window_days || 30;
  const from = new Date(Date.parse(cert.not_after) - windowDays * 86400000).toISOString();
  const actions = h('div', { class: 'actions' });
  const productText = h('span', {}, cert.product_ko || '');
  const el = h(
    'li',
    { class: 'cert-card', 'data-serial': cert.serial, 'data-testid': 'cert-card' },
    h('h2', {}, cert.holder || L('공동인증서', 'Joint certificate'), ' ', state),
    h(
      'dl',
      { class: 'summary' },
      h('dt', {}, L('인증서 종류', 'Certificate')),
      h('dd', {}, productText),
      h('dt', {}, L('일련번호', 'Serial')),
      h('dd', {}, h('code', {}, cert.serial)),
      h('dt', {}, L('소유자 (DN)', 'Subject')),
      h('dd', {}, h('code', {}, cert.subject)),
      h('dt', {}, L('유효기간', 'Validity')),
      h('dd', {}, `${date(cert.not_before)} ~ ${date(cert.not_after)}`),
      h('dt', {}, L('남은 기간', 'Days left')),
      h('dd', { 'data-testid': 'days-left' }, days >= 0 ? L(`${days}일 (D-${days})`, `${days} days`) : L('만료됨', 'Expired')),
      h('dt', {}, L('갱신 가능 기간', 'Renewal window')),
      h('dd', {}, `${date(from)} ~ ${date(cert.not_after)}`),
    ),
    actions,
  );
  const go = (kind) => h('a', { class: 'button', href: `#/${kind}?serial=${cert.serial}` }, { renew: L('갱신', 'Renew'), revoke: L('폐기', 'Revoke'), suspend: L('효력정지', 'Suspend'), resume: L('효력회복', 'Resume'), reissue: L('재발급', 'Reissue') }[kind]);
  // 인증서 복사/이동 needs the files themselves; they are asked for there when not held.
  const copy = h('a', { class: 'button', href: `#/copy?send=${cert.serial}`, 'data-testid': 'cert-copy' }, L('복사/이동', 'Copy / move'));
  const forget = h('button', { type: 'button', class: 'link' }, L('목록에서 지우기', 'Remove from this list'));
  forget.addEventListener('click', () => {
    wallet.remove(cert.serial);
    refresh();
  });
  Promise.all([get(`/api/v1/certificates/${cert.serial}`), loadProducts(app).catch(() => [])])
    .then(([s]) => {
      const st = s.status?.state || 'unknown';
      replace(state, statusBadge(st));
      productText.textContent = app.products?.find((p) => p.id === s.product)?.name_ko || s.product;
      const left = daysLeft(cert.not_after);
      const inWindow = left >= 0 && left <= windowDays;
      const buttons = [];
      if (st === 'good') {
        if (inWindow) buttons.push(go('renew'));
        buttons.push(go('suspend'), go('revoke'), go('reissue'), copy);
      } else if (st === 'suspended') buttons.push(go('resume'), go('revoke'));
      else if (st === 'expired') buttons.push(h('a', { class: 'button primary', href: '#/issue' }, L('새로 발급', 'Issue a new one')));
      replace(actions, buttons, forget);
      if (st === 'good' && inWindow) add(el, h('p', { class: 'notice' }, L('지금 갱신할 수 있습니다. 만료일이 지나면 갱신할 수 없으니 기간 안에 갱신해 주세요.', 'You can renew now; after the end date it can no longer be renewed.')));
    })
    .catch((e) => {
      replace(state, statusBadge('unknown'));
      replace(actions, h('p', { class: 'hint' }, e instanceof ApiError && e.status === 404 ? L('이 인증센터에서 발급한 인증서가 아닙니다.', 'Not issued by this center.') : e instanceof ApiError ? e.text() : String(e)), forget);
    });
  return el;
}

export function renderManage({ main, app }) {
  const listEl = h('ul', { class: 'cert-list', 'data-testid': 'cert-list' });
  const errorBox = h('div', { class: 'error', role: 'alert', hidden: true });
  const refresh = () => {
    const certs = wallet.certificates();
    replace(
      listEl,
      certs.length
        ? certs.map((c) => card(c, app, refresh))
        : h('li', { class: 'empty' }, L('이 브라우저에 보관 중인 인증서가 없습니다. 인증서를 발급받거나 저장한 인증서 파일을 불러오세요.', 'No certificates in this browser yet. Issue one, or load your saved files.')),
    );
  };
  const fileId = uid('load');
  const fileInput = h('input', { type: 'file', id: fileId, multiple: true, accept: '.zip,.der,.key,.pfx,.p12,.pem,.crt', 'data-testid': 'manage-files' });
  const pfxPw = h('input', { type: 'password', id: uid('pfxpw'), autocomplete: 'current-password' });
  const pfxBox = h('div', { class: 'field', hidden: true }, h('label', { for: pfxPw.id }, L('PFX 파일 암호 (인증서 정보를 보기 위해 필요합니다)', 'PFX password (needed to read the certificate)')), pfxPw, h('button', { type: 'button', class: 'secondary' }, L('열기', 'Open')));
  let pendingPfx = [];
  fileInput.addEventListener('change', async () => {
    errorBox.hidden = true;
    try {
      const entries = await readFiles(fileInput.files);
      pendingPfx = [];
      for (const e of entries) {
        if (e.kind === 'npki') {
          wallet.put({ serial: e.info.serial, subject: e.info.subject, holder: e.info.holder, not_before: e.info.not_before, not_after: e.info.not_after, cert_b64: e.info.cert_b64, source: 'file' });
          wallet.setFile(e.info.serial, e);
        } else pendingPfx.push(e);
      }
      pfxBox.hidden = pendingPfx.length === 0;
      if (!entries.length) throw new Error(L('선택한 파일에서 인증서를 찾지 못했습니다.', 'No certificate in those files.'));
      refresh();
    } catch (e) {
      errorBox.textContent = String(e?.message).startsWith('pair:') ? L('signCert.der와 signPri.key를 함께 선택해 주세요.', 'Choose both signCert.der and signPri.key.') : e instanceof ApiError ? e.text() : e.message;
      errorBox.hidden = false;
    }
  });
  pfxBox.querySelector('button').addEventListener('click', async () => {
    errorBox.hidden = true;
    try {
      for (const e of pendingPfx) {
        const opened = await openEntry(e, pfxPw.value);
        opened.pkcs8.fill(0);
        wallet.put({ serial: opened.info.serial, subject: opened.info.subject, holder: opened.info.holder, not_before: opened.info.not_before, not_after: opened.info.not_after, cert_b64: opened.info.cert_b64, source: 'file' });
        wallet.setFile(opened.info.serial, e);
      }
      pendingPfx = [];
      pfxBox.hidden = true;
      refresh();
    } catch (e) {
      errorBox.textContent = e instanceof PfxPasswordError ? L('PFX 파일 암호가 맞지 않습니다. 다시 입력해 주세요.', 'The PFX password is wrong.') : e.message;
      errorBox.hidden = false;
    } finally {
      pfxPw.value = '';
    }
  });
  add(main, 
    h('h1', {}, L('인증서 관리', 'My certificates')),
    h('p', {}, L('이 브라우저에서 발급받았거나 불러온 인증서의 상태와 남은 기간을 확인하고, 갱신·폐기·효력정지를 할 수 있습니다. 인증서 상태는 인증센터에서 바로 확인합니다.', 'The certificates issued or loaded in this browser, with their live status and days left; renew, revoke or suspend them here.')),
    h('p', {}, L('다른 PC나 휴대폰으로 인증서를 옮기거나 받으려면: ', 'To move a certificate to or from another PC or phone: '), h('a', { href: '#/copy', 'data-testid': 'manage-copy-link' }, L('인증서 복사/이동', 'Copy / move a certificate'))),
    errorBox,
    listEl,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'load-h' },
      h('h2', { id: 'load-h' }, L('저장한 인증서 불러오기', 'Load saved certificates')),
      h('div', { class: 'field' }, h('label', { for: fileId }, L('인증서 파일 선택 (NPKI zip, signCert.der + signPri.key, PFX)', 'Choose files (NPKI zip, signCert.der + signPri.key, PFX)')), fileInput, h('p', { class: 'hint' }, L('파일은 이 브라우저 안에서만 읽으며 인증센터로 보내지 않습니다. 목록은 이 창을 닫으면 지워집니다.', 'Files are read in this browser only and never sent; the list is forgotten when you close this window.'))),
      pfxBox,
    ),
  );
  refresh();
  return null;
}
