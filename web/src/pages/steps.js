// The forms of each flow step and the result page. Secrets the customer types (RRN, passwords,
// codes) go straight into the step's request and the fields are cleared after it is sent; the
// page never shows them back.

import { clientError, get } from '../api.js';
import { add, field, h, replace, uid } from '../dom.js';
import { L, lang, pick } from '../i18n.js';
import { REASONS, date, dateTime, mmss, reasonText, secondsLeft, stateText, won, years } from '../format.js';
import { checks as passwordChecks, passes as passwordPasses } from '../password-rule.js';
import { pinChecks, pinPasses } from '../pin-rule.js';
import { digitsOnly, rrnField } from '../fields.js';
import { loadProducts } from './home.js';
import { buildCsr, certificateSpki, generateKeyPair, parseCertificate, spkiOf } from '../crypto/csr.js';
import { base64Decode, pemToDer } from '../crypto/bytes.js';
import * as wallet from '../wallet.js';
import { download, sealIssued, signPossession } from '../certs.js';
import { certificatePicker } from '../cert-picker.js';

// ---------------------------------------------------------------------------------------------
// Helpers

function section(step, title, ...children) {
  return h('section', { class: 'step', 'data-step': step }, h('h2', {}, title), ...children);
}

/** A form whose submit runs `onSubmit` once at a time, with the button busy meanwhile. */
function stepForm(c, { submitLabel, onSubmit, testid, secondary }) {
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': testid || 'submit' }, submitLabel);
  const form = h('form', { class: 'form', novalidate: true });
  const actions = h('div', { class: 'actions' }, submit, secondary || null);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    try {
      await onSubmit();
    } catch (err) {
      c.ui.showError(err);
    } finally {
      submit.disabled = false;
    }
  });
  return { form, actions, submit };
}

function notice(c) {
  const who = c.fs.identity?.name;
  if (!who) return null;
  return h('p', { class: 'notice' }, L(`${who} 고객님, 본인 확인이 되었습니다.`, `Identified: ${who}.`));
}

/** A live checklist of a rule (✓/✗ per item), read out politely as it changes. */
function ruleList(testid) {
  const list = h('ul', { class: 'rules', 'data-testid': testid, 'aria-live': 'polite' });
  const draw = (items) =>
    replace(
      list,
      items.map((r) =>
        h('li', { class: r.ok ? 'ok' : 'no', 'data-rule': r.id, 'data-ok': r.ok ? '1' : '0' }, h('span', { 'aria-hidden': 'true', class: 'mark' }, r.ok ? '✓' : '✗'), r.text, h('span', { class: 'sr-only' }, r.ok ? L(' (충족)', ' (met)') : L(' (미충족)', ' (not met)'))),
      ),
    );
  return { list, draw };
}

/** A new secret typed twice (certificate password, PIN) with its rule checklist under it. */
function newSecretFields(legend, hint, first, second, rules) {
  return h('fieldset', { class: 'field password' }, h('legend', {}, legend), h('p', { class: 'hint' }, hint), first.wrap, second.wrap, rules.list);
}

function summaryRows(rows) {
  return h(
    'dl',
    { class: 'summary' },
    rows.filter(Boolean).map(([k, v, testid]) => [h('dt', {}, k), h('dd', { 'data-testid': testid || null }, v)]),
  );
}

// ---------------------------------------------------------------------------------------------
// 약관 동의

function terms(c) {
  const slot = h('div', {}, h('p', { class: 'hint' }, L('약관을 불러오는 중…', 'Loading the terms…')));
  const sec = section('terms', L('약관 동의', 'Terms'), h('p', {}, L('인증서 발급을 위해 아래 약관을 읽고 동의해 주세요. 필수 약관에 모두 동의해야 진행할 수 있습니다.', 'Read and accept the terms. Every mandatory term must be accepted.')), slot);
  const fromView = c.fs.view.output?.terms;
  (fromView?.length ? Promise.resolve(fromView) : get('/api/v1/terms'))
    .then((list) => {
      const boxes = [];
      const allId = uid('all');
      const all = h('input', { type: 'checkbox', id: allId, 'data-testid': 'terms-all' });
      const items = list.map((t) => {
        const id = uid('term');
        const box = h('input', { type: 'checkbox', id, value: t.id, 'data-mandatory': t.mandatory ? '1' : '0' });
        boxes.push(box);
        box.addEventListener('change', () => {
          all.checked = boxes.every((b) => b.checked);
        });
        const title = lang() === 'en' ? t.title_en : t.title_ko;
        return h(
          'div',
          { class: 'term' },
          h('h3', {}, h('span', { class: t.mandatory ? 'badge required' : 'badge' }, t.mandatory ? L('필수', 'Required') : L('선택', 'Optional')), ' ', title),
          h('div', { class: 'term-text', tabindex: '0', role: 'region', 'aria-label': title }, t.text_ko),
          h('div', { class: 'field check' }, box, h('label', { for: id }, L('위 약관에 동의합니다', 'I accept these terms'))),
        );
      });
      all.addEventListener('change', () => {
        for (const b of boxes) b.checked = all.checked;
      });
      const { form, actions } = stepForm(c, {
        submitLabel: L('동의하고 다음', 'Accept and continue'),
        onSubmit: async () => {
          const missing = boxes.filter((b) => b.dataset.mandatory === '1' && !b.checked);
          if (missing.length) {
            throw clientError('필수 약관에 모두 동의해야 발급을 진행할 수 있습니다. 동의하지 않은 필수 약관을 확인해 주세요.', 'Every mandatory term must be accepted to continue.');
          }
          await c.send({ accepted: boxes.filter((b) => b.checked).map((b) => b.value) });
        },
      });
      add(form, h('div', { class: 'field check all' }, all, h('label', { for: allId }, h('strong', {}, L('전체 동의 (선택 약관 포함)', 'Accept all (including optional)')))), ...items, actions);
      replace(slot, form);
    })
    .catch((e) => c.ui.showError(e));
  return sec;
}

// ---------------------------------------------------------------------------------------------
// 본인 확인 (인터넷뱅킹 ID · 주민등록번호)

