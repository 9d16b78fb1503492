// 타기관 인증서 등록/해제 (document 002): a joint certificate issued by another bank is
// registered here, so the customer need not get a new one; unregistering removes it.
//
// 1. The internet-banking ID and the RRN find the customer (`POST /api/v1/registrations`);
//    the center calls the registered phone with an approval number (ARS).
// 2. To register: the customer chooses the certificate (NPKI pair or PFX) and types its
//    password; the key file is decrypted here, R is read from its randomNum attribute, and the
//    key signs the possession message of this registration. The ARS code, the certificate, its
//    chain, the signature and R go to `…/{id}/finish`; the center checks the chain to a trusted
//    institution, the status at that institution (OCSP or CRL) and the VID against the RRN.
//    To unregister: the certificate's serial.
// The key and the password never leave the page.

import { ApiError, clientError, post } from '../api.js';
import { add, field, h, replace } from '../dom.js';
import { L, lang } from '../i18n.js';
import { date, mmss, secondsLeft } from '../format.js';
import { alertBox } from '../alert.js';
import { busyForm, digitsOnly, rrnField } from '../fields.js';
import { base64Encode } from '../crypto/bytes.js';
import { signPossession } from '../certs.js';
import { certificatePicker } from '../cert-picker.js';

/** The registration in progress on this page load: { action, started, result }. */
let state = { action: 'register', started: null, result: null, spent: false };

/**
 * Two clocks: the ARS approval number's (a few minutes, the time the call gave) and the
 * registration request's own (longer). Once the number has run out the request cannot finish.
 */
function countdown(started, timers) {
  const el = h('span', { class: 'timer', 'data-testid': 'timer' });
  const code = h('span', { class: 'timer', 'data-testid': 'code-timer' });
  const tick = () => {
    const s = secondsLeft(started.expires_at);
    const c = started.code_expires_at ? Math.min(s, secondsLeft(started.code_expires_at)) : s;
    el.textContent = s > 0 ? L(`등록 신청 남은 시간 ${mmss(s)}`, `${mmss(s)} left for this request`) : L('신청 시간이 지났습니다. 처음부터 다시 진행해 주세요.', 'Time is up; start again.');
    code.textContent = c > 0 ? L(`ARS 승인번호 입력 남은 시간 ${mmss(c)}`, `${mmss(c)} left to enter the ARS code`) : L('ARS 승인번호 입력 시간이 지났습니다. 처음부터 다시 진행해 주세요.', 'The ARS code has expired; start again.');
  };
  tick();
  timers.push(setInterval(tick, 1000));
  return [code, h('br', {}), el];
}

/** Refusals after the ARS code was accepted end this registration: it must start again. */
function spent(e) {
  return e instanceof ApiError && e.code !== 'client_check' && e.code !== 'wrong-answer' && e.code !== 'network';
}

function help(code) {
  return (
    {
      own_certificate: [L('이 은행에서 발급한 인증서는 등록할 필요가 없습니다.', 'This bank’s own certificates need no registration.'), [['#/login', L('인증서 로그인', 'Log in')]]],
      already_registered: [L('이미 등록된 인증서입니다.', 'Already registered.'), [['#/login', L('인증서 로그인', 'Log in')]]],
      unknown_issuer: [L('이 은행이 신뢰하는 기관의 인증서가 아닙니다.', 'The issuer is not trusted here.'), [['#/issue', L('이 은행에서 인증서 발급', 'Get one here')]]],
      wrong_person: [L('본인 명의의 인증서가 아닙니다.', 'Not a certificate in your name.'), []],
      revoked: [L('폐기된 인증서는 등록할 수 없습니다.', 'A revoked certificate cannot be registered.'), [['#/issue', L('이 은행에서 인증서 발급', 'Get one here')]]],
      expired: [L('만료된 인증서는 등록할 수 없습니다.', 'An expired certificate cannot be registered.'), [['#/issue', L('이 은행에서 인증서 발급', 'Get one here')]]],
      not_registered: [L('등록되어 있지 않은 인증서입니다.', 'That certificate is not registered.'), []],
      'customer-not-found': [L('인터넷뱅킹 ID와 주민등록번호를 확인해 주세요.', 'Check your banking ID and RRN.'), []],
    }[code] || [null, []]
  );
}

