// Choosing the joint certificate to sign with, as 인증서 확인, 인증서 로그인 and 타기관 인증서
// 등록 all ask for it: one this page issued (its key still in memory, no password), files the
// customer loaded earlier on this page, or files chosen now — the NPKI zip, signCert.der with
// signPri.key, or a PFX — opened here with the certificate password. The key file is decrypted
// in this browser; neither the key nor the password is ever sent.

import { ApiError, clientError } from './api.js';
import { field, h, replace, uid } from './dom.js';
import { L } from './i18n.js';
import { base64Decode } from './crypto/bytes.js';
import { KeyFileError, WrongPasswordError } from './crypto/keyfile.js';
import { PfxPasswordError } from './crypto/pfx.js';
import { KeyMismatchError, openSigner, readFiles } from './certs.js';
import * as wallet from './wallet.js';

/** Why files could not be used, as the customer reads it. */
export function fileError(e) {
  if (e instanceof ApiError) return e;
  if (String(e?.message).startsWith('pair:')) {
    const missing = e.message.slice(5);
    return clientError(`인증서 파일은 한 쌍이 필요합니다. ${missing} 파일도 함께 선택해 주세요.`, `Both files of the pair are needed; also choose ${missing}.`);
  }
  if (e instanceof WrongPasswordError || e instanceof PfxPasswordError) {
    return clientError(
      '인증서 암호가 맞지 않습니다. 대소문자와 특수문자를 확인해 다시 입력해 주세요. 암호를 잊으셨다면 인증서를 발급받은 기관에서 재발급을 받아 주세요.',
      'The certificate password is wrong. Check upper and lower case and symbols; if you forgot it, have the certificate reissued by its issuer.',
    );
  }
  if (e instanceof KeyMismatchError) {
    return clientError('인증서와 개인키가 서로 맞지 않습니다. 같은 폴더의 signCert.der와 signPri.key를 선택해 주세요.', 'The certificate and the key do not belong together; choose signCert.der and signPri.key from the same folder.');
  }
  if (e instanceof KeyFileError) {
    return clientError(`개인키 파일(signPri.key)을 열 수 없습니다: ${e.message}. 다른 프로그램에서 내보낸 파일이라면 PFX로 내보내 다시 시도해 주세요.`, `The key file (signPri.key) cannot be opened: ${e.message}. If another program wrote it, export a PFX from there and try that.`);
  }
  return clientError(`인증서 파일을 읽을 수 없습니다: ${e?.message || e}`, `The certificate files cannot be read: ${e?.message || e}`);
}

/**
 * The picker. Options: `preselect` (a serial to choose first), `legend`, `needsKey` (false when
 * only the certificate is wanted: no password asked, PFX files not offered), `forCopy` (the
 * NPKI files themselves are wanted, as 인증서 복사 sends them: only certificates whose
 * signCert.der and signPri.key this page holds, no password, no PFX; `chosenFiles()` gives
 * them). Returns
 * { root: [elements], open(): Promise<Signer>, chosenSerial(), clearPassword() } where Signer is
 * { serial, certDer, chainDers, key, randomNum, info? }. `onLoaded(error?)` is called after the
 * customer chose files (with an ApiError when they could not be read).
 */