function identify(c) {
  const needs = c.ctx.app.info?.identify?.[c.fs.kind] || {};
  const kindName = uid('who');
  const person = h('input', { type: 'radio', name: kindName, id: `${kindName}-p`, value: 'person', checked: true });
  const business = h('input', { type: 'radio', name: kindName, id: `${kindName}-b`, value: 'business' });
  const bankingId = field({ label: L('인터넷뱅킹 ID', 'Internet banking ID'), name: 'banking_id', attrs: { autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', 'data-testid': 'banking-id' } });
  const rrn = rrnField();
  const rrnBox = rrn.box;
  const bizNo = field({ label: L('사업자등록번호 (10자리)', 'Business registration number (10 digits)'), name: 'business_number', attrs: { inputmode: 'numeric', maxlength: 12, autocomplete: 'off' } });
  bizNo.wrap.hidden = true;
  const name = needs.name ? field({ label: L('이름 (실명)', 'Real name'), name: 'name', attrs: { autocomplete: 'name' } }) : null;
  const password = needs.password
    ? field({ label: L('인터넷뱅킹 비밀번호', 'Internet banking password'), type: 'password', name: 'password', attrs: { autocomplete: 'current-password', 'data-testid': 'banking-password' } })
    : null;
  const sync = () => {
    const biz = business.checked;
    rrnBox.hidden = biz;
    bizNo.wrap.hidden = !biz;
    if (name) name.wrap.hidden = biz;
  };
  person.addEventListener('change', sync);
  business.addEventListener('change', sync);
  const { form, actions } = stepForm(c, {
    submitLabel: L('본인 확인', 'Identify me'),
    onSubmit: async () => {
      const input = { banking_id: bankingId.input.value.trim() };
      if (!input.banking_id) throw clientError('인터넷뱅킹 ID를 입력해 주세요.', 'Enter your internet banking ID.');
      if (business.checked) {
        input.business_number = bizNo.input.value.replace(/\D+/g, '');
        if (input.business_number.length !== 10) throw clientError('사업자등록번호 10자리를 입력해 주세요.', 'Enter the 10-digit business registration number.');
      } else {
        if (!rrn.complete()) {
          throw clientError('주민등록번호 13자리(앞 6자리, 뒤 7자리)를 입력해 주세요.', 'Enter all 13 digits of your resident registration number.');
        }
        input.rrn = rrn.value();
        if (name) input.name = name.input.value.trim();
        // The birth date (YYMMDD) stays in this page's memory for the PIN rule of the
        // financial certificate, and is forgotten when the flow ends.
        if (c.fs.kind.startsWith('financial-')) c.fs.birth = rrn.front.value;
      }
      if (password) input.password = password.input.value;
      try {
        await c.send(input);
      } finally {
        // The secret parts are not kept in the page once sent.
        rrn.clearSecret();
        if (password) password.input.value = '';
      }
    },
  });
  add(form, 
    h('fieldset', { class: 'field inline' }, h('legend', {}, L('고객 구분', 'Customer')), person, h('label', { for: person.id }, L('개인', 'Person')), business, h('label', { for: business.id }, L('법인·사업자', 'Business'))),
    bankingId.wrap,
    rrnBox,
    bizNo.wrap,
    name?.wrap,
    password?.wrap,
    actions,
  );
  return section('identify', L('본인 확인', 'Identification'), h('p', {}, L('인터넷뱅킹에 가입할 때 등록한 정보로 본인임을 확인합니다.', 'We identify you with what you registered for internet banking.')), form);
}

// ---------------------------------------------------------------------------------------------
// 인증서 종류 선택

function product(c) {
  const slot = h('div', {}, h('p', { class: 'hint' }, L('인증서 종류를 불러오는 중…', 'Loading…')));
  const isBusiness = c.fs.identity?.kind === 'business';
  loadProducts(c.ctx.app)
    .then((products) => {
      const fits = products.filter((p) => p.key_location === 'customer-device' && (isBusiness ? p.holder !== 'person' : p.holder !== 'business'));
      const name = uid('product');
      const radios = fits.map((p, i) => {
        const id = `${name}-${i}`;
        const input = h('input', { type: 'radio', name, id, value: p.id, checked: i === 0, 'data-testid': `product-${p.id}` });
        return h(
          'div',
          { class: 'choice' },
          input,
          h(
            'label',
            { for: id },
            h('strong', {}, pick(p, 'name')),
            h('span', { class: 'fee' }, L('수수료 ', 'Fee '), won(p.fee_krw), p.fee_period === 'per-year' && p.fee_krw ? L(' / 년', ' / year') : ''),
            h('span', {}, L('사용처: ', 'Usable at: '), pick(p, 'usable_at')),
            h('span', {}, L('유효기간 ', 'Valid for '), years(p.validity_days)),
          ),
        );
      });
      const { form, actions } = stepForm(c, {
        submitLabel: L('선택하고 다음', 'Choose and continue'),
        onSubmit: async () => {
          const chosen = form.querySelector(`input[name="${name}"]:checked`);
          if (!chosen) throw clientError('인증서 종류를 선택해 주세요.', 'Choose a certificate.');
          await c.send({ product: chosen.value });
        },
      });
      add(form, 
        h('fieldset', { class: 'choices' }, h('legend', {}, L('발급받을 인증서', 'The certificate to get')), radios),
        h('p', { class: 'hint' }, L('수수료가 있는 인증서는 출금계좌 단계에서 금액을 다시 보여 드리며, 발급이 끝날 때 출금됩니다.', 'A fee is shown again at the withdrawal-account step and charged only when the certificate is issued.')),
        actions,
      );
      replace(slot, form);
    })
    .catch((e) => c.ui.showError(e));
  return section('product', L('인증서 종류 선택', 'Certificate product'), notice(c), slot);
}

// ---------------------------------------------------------------------------------------------
// 대상 인증서 선택

function certLabel(cert) {
  return h(
    'span',
    { class: 'cert-label' },
    h('strong', {}, cert.product_ko || cert.product || L('공동인증서', 'Joint certificate')),
    h('span', {}, L('일련번호 ', 'Serial '), h('code', {}, cert.serial)),
    h('span', {}, L('유효기간 ', 'Valid until '), date(cert.not_after), cert.state ? ` · ${stateText(cert.state)}` : ''),
  );
}

function select(c) {
  const slot = h('div', {}, h('p', { class: 'hint' }, L('인증서 목록을 불러오는 중…', 'Loading your certificates…')));
  get(`/api/v1/web/flows/${c.fs.view.id}/certificates`)
    .then(({ certificates }) => {
      const eligible = certificates.filter((x) => x.eligible);
      if (!eligible.length) {
        replace(
          slot,
          h(
            'div',
            { class: 'panel notice' },
            h('p', {}, L('이 신청을 할 수 있는 인증서가 없습니다.', 'None of your certificates can be used for this.')),
            certificates.length ? h('ul', {}, certificates.map((x) => h('li', {}, certLabel(x)))) : null,
            h('p', {}, h('a', { href: '#/manage' }, L('인증서 관리에서 상태 확인하기', 'Check them in My certificates'))),
          ),
        );
        return;
      }
      const name = uid('target');
      const pre = eligible.find((x) => x.serial === c.fs.preselect) || eligible[0];
      const { form, actions } = stepForm(c, {
        submitLabel: L('선택하고 다음', 'Choose and continue'),
        onSubmit: async () => {
          const chosen = form.querySelector(`input[name="${name}"]:checked`);
          await c.send({ serial: chosen.value });
        },
      });
      add(form, 
        h(
          'fieldset',
          { class: 'choices' },
          h('legend', {}, L('대상 인증서', 'Which certificate')),
          certificates.map((x, i) => {
            const id = `${name}-${i}`;
            return h('div', { class: 'choice' }, h('input', { type: 'radio', name, id, value: x.serial, disabled: !x.eligible, checked: x === pre }), h('label', { for: id }, certLabel(x)));
          }),
        ),
        actions,
      );
      replace(slot, form);
    })
    .catch((e) => c.ui.showError(e));
  return section('select', L('대상 인증서 선택', 'Which certificate'), notice(c), slot);
}

// ---------------------------------------------------------------------------------------------
// 인증서 확인 (proof of possession)

/** 인증서 확인: the key from this page's memory, files loaded earlier, or files chosen now. */
function possession(c) {
  const picker = certificatePicker({ preselect: c.fs.preselect, onLoaded: (err) => (err ? c.ui.showError(err) : c.ui.clearError()) });
  const { form, actions } = stepForm(c, {
    submitLabel: L('인증서 확인', 'Use this certificate'),
    testid: 'possession-submit',
    onSubmit: async () => {
      c.ui.busy(L('인증서를 여는 중…', 'Opening the certificate…'));
      let signer;
      try {
        signer = await picker.open();
      } finally {
        c.ui.busy(null);
      }
      const signature = await signPossession(signer.key, c.fs.view.id, c.fs.view.possession_nonce);
      await c.send({ serial: signer.serial, signature });
    },
  });
  add(form, ...picker.root, actions);
  return section(
    'possession',
    L('인증서 확인', 'Your current certificate'),
    h('p', {}, L('지금 가진 인증서와 인증서 암호로 본인임을 확인합니다. 인증서의 개인키로 서명한 값만 인증센터로 보냅니다.', 'You prove it is you with your current certificate: only a signature made with its key is sent.')),
    form,
  );
}

// ---------------------------------------------------------------------------------------------
// Identity checks (ARS, SMS, 보안카드, OTP, 신분증, 1원 송금)

const CHECK_TEXT = {
  'check-ars': ['ARS 인증', 'ARS phone check', '등록된 휴대폰으로 ARS 전화를 걸어 승인번호를 알려 드립니다. 전화를 받아 들은 승인번호 6자리를 입력해 주세요.', 'We call your registered phone; enter the 6-digit approval number it tells you.', 'ARS 인증 요청', 'Call me'],
  'check-sms': ['SMS 인증', 'SMS check', '등록된 휴대폰으로 인증번호를 문자로 보내 드립니다.', 'We text a code to your registered phone.', '인증번호 받기', 'Send me a code'],
  'check-security-card': ['보안카드 입력', 'Security card', '영업점에서 받은 보안카드를 준비해 주세요. 요청하면 입력할 번호 위치를 알려 드립니다.', 'Have your security card at hand; we will ask for two of its codes.', '보안카드 질문 받기', 'Ask me'],
  'check-otp': ['OTP 입력', 'OTP', 'OTP 생성기의 버튼을 눌러 표시되는 6자리 번호를 입력합니다.', 'Press your OTP device and enter the 6 digits it shows.', 'OTP 입력하기', 'Enter OTP'],
  'check-second-factor': ['보안카드 또는 OTP', 'Security card or OTP', '등록된 보안카드나 OTP로 한 번 더 본인임을 확인합니다.', 'One more check with your security card or OTP device.', '보안카드·OTP 입력하기', 'Continue'],
  'check-id-card': ['신분증 확인', 'ID card check', '주민등록증, 운전면허증 또는 여권의 정보를 발급기관에서 확인합니다.', 'We check your ID card with its issuer.', '신분증 확인 시작', 'Start'],
  'check-one-won': ['1원 송금 인증', 'One-won transfer check', '고객님 계좌로 1원을 보내고, 입금자명(적요)에 인증번호 4자리를 넣어 드립니다.', 'We send 1 won to your account with a 4-digit code in the memo.', '1원 보내기', 'Send 1 won'],
};

function countdown(c, expiresAt) {
  if (!expiresAt) return null;
  const el = h('span', { class: 'timer', 'data-testid': 'timer' });
  const tick = () => {
    const s = secondsLeft(expiresAt);
    el.textContent = s > 0 ? L(`남은 시간 ${mmss(s)}`, `${mmss(s)} left`) : L('입력 시간이 지났습니다. 다시 요청해 주세요.', 'Time is up; ask again.');
  };
  tick();
  const t = setInterval(tick, 1000);
  c.fs.timers = [...(c.fs.timers || []), t];
  return el;
}

function challenge(c, step) {
  const [tko, ten, dko, den, sko, sen] = CHECK_TEXT[step];
  const prompt = c.fs.view.output?.prompt;
  const sec = section(step, L(tko, ten), notice(c));
  const phoneButton = ['check-ars', 'check-sms', 'check-one-won'].includes(step)
    ? h('button', { type: 'button', class: 'link', onclick: () => c.ctx.openPhone() }, L('휴대폰 (시뮬레이터) 열기', 'Open the simulated phone'))
    : null;

  if (!prompt) {
    const extra = [];
    let account = null;
    if (step === 'check-one-won') {
      account = field({ label: L('1원을 받을 내 계좌번호', 'Your account to receive 1 won'), name: 'account', attrs: { inputmode: 'numeric', autocomplete: 'off' } });
      extra.push(account.wrap);
    }
    const { form, actions } = stepForm(c, {
      submitLabel: L(sko, sen),
      testid: 'challenge-start',
      onSubmit: async () => {
        const input = { action: 'start' };
        if (account) input.account = account.input.value.trim();
        await c.send(input);
      },
    });
    add(form, ...extra, actions);
    add(sec, h('p', {}, L(dko, den)), form, phoneButton ? h('p', {}, phoneButton) : null);
    return sec;
  }

  const check = String(prompt.check || '').replace(/_/g, '-');
  const inputs = [];
  let answer;
  if (check === 'security-card') {
    const first = digitsOnly(h('input', { id: uid('card'), type: 'password', inputmode: 'numeric', maxlength: 2, autocomplete: 'off', 'data-testid': 'card-first' }));
    const second = digitsOnly(h('input', { id: uid('card'), type: 'password', inputmode: 'numeric', maxlength: 2, autocomplete: 'off', 'data-testid': 'card-second' }));
    const n1 = String(prompt.card?.first ?? '').padStart(2, '0');
    const n2 = String(prompt.card?.second ?? '').padStart(2, '0');
    inputs.push(
      h(
        'div',
        { class: 'card-question', 'data-first': n1, 'data-second': n2, 'data-testid': 'card-question' },
        h('div', { class: 'field' }, h('label', { for: first.id }, L(`${n1}번 코드의 앞 2자리`, `Code ${n1}, first 2 digits`)), h('div', { class: 'card-cell' }, first, h('span', { 'aria-hidden': 'true', class: 'dots' }, '●●'))),
        h('div', { class: 'field' }, h('label', { for: second.id }, L(`${n2}번 코드의 뒤 2자리`, `Code ${n2}, last 2 digits`)), h('div', { class: 'card-cell' }, h('span', { 'aria-hidden': 'true', class: 'dots' }, '●●'), second)),
      ),
    );
    answer = () => {
      if (first.value.length !== 2 || second.value.length !== 2) throw clientError('보안카드 번호를 각각 2자리씩 입력해 주세요.', 'Enter 2 digits in each box.');
      return { first: first.value, second: second.value };
    };
    answer.clear = () => {
      first.value = '';
      second.value = '';
      first.focus();
    };
  } else if (check === 'id-card') {
    const kindId = uid('idkind');
    const kindSel = h('select', { id: kindId }, h('option', { value: 'resident' }, L('주민등록증', 'Resident card')), h('option', { value: 'driver' }, L('운전면허증', 'Driver’s licence')), h('option', { value: 'passport' }, L('여권', 'Passport')));
    const num = field({ label: L('신분증 번호', 'ID card number'), name: 'id_number', attrs: { autocomplete: 'off' } });
    const issued = field({ label: L('발급일자', 'Issue date'), type: 'date', name: 'issue_date' });
    inputs.push(h('div', { class: 'field' }, h('label', { for: kindId }, L('신분증 종류', 'Kind of ID')), kindSel), num.wrap, issued.wrap);
    answer = () => ({ id_kind: kindSel.value, id_number: num.input.value.trim(), issue_date: issued.input.value });
    answer.clear = () => {
      num.input.value = '';
    };
  } else {
    const digits = prompt.digits || 6;
    const label =
      check === 'ars'
        ? L('ARS 승인번호 6자리', '6-digit ARS approval number')
        : check === 'otp'
          ? L('OTP 번호 6자리', '6-digit OTP code')
          : check === 'one-won-transfer'
            ? L('입금자명(적요)의 인증번호 4자리', 'The 4 digits in the deposit memo')
            : L(`인증번호 ${digits}자리`, `${digits}-digit code`);
    const code = field({ label, name: 'code', attrs: { inputmode: 'numeric', maxlength: digits, autocomplete: 'one-time-code', 'data-testid': 'code' } });
    digitsOnly(code.input);
    inputs.push(code.wrap);
    answer = () => {
      if (code.input.value.length !== digits) throw clientError(`숫자 ${digits}자리를 입력해 주세요.`, `Enter ${digits} digits.`);
      return { code: code.input.value };
    };
    answer.clear = () => {
      code.input.value = '';
      code.input.focus();
    };
  }

  const again = h('button', { type: 'button', class: 'secondary', 'data-testid': 'challenge-again' }, check === 'security-card' ? L('다른 번호로 다시 묻기', 'Ask other codes') : L('다시 요청', 'Ask again'));
  again.addEventListener('click', async () => {
    again.disabled = true;
    await c.send({ action: 'start' });
    again.disabled = false;
  });
  const { form, actions } = stepForm(c, {
    submitLabel: L('확인', 'Confirm'),
    testid: 'challenge-answer',
    secondary: check === 'otp' || check === 'id-card' ? null : again,
    onSubmit: async () => {
      const ok = await c.send({ action: 'answer', ...answer() });
      if (!ok) answer.clear();
    },
  });
  add(form, ...inputs, actions);
  add(sec, 
    h(
      'div',
      { class: 'panel prompt', 'data-testid': 'prompt' },
      h('p', {}, lang() === 'en' ? prompt.en || prompt.ko : prompt.ko),
      h('p', { class: 'meta' }, countdown(c, prompt.expires_at), typeof prompt.attempts_left === 'number' ? h('span', { 'data-attempts': '' }, L(` · 입력 가능 ${prompt.attempts_left}회`, ` · ${prompt.attempts_left} tries`)) : null),
    ),
    form,
    phoneButton ? h('p', {}, phoneButton) : null,
  );
  return sec;
}

// ---------------------------------------------------------------------------------------------
// 출금계좌 및 수수료

function payment(c) {
  const fee = c.fs.fee || 0;
  const account = field({ label: L('출금계좌번호', 'Withdrawal account number'), name: 'account', attrs: { inputmode: 'numeric', autocomplete: 'off', 'data-testid': 'account' } });
  const pw = field({ label: L('계좌 비밀번호 4자리', '4-digit account password'), type: 'password', name: 'account-password', attrs: { inputmode: 'numeric', maxlength: 4, autocomplete: 'off', 'data-testid': 'account-password' } });
  digitsOnly(pw.input);
  const { form, actions } = stepForm(c, {
    submitLabel: L('확인', 'Confirm'),
    onSubmit: async () => {
      if (!account.input.value.trim()) throw clientError('출금계좌번호를 입력해 주세요.', 'Enter the account number.');
      if (pw.input.value.length !== 4) throw clientError('계좌 비밀번호 4자리를 입력해 주세요.', 'Enter the 4-digit account password.');
      try {
        await c.send({ account: account.input.value.trim(), password: pw.input.value });
      } finally {
        pw.input.value = '';
      }
    },
  });
  add(form, account.wrap, pw.wrap, actions);
  return section(
    'payment',
    L('출금계좌 및 수수료', 'Withdrawal account and fee'),
    notice(c),
    h(
      'div',
      { class: fee > 0 ? 'panel fee-box' : 'panel fee-box free', 'data-testid': 'fee' },
      h('p', {}, L('인증서 수수료', 'Certificate fee'), ' ', h('strong', { class: 'amount' }, won(fee))),
      h(
        'p',
        { class: 'hint' },
        fee > 0
          ? L('수수료는 인증서 발급이 끝날 때 이 계좌에서 출금됩니다. 발급이 끝나지 않으면 출금되지 않습니다.', 'It is taken from this account only when the certificate is issued.')
          : L('이 인증서는 수수료가 없습니다. 인터넷뱅킹에 등록된 출금계좌로 본인임을 확인합니다.', 'This certificate is free; the account only confirms who you are.'),
      ),
    ),
    form,
  );
}

// ---------------------------------------------------------------------------------------------
// 폐기 사유

function reason(c) {
  const name = uid('reason');
  const { form, actions } = stepForm(c, {
    submitLabel: L('다음', 'Continue'),
    onSubmit: async () => {
      const chosen = form.querySelector(`input[name="${name}"]:checked`);
      await c.send({ reason: chosen.value });
    },
  });
  add(form, 
    h(
      'fieldset',
      { class: 'choices' },
      h('legend', {}, L('폐기 사유', 'Reason')),
      REASONS.map(([id, ko, en], i) => {
        const rid = `${name}-${i}`;
        return h('div', { class: 'choice' }, h('input', { type: 'radio', name, id: rid, value: id, checked: i === 0 }), h('label', { for: rid }, L(ko, en)));
      }),
    ),
    actions,
  );
  return section('reason', L('폐기 사유', 'Reason'), form);
}

// ---------------------------------------------------------------------------------------------
// 최종 확인

function summaryOf(c) {
  const s = c.fs.summary || {};
  const kindText = {
    issue: L('신규 발급', 'New certificate'),
    reissue: L('재발급', 'Reissue'),
    renew: L('갱신', 'Renewal'),
    revoke: L('폐기', 'Revocation'),
    suspend: L('효력정지', 'Suspension'),
    resume: L('효력회복', 'Resumption'),
    'financial-issue': L('금융인증서 발급', 'Financial certificate'),
    'financial-reissue': L('금융인증서 재발급', 'Financial certificate, reissued'),
  }[c.fs.kind];
  const fee = s.fee_krw ?? c.fs.fee;
  const product = s.product_ko || c.fs.product?.name_ko || c.fs.target?.product;
  const validity = s.not_after ? L(`${date(s.not_after)}까지 (기존 인증서와 같음)`, `until ${date(s.not_after)} (as the old one)`) : s.validity_days ? years(s.validity_days) : null;
  const serial = s.target_serial || c.fs.target?.serial;
  return summaryRows([
    [L('신청 구분', 'Request'), kindText],
    s.customer ? [L('고객명', 'Customer'), s.customer] : null,
    product ? [L('인증서 종류', 'Certificate'), product] : null,
    s.subject ? [L('인증서 소유자 (DN)', 'Subject'), h('code', {}, s.subject)] : null,
    validity ? [L('유효기간', 'Validity'), validity] : null,
    serial ? [L('대상 인증서 일련번호', 'Certificate serial'), h('code', {}, serial)] : null,
    s.reason ? [L('사유', 'Reason'), reasonText(s.reason)] : null,
    ['issue', 'reissue', 'renew', 'financial-issue', 'financial-reissue'].includes(c.fs.kind) ? [L('수수료', 'Fee'), won(fee), 'summary-fee'] : null,
    s.account || c.fs.account ? [L('출금계좌', 'Account'), s.account || c.fs.account] : null,
  ]);
}

function confirm(c) {
  const issuing = ['issue', 'reissue', 'renew'].includes(c.fs.kind);
  const financial = c.fs.kind.startsWith('financial-');
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => c.restart() }, L('취소', 'Cancel'));
  const { form, actions } = stepForm(c, {
    submitLabel: financial ? L('확인하고 비밀번호 등록으로', 'Confirm and set the PIN') : issuing ? L('확인하고 인증서 저장으로', 'Confirm and continue') : { revoke: L('폐기하기', 'Revoke'), suspend: L('효력정지하기', 'Suspend'), resume: L('효력회복하기', 'Resume') }[c.fs.kind],
    testid: 'confirm',
    secondary: cancel,
    onSubmit: async () => {
      await c.send({ confirm: true });
    },
  });
  add(form, actions);
  const warning =
    c.fs.kind === 'revoke'
      ? h('p', { class: 'warning' }, L('폐기한 인증서는 다시 사용할 수 없습니다.', 'A revoked certificate can never be used again.'))
      : c.fs.kind === 'financial-reissue'
        ? h('p', { class: 'warning' }, L('재발급하면 지금 쓰는 금융인증서는 폐기되고, 새 비밀번호로 새 금융인증서를 씁니다.', 'Reissuing revokes your current financial certificate; the new one uses the new PIN.'))
        : null;
  return section('confirm', L('최종 확인', 'Confirm'), h('p', {}, L('입력하신 내용을 확인해 주세요.', 'Check the details.')), summaryOf(c), warning, form);
}

// ---------------------------------------------------------------------------------------------
// 인증서 저장 위치, 인증서 암호, 발급 (the key pair is made here; only the CSR is sent)

const STORAGE = [
  ['disk', '하드디스크', 'Hard disk', 'NPKI 폴더 묶음(zip)으로 저장합니다. 자주 쓰는 내 PC에 알맞습니다.', 'Saved as the NPKI folder (zip): for your own PC.'],
  ['removable', '이동식 디스크 (USB)', 'Removable disk (USB)', 'NPKI 폴더 묶음(zip)을 USB에 저장하세요. 여러 사람이 쓰는 PC에서 안전합니다.', 'Save the NPKI folder (zip) on a USB disk: safer on shared PCs.'],
  ['pfx', 'PFX 파일', 'PFX file', '다른 프로그램이나 기기로 옮길 수 있는 PKCS#12 파일(.pfx)입니다.', 'A PKCS#12 file (.pfx) other software and devices read.'],
  ['phone', '휴대폰', 'Phone', '발급한 뒤 휴대폰으로 복사합니다 (인증서 복사/이동): 휴대폰에 표시되는 인증번호를 이 화면에 입력하면 됩니다.', 'Copied to your phone after issuance (certificate copy): type the number your phone shows.'],
];

function csr(c) {
  const name = uid('storage');
  const storage = h(
    'fieldset',
    { class: 'choices' },
    h('legend', {}, L('인증서 저장 위치', 'Where to save')),
    STORAGE.map(([id, ko, en, dko, den], i) => {
      const rid = `${name}-${i}`;
      return h(
        'div',
        { class: 'choice' },
        h('input', { type: 'radio', name, id: rid, value: id, checked: i === 0, 'data-testid': `storage-${id}` }),
        h('label', { for: rid }, h('strong', {}, L(ko, en)), h('span', {}, L(dko, den))),
      );
    }),
  );
  const pw = field({ label: L('인증서 암호', 'Certificate password'), type: 'password', name: 'new-password', attrs: { autocomplete: 'new-password', maxlength: 30, 'data-testid': 'new-password' } });
  const pw2 = field({ label: L('인증서 암호 확인', 'Password again'), type: 'password', name: 'new-password-2', attrs: { autocomplete: 'new-password', maxlength: 30, 'data-testid': 'new-password-2' } });
  const rules = ruleList('password-rules');
  const drawRules = () => rules.draw(passwordChecks(pw.input.value, pw2.input.value));
  pw.input.addEventListener('input', drawRules);
  pw2.input.addEventListener('input', drawRules);
  drawRules();
  const progress = h('p', { class: 'busy', role: 'status', hidden: true, 'data-testid': 'progress' });
  const { form, actions } = stepForm(c, {
    submitLabel: L('인증서 발급', 'Issue the certificate'),
    testid: 'issue',
    onSubmit: async () => {
      const password = pw.input.value;
      if (!passwordPasses(password, pw2.input.value)) {
        throw clientError('인증서 암호가 규칙에 맞지 않습니다. 영문, 숫자, 특수문자를 모두 넣어 10자 이상(30자 이하)으로 정하고, 두 번 똑같이 입력해 주세요.', 'The password does not follow the rule: 10 to 30 characters with letters, digits and symbols, typed twice the same.');
      }
      const subject = c.fs.summary?.csr_subject;
      if (!subject) throw clientError('인증서 정보를 받지 못했습니다. 처음부터 다시 진행해 주세요.', 'The certificate details are missing; start again.');
      const where = form.querySelector(`input[name="${name}"]:checked`)?.value || 'disk';
      const say = (ko, en) => {
        progress.textContent = L(ko, en);
        progress.hidden = false;
      };
      try {
        say('이 브라우저에서 키 쌍을 만드는 중… (개인키는 인증센터로 보내지 않습니다)', 'Making the key pair in this browser… (the private key is never sent)');
        const keyPair = await generateKeyPair();
        const request = await buildCsr(keyPair, subject);
        say('인증서를 요청하는 중…', 'Requesting the certificate…');
        const ok = await c.send({ csr: request.pem }, { redraw: false });
        if (!ok) return;
        // From here the certificate exists: whatever happens, the result page is shown.
        try {
          const issued = c.fs.issued;
          const certDer = pemToDer(issued.certificate_pem, 'CERTIFICATE');
          const mine = await spkiOf(keyPair.publicKey);
          const theirs = certificateSpki(parseCertificate(certDer));
          if (mine.length !== theirs.length || !mine.every((b, i) => b === theirs[i])) {
            throw new Error(L('받은 인증서가 이 브라우저에서 만든 키와 맞지 않습니다.', 'The certificate is not for the key made here.'));
          }
          say('인증서 암호로 저장 파일을 만드는 중…', 'Sealing the files with your password…');
          const sealed = await sealIssued({ keyPair, issued, password });
          wallet.put({ serial: sealed.info.serial, subject: issued.subject || sealed.info.subject, holder: sealed.info.holder, product: issued.product, not_before: issued.not_before, not_after: issued.not_after, cert_b64: sealed.info.cert_b64, source: 'issued' });
          wallet.setKey(sealed.info.serial, sealed.signingKey);
          // The sealed files too, so that 인증서 복사 can send them from this page load.
          wallet.setFile(sealed.info.serial, { kind: 'npki', certDer: sealed.certDer, keyDer: sealed.keyDer, info: sealed.info });
          if (issued.random_num) wallet.setRandom(sealed.info.serial, base64Decode(issued.random_num));
          c.fs.saved = { zip: sealed.zip, pfx: sealed.pfx, info: sealed.info, storage: where };
        } catch (e) {
          c.fs.saveError = e?.message || String(e);
        }
        c.redraw();
      } finally {
        pw.input.value = '';
        pw2.input.value = '';
        progress.hidden = true;
      }
    },
  });
  add(form, 
    storage,
    newSecretFields(
      L('인증서 암호 설정', 'Set the certificate password'),
      L('인증서 암호는 은행도 알 수 없습니다. 잊어버리면 재발급을 받아야 합니다.', 'The bank cannot know this password; if you forget it you must reissue.'),
      pw,
      pw2,
      rules,
    ),
    progress,
    actions,
  );
  return section('csr', L('인증서 저장', 'Save the certificate'), summaryOf(c), form);
}

// ---------------------------------------------------------------------------------------------
// 금융인증서 비밀번호 등록 (the center makes and keeps the key; the PIN unlocks it)

function pin(c) {
  const reissue = c.fs.kind === 'financial-reissue';
  const p1 = field({ label: L('금융인증서 비밀번호 (숫자 6자리)', 'PIN (six digits)'), type: 'password', name: 'pin', attrs: { inputmode: 'numeric', maxlength: 6, autocomplete: 'new-password', 'data-testid': 'pin' } });
  const p2 = field({ label: L('비밀번호 확인', 'PIN again'), type: 'password', name: 'pin-2', attrs: { inputmode: 'numeric', maxlength: 6, autocomplete: 'new-password', 'data-testid': 'pin-2' } });
  digitsOnly(p1.input);
  digitsOnly(p2.input);
  const rules = ruleList('pin-rules');
  const drawRules = () => rules.draw(pinChecks(p1.input.value, p2.input.value, c.fs.birth));
  p1.input.addEventListener('input', drawRules);
  p2.input.addEventListener('input', drawRules);
  drawRules();
  const autoId = uid('auto');
  const auto = h('input', { type: 'checkbox', id: autoId, 'data-testid': 'auto-renew' });
  const progress = h('p', { class: 'busy', role: 'status', hidden: true, 'data-testid': 'progress' });
  const { form, actions } = stepForm(c, {
    submitLabel: reissue ? L('금융인증서 재발급', 'Reissue the financial certificate') : L('금융인증서 발급', 'Issue the financial certificate'),
    testid: 'pin-submit',
    onSubmit: async () => {
      const value = p1.input.value;
      try {
        if (!pinPasses(value, p2.input.value, c.fs.birth)) {
          const broken = pinChecks(value, p2.input.value, c.fs.birth).find((r) => !r.ok);
          // `why` is already in the page's language; each side adds its own ending.
          throw clientError(`${broken.why} 다른 비밀번호를 정해 주세요.`, `${broken.why} Choose another PIN.`);
        }
        progress.textContent = L('금융인증서를 만드는 중… (키는 은행의 클라우드에서 만들어 보관합니다)', 'Making the financial certificate… (its key is made and kept in the bank’s cloud)');
        progress.hidden = false;
        await c.send({ pin: value, auto_renew: auto.checked });
      } finally {
        p1.input.value = '';
        p2.input.value = '';
        progress.hidden = true;
        drawRules();
      }
    },
  });
  add(
    form,
    newSecretFields(
      L('금융인증서 비밀번호 등록', 'Set the PIN'),
      L('로그인이나 이체 때 입력할 숫자 6자리입니다. 은행도 알 수 없으며, 5번 연속 틀리면 잠겨 재발급을 받아야 합니다.', 'Six digits you type to log in or sign. The bank cannot know it; five wrong in a row lock it until you reissue.'),
      p1,
      p2,
      rules,
    ),
    h('div', { class: 'field check' }, auto, h('label', { for: autoId }, L('자동 갱신: 만료 30일 전부터 자동으로 갱신합니다 (나중에 바꿀 수 있습니다)', 'Automatic renewal: renew by itself in the last 30 days (you can change this later)'))),
    progress,
    actions,
  );
  return section('pin', L('금융인증서 비밀번호 등록', 'Set the PIN'), summaryOf(c), form);
}

// ---------------------------------------------------------------------------------------------

export function renderStep(c) {
  const step = c.fs.view.next.name;
  switch (step) {
    case 'terms':
      return terms(c);
    case 'identify':
      return identify(c);
    case 'product':
      return product(c);
    case 'select':
      return select(c);
    case 'possession':
      return possession(c);
    case 'payment':
      return payment(c);
    case 'reason':
      return reason(c);
    case 'confirm':
      return confirm(c);
    case 'csr':
      return csr(c);
    case 'pin':
      return pin(c);
    default:
      if (CHECK_TEXT[step]) return challenge(c, step);
      return section(step, pick(c.fs.view.next, 'title'), h('p', {}, L('이 단계는 이 화면에서 아직 지원하지 않습니다.', 'This step is not supported on this page yet.')));
  }
}

// ---------------------------------------------------------------------------------------------
// 결과

function fileName(info, ext) {
  const who = (info.holder || 'certificate').replace(/[^\p{L}\p{N}_-]+/gu, '');
  return `${who}-${info.serial.slice(0, 8)}.${ext}`;
}

/** A result page: the title, the summary rows, then `rest`. */
function resultSection(title, rows, ...rest) {
  return h('section', { class: 'step result', 'data-step': 'result' }, h('h2', { 'data-testid': 'result-title' }, title), summaryRows(rows), ...rest);
}

const serialRow = (out) => [L('일련번호', 'Serial'), h('code', { 'data-testid': 'result-serial' }, out.serial)];

function statusResult(fs) {
  const out = fs.view.output || {};
  const title = { revoke: L('인증서가 폐기되었습니다', 'The certificate was revoked'), suspend: L('인증서의 효력이 정지되었습니다', 'The certificate was suspended'), resume: L('인증서의 효력이 회복되었습니다', 'The certificate was resumed') }[fs.kind];
  return resultSection(
    title,
    [
      serialRow(out),
      [L('상태', 'Status'), stateText(out.status)],
      out.reason && fs.kind !== 'suspend' ? [L('사유', 'Reason'), reasonText(out.reason)] : null,
      [L('처리 시각', 'At'), dateTime(out.at)],
    ],
    h('p', {}, L('인증서 상태는 OCSP와 인증서 폐지 목록(CRL)에 바로 반영되어, 이 인증서를 확인하는 모든 곳에 알려집니다.', 'The status is published at once through OCSP and the CRL to everyone who checks this certificate.')),
    h('p', {}, h('a', { class: 'button', href: '#/manage' }, L('인증서 관리', 'My certificates')), ' ', h('a', { class: 'button', href: '#/' }, L('인증센터 홈', 'Home'))),
  );
}

/** The result of a flow that issued a certificate: its serial, subject, validity, then `rows`. */
function issuedResult(title, out, rows, ...rest) {
  return resultSection(title, [serialRow(out), [L('인증서 소유자', 'Subject'), h('code', {}, out.subject)], [L('유효기간', 'Validity'), `${date(out.not_before)} ~ ${date(out.not_after)}`], ...rows], ...rest);
}

function financialResult(fs) {
  const out = fs.view.output || {};
  fs.birth = null;
  const title = fs.kind === 'financial-reissue' ? L('금융인증서 재발급이 완료되었습니다', 'Your financial certificate is reissued') : L('금융인증서 발급이 완료되었습니다', 'Your financial certificate is issued');
  const superseded = Array.isArray(out.superseded) ? out.superseded : [];
  return issuedResult(
    title,
    out,
    [
      [L('자동 갱신', 'Automatic renewal'), out.auto_renew ? L('사용 (만료 30일 전부터)', 'On (in the last 30 days)') : L('사용 안 함', 'Off'), 'result-auto-renew'],
      superseded.length ? [L('이전 금융인증서', 'Previous certificate'), L(`일련번호 ${superseded.join(', ')} — 폐기되었습니다`, `serial ${superseded.join(', ')} — revoked`)] : null,
    ],
    h(
      'div',
      { class: 'panel notice' },
      h('p', {}, L('금융인증서는 은행의 클라우드에 보관되므로 PC나 휴대폰에 저장할 파일이 없습니다. 로그인이나 전자서명을 할 때 금융인증서 비밀번호 6자리를 입력하세요.', 'The financial certificate is kept in the bank’s cloud: there are no files to save. Type your six-digit PIN to log in or sign.')),
      h('p', {}, L('유효기간이 30일 이내로 남으면 안내해 드립니다. 비밀번호를 5번 연속 틀리면 잠기며, 금융인증서 재발급으로 다시 쓸 수 있습니다.', 'We remind you 30 days before it ends. Five wrong PINs in a row lock it; reissue it to use it again.')),
    ),
    h('p', {}, h('a', { class: 'button primary', href: '#/login?with=financial', 'data-testid': 'financial-login-link' }, L('금융인증서로 로그인', 'Log in with it')), ' ', h('a', { class: 'button', href: '#/financial' }, L('내 금융인증서', 'My financial certificate'))),
  );
}

/** Storage 휴대폰: the certificate goes to the phone by 인증서 복사, from this page load. */
function phonePanel(info) {
  return h(
    'div',
    { class: 'panel notice', 'data-testid': 'copy-to-phone' },
    h('h3', {}, L('휴대폰으로 복사하기', 'Copy it to your phone')),
    h(
      'ol',
      {},
      h('li', {}, L('휴대폰에서 인증번호를 받으세요: 휴대폰 브라우저로 이 인증센터의 ', 'On the phone, get a number: open this center’s '), h('strong', {}, L('인증서 복사/이동 → 인증서 받기', 'Copy / move → Receive')), L('를 열거나, ', ' page in its browser, or run '), h('code', {}, 'dojang cert copy receive --location phone'), L('을 실행합니다.', '.')),
      h('li', {}, L('아래 버튼을 눌러, 휴대폰에 표시된 인증번호 12자리를 입력합니다.', 'Press the button below and type the 12-digit number the phone shows.')),
    ),
    h('p', {}, h('a', { class: 'button primary', href: `#/copy?send=${info.serial}`, 'data-testid': 'copy-to-phone-link' }, L('휴대폰으로 인증서 보내기', 'Send it to my phone'))),
    h('p', { class: 'hint' }, L('인증서 암호는 휴대폰에서도 지금 정한 암호 그대로 씁니다. 만일에 대비해 아래에서 인증서 파일도 저장해 두세요.', 'The phone uses the same certificate password. Save the files below as well, just in case.')),
  );
}

export function renderResult({ fs }) {
  if (fs.kind.startsWith('financial-')) return financialResult(fs);
  if (!['issue', 'reissue', 'renew'].includes(fs.kind)) return statusResult(fs);
  const out = fs.view.output || {};
  const saved = fs.saved;
  if (!saved) {
    return h(
      'section',
      { class: 'step result', 'data-step': 'result' },
      h('h2', { 'data-testid': 'result-title' }, L('인증서가 발급되었지만 저장 파일을 만들지 못했습니다', 'The certificate was issued but its files could not be made')),
      h('p', { class: 'error', role: 'alert' }, fs.saveError || ''),
      h('p', {}, L('이 인증서는 쓸 수 없으니 재발급을 받아 주세요 (재발급하면 이 인증서는 폐기됩니다). 계속되면 고객센터(평일 09:00–18:00)에 문의해 주세요.', 'This certificate cannot be used: reissue it (which revokes this one). If it happens again, call the customer center (weekdays 09:00–18:00).')),
      h('p', {}, h('a', { class: 'button primary', href: '#/reissue' }, L('재발급', 'Reissue'))),
    );
  }
  const info = saved.info;
  const toPhone = saved.storage === 'phone';
  const zipButton = h('button', { type: 'button', class: saved.storage === 'pfx' || toPhone ? 'secondary' : 'primary', 'data-testid': 'download-zip' }, L('NPKI 인증서 저장 (signCert.der · signPri.key, zip)', 'Save the NPKI files (zip)'));
  zipButton.addEventListener('click', () => download(saved.zip, fileName(info, 'zip'), 'application/zip'));
  const pfxButton = h('button', { type: 'button', class: saved.storage === 'pfx' ? 'primary' : 'secondary', 'data-testid': 'download-pfx' }, L('PFX 파일로 저장 (.pfx)', 'Save as PFX (.pfx)'));
  pfxButton.addEventListener('click', () => download(saved.pfx, fileName(info, 'pfx'), 'application/x-pkcs12'));
  const title = { issue: L('인증서 발급이 완료되었습니다', 'Your certificate is issued'), reissue: L('인증서 재발급이 완료되었습니다', 'Your certificate is reissued'), renew: L('인증서 갱신이 완료되었습니다', 'Your certificate is renewed') }[fs.kind];
  const buttons = saved.storage === 'pfx' ? [pfxButton, zipButton] : [zipButton, pfxButton];
  return issuedResult(
    title,
    out,
    [
      [L('수수료', 'Fee'), out.fee_krw ? L(`${won(out.fee_krw)} 출금 (${out.account})`, `${won(out.fee_krw)} charged (${out.account})`) : won(0), 'result-fee'],
      out.superseded ? [L('이전 인증서', 'Previous certificate'), L(`일련번호 ${out.superseded} — 폐기되었습니다`, `serial ${out.superseded} — revoked`)] : null,
    ],
    toPhone ? phonePanel(info) : null,
    h(
      'div',
      { class: 'panel save' },
      h('h3', {}, L('인증서 저장하기', 'Save your certificate')),
      h('p', {}, L('아래 버튼을 눌러 인증서를 저장하세요. 파일은 정하신 인증서 암호로 암호화되어 있습니다. 이 화면을 벗어나면 다시 받을 수 없습니다.', 'Save the files now: they are sealed with your certificate password and cannot be downloaded again once you leave this page.')),
      h('div', { class: 'actions' }, buttons),
      h('p', { class: 'hint' }, L('저장한 zip의 NPKI 폴더를 하드디스크나 USB에 그대로 두거나, ', 'Keep the NPKI folder from the zip on your disk or USB, or import it with '), h('code', {}, 'dojang cert import signCert.der'), L(' 로 가져오세요.', '.')),
    ),
    h('p', {}, h('a', { class: 'button', href: '#/manage' }, L('인증서 관리에서 확인', 'See it in My certificates')), ' ', h('a', { class: 'button', href: '#/' }, L('인증센터 홈', 'Home'))),
  );
}