export function renderOtherCa({ main, openPhone, keep }) {
  const alert = alertBox('reg-error');
  const body = h('div', {});
  const timers = [];
  const stopTimers = () => timers.splice(0).forEach((t) => clearInterval(t));

  function restart() {
    state = { action: state.action, started: null, result: null, spent: false };
    alert.clear();
    draw();
  }

  function fail(e) {
    const [title, actions] = help(e instanceof ApiError ? e.code : '');
    const again = state.spent ? [[restart, L('처음부터 다시', 'Start again')]] : [];
    alert.show(e, { title, actions: [...actions, ...again] });
  }

  function startForm() {
    const name = 'reg-action';
    const choice = (value, ko, en, dko, den) =>
      h(
        'div',
        { class: 'choice' },
        h('input', { type: 'radio', name, id: `${name}-${value}`, value, checked: state.action === value, 'data-testid': `action-${value}` }),
        h('label', { for: `${name}-${value}` }, h('strong', {}, L(ko, en)), h('span', {}, L(dko, den))),
      );
    const bankingId = field({ label: L('인터넷뱅킹 ID', 'Internet banking ID'), name: 'banking_id', attrs: { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', 'data-testid': 'banking-id' } });
    const rrn = rrnField();
    const actions = h(
      'fieldset',
      { class: 'choices' },
      h('legend', {}, L('무엇을 할까요?', 'What would you like to do?')),
      choice('register', '타기관 인증서 등록', 'Register', '다른 은행·증권사에서 발급받은 공동인증서를 이 은행에서 쓸 수 있게 등록합니다.', 'Use a joint certificate from another bank or broker here.'),
      choice('unregister', '타기관 인증서 해제', 'Unregister', '등록해 둔 다른 기관의 인증서를 이 은행에서 더 쓰지 않게 해제합니다.', 'Stop using a registered certificate here.'),
    );
    const { form } = busyForm({
      submitLabel: L('본인 확인 (ARS 인증 요청)', 'Identify me (ARS call)'),
      submitTestid: 'reg-start',
      fields: [actions, bankingId.wrap, rrn.box],
      onStart: () => alert.clear(),
      onError: fail,
      always: () => rrn.clearSecret(),
      run: async () => {
        const action = actions.querySelector(`input[name="${name}"]:checked`)?.value || 'register';
        const id = bankingId.input.value.trim();
        if (!id) throw clientError('인터넷뱅킹 ID를 입력해 주세요.', 'Enter your internet banking ID.');
        if (!rrn.complete()) throw clientError('주민등록번호 13자리(앞 6자리, 뒤 7자리)를 입력해 주세요.', 'Enter all 13 digits of your resident registration number.');
        const started = await post('/api/v1/registrations', { action, banking_id: id, rrn: rrn.value() });
        state = { action, started, result: null, spent: false };
        draw(true);
      },
    });
    return h('section', { class: 'step', 'data-step': 'reg-identify' }, h('h2', {}, L('1. 본인 확인', '1. Identification')), h('p', {}, L('인터넷뱅킹에 가입할 때 등록한 정보로 본인임을 확인하고, 등록된 휴대폰으로 ARS 전화를 걸어 드립니다.', 'We identify you with your internet banking details and call your registered phone (ARS).')), form);
  }

  function finishForm() {
    const register = state.action === 'register';
    const s = state.started;
    const code = field({ label: L('ARS 승인번호 6자리', '6-digit ARS approval number'), name: 'code', attrs: { inputmode: 'numeric', maxlength: 6, autocomplete: 'one-time-code', 'data-testid': 'code' } });
    digitsOnly(code.input);
    const picker = certificatePicker({
      needsKey: register,
      legend: register ? L('등록할 인증서', 'Certificate to register') : L('해제할 인증서', 'Certificate to unregister'),
      onLoaded: (err) => (err ? fail(err) : alert.clear()),
    });
    const serial = register ? null : field({ label: L('또는 인증서 일련번호 직접 입력', 'Or type the serial number'), name: 'serial', hint: L('인증서 보기에 나오는 16진수 일련번호입니다.', 'The hexadecimal serial shown in the certificate’s details.'), attrs: { autocomplete: 'off', spellcheck: 'false', 'data-testid': 'reg-serial' } });
    const { form, submit } = busyForm({
      submitLabel: register ? L('인증서 등록', 'Register the certificate') : L('인증서 해제', 'Unregister the certificate'),
      submitTestid: 'reg-submit',
      fields: [code.wrap, ...picker.root, serial?.wrap],
      secondary: [h('button', { type: 'button', class: 'secondary', onclick: restart }, L('처음부터 다시', 'Start again'))],
      onStart: () => alert.clear(),
      onError: (err) => {
        if (spent(err)) state.spent = true;
        fail(err);
      },
      always: (button) => {
        code.input.value = '';
        // Once the center took the code, this registration is over: only "start again" is left.
        button.disabled = state.spent;
      },
      run: async (say) => {
        if (code.input.value.length !== 6) throw clientError('ARS 승인번호 6자리를 입력해 주세요.', 'Enter the 6-digit ARS approval number.');
        const input = { code: code.input.value };
        if (register) {
          say(L('인증서를 여는 중…', 'Opening the certificate…'));
          const signer = await picker.open();
          input.certificate = base64Encode(signer.certDer);
          input.chain = signer.chainDers.map(base64Encode);
          input.signature = await signPossession(signer.key, s.id, s.nonce);
          if (signer.randomNum) input.random_num = base64Encode(signer.randomNum);
          say(L('발급기관에서 인증서 상태를 확인하는 중…', 'Checking the certificate with its issuer…'));
        } else {
          const typed = serial.input.value.replace(/[^0-9a-fA-F]/g, '');
          input.serial = typed || picker.chosenSerial();
          if (!input.serial) throw clientError('해제할 인증서를 선택하거나 일련번호를 입력해 주세요.', 'Choose the certificate or type its serial.');
        }
        state.result = await post(`/api/v1/registrations/${s.id}/finish`, input);
        draw(true);
      },
    });
    submit.disabled = state.spent;
    return h(
      'section',
      { class: 'step', 'data-step': register ? 'reg-register' : 'reg-unregister' },
      h('h2', {}, register ? L('2. 인증서 선택과 ARS 승인번호', '2. The certificate and the ARS code') : L('2. 해제할 인증서와 ARS 승인번호', '2. Which certificate, and the ARS code')),
      h(
        'div',
        { class: 'panel prompt', 'data-testid': 'prompt' },
        h('p', {}, lang() === 'en' ? s.prompt_en : s.prompt_ko),
        h('p', { class: 'meta' }, ...countdown(s, timers)),
        h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => openPhone() }, L('휴대폰 (시뮬레이터) 열기', 'Open the simulated phone'))),
      ),
      form,
    );
  }

  function resultView() {
    const r = state.result;
    const c = r.certificate;
    const registered = r.result === 'registered';
    return h(
      'section',
      { class: 'step result', 'data-step': 'result' },
      h('h2', { 'data-testid': 'result-title' }, registered ? L('타기관 인증서가 등록되었습니다', 'The certificate is registered') : L('타기관 인증서가 해제되었습니다', 'The certificate is unregistered')),
      h(
        'dl',
        { class: 'summary' },
        h('dt', {}, L('일련번호', 'Serial')),
        h('dd', {}, h('code', { 'data-testid': 'result-serial' }, r.serial)),
        c ? [h('dt', {}, L('소유자 (DN)', 'Subject')), h('dd', {}, h('code', {}, c.subject))] : null,
        c ? [h('dt', {}, L('발급기관', 'Issued by')), h('dd', { 'data-testid': 'result-issuer' }, `${c.trusted_issuer} (${c.issuer})`)] : null,
        c ? [h('dt', {}, L('유효기간 만료일', 'Valid until')), h('dd', {}, date(c.not_after))] : null,
        c ? [h('dt', {}, L('인증서 상태 확인', 'Status checked at')), h('dd', {}, { ocsp: L('발급기관 OCSP (정상)', 'the issuer’s OCSP (good)'), crl: L('발급기관 폐지 목록 CRL (정상)', 'the issuer’s CRL (good)'), local: L('이 인증센터 (정상)', 'this center (good)') }[c.status_source] || c.status_source)] : null,
      ),
      h('p', {}, registered ? L('이제 이 인증서로 이 은행의 인터넷뱅킹에 로그인할 수 있습니다. 인증서를 발급한 기관에서 폐기하면 이 은행에서도 쓸 수 없습니다.', 'You can now log in here with it. If its issuer revokes it, it stops working here too.') : L('이 인증서로는 더 이상 이 은행에 로그인할 수 없습니다. 다시 쓰려면 다시 등록해 주세요.', 'It can no longer log in here; register it again to use it.')),
      h('p', { class: 'actions' }, registered ? h('a', { class: 'button primary', href: '#/login', 'data-testid': 'go-login' }, L('인증서 로그인', 'Log in')) : null, ' ', h('button', { type: 'button', class: 'secondary', onclick: restart }, L('다른 인증서 등록/해제', 'Another certificate'))),
    );
  }

  function draw(moved = false) {
    stopTimers();
    if (state.result) replace(body, resultView());
    else if (state.started) replace(body, finishForm());
    else replace(body, startForm());
    if (moved) body.querySelector('h2')?.setAttribute('tabindex', '-1');
    if (moved) body.querySelector('h2')?.focus();
  }

  add(
    main,
    h('h1', {}, L('타기관 인증서 등록/해제', 'Certificates from other banks')),
    h(
      'p',
      { class: 'lead' },
      L(
        '다른 은행에서 인증서를 발급받으셨다면, 새로 발급받을 필요 없이 이 인증센터에서 기존 인증서를 등록해 사용할 수 있습니다. 더 쓰지 않을 인증서는 해제할 수 있습니다.',
        'If another bank issued your certificate, you need not get a new one: register it here. Unregister one you no longer use.',
      ),
    ),
    h(
      'ul',
      { class: 'facts' },
      h('li', {}, L('준비: 인터넷뱅킹 ID, 주민등록번호, 등록된 휴대폰(ARS 전화), 다른 기관의 인증서 파일과 인증서 암호', 'You need: your banking ID, RRN, registered phone (ARS call), the certificate files and their password')),
      h('li', {}, L('인증서 파일과 암호는 이 브라우저 안에서만 쓰이며, 인증센터로는 인증서(공개 정보)와 전자서명만 보냅니다.', 'The files and the password stay in this browser; only the certificate (public) and a signature are sent.')),
      h('li', {}, L('등록할 때 인증서를 발급한 기관에 폐기 여부를 확인하고, 주민등록번호로 본인 명의인지 확인합니다.', 'We ask the issuer whether it was revoked, and check with your RRN that it is in your name.')),
    ),
    alert.el,
    body,
  );
  // Coming back to the page starts afresh; a language switch keeps where the customer was.
  if (!keep && (state.result || state.spent)) state = { action: state.action, started: null, result: null, spent: false };
  draw();
  return stopTimers;
}
