// One flow of the certificate center (발급, 재발급, 갱신, 폐기, 효력정지, 효력회복, and the
// financial certificate's 발급 and 재발급) driven from
// the page: the server holds the state and names the next step; this module draws the step
// indicator (e.g. 3/8 from the FlowView), the step's form (./steps.js), the errors in the
// server's own words, and the result.

import { ApiError, post } from '../api.js';
import { add, focusHeading, h, replace } from '../dom.js';
import { L, pick } from '../i18n.js';
import { renderResult, renderStep } from './steps.js';

export const KINDS = {
  issue: {
    title: () => L('공동인증서 발급', 'Get a joint certificate'),
    intro: () =>
      L(
        '처음으로 공동인증서를 발급받습니다. 약관 동의 → 본인 확인(인터넷뱅킹 ID·주민등록번호) → 인증서 종류 선택 → ARS 인증 → 출금계좌 및 수수료 → 보안카드 또는 OTP → 최종 확인 → 저장 위치와 인증서 암호 순서로 진행합니다.',
        'Terms → identification (banking ID and RRN) → product → ARS call → withdrawal account and fee → security card or OTP → confirm → where to save and the certificate password.',
      ),
  },
  reissue: {
    title: () => L('공동인증서 재발급', 'Reissue a joint certificate'),
    intro: () =>
      L(
        '인증서를 잃어버렸거나, 인증서 암호를 잊었거나, PC를 포맷했을 때 다시 발급받습니다. 재발급하면 기존 인증서는 자동으로 폐기되고, 새 인증서의 유효기간은 기존과 같습니다.',
        'When you lost the certificate or its password, or formatted the PC. The old certificate is revoked and the new one keeps its end date.',
      ),
  },
  renew: {
    title: () => L('공동인증서 갱신', 'Renew a joint certificate'),
    intro: () =>
      L(
        '유효기간 만료 30일 전부터 만료일까지, 지금 가진 인증서와 인증서 암호로 갱신합니다. 만료된 인증서는 갱신할 수 없으니 새로 발급받아 주세요.',
        'From 30 days before expiry until it ends, with your current certificate and its password. An expired certificate cannot be renewed: issue a new one.',
      ),
  },
  revoke: {
    title: () => L('공동인증서 폐기', 'Revoke a joint certificate'),
    intro: () =>
      L(
        '폐기한 인증서는 다시 쓸 수 없습니다. 인증서가 유출되었거나 더 이상 쓰지 않을 때 폐기해 주세요. 잠시 멈추려면 효력정지를 이용하세요.',
        'A revoked certificate can never be used again. Revoke it when it leaked or is no longer used; to pause it, suspend it instead.',
      ),
  },
  suspend: {
    title: () => L('공동인증서 효력정지', 'Suspend a joint certificate'),
    intro: () =>
      L(
        '인증서를 잠시 쓸 수 없게 합니다 (분실이 의심될 때 등). 효력회복으로 다시 쓸 수 있습니다.',
        'Makes the certificate unusable for now (e.g. when you may have lost it); resume it later.',
      ),
  },
  resume: {
    title: () => L('공동인증서 효력회복', 'Resume a joint certificate'),
    intro: () =>
      L('효력정지한 인증서를 다시 쓸 수 있게 합니다.', 'Makes a suspended certificate usable again.'),
  },
  'financial-issue': {
    title: () => L('금융인증서 발급', 'Get a financial certificate'),
    intro: () =>
      L(
        '약관 동의 → 본인 확인(인터넷뱅킹 ID·주민등록번호) → ARS 인증 → 출금계좌 및 계좌 비밀번호 → 보안카드 또는 OTP → SMS 인증 → 최종 확인 → 금융인증서 비밀번호(숫자 6자리) 등록 순서로 진행합니다. 금융인증서는 은행의 클라우드에 보관되어 저장할 파일이 없습니다.',
        'Terms → identification (banking ID and RRN) → ARS call → withdrawal account and its password → security card or OTP → SMS → confirm → a six-digit PIN. The certificate is kept in the bank’s cloud: there are no files to save.',
      ),
  },
  'financial-reissue': {
    title: () => L('금융인증서 재발급', 'Reissue the financial certificate'),
    intro: () =>
      L(
        '금융인증서 비밀번호를 잊었거나 5번 틀려 잠겼을 때, 또는 유효기간이 30일 이내로 남았을 때 다시 발급받습니다. 본인 확인을 다시 하고 새 비밀번호를 정하며, 지금 쓰는 금융인증서는 폐기됩니다.',
        'When you forgot the PIN or it locked after five wrong tries, or it ends within 30 days. You are identified again and choose a new PIN; the current financial certificate is revoked.',
      ),
  },
};

/** Flows kept across re-draws (a language switch), by kind. */
const sessions = new Map();

