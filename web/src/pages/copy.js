// 인증서 복사/이동 (#/copy): a joint certificate goes from one device to another through the
// center, as `dojang cert copy receive | send` does it (docs/copy.md).
//
// - 인증서 받기: this browser opens a copy and shows the one-time number SSSS-XXXX-XXXX with the
//   time left; when the sending device's offer comes, the page checks it (a wrong number is
//   counted and said), opens the NPKI pair, keeps it in this browser (인증서 관리, and a zip to
//   save) and only then confirms.
// - 인증서 보내기: a certificate whose files this page holds (issued here, loaded, or received),
//   the number typed, one offer; signPri.key goes as it is, still under its certificate
//   password, so no password is asked. With 이동 the certificate is removed from this browser
//   once the receiver's confirmation verifies.
//
// The receiving side survives a redraw (the language switch); leaving the page calls it off.

import { ApiError, clientError, get, post } from '../api.js';
import { alertBox } from '../alert.js';
import { add, field, h, replace, uid } from '../dom.js';
import { L } from '../i18n.js';
import { date, mmss, secondsLeft } from '../format.js';
import { busyForm } from '../fields.js';
import { certificatePicker } from '../cert-picker.js';
import { certInfo, download } from '../certs.js';
import { CopyProtocolError, parseNumber } from '../crypto/copy.js';
import { zipPair } from '../crypto/npki.js';
import { Receiving, StoppedError, send } from '../transfer.js';
import * as wallet from '../wallet.js';

const http = { get, post };

/** A failure as the center's own refusal shape, so that one alert box shows them all. */
const failure = (code, ko, en, attemptsLeft) => new ApiError(409, { error: code, message_ko: ko, message_en: en, attempts_left: attemptsLeft });

const restartHint = () => L('받는 기기에서 ‘인증서 받기’를 다시 눌러 새 인증번호를 받아 주세요.', 'Press ‘Receive’ again on the receiving device for a new number.');

/** A title per refusal, for both sides; what to do next is in the message. */
function titleOf(code) {
  return (
    {
      wrong_number: L('인증번호가 틀렸습니다', 'Wrong number'),
      transfer_dead: L('인증서 복사가 취소되었습니다', 'The copy is cancelled'),
      transfer_expired: L('인증번호의 유효시간(5분)이 지났습니다', 'The number has expired (5 minutes)'),
      transfer_not_found: L('인증번호를 찾을 수 없습니다', 'No copy has that number'),
      transfer_busy: L('다른 기기에서 보내는 중입니다', 'Another device is sending'),
      transfer_done: L('이미 끝난 인증서 복사입니다', 'That copy is already complete'),
      not_confirmed: L('받는 기기의 확인이 맞지 않습니다', 'The receiving device did not confirm'),
      tampered: L('전달된 인증서가 올바르지 않습니다', 'What arrived is not right'),
      timed_out: L('상대 기기의 응답이 없습니다', 'The other device did not answer'),
      bad_number: L('인증번호 형식이 맞지 않습니다', 'Not a number of this form'),
    }[code] || null
  );
}

