// A tiny element builder: no innerHTML anywhere, so nothing a server or a customer typed can
// become markup (and the CSP forbids inline script and style anyway).

/**
 * h('button', { class: 'primary', onclick: fn, 'aria-label': '…' }, 'text', child, …)
 * Attributes: `class`, `text`, `for`, `on<event>` listeners, booleans (true → present,
 * false/null/undefined → absent), `dataset` (object), anything else as an attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Appends children to `el`, skipping null, undefined and false (unlike Element.append). */
export function add(el, ...children) {
  return append(el, children);
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let ids = 0;
/** A unique id for label/field pairs. */
export function uid(prefix = 'f') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * A labelled form field: label, input, optional hint and error slot, wired with
 * aria-describedby. Returns { wrap, input }.
 */
export function field({ label, hint, type = 'text', name, attrs = {}, input: given }) {
  const id = uid(name || 'f');
  const hintId = hint ? `${id}-hint` : null;
  const input = given || h('input', { type, id, name, ...attrs });
  if (given) given.id = id;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
  return { wrap, input };
}

/** Moves keyboard focus to the main heading of a freshly drawn view. */
export function focusHeading(root) {
  const heading = root.querySelector('h1, h2');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}

/** A small decorative icon (inline SVG, hidden from screen readers). */
export function icon(name) {
  const paths = {
    phone: 'M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h10V5H7zm5 14.2a1 1 0 1 0 0 2 1 1 0 0 0 0-2z',
  };
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', paths[name] || '');
  svg.append(path);
  return svg;
}
