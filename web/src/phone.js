// The simulated phone: what the center's local simulator "sent" to a number (SMS texts, ARS
// call scripts, e-mails, deposits), read from /api/v1/simulator/inbox/{number}, so that one
// person can run the whole demo. A drawer on every page, and a page of its own (#/phone).

import { ApiError, get } from './api.js';
import { h, icon, replace, uid } from './dom.js';
import { L } from './i18n.js';
import { dateTime } from './format.js';

const KEY = 'dojang.phone';

function savedNumber() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

function saveNumber(n) {
  try {
    sessionStorage.setItem(KEY, n);
  } catch {
    // ignore
  }
}

function channelText(ch) {
  return (
    {
      sms: L('문자', 'SMS'),
      ars: L('ARS 전화', 'ARS call'),
      email: L('이메일', 'E-mail'),
      transfer: L('입금 알림', 'Deposit'),
    }[ch] || ch
  );
}

/** The message body with every [code] marked, as text nodes and <mark> elements. */
function marked(body) {
  const out = [];
  let rest = body;
  const re = /\[([^\]]*)\]/;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    out.push(rest.slice(0, m.index));
    out.push(/\d/.test(m[1]) ? h('mark', { class: 'code' }, m[0]) : m[0]);
    rest = rest.slice(m.index + m[0].length);
  }
  out.push(rest);
  return out;
}

/** A phone screen: number field and the messages, refreshed every 2 seconds while shown. */
export function phoneScreen({ compact = false } = {}) {
  const numberId = uid('phone-number');
  const input = h('input', {
    id: numberId,
    type: 'tel',
    inputmode: 'tel',
    autocomplete: 'off',
    placeholder: '010-1234-5678',
    value: savedNumber(),
    'data-testid': 'phone-number',
  });
  const list = h('ol', { class: 'messages', 'aria-live': 'polite', 'data-testid': 'phone-messages' });
  const status = h('p', { class: 'hint' });
  let timer = null;
  let lastCount = -1;

  async function refresh() {
    const n = input.value.trim();
    if (!/\d{3}/.test(n)) {
      replace(list);
      status.textContent = L('휴대폰 번호를 입력하면 받은 문자와 ARS 안내가 여기에 보입니다.', 'Enter a phone number to see the texts and ARS calls it received.');
      return;
    }
    try {
      const messages = await get(`/api/v1/simulator/inbox/${encodeURIComponent(n)}`);
      status.textContent = messages.length ? '' : L('받은 메시지가 없습니다.', 'No messages yet.');
      if (messages.length === lastCount) return;
      lastCount = messages.length;
      list.dataset.count = String(messages.length);
      replace(
        list,
        messages
          .slice()
          .reverse()
          .slice(0, compact ? 8 : 50)
          .map((m) =>
            h(
              'li',
              { class: `message ${m.channel}`, 'data-channel': m.channel },
              h('p', { class: 'meta' }, h('strong', {}, channelText(m.channel)), ' · ', dateTime(m.at)),
              h('p', { class: 'body' }, marked(m.body)),
            ),
          ),
      );
    } catch (e) {
      status.textContent = e instanceof ApiError ? e.text() : String(e);
    }
  }

  input.addEventListener('input', () => {
    saveNumber(input.value.trim());
    lastCount = -1;
    refresh();
  });

  const root = h(
    'div',
    { class: 'phone-screen' },
    h('div', { class: 'field' }, h('label', { for: numberId }, L('휴대폰 번호', 'Phone number')), input),
    status,
    list,
  );
  return {
    root,
    start() {
      refresh();
      if (!timer) timer = setInterval(refresh, 2000);
    },
    stop() {
      clearInterval(timer);
      timer = null;
    },
  };
}

/** The drawer: a button at the corner of every page that opens the phone beside the page. */
export function phoneDrawer() {
  const panelId = uid('phone-panel');
  const screen = phoneScreen({ compact: true });
  const toggle = h(
    'button',
    { class: 'phone-toggle', type: 'button', 'aria-expanded': 'false', 'aria-controls': panelId, 'data-testid': 'phone-toggle' },
    icon('phone'),
    L('휴대폰 (시뮬레이터)', 'Phone (simulator)'),
  );
  const close = h('button', { type: 'button', class: 'link' }, L('닫기', 'Close'));
  const panel = h(
    'aside',
    { id: panelId, class: 'phone-panel', hidden: true, 'aria-label': L('시뮬레이터 휴대폰', 'Simulated phone') },
    h('div', { class: 'phone-head' }, h('h2', {}, L('시뮬레이터 휴대폰', 'Simulated phone')), close),
    h('p', { class: 'hint' }, L('데모용: 인증센터가 보낸 문자와 ARS 전화 내용을 보여 줍니다.', 'Demo: the texts and ARS calls the center sent.')),
    screen.root,
  );
  function set(open) {
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      screen.start();
      panel.querySelector('input')?.focus();
    } else {
      screen.stop();
    }
  }
  toggle.addEventListener('click', () => set(panel.hidden));
  close.addEventListener('click', () => {
    set(false);
    toggle.focus();
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      set(false);
      toggle.focus();
    }
  });
  return { toggle, panel, open: () => set(true), stop: () => screen.stop() };
}