function newSession(kind, params) {
  return {
    kind,
    method: null,
    view: null,
    preselect: params.get('serial') || null,
    identity: null, // { name, kind } after identify
    product: null, // { product, name_ko, fee_krw, validity_days }
    target: null, // the certificate acted on
    fee: 0,
    account: null,
    summary: null,
    issued: null, // the csr step's output
    saved: null, // { zip, pfx, info, storage }
  };
}

export function renderFlow(ctx, kind) {
  const { main, params } = ctx;
  let fs = sessions.get(kind);
  const fresh = !fs || (!ctx.keep && (fs.view?.finished || params.get('serial')));
  if (fresh) {
    fs = newSession(kind, params);
    sessions.set(kind, fs);
  }
  const meta = KINDS[kind];
  const indicator = h('div', { class: 'step-indicator' });
  const errorBox = h('div', { class: 'error', role: 'alert', hidden: true, 'data-testid': 'error' });
  const busyBox = h('p', { class: 'busy', role: 'status', hidden: true });
  const body = h('div', { class: 'step-body' });
  add(main, h('h1', {}, meta.title()), indicator, errorBox, busyBox, body);

  const ui = {
    showError(e) {
      const text = e instanceof ApiError ? e.text() : e?.message || String(e);
      const lines = [h('p', {}, text)];
      if (e instanceof ApiError && typeof e.attemptsLeft === 'number' && !text.includes('남은') && !text.includes('left')) {
        lines.push(h('p', { class: 'hint' }, L(`남은 입력 횟수: ${e.attemptsLeft}회`, `Tries left: ${e.attemptsLeft}`)));
      }
      if (e instanceof ApiError && ['flow_expired', 'unknown_flow', 'flow_finished'].includes(e.code)) {
        lines.push(h('p', {}, h('button', { type: 'button', class: 'primary', onclick: () => restart() }, L('처음부터 다시', 'Start again'))));
      }
      if (e instanceof ApiError && (e.status === 423 || e.code === 'customer_locked')) {
        lines.push(h('p', {}, h('a', { href: '#/support' }, L('고객지원 · 영업점 안내 보기', 'Support and branches'))));
      }
      replace(errorBox, lines);
      if (e instanceof ApiError && typeof e.attemptsLeft === 'number') {
        for (const el of body.querySelectorAll('[data-attempts]')) el.textContent = L(` · 남은 입력 ${e.attemptsLeft}회`, ` · ${e.attemptsLeft} tries left`);
      }
      errorBox.dataset.seq = String(Number(errorBox.dataset.seq || 0) + 1);
      errorBox.hidden = false;
      errorBox.setAttribute('data-code', e instanceof ApiError ? e.code : 'client');
      errorBox.scrollIntoView?.({ block: 'nearest' });
    },
    clearError() {
      errorBox.hidden = true;
      replace(errorBox);
    },
    busy(message) {
      busyBox.textContent = message || '';
      busyBox.hidden = !message;
      for (const b of body.querySelectorAll('button')) b.disabled = Boolean(message);
    },
  };

  function restart() {
    sessions.set(kind, newSession(kind, new URLSearchParams()));
    fs = sessions.get(kind);
    ui.clearError();
    draw();
  }

  /** Takes the flow's next step with `input`; true when it went through. */
  async function send(input, { redraw = true } = {}) {
    ui.clearError();
    const step = fs.view.next.name;
    try {
      fs.view = await post(`/api/v1/flows/${fs.view.id}/${step}`, input);
      remember(step, fs.view.output);
      if (redraw) draw(true);
      return true;
    } catch (e) {
      ui.showError(e);
      return false;
    }
  }

  /** Keeps what a step's output tells the later steps (fee, account, target, summary). */
  function remember(step, out) {
    if (!out) return;
    if (step === 'identify') fs.identity = out;
    if (step === 'product') {
      fs.product = out;
      fs.fee = out.fee_krw ?? fs.fee;
    }
    if (step === 'select' || step === 'possession') {
      fs.target = out;
      if (typeof out.fee_krw === 'number') fs.fee = out.fee_krw;
    }
    if (step === 'payment') {
      fs.account = out.account;
      fs.fee = out.fee_krw ?? fs.fee;
    }
    if (out.summary) fs.summary = out.summary;
    if (step === 'confirm' && out.csr_subject) fs.summary = out;
    if (step === 'csr' || step === 'pin') fs.issued = out;
  }

  async function start(method) {
    ui.clearError();
    ui.busy(L('시작하는 중…', 'Starting…'));
    try {
      const req = { kind };
      if (method) req.method = method;
      fs.method = method || null;
      fs.view = await post('/api/v1/flows', req);
      ui.busy(null);
      draw(true);
    } catch (e) {
      ui.busy(null);
      ui.showError(e);
    }
  }

  function drawIndicator() {
    if (!fs.view) {
      replace(indicator);
      return;
    }
    const steps = fs.view.steps;
    const current = fs.view.next;
    const total = steps.length;
    const number = current ? current.number : total;
    const label = current ? pick(current, 'title') : L('완료', 'Done');
    replace(
      indicator,
      h(
        'p',
        { class: 'step-count', 'data-testid': 'step-count' },
        h('span', { class: 'count' }, fs.view.finished ? L('완료', 'Done') : `${number}/${total}`),
        ' ',
        h('span', { class: 'label' }, fs.view.finished ? L('모든 단계를 마쳤습니다', 'All steps done') : label),
      ),
      h('progress', { max: total, value: fs.view.finished ? total : number - 1, 'aria-hidden': 'true' }),
      h(
        'ol',
        { class: 'steps', 'aria-label': L('진행 단계', 'Steps') },
        steps.map((s) =>
          h(
            'li',
            { class: s.done || fs.view.finished ? 'done' : current && s.number === current.number ? 'current' : '', 'aria-current': current && s.number === current.number ? 'step' : null },
            h('span', { class: 'n' }, String(s.number)),
            h('span', { class: 't' }, pick(s, 'title')),
            s.done || fs.view.finished ? h('span', { class: 'sr-only' }, L(' (완료)', ' (done)')) : null,
          ),
        ),
      ),
    );
  }

  function drawIntro() {
    const intro = h('div', { class: 'panel intro' }, h('p', { class: 'lead' }, meta.intro()));
    const actions = h('div', { class: 'actions' });
    if (kind === 'revoke' || kind === 'suspend' || kind === 'resume') {
      add(actions, 
        h('h2', {}, L('어떻게 본인임을 확인할까요?', 'How will you prove it is you?')),
        h(
          'div',
          { class: 'choice-buttons' },
          h(
            'button',
            { type: 'button', class: 'primary', 'data-testid': 'method-certificate', onclick: () => start('certificate') },
            h('strong', {}, L('인증서로 확인', 'With the certificate')),
            h('span', {}, L('인증서 파일과 인증서 암호가 있을 때', 'You have the certificate files and password')),
          ),
          h(
            'button',
            { type: 'button', class: 'secondary', 'data-testid': 'method-identity', onclick: () => start('identity') },
            h('strong', {}, L('본인확인으로', 'With identity checks')),
            h('span', {}, L('인증서를 잃어버렸을 때 (인터넷뱅킹 ID·비밀번호, ARS)', 'You lost the certificate (banking ID and password, ARS)')),
          ),
        ),
      );
    } else {
      add(actions, h('button', { type: 'button', class: 'primary', 'data-testid': 'start', onclick: () => start(null) }, L('시작하기', 'Start')));
    }
    const related = {
      issue: [['#/reissue', L('인증서를 잃어버렸다면: 재발급', 'Lost it? Reissue')]],
      reissue: [['#/issue', L('처음 발급받는다면: 신규 발급', 'First certificate? Issue')]],
      renew: [['#/manage', L('갱신 가능 기간은 인증서 관리에서 확인', 'See the renewal window in My certificates')]],
      revoke: [['#/suspend', L('잠시 멈추려면: 효력정지', 'To pause it: suspend')]],
      suspend: [['#/resume', L('다시 쓰려면: 효력회복', 'To use it again: resume')]],
      resume: [['#/suspend', L('효력정지', 'Suspend')]],
      'financial-issue': [
        ['#/financial/reissue', L('비밀번호를 잊었거나 잠겼다면: 금융인증서 재발급', 'Forgot or locked the PIN? Reissue')],
        ['#/financial', L('내 금융인증서 확인', 'My financial certificate')],
      ],
      'financial-reissue': [
        ['#/financial/issue', L('처음 발급받는다면: 금융인증서 발급', 'First one? Issue')],
        ['#/financial', L('내 금융인증서 확인', 'My financial certificate')],
      ],
    }[kind];
    add(body, 
      intro,
      actions,
      h('ul', { class: 'related' }, related.map(([href, text]) => h('li', {}, h('a', { href }, text)))),
    );
  }

  function draw(moved = false) {
    for (const t of fs.timers || []) clearInterval(t);
    fs.timers = [];
    drawIndicator();
    replace(body);
    ui.busy(null);
    if (!fs.view) drawIntro();
    else if (fs.view.finished) add(body, renderResult({ fs, ctx, ui }));
    else add(body, renderStep({ fs, ctx, ui, send, restart, redraw: () => draw(true) }));
    if (moved) focusHeading(body.querySelector('h2') ? body : main);
  }

  draw();
  return () => {
    for (const t of fs.timers || []) clearInterval(t);
    fs.timers = [];
  };
}