/** Any failure of the copy as an ApiError in the customer's words. */
function explain(e) {
  if (e instanceof ApiError) return e;
  if (!(e instanceof CopyProtocolError)) return failure('client', `인증서 복사 중 오류가 있었습니다: ${e?.message || e}. 처음부터 다시 시도해 주세요.`, `The copy failed: ${e?.message || e}. Start again.`);
  switch (e.code) {
    case 'wrong_number':
      return failure(
        'wrong_number',
        `받는 기기에 표시된 인증번호 12자리를 확인해 다시 입력해 주세요. 남은 입력 횟수: ${e.attemptsLeft}회 (모두 틀리면 이 복사는 취소됩니다).`,
        `Check the 12 digits the receiving device shows and type them again. Tries left: ${e.attemptsLeft} (then the copy is cancelled).`,
        e.attemptsLeft,
      );
    case 'transfer_dead':
      return failure('transfer_dead', `인증번호를 3회 잘못 입력하여 이 인증서 복사는 취소되었습니다. ${restartHint()}`, `The number was wrong 3 times, so this copy is cancelled. ${restartHint()}`);
    case 'not_confirmed':
      return failure(
        'not_confirmed',
        '받는 기기가 보낸 확인 값이 이 브라우저가 보낸 인증서와 맞지 않습니다. 이 브라우저의 인증서는 지우지 않았습니다. 받는 기기에서 인증서를 확인하고, 필요하면 다시 복사해 주세요.',
        'The receiving device’s confirmation does not match what this browser sent. Nothing was deleted here. Check the certificate on the receiving device and copy again if needed.',
      );
    case 'timed_out':
      return failure('timed_out', '상대 기기의 응답이 없어 인증서 복사를 멈췄습니다. 두 기기에서 처음부터 다시 시작해 주세요.', 'The other device did not answer in time; start again on both devices.');
    case 'tampered':
    case 'payload':
    case 'malformed':
      return failure('tampered', '전달된 인증서가 중간에 바뀌었거나 인증서 파일이 아니어서 저장하지 않았고, 이 복사는 취소했습니다. 두 기기에서 처음부터 다시 시작해 주세요.', 'What arrived was changed on the way or is not a certificate: nothing was kept and the copy is cancelled. Start again on both devices.');
    default:
      return failure(e.code, `인증서 복사 중 오류가 있었습니다 (${e.message}). 처음부터 다시 시도해 주세요.`, `The copy failed (${e.message}). Start again.`);
  }
}

/** The number as typed on the sending side, or a refusal saying what is wrong with it. */
function typedNumber(text) {
  try {
    return parseNumber(text);
  } catch (e) {
    if (e instanceof CopyProtocolError && e.reason === 'chars') {
      throw failure('bad_number', '인증번호는 숫자만 입력합니다 (사이의 - 와 빈칸은 괜찮습니다).', 'The number has digits only (dashes and spaces between them are fine).');
    }
    throw failure('bad_number', '인증번호는 숫자 12자리입니다. 받는 기기에 표시된 번호를 1234-5678-9012처럼 입력해 주세요.', 'The number has twelve digits; type it as the receiving device shows it, like 1234-5678-9012.');
  }
}

/** Groups digits as the receiving device shows them while the customer types. */
function formatTyped(input) {
  input.addEventListener('input', () => {
    const digits = input.value.replace(/\D+/g, '').slice(0, 12);
    const grouped = [digits.slice(0, 4), digits.slice(4, 8), digits.slice(8)].filter(Boolean).join('-');
    if (grouped !== input.value) input.value = grouped;
  });
  return input;
}

function summary(rows) {
  return h('dl', { class: 'summary' }, rows.filter(Boolean).map(([k, v, testid]) => [h('dt', {}, k), h('dd', testid ? { 'data-testid': testid } : {}, v)]));
}

function fileName(info) {
  const who = (info.holder || 'certificate').replace(/[^\p{L}\p{N}_-]+/gu, '');
  return `${who}-${info.serial.slice(0, 8)}.zip`;
}

// ---------------------------------------------------------------------------------------------
// 인증서 받기

/**
 * The copy this browser waits for, across redraws: { receiving, phase: 'waiting' | 'kept' |
 * 'failed', wrong (attempts left after a wrong number), error, kept: { info, zip }, loop }.
 */
let recv = null;

function cancelReceive() {
  if (recv?.phase === 'waiting') recv.receiving.cancel();
  recv = null;
}

