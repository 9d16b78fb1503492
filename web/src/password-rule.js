// The certificate password rule Korean banks apply (and crates/dojang-keystore checks): 10 to
// 30 printable ASCII characters with letters, digits and symbols. Checked live as the customer
// types; the password itself never leaves the page.

import { L } from './i18n.js';

export function checks(password, again) {
  const chars = Array.from(password);
  return [
    { id: 'length', ok: chars.length >= 10 && chars.length <= 30, text: L('10자 이상 30자 이하', '10 to 30 characters') },
    { id: 'letter', ok: /[A-Za-z]/.test(password), text: L('영문자 포함', 'a letter') },
    { id: 'digit', ok: /[0-9]/.test(password), text: L('숫자 포함', 'a digit') },
    { id: 'symbol', ok: /[!-/:-@[-`{-~]/.test(password), text: L('특수문자 포함 (예: ! @ # $ %)', 'a symbol (e.g. ! @ # $ %)') },
    { id: 'charset', ok: password.length > 0 && /^[!-~]+$/.test(password), text: L('공백·한글 없이', 'no spaces or Hangul') },
    { id: 'same', ok: password.length > 0 && password === again, text: L('확인 입력과 일치', 'both entries match') },
  ];
}

export function passes(password, again) {
  return checks(password, again).every((c) => c.ok);
}
