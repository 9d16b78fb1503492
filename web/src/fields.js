// Form fields several pages share: digits-only inputs and the resident registration number in
// two boxes (the back half masked, never shown again once sent).

import { h, uid } from './dom.js';
import { L } from './i18n.js';

/** Keeps only digits in `input` as the customer types. */
export function digitsOnly(input) {
  input.addEventListener('input', () => {
    const d = input.value.replace(/\D+/g, '');
    if (d !== input.value) input.value = d;
  });
  return input;
}

/**
 * The RRN as 6 + 7 digits: { box, front, back, complete(), value(), clearSecret() }.
 * `clearSecret()` empties the back half (call it once the RRN was sent).
 */
export function rrnField() {
  const front = digitsOnly(h('input', { id: uid('rrn1'), type: 'text', inputmode: 'numeric', maxlength: 6, autocomplete: 'off', 'aria-label': L('주민등록번호 앞 6자리', 'RRN, first 6 digits'), 'data-testid': 'rrn-front' }));
  const back = digitsOnly(h('input', { id: uid('rrn2'), type: 'password', inputmode: 'numeric', maxlength: 7, autocomplete: 'off', 'aria-label': L('주민등록번호 뒤 7자리', 'RRN, last 7 digits'), 'data-testid': 'rrn-back' }));
  const box = h(
    'fieldset',
    { class: 'field rrn' },
    h('legend', {}, L('주민등록번호', 'Resident registration number')),
    h('div', { class: 'split' }, front, h('span', { 'aria-hidden': 'true' }, '–'), back),
    h('p', { class: 'hint' }, L('입력한 주민등록번호는 본인 확인에만 쓰이며 화면에 다시 표시되지 않습니다.', 'Used only to identify you; it is never shown again.')),
  );
  return {
    box,
    front,
    back,
    complete: () => front.value.length === 6 && back.value.length === 7,
    value: () => front.value + back.value,
    clearSecret: () => {
      back.value = '';
    },
  };
}

/**
 * A form that runs `run(say)` when submitted, one run at a time: the submit button is disabled
 * meanwhile, `say(text)` shows progress in a status line, and a failure goes to `onError`.
 * `onStart` runs before each try (to clear an earlier error), `always(submit)` after it (to
 * empty secret fields, or keep the button disabled). Returns { form, submit }.
 */
export function busyForm({ testid, submitLabel, submitTestid, fields, secondary = [], onStart = () => {}, run, onError, always = () => {} }) {
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': submitTestid }, submitLabel);
  const status = h('p', { class: 'busy', role: 'status', hidden: true });
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': testid }, ...fields, status, h('div', { class: 'actions' }, submit, ...secondary));
  const say = (text) => {
    status.textContent = text || '';
    status.hidden = !text;
  };
  let running = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (running || submit.disabled) return;
    running = true;
    submit.disabled = true;
    onStart();
    try {
      await run(say);
    } catch (err) {
      await onError(err);
    } finally {
      say(null);
      running = false;
      submit.disabled = false;
      always(submit);
    }
  });
  return { form, submit };
}
