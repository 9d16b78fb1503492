// Korean first, English available. Strings sit where they are used as L('한국어', 'English');
// the server's own messages come in both languages (message_ko / message_en).

const KEY = 'dojang.lang';
let current = 'ko';
try {
  const saved = localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'ko') current = saved;
} catch {
  // storage may be disabled; Korean it is
}
const listeners = new Set();

export function lang() {
  return current;
}

export function setLang(l) {
  current = l === 'en' ? 'en' : 'ko';
  try {
    localStorage.setItem(KEY, current);
  } catch {
    // ignore
  }
  document.documentElement.lang = current;
  for (const fn of listeners) fn(current);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** The Korean or the English text, by the chosen language. */
export function L(ko, en) {
  return current === 'en' && en !== undefined ? en : ko;
}

/** A server object's field in the chosen language: pick(o, 'title') → o.title_ko / o.title_en. */
export function pick(o, field) {
  if (!o) return '';
  return (current === 'en' ? o[`${field}_en`] : o[`${field}_ko`]) || o[`${field}_ko`] || o[`${field}_en`] || '';
}
