// The staff console (직원 콘솔), behind staff sign-in: customers (look up, unlock, lock),
// certificates (look up, revoke), the audit trail and the inquiries. The session is an
// HttpOnly SameSite=Strict cookie; every change carries the session's CSRF token.

import { ApiError, get, post, setStaffCsrf } from '../api.js';
import { add, field, h, replace, uid } from '../dom.js';
import { L } from '../i18n.js';
import { REASONS, dateTime, reasonText, stateText, won } from '../format.js';

let me = null;

function errorText(e) {
  return e instanceof ApiError ? e.text() : String(e?.message || e);
}

function loginForm(main, onIn) {
  const error = h('div', { class: 'error', role: 'alert', hidden: true, 'data-testid': 'error' });
  const user = field({ label: L('직원 ID', 'Staff ID'), name: 'username', attrs: { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true } });
  const pw = field({ label: L('비밀번호', 'Password'), type: 'password', name: 'password', attrs: { autocomplete: 'current-password', required: true } });
  const submit = h('button', { type: 'submit', class: 'primary' }, L('로그인', 'Sign in'));
  const form = h('form', { class: 'form narrow', 'data-testid': 'staff-login' }, error, user.wrap, pw.wrap, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      me = await post('/api/v1/staff/login', { username: user.input.value, password: pw.input.value });
      setStaffCsrf(me.csrf_token);
      onIn();
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    } finally {
      pw.input.value = '';
      submit.disabled = false;
    }
  });
  add(main, 
    h('h1', {}, L('직원 콘솔', 'Staff console')),
    h('p', {}, L('인증센터 직원 전용입니다. 모든 조회와 처리는 감사 기록에 남습니다.', 'For certificate center staff. Everything you do is in the audit trail.')),
    form,
  );
}

function table(headers, rows, testid) {
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'data', 'data-testid': testid }, h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)),
  );
}

function revokeForm(serial, done, say) {
  const name = uid('rv');
  const reasons = [...REASONS, ['certificateHold', '효력정지 (일시 중지)', 'Suspend (hold)']];
  const sel = h('select', { id: name, 'data-testid': 'revoke-reason' }, reasons.map(([id, ko, en]) => h('option', { value: id }, L(ko, en))));
  const go = h('button', { type: 'submit', class: 'danger', 'data-testid': 'revoke-confirm' }, L('폐기 실행', 'Revoke'));
  const form = h('form', { class: 'inline-form' }, h('label', { for: name }, L('사유', 'Reason')), sel, go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    go.disabled = true;
    try {
      const r = await post(`/api/v1/staff/certificates/${serial}/revoke`, { reason: sel.value });
      say(L(`인증서 ${r.serial}: ${stateText(r.state)} 처리되었습니다.`, `Certificate ${r.serial}: ${stateText(r.state)}.`), false);
      done();
    } catch (err) {
      say(errorText(err), true);
      go.disabled = false;
    }
  });
  return form;
}

function certRows(list, refresh, say) {
  return list.map((c) => {
    const actions = h('td', {});
    if (me?.may_change && (c.state === 'good' || c.state === 'suspended')) {
      const open = h('button', { type: 'button', class: 'secondary', 'data-testid': 'revoke-open' }, L('폐기…', 'Revoke…'));
      open.addEventListener('click', () => replace(actions, revokeForm(c.serial, refresh, say)));
      add(actions, open);
      if (c.state === 'suspended') {
        const resume = h('button', { type: 'button', class: 'secondary' }, L('효력회복', 'Resume'));
        resume.addEventListener('click', async () => {
          try {
            await post(`/api/v1/staff/certificates/${c.serial}/resume`, {});
            say(L('효력이 회복되었습니다.', 'Resumed.'), false);
            refresh();
          } catch (err) {
            say(errorText(err), true);
          }
        });
        add(actions, ' ', resume);
      }
    }
    return h(
      'tr',
      { 'data-serial': c.serial },
      h('td', {}, h('code', {}, c.serial)),
      h('td', {}, c.product_ko),
      h('td', {}, c.subject),
      h('td', {}, dateTime(c.not_after)),
      h('td', {}, h('span', { class: `badge state-${c.state}` }, stateText(c.state)), c.revocation_reason ? ` (${reasonText(c.revocation_reason)})` : ''),
      actions,
    );
  });
}

