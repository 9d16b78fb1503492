// An error box for the pages outside the step-by-step flows: the center's own words (or the
// page's), tries left when a check counts them, and links to what to do next. It is an ARIA
// alert, so screen readers read it out when it appears.

import { ApiError } from './api.js';
import { h, replace } from './dom.js';
import { L } from './i18n.js';

/**
 * { el, show(error, { title, actions: [[href or function, label]…] }), clear() }; `data-code`
 * holds the refusal's code.
 */
export function alertBox(testid = 'error') {
  const el = h('div', { class: 'error', role: 'alert', hidden: true, 'data-testid': testid });
  let seq = 0;
  return {
    el,
    show(e, { title, actions = [] } = {}) {
      const text = e instanceof ApiError ? e.text() : e?.message || String(e);
      const lines = [];
      if (title) lines.push(h('p', {}, h('strong', { 'data-testid': `${testid}-title` }, title)));
      lines.push(h('p', {}, text));
      if (e instanceof ApiError && typeof e.attemptsLeft === 'number' && !/남은|left/.test(text)) {
        lines.push(h('p', { class: 'hint' }, L(`남은 입력 횟수: ${e.attemptsLeft}회`, `Tries left: ${e.attemptsLeft}`)));
      }
      // An action is a link (href) or a button (a function to run).
      const action = ([to, label]) => (typeof to === 'function' ? h('button', { type: 'button', class: 'secondary', onclick: to }, label) : h('a', { class: 'button', href: to }, label));
      if (actions.length) lines.push(h('p', { class: 'actions' }, actions.map(action)));
      replace(el, lines);
      seq += 1;
      el.dataset.seq = String(seq);
      el.dataset.code = e instanceof ApiError ? e.code : 'client';
      el.hidden = false;
      el.scrollIntoView?.({ block: 'nearest' });
    },
    clear() {
      el.hidden = true;
      replace(el);
    },
  };
}