/** Keeps what arrived in this browser, then tells the sender (only after it is kept). */
async function keep(r, payload, confirm) {
  let info;
  try {
    info = certInfo(payload.signCert);
    // The key file only has to be DER: it opens with its password later (any scheme the
    // sending program wrote, some of which this page may not read).
    if (payload.signKey[0] !== 0x30) throw new Error('signPri.key is not DER');
  } catch {
    await r.receiving.cancel();
    throw new CopyProtocolError('payload', 'not a certificate and its key file');
  }
  const km = payload.kmCert ? { certDer: payload.kmCert, keyDer: payload.kmKey } : null;
  wallet.put({ serial: info.serial, subject: info.subject, holder: info.holder, not_before: info.not_before, not_after: info.not_after, cert_b64: info.cert_b64, source: 'copy' });
  wallet.setFile(info.serial, { kind: 'npki', certDer: payload.signCert, keyDer: payload.signKey, km, info });
  const zip = zipPair({ caName: info.issuer_o, subjectText: info.subject, certDer: payload.signCert, keyDer: payload.signKey, km });
  r.kept = { info, zip };
  try {
    await r.receiving.accept(confirm);
  } catch (e) {
    r.acceptError = e instanceof ApiError ? e : explain(e);
  }
  r.phase = 'kept';
}

/** Polls for offers until the copy ends or `signal` stops it (the page was redrawn or left). */
function runReceive(r, signal, redraw) {
  const before = r.loop || Promise.resolve();
  r.loop = before.then(async () => {
    while (r.phase === 'waiting' && !signal.aborted && recv === r) {
      let ev;
      try {
        ev = await r.receiving.next({ signal });
        if (ev.kind === 'arrived') await keep(r, ev.payload, ev.confirm);
      } catch (e) {
        if (e instanceof StoppedError) return;
        r.phase = 'failed';
        r.error =
          e instanceof ApiError && e.code === 'transfer_expired'
            ? failure('transfer_expired', '인증번호의 유효시간(5분)이 지나 이 인증서 복사는 끝났습니다. ‘새 인증번호 받기’를 눌러 새 번호로 다시 시작해 주세요.', 'The number’s 5 minutes are over, so this copy has ended. Press ‘New number’ to start again.')
            : explain(e);
        redraw();
        return;
      }
      if (ev.kind === 'wrong') r.wrong = ev.attemptsLeft;
      else if (ev.kind === 'dead') {
        r.phase = 'failed';
        r.error = failure('transfer_dead', `보내는 기기에서 인증번호를 3회 잘못 입력하여 이 인증서 복사는 취소되었습니다. ‘새 인증번호 받기’를 눌러 다시 시작해 주세요.`, `The sending device typed a wrong number 3 times, so this copy is cancelled. Press ‘New number’ to start again.`);
      }
      redraw();
    }
  });
}

function numberDisplay(number) {
  const groups = number.split('-');
  // Screen readers get the digits one by one; the eye gets three large groups.
  return h(
    'p',
    { class: 'copy-number', 'data-testid': 'copy-number', 'data-number': number, tabindex: '-1' },
    h('span', { class: 'sr-only' }, groups.map((g) => g.split('').join(' ')).join(', ')),
    groups.map((g, i) => [i ? h('span', { class: 'dash', 'aria-hidden': 'true' }, '-') : null, h('span', { class: 'group', 'aria-hidden': 'true' }, g)]),
  );
}