function certHeaders() {
  return [L('일련번호', 'Serial'), L('종류', 'Product'), L('소유자', 'Subject'), L('만료', 'Ends'), L('상태', 'Status'), ''];
}

function customersTab(panel, say) {
  const q = field({ label: L('고객 검색 (이름, 인터넷뱅킹 ID, 전화번호, 고객번호)', 'Search (name, banking ID, phone, number)'), name: 'q', attrs: { type: 'search', 'data-testid': 'customer-search' } });
  const results = h('div', {});
  const detail = h('div', { class: 'detail', 'data-testid': 'customer-detail' });
  const form = h('form', { class: 'inline-form', role: 'search' }, q.wrap, h('button', { type: 'submit', class: 'primary' }, L('검색', 'Search')));
  async function search() {
    try {
      const { customers } = await get(`/api/v1/staff/customers?q=${encodeURIComponent(q.input.value)}`);
      replace(
        results,
        table(
          [L('번호', 'No.'), L('이름', 'Name'), L('인터넷뱅킹 ID', 'Banking ID'), L('전화', 'Phone'), L('상태', 'Status'), ''],
          customers.map((c) => {
            const open = h('button', { type: 'button', class: 'secondary', 'data-testid': 'customer-open' }, L('상세', 'Open'));
            open.addEventListener('click', () => show(c.id));
            return h('tr', {}, h('td', {}, String(c.id)), h('td', {}, c.name), h('td', {}, c.banking_id), h('td', {}, c.phone), h('td', {}, c.locked ? h('span', { class: 'badge state-revoked' }, L('잠김', 'Locked')) : L('정상', 'Active')), h('td', {}, open));
          }),
          'customers',
        ),
      );
    } catch (e) {
      say(errorText(e), true);
    }
  }
  async function show(id) {
    try {
      const c = await get(`/api/v1/staff/customers/${id}`);
      const lockState = (x) => (x ? (x.locked ? h('span', { class: 'badge state-revoked' }, L(`잠김 (오류 ${x.failures}회)`, `Locked (${x.failures} failures)`)) : L(`정상 (연속 오류 ${x.failures}회)`, `OK (${x.failures} failures)`)) : L('없음', 'None'));
      const unlock = h('button', { type: 'button', class: 'primary', 'data-testid': 'unlock' }, L('잠금 해제 (본인 확인 후)', 'Unlock (after checking identity)'));
      unlock.addEventListener('click', async () => {
        try {
          const u = await post(`/api/v1/staff/customers/${id}/unlock`, {});
          const what = [u.customer && L('고객 잠금', 'customer lock'), u.security_card && L('보안카드', 'security card'), u.otp && 'OTP', ...u.accounts.map((a) => L(`계좌 비밀번호 ${a}`, `account password ${a}`))].filter(Boolean);
          say(what.length ? L(`잠금을 해제했습니다: ${what.join(', ')}`, `Unlocked: ${what.join(', ')}`) : L('잠긴 것이 없었습니다. 오류 횟수를 초기화했습니다.', 'Nothing was locked; failure counts reset.'), false);
          show(id);
        } catch (e) {
          say(errorText(e), true);
        }
      });
      const reasonId = uid('lockreason');
      const reasonInput = h('input', { id: reasonId, type: 'text', maxlength: 200 });
      const lockForm = h('form', { class: 'inline-form' }, h('label', { for: reasonId }, L('잠금 사유', 'Lock reason')), reasonInput, h('button', { type: 'submit', class: 'danger' }, L('고객 잠금', 'Lock customer')));
      lockForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await post(`/api/v1/staff/customers/${id}/lock`, { reason: reasonInput.value });
          say(L('고객을 잠갔습니다.', 'Customer locked.'), false);
          show(id);
        } catch (err) {
          say(errorText(err), true);
        }
      });
      replace(
        detail,
        h('h3', {}, `${c.name} (${L('고객번호', 'customer')} ${c.id})`),
        h(
          'dl',
          { class: 'summary' },
          h('dt', {}, L('구분', 'Kind')),
          h('dd', {}, c.kind === 'business' ? L('법인', 'Business') : L('개인', 'Person')),
          h('dt', {}, L('주민등록번호', 'RRN')),
          h('dd', {}, c.rrn || '-'),
          h('dt', {}, L('인터넷뱅킹 ID', 'Banking ID')),
          h('dd', {}, c.banking_id),
          h('dt', {}, L('전화 / 이메일', 'Phone / e-mail')),
          h('dd', {}, `${c.phone} / ${c.email}`),
          h('dt', {}, L('고객 상태', 'Status')),
          h('dd', { 'data-testid': 'customer-status' }, c.locked ? h('span', { class: 'badge state-revoked' }, L(`잠김: ${c.lock_reason || ''}`, `Locked: ${c.lock_reason || ''}`)) : L('정상', 'Active')),
          h('dt', {}, L('보안카드', 'Security card')),
          h('dd', { 'data-testid': 'card-status' }, c.security_card ? [`${c.security_card.serial} · `, lockState(c.security_card)] : L('없음', 'None')),
          h('dt', {}, 'OTP'),
          h('dd', {}, c.otp ? [`${c.otp.serial} · `, lockState(c.otp)] : L('없음', 'None')),
          h('dt', {}, L('출금계좌', 'Accounts')),
          h('dd', {}, c.accounts.map((a) => h('div', {}, `${a.number} · ${L('잔액', 'balance')} ${won(a.balance)} · `, lockState(a)))),
        ),
        me?.may_change ? h('div', { class: 'actions' }, unlock, lockForm) : null,
        h('h4', {}, L('인증서', 'Certificates')),
        table(certHeaders(), certRows(c.certificates, () => show(id), say), 'customer-certificates'),
      );
      detail.querySelector('h3')?.setAttribute('tabindex', '-1');
      detail.querySelector('h3')?.focus();
    } catch (e) {
      say(errorText(e), true);
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  replace(panel, form, results, detail);
  search();
}