export function certificatePicker({ preselect = null, legend, needsKey: wantsKey = true, forCopy = false, onLoaded = () => {} } = {}) {
  const needsKey = wantsKey && !forCopy;
  const name = uid('source');
  const list = h('div', { 'data-testid': 'cert-choices' });
  const pwField = field({ label: L('인증서 암호', 'Certificate password'), type: 'password', name: 'cert-password', attrs: { autocomplete: 'current-password', 'data-testid': 'cert-password' } });
  const fileId = uid('files');
  const fileInput = h('input', { type: 'file', id: fileId, multiple: true, accept: forCopy ? '.zip,.der,.key,.pem,.crt' : '.zip,.der,.key,.pfx,.p12,.pem,.crt', 'data-testid': 'cert-files' });
  const loaded = []; // PFX files chosen here: { id, label, entry }
  let wanted = preselect;

  function sources() {
    const out = [];
    for (const cert of wallet.certificates()) {
      const who = [h('strong', {}, cert.holder || cert.subject), h('span', {}, L('일련번호 ', 'Serial '), h('code', {}, cert.serial))];
      if (forCopy) {
        const files = wallet.file(cert.serial);
        const from = { issued: L('이 브라우저에서 발급한 인증서', 'Issued in this browser'), copy: L('인증서 복사로 받은 인증서', 'Received by certificate copy') }[cert.source] || L('불러온 인증서 파일', 'Loaded certificate files');
        if (files?.kind === 'npki') out.push({ id: `file:${cert.serial}`, serial: cert.serial, entry: files, label: [...who, h('span', {}, from)] });
        continue;
      }
      if (wallet.key(cert.serial)) out.push({ id: `mem:${cert.serial}`, serial: cert.serial, memory: true, cert, label: [...who, h('span', {}, L('이 브라우저에서 발급한 인증서 (암호 입력 없이 사용)', 'Issued in this browser (no password needed)'))] });
      else if (wallet.file(cert.serial) || !needsKey) out.push({ id: `file:${cert.serial}`, serial: cert.serial, entry: wallet.file(cert.serial), label: [...who, h('span', {}, L('불러온 인증서 파일', 'Loaded certificate files'))] });
    }
    return needsKey ? [...out, ...loaded] : out;
  }

  function chosen() {
    const v = list.querySelector(`input[name="${name}"]:checked`)?.value;
    return sources().find((s) => s.id === v) || null;
  }

  function syncPassword() {
    pwField.wrap.hidden = !needsKey || Boolean(chosen()?.memory);
  }

  function drawList() {
    const all = sources();
    const preferred = all.find((s) => s.serial && s.serial === wanted) || all.find((s) => s.id === wanted) || all[0];
    replace(
      list,
      all.length
        ? all.map((s, i) => {
            const id = `${name}-${i}`;
            const input = h('input', { type: 'radio', name, id, value: s.id, checked: s === preferred });
            input.addEventListener('change', syncPassword);
            return h('div', { class: 'choice' }, input, h('label', { for: id }, h('span', { class: 'cert-label' }, s.label)));
          })
        : h('p', { class: 'hint' }, L('아래에서 인증서 파일을 불러와 주세요.', 'Load your certificate files below.')),
    );
    syncPassword();
  }

  fileInput.addEventListener('change', async () => {
    try {
      const entries = await readFiles(fileInput.files);
      if (!entries.length) {
        throw clientError(
          '선택한 파일에서 인증서를 찾지 못했습니다. NPKI 인증서 묶음(zip), signCert.der와 signPri.key, 또는 PFX 파일을 선택해 주세요.',
          'No certificate found in those files. Choose the NPKI zip, signCert.der with signPri.key, or a PFX file.',
        );
      }
      if (forCopy && entries.every((e) => e.kind === 'pfx')) {
        throw clientError(
          'PFX 파일은 이 화면에서 보낼 수 없습니다. NPKI 인증서 묶음(zip)이나 같은 폴더의 signCert.der와 signPri.key를 선택해 주세요.',
          'A PFX file cannot be sent from this page; choose the NPKI zip, or signCert.der with signPri.key from the same folder.',
        );
      }
      for (const e of entries) {
        if (forCopy && e.kind === 'pfx') continue;
        if (e.kind === 'npki') {
          wallet.put({ serial: e.info.serial, subject: e.info.subject, holder: e.info.holder, not_before: e.info.not_before, not_after: e.info.not_after, cert_b64: e.info.cert_b64, source: 'file' });
          wallet.setFile(e.info.serial, e);
          wanted = e.info.serial;
        } else {
          const id = `pfx:${loaded.length}`;
          loaded.push({ id, entry: e, label: [h('strong', {}, e.name), h('span', {}, L('PFX 파일 (인증서 암호로 엽니다)', 'PFX file (opened with its password)'))] });
          wanted = id;
        }
      }
      drawList();
      onLoaded(null);
    } catch (e) {
      onLoaded(fileError(e));
    }
  });

  /** Opens the chosen certificate for signing (asks nothing of the server). */
  async function open() {
    const s = chosen();
    if (!s) throw clientError('인증서를 선택하거나 인증서 파일을 불러와 주세요.', 'Choose a certificate or load its files.');
    if (s.memory) {
      return { serial: s.serial, certDer: base64Decode(s.cert.cert_b64), chainDers: [], key: wallet.key(s.serial), randomNum: wallet.random(s.serial) };
    }
    const pw = pwField.input.value;
    if (!pw) throw clientError('인증서 암호를 입력해 주세요.', 'Enter the certificate password.');
    try {
      const signer = await openSigner(s.entry, pw);
      if (s.entry.kind === 'pfx') {
        const i = signer.info;
        wallet.put({ serial: i.serial, subject: i.subject, holder: i.holder, not_before: i.not_before, not_after: i.not_after, cert_b64: i.cert_b64, source: 'file' });
        wallet.setFile(i.serial, s.entry);
      }
      return signer;
    } catch (e) {
      throw fileError(e);
    } finally {
      pwField.input.value = '';
    }
  }

  drawList();
  return {
    root: [
      h('fieldset', { class: 'choices' }, h('legend', {}, legend || L('사용할 인증서', 'Certificate to use')), list),
      h(
        'div',
        { class: 'field' },
        h('label', { for: fileId }, L('인증서 파일 불러오기', 'Load certificate files')),
        fileInput,
        forCopy
          ? h('p', { class: 'hint' }, L('인증서를 저장한 NPKI 묶음(zip)이나 같은 폴더의 signCert.der와 signPri.key 두 파일을 선택하세요. 개인키 파일은 인증서 암호로 잠긴 그대로 보내며, 인증번호로 한 번 더 암호화되어 받는 기기만 열 수 있습니다.', 'Choose the NPKI zip, or the two files signCert.der and signPri.key. The key file goes as it is, locked by its certificate password, and sealed once more with the number so that only the receiving device can open it.'))
          : h('p', { class: 'hint' }, L('인증서를 저장한 NPKI 묶음(zip), 같은 폴더의 signCert.der와 signPri.key 두 파일, 또는 PFX 파일을 선택하세요. 파일은 이 브라우저 안에서만 열리며 인증센터로 보내지 않습니다.', 'Choose the NPKI zip, the two files signCert.der and signPri.key, or a PFX. They are opened in this browser only; nothing is sent to the center.')),
      ),
      pwField.wrap,
    ],
    open,
    /** The chosen certificate's serial, without opening anything. */
    chosenSerial: () => chosen()?.serial || null,
    /** The chosen certificate's files as they are (`forCopy`): { serial, certDer, keyDer, km? }. */
    chosenFiles: () => {
      const s = chosen();
      if (!s?.entry || s.entry.kind !== 'npki') throw clientError('보낼 인증서를 선택하거나 인증서 파일을 불러와 주세요.', 'Choose the certificate to send, or load its files.');
      return { serial: s.serial, certDer: s.entry.certDer, keyDer: s.entry.keyDer, km: s.entry.km || null };
    },
    /** Draws the choices again (after the wallet changed). */
    refresh: () => drawList(),
    clearPassword: () => {
      pwField.input.value = '';
    },
  };
}