function receivePanel({ alert, timers, signalFor, redraw }) {
  alert.clear();
  const restart = async () => {
    cancelReceive();
    await startReceive();
  };
  const startReceive = async () => {
    alert.clear();
    try {
      const receiving = await Receiving.open(http);
      recv = { receiving, phase: 'waiting', wrong: null };
      redraw({ focus: '[data-testid="copy-number"]' });
    } catch (e) {
      alert.show(explain(e), { title: L('인증번호를 받지 못했습니다', 'No number could be made') });
    }
  };

  if (!recv) {
    const start = h('button', { type: 'button', class: 'primary', 'data-testid': 'copy-receive-start' }, L('인증번호 받기', 'Get a number'));
    start.addEventListener('click', async () => {
      start.disabled = true;
      await startReceive();
      start.disabled = false;
    });
    return h(
      'div',
      {},
      h('p', {}, L('이 기기(브라우저)로 다른 기기의 공동인증서를 받습니다.', 'Receive a joint certificate from another device into this browser.')),
      h(
        'ol',
        { class: 'checklist' },
        h('li', {}, L('‘인증번호 받기’를 누르면 12자리 인증번호가 표시됩니다.', 'Press ‘Get a number’: a 12-digit number appears.')),
        h('li', {}, L('인증서가 있는 PC나 휴대폰에서 이 인증센터의 ‘인증서 복사/이동 → 인증서 보내기’를 열거나 ', 'On the PC or phone that has the certificate, open this center’s ‘Copy / move → Send’, or run '), h('code', {}, 'dojang cert copy send'), L('를 실행하고, 그 인증번호를 입력합니다.', ', and type the number.')),
        h('li', {}, L('받은 인증서는 이 브라우저에 보관되고, NPKI 인증서 파일(zip)로 저장할 수 있습니다. 인증서 암호는 보낸 기기에서 쓰던 암호 그대로입니다.', 'The certificate is kept in this browser and can be saved as the NPKI files (zip). Its password stays the one it had.')),
      ),
      h('p', { class: 'hint' }, L('인증번호는 5분 동안 한 번만 쓸 수 있고, 3회 틀리게 입력하면 복사가 취소됩니다. 인증서는 두 기기만 아는 인증번호로 암호화되어 전달되므로 인증센터도 내용을 볼 수 없습니다.', 'The number works once, for 5 minutes; 3 wrong tries cancel the copy. The certificate travels sealed with a key only the two devices can make from the number: the center cannot read it.')),
      h('p', { class: 'actions' }, start),
    );
  }

  const r = recv;
  if (r.phase === 'waiting') {
    const timer = h('p', { class: 'timer', role: 'timer', 'data-testid': 'copy-time-left' });
    const tick = () => {
      const s = secondsLeft(r.receiving.expiresAt);
      timer.textContent = s > 0 ? L(`남은 시간 ${mmss(s)}`, `${mmss(s)} left`) : L('유효시간이 지났습니다', 'Time is up');
    };
    tick();
    timers.push(setInterval(tick, 1000));
    const cancel = h('button', { type: 'button', class: 'secondary', 'data-testid': 'copy-receive-cancel' }, L('취소', 'Cancel'));
    cancel.addEventListener('click', () => {
      cancelReceive();
      redraw();
    });
    runReceive(r, signalFor(), redraw);
    return h(
      'div',
      { class: 'copy-waiting' },
      h(
        'div',
        { class: 'copy-number-box' },
        h('p', { class: 'label' }, L('인증번호', 'Authentication number')),
        numberDisplay(r.receiving.number),
        timer,
        h('p', { 'data-testid': 'copy-attempts' }, L(`남은 입력 횟수 ${r.receiving.attemptsLeft}회`, `Tries left: ${r.receiving.attemptsLeft}`)),
      ),
      r.wrong !== null
        ? h('p', { class: 'warning', role: 'status', 'data-testid': 'copy-wrong-notice' }, L(`보내는 기기에서 입력한 인증번호가 틀렸습니다. 남은 입력 횟수: ${r.wrong}회. 위의 인증번호를 다시 확인해 입력해 주세요.`, `The sending device typed a wrong number. Tries left: ${r.wrong}. Check the number above and type it again.`))
        : null,
      h('p', { class: 'busy', role: 'status', 'data-testid': 'copy-receive-status' }, L('보내는 기기를 기다리는 중입니다… 인증서가 있는 기기에서 위 인증번호 12자리를 입력해 주세요.', 'Waiting for the sending device… type the 12 digits above on the device that has the certificate.')),
      h('p', { class: 'hint' }, L('이 번호는 다른 사람에게 알려 주지 마세요. 은행 직원도 인증번호를 묻지 않습니다.', 'Do not tell anyone this number; the bank never asks for it.')),
      h('p', { class: 'actions' }, cancel),
    );
  }

  if (r.phase === 'failed') {
    const again = h('button', { type: 'button', class: 'primary', 'data-testid': 'copy-receive-restart' }, L('새 인증번호 받기', 'New number'));
    again.addEventListener('click', restart);
    // Shown after this panel is in the page (the alert scrolls itself into view).
    queueMicrotask(() => alert.show(r.error, { title: titleOf(r.error.code) || L('인증서를 받지 못했습니다', 'The certificate did not arrive') }));
    return h('div', {}, h('p', { class: 'actions' }, again));
  }

  // Kept.
  const { info, zip } = r.kept;
  const save = h('button', { type: 'button', class: 'primary', 'data-testid': 'copy-download-zip' }, L('NPKI 인증서 저장 (signCert.der · signPri.key, zip)', 'Save the NPKI files (zip)'));
  save.addEventListener('click', () => download(zip, fileName(info), 'application/zip'));
  const another = h('button', { type: 'button', class: 'link' }, L('다른 인증서 받기', 'Receive another'));
  another.addEventListener('click', () => {
    recv = null;
    redraw();
  });
  return h(
    'section',
    { class: 'result', 'data-testid': 'copy-received' },
    h('h2', { 'data-testid': 'copy-result-title' }, L('인증서를 받았습니다', 'The certificate is here')),
    summary([
      [L('인증서 소유자', 'Holder'), info.holder],
      [L('일련번호', 'Serial'), h('code', {}, info.serial), 'copy-result-serial'],
      [L('발급기관', 'Issuer'), info.issuer_o],
      [L('유효기간', 'Validity'), `${date(info.not_before)} ~ ${date(info.not_after)}`],
    ]),
    r.acceptError
      ? h('p', { class: 'warning', role: 'alert' }, L(`인증서는 이 브라우저에 받았지만, 보낸 기기에 확인을 전하지 못했습니다 (${r.acceptError.text()}). 인증서 이동이었다면 보낸 기기의 인증서는 지워지지 않고 그대로 있습니다.`, `The certificate is here, but the sending device could not be told (${r.acceptError.text()}). If it was a move, the sending device still has its copy.`))
      : h('p', { class: 'notice' }, L('보낸 기기에 인증서를 잘 받았다고 알렸습니다. 인증서 암호는 보낸 기기에서 쓰던 암호 그대로입니다.', 'The sending device was told the certificate arrived. Its password is the one it had there.')),
    h('p', {}, L('받은 인증서는 이 브라우저에 보관되어 있지만 창을 닫으면 지워집니다. 계속 쓰시려면 인증서 파일로 저장해 두세요.', 'It is kept in this browser until you close the window: save the files to keep using it.')),
    h('div', { class: 'actions' }, save, h('a', { class: 'button', href: '#/login', 'data-testid': 'copy-go-login' }, L('이 인증서로 로그인', 'Log in with it')), h('a', { class: 'button', href: '#/manage' }, L('인증서 관리', 'My certificates'))),
    h('p', {}, another),
  );
}