function certificatesTab(panel, say) {
  const q = field({ label: L('인증서 검색 (일련번호 또는 이름)', 'Search (serial or name)'), name: 'q', attrs: { type: 'search', 'data-testid': 'cert-search' } });
  const results = h('div', {});
  const form = h('form', { class: 'inline-form', role: 'search' }, q.wrap, h('button', { type: 'submit', class: 'primary' }, L('검색', 'Search')));
  async function search() {
    try {
      const { certificates } = await get(`/api/v1/staff/certificates?q=${encodeURIComponent(q.input.value)}`);
      replace(results, table(certHeaders(), certRows(certificates, search, say), 'certificates'));
    } catch (e) {
      say(errorText(e), true);
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  replace(panel, form, results);
  search();
}

async function auditTab(panel, say) {
  try {
    const { verdict, entries } = await get('/api/v1/staff/audit?limit=200');
    replace(
      panel,
      h(
        'p',
        { class: verdict.intact ? 'notice' : 'error', 'data-testid': 'audit-verdict' },
        verdict.intact ? L(`감사 기록 해시 체인 정상 (${verdict.entries}건)`, `Audit chain intact (${verdict.entries} entries)`) : L(`감사 기록이 훼손되었습니다 (#${verdict.seq}): ${verdict.problem}`, `Audit log BROKEN at #${verdict.seq}: ${verdict.problem}`),
      ),
      table(
        ['#', L('시각', 'At'), L('행위자', 'Actor'), L('행위', 'Action'), L('대상', 'Subject'), L('내용', 'Detail')],
        entries.map((e) => h('tr', {}, h('td', { class: 'nowrap' }, String(e.seq)), h('td', {}, dateTime(e.at)), h('td', { class: 'nowrap' }, e.actor), h('td', { class: 'nowrap' }, h('code', {}, e.action)), h('td', {}, e.subject), h('td', { class: 'detail-cell' }, e.detail ? JSON.stringify(e.detail) : ''))),
        'audit',
      ),
    );
  } catch (e) {
    say(errorText(e), true);
  }
}

async function inquiriesTab(panel, say) {
  try {
    const { inquiries } = await get('/api/v1/staff/inquiries');
    replace(
      panel,
      inquiries.length
        ? h(
            'ul',
            { class: 'inquiries' },
            inquiries.map((q) => {
              const done = h('button', { type: 'button', class: 'secondary' }, L('처리 완료', 'Mark answered'));
              done.addEventListener('click', async () => {
                try {
                  await post(`/api/v1/staff/inquiries/${q.id}/answer`, { note: '' });
                  say(L(`${q.number} 처리 완료`, `${q.number} answered`), false);
                  inquiriesTab(panel, say);
                } catch (e) {
                  say(errorText(e), true);
                }
              });
              return h(
                'li',
                { class: 'panel' },
                h('h3', {}, `${q.number} · ${q.title}`),
                h('p', { class: 'meta' }, `${q.name} · ${q.contact} · ${q.category} · ${dateTime(q.created_at)} · `, q.status === 'open' ? L('접수', 'Open') : L(`처리 완료 (${q.handled_by})`, `Answered (${q.handled_by})`)),
                h('p', { class: 'pre' }, q.body),
                q.status === 'open' && me?.may_change ? done : null,
              );
            }),
          )
        : h('p', {}, L('접수된 문의가 없습니다.', 'No inquiries.')),
    );
  } catch (e) {
    say(errorText(e), true);
  }
}

function consoleView(main, signOut) {
  const message = h('div', { role: 'status', class: 'notice', hidden: true, 'data-testid': 'staff-message' });
  const say = (text, bad) => {
    message.textContent = text;
    message.className = bad ? 'error' : 'notice';
    message.setAttribute('role', bad ? 'alert' : 'status');
    message.hidden = false;
  };
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel' });
  const tabs = [
    ['customers', L('고객', 'Customers'), customersTab],
    ['certificates', L('인증서', 'Certificates'), certificatesTab],
    ['audit', L('감사 기록', 'Audit trail'), auditTab],
    ['inquiries', L('문의', 'Inquiries'), inquiriesTab],
  ];
  const buttons = tabs.map(([id, text, fn]) => {
    const b = h('button', { type: 'button', role: 'tab', 'aria-selected': 'false', 'data-tab': id, id: `tab-${id}` }, text);
    b.addEventListener('click', () => {
      for (const x of buttons) x.setAttribute('aria-selected', String(x === b));
      panel.setAttribute('aria-labelledby', b.id);
      message.hidden = true;
      fn(panel, say);
    });
    return b;
  });
  const tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': L('직원 메뉴', 'Staff menu') }, buttons);
  tablist.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const next = buttons[(i + (e.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length];
      next.focus();
      next.click();
    }
  });
  const logout = h('button', { type: 'button', class: 'link', 'data-testid': 'staff-logout' }, L('로그아웃', 'Sign out'));
  logout.addEventListener('click', async () => {
    try {
      await post('/api/v1/staff/logout', {});
    } catch {
      // signed out either way
    }
    me = null;
    setStaffCsrf(null);
    signOut();
  });
  add(main, 
    h('h1', {}, L('직원 콘솔', 'Staff console')),
    h('p', { class: 'meta' }, `${me.display_name} (${me.username}, ${L(me.role_ko, me.role)}) · `, logout),
    tablist,
    message,
    panel,
  );
  buttons[0].click();
}

export function renderStaff({ main }) {
  const draw = () => {
    replace(main);
    if (me) consoleView(main, draw);
    else loginForm(main, draw);
  };
  if (me) {
    draw();
    return null;
  }
  // A session may still be open (cookie) after a reload: ask the server.
  get('/api/v1/staff/session')
    .then((s) => {
      me = s;
      setStaffCsrf(s.csrf_token);
      draw();
    })
    .catch(() => draw());
  return null;
}