// ---------------------------------------------------------------------------------------------
// 인증서 보내기

/** The last send's result, kept across a redraw: { info, moved }. */
let sent = null;

function sendPanel({ preselect, redraw }) {
  // Its own alert, just above the number, where the customer looks to type it again.
  const alert = alertBox('copy-send-error');
  if (sent) {
    const { info, moved } = sent;
    const again = h('button', { type: 'button', class: 'link' }, L('다른 인증서 보내기', 'Send another'));
    again.addEventListener('click', () => {
      sent = null;
      redraw();
    });
    return h(
      'section',
      { class: 'result', 'data-testid': 'copy-sent' },
      h('h2', { 'data-testid': 'copy-sent-title' }, moved ? L('인증서를 이동했습니다', 'The certificate is moved') : L('인증서를 보냈습니다', 'The certificate is sent')),
      summary([
        [L('인증서 소유자', 'Holder'), info.holder || info.subject],
        [L('일련번호', 'Serial'), h('code', {}, info.serial), 'copy-sent-serial'],
      ]),
      h('p', { class: 'notice' }, L('받는 기기가 인증서를 저장했음을 확인했습니다.', 'The receiving device confirmed it kept the certificate.')),
      moved ? h('p', { 'data-testid': 'copy-moved-note' }, L('이 브라우저에서 인증서를 지웠습니다. 전에 인증서 파일(zip, PFX)로 저장해 두셨다면 그 파일은 직접 지워 주세요.', 'It is removed from this browser. Files you saved earlier (zip, PFX) are yours to delete.')) : null,
      h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/manage' }, L('인증서 관리', 'My certificates')), h('a', { class: 'button', href: '#/' }, L('인증센터 홈', 'Home'))),
      h('p', {}, again),
    );
  }

  const picker = certificatePicker({ forCopy: true, preselect, legend: L('보낼 인증서', 'Certificate to send'), onLoaded: (err) => (err ? alert.show(err) : alert.clear()) });
  const number = field({
    label: L('받는 기기에 표시된 인증번호 (12자리)', 'The number the receiving device shows (12 digits)'),
    name: 'copy-number',
    hint: L('예: 1234-5678-9012. 숫자만 입력하면 - 는 저절로 들어갑니다.', 'For example 1234-5678-9012; the dashes come by themselves.'),
    attrs: { inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false', maxlength: 14, class: 'copy-number-input', 'data-testid': 'copy-number-input' },
  });
  formatTyped(number.input);
  const moveId = uid('move');
  const move = h('input', { type: 'checkbox', id: moveId, 'data-testid': 'copy-move', 'aria-describedby': `${moveId}-hint` });
  const moveField = h(
    'div',
    { class: 'field check' },
    move,
    h('label', { for: moveId }, h('strong', {}, L('인증서 이동', 'Move')), ' — ', L('받는 기기가 저장했다고 확인하면 이 브라우저에서 인증서를 지웁니다', 'remove it from this browser once the receiving device confirmed it kept it'), h('span', { class: 'hint', id: `${moveId}-hint` }, ' ', L('(확인이 오기 전에는 지우지 않습니다)', '(nothing is removed before that)'))),
  );
  return h(
    'div',
    {},
    h('p', {}, L('이 브라우저에 있는 공동인증서를 다른 PC나 휴대폰으로 보냅니다. 받는 기기에서 먼저 ‘인증서 받기’(또는 ', 'Send a joint certificate from this browser to another PC or phone. First press ‘Receive’ on that device (or run '), h('code', {}, 'dojang cert copy receive'), L(')를 눌러 인증번호를 확인하세요.', ') to see its number.')),
    h('p', { class: 'hint' }, L('인증서 암호는 묻지 않습니다. 개인키 파일(signPri.key)은 인증서 암호로 잠긴 그대로 보내며, 받는 기기에서도 같은 암호로 씁니다.', 'No password is asked: the key file (signPri.key) goes locked by its certificate password, which the receiving device uses too.')),
    busyForm({
      testid: 'copy-send-form',
      submitLabel: L('인증서 보내기', 'Send the certificate'),
      submitTestid: 'copy-send',
      fields: [...picker.root, alert.el, number.wrap, moveField],
      onStart: () => alert.clear(),
      onError: (e) => {
        const err = explain(e);
        alert.show(err, { title: titleOf(err.code) });
        if (err.code === 'wrong_number' || err.code === 'bad_number') {
          number.input.focus();
          number.input.select();
        }
      },
      run: async (say) => {
        const files = picker.chosenFiles();
        const typed = typedNumber(number.input.value);
        const moving = move.checked;
        const info = wallet.find(files.serial) || { serial: files.serial };
        say(L('인증서를 암호화해 보내는 중…', 'Sealing and sending the certificate…'));
        await send(http, {
          number: typed,
          payload: { signCert: files.certDer, signKey: files.keyDer, kmCert: files.km?.certDer || null, kmKey: files.km?.keyDer || null },
          onOffered: () => say(L('받는 기기가 인증서를 저장하기를 기다리는 중… 받는 기기의 화면을 확인해 주세요.', 'Waiting for the receiving device to keep it… look at its screen.')),
        });
        // The receiver's confirmation verified: only now may a move remove the source.
        if (moving) wallet.remove(files.serial);
        number.input.value = '';
        sent = { info, moved: moving };
        redraw({ focus: '[data-testid="copy-sent-title"]' });
      },
    }).form,
  );
}

// ---------------------------------------------------------------------------------------------

let tab = 'receive';
let generation = 0;

export function renderCopy({ main, params, keep }) {
  generation += 1;
  const mine = generation;
  const preselect = params.get('send');
  if (!keep) {
    // A fresh visit: what an earlier visit left is done with.
    cancelReceive();
    sent = null;
    tab = preselect || params.get('tab') === 'send' ? 'send' : 'receive';
  }
  const alert = alertBox('copy-error');
  const body = h('div', {});
  const timers = [];
  let controller = null;
  const stopLoops = () => {
    for (const t of timers.splice(0)) clearInterval(t);
    controller?.abort();
    controller = null;
  };
  const signalFor = () => {
    controller = new AbortController();
    return controller.signal;
  };

  function draw({ focus } = {}) {
    stopLoops();
    const tabs = [
      ['receive', L('인증서 받기', 'Receive')],
      ['send', L('인증서 보내기', 'Send')],
    ].map(([id, label]) => {
      const b = h('button', { type: 'button', role: 'tab', id: `copy-tab-${id}`, 'aria-selected': String(tab === id), 'aria-controls': 'copy-panel', tabindex: tab === id ? '0' : '-1', 'data-testid': `copy-tab-${id}` }, label);
      b.addEventListener('click', () => {
        if (tab === id) return;
        tab = id;
        alert.clear();
        draw({ focus: `#copy-tab-${id}` });
      });
      b.addEventListener('keydown', (e) => {
        if (!['ArrowRight', 'ArrowLeft', 'Home', 'End'].includes(e.key)) return;
        e.preventDefault();
        tab = e.key === 'Home' ? 'receive' : e.key === 'End' ? 'send' : tab === 'receive' ? 'send' : 'receive';
        alert.clear();
        draw({ focus: `#copy-tab-${tab}` });
      });
      return b;
    });
    const panel = h(
      'div',
      { role: 'tabpanel', id: 'copy-panel', 'aria-labelledby': `copy-tab-${tab}`, class: 'panel' },
      tab === 'receive' ? receivePanel({ alert, timers, signalFor, redraw: draw }) : sendPanel({ preselect, redraw: draw }),
    );
    replace(body, h('div', { class: 'tabs', role: 'tablist', 'aria-label': L('복사 방향', 'Direction') }, tabs), panel);
    if (focus) body.querySelector(focus)?.focus?.();
  }

  add(
    main,
    h('h1', {}, L('인증서 복사/이동', 'Copy or move a certificate')),
    h('p', { class: 'lead' }, L('PC와 휴대폰, 또는 다른 브라우저 사이에 공동인증서를 옮깁니다. 인증서를 받을 기기에 표시되는 인증번호를 인증서가 있는 기기에 입력하면 됩니다.', 'Move a joint certificate between a PC, a phone or another browser: type the number the receiving device shows on the device that has the certificate.')),
    alert.el,
    body,
    h(
      'ul',
      { class: 'related' },
      h('li', {}, h('a', { href: '#/manage' }, L('인증서 관리: 이 브라우저에 있는 인증서', 'My certificates: those in this browser'))),
      h('li', {}, h('a', { href: '#/issue' }, L('인증서가 없다면: 인증서 발급/재발급', 'No certificate yet? Issue one'))),
    ),
  );
  draw();
  return () => {
    stopLoops();
    // Left for another page (not redrawn for the language): call the waiting copy off.
    const held = recv;
    setTimeout(() => {
      if (generation === mine && recv === held && held) cancelReceive();
    }, 0);
  };
}
