// What the browser tests share: a real `dojang serve` on a temporary data directory,
// customers enrolled at the "branch" with `dojang admin customer add`, a staff account, the
// outside tools (openssl, the dojang client), Debian's Chromium driven by playwright-core,
// and screenshots at desktop and phone width written to docs/screenshots/.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ApiError } from '../../src/api.js';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '../../..');
// Resolved now: the tests run it from other working directories too.
export const DOJANG = resolve(process.env.DOJANG_BIN || join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug/dojang'));
export const SCREENSHOTS = join(ROOT, 'docs/screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export const BANKING_PW = 'Banking-pass1!';
export const ACCOUNT_PW = '4821';
export const STAFF_PW = 'Staff-pass1!';

/** Runs a program; returns { status, out } (stdout and stderr together). */
export function run(program, args, { env = {}, cwd, input } = {}) {
  const r = spawnSync(program, args, { cwd, input, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`cannot run ${program} (is it installed? scripts/install-test-deps installs it): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}` };
}

/** Runs and requires success. */
export function ok(program, args, opts) {
  const r = run(program, args, opts);
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${r.status}):\n${r.out}`);
  return r.out;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A center in its own temporary directory; `start()` runs `dojang serve` on it. `config` is
 * more TOML for its dojang.toml (another bank's CA names, `[[trusted_issuers]]`…).
 */
export class Center {
  static async create({ config = '' } = {}) {
    const c = new Center();
    c.dir = mkdtempSync(join(tmpdir(), 'dojang-web-test-'));
    c.data = join(c.dir, 'data');
    mkdirSync(c.data);
    c.port = await freePort();
    c.base = `http://127.0.0.1:${c.port}`;
    writeFileSync(join(c.data, 'dojang.toml'), `listen = "127.0.0.1:${c.port}"\n${config}`);
    return c;
  }

  path(name) {
    return join(this.dir, name);
  }

  /** `dojang <args> --data <dir>`. */
  dojang(args, opts = {}) {
    return run(DOJANG, [...args, '--data', this.data], { ...opts, env: { DOJANG_DATA: '', DOJANG_CONFIG: '', ...(opts.env || {}) } });
  }

  async start({ offset } = {}) {
    const env = { ...process.env, RUST_LOG: 'warn' };
    delete env.DOJANG_DATA;
    delete env.DOJANG_CONFIG;
    delete env.DOJANG_CLOCK_OFFSET;
    if (offset) env.DOJANG_CLOCK_OFFSET = offset;
    this.child = spawn(DOJANG, ['serve', '--data', this.data], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.child.stderr.on('data', (d) => {
      err += d;
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`dojang serve exited early: ${err}`);
      try {
        const r = await fetch(`${this.base}/healthz`);
        if (r.ok) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('dojang serve did not come up');
      await sleep(100);
    }
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([done, sleep(5000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Enrols customer `n` for internet banking; returns what the customer knows (and their card). */
  enrol(n, name, balance = 100_000) {
    const cust = {
      n,
      name,
      rrn: `90010${n}1${String(n).padStart(6, '0')}`,
      phone: `010-${1000 + n}-5678`,
      bankingId: `webcustomer${n}`,
      account: `110-${String(n).padStart(3, '0')}-123456`,
    };
    const file = this.path(`customer-${n}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'person',
        name,
        rrn: cust.rrn,
        phone: cust.phone,
        email: `web${n}@example.com`,
        address: '서울특별시 중구 세종대로 110',
        banking_id: cust.bankingId,
        banking_password: BANKING_PW,
        accounts: [{ number: cust.account, password: ACCOUNT_PW, balance }],
        second_factor: 'security-card',
      }),
    );
    const out = ok(DOJANG, ['admin', 'customer', 'add', '--from', file, '--json', '--data', this.data]);
    rmSync(file);
    const line = out.split('\n').reverse().find((l) => l.trim().startsWith('{'));
    cust.card = JSON.parse(line).security_card.codes;
    return cust;
  }

  addStaff(username, name, role = 'officer') {
    return this.dojang(['admin', 'staff', 'add', username, '--name', name, '--role', role], { env: { DOJANG_STAFF_PASSWORD: STAFF_PW } });
  }

  async json(path) {
    const r = await fetch(`${this.base}${path}`);
    return r.json();
  }

  /** The code in the newest message the center sent to `phone` (`dojang phone`). */
  phoneCode(phone) {
    const out = ok(DOJANG, ['phone', phone, '--last', '1', '--data', this.data]);
    return [...out.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1].replace(/\D+/g, '')).find((d) => d) || null;
  }

  /**
   * `dojang cert issue` — the customer's command-line client, not the page — for `cust`,
   * answering its prompts as the customer would (codes off the phone, the security card),
   * the certificate saved on the removable disk `usb`. Returns the client's transcript.
   */
  async cliIssue(cust, usb, password) {
    mkdirSync(usb, { recursive: true });
    const args = ['cert', 'issue', '--server', this.base, '--banking-id', cust.bankingId, '--product', 'personal-bank', '--accept-terms', '--yes', '--account', cust.account, '--location', `removable:${usb}`];
    const env = { ...process.env, DOJANG_LANG: 'ko', DOJANG_RRN: cust.rrn, DOJANG_ACCOUNT_PASSWORD: ACCOUNT_PW, DOJANG_NEW_CERT_PASSWORD: password };
    delete env.DOJANG_SERVER;
    delete env.DOJANG_CLOCK_OFFSET;
    const child = spawn(DOJANG, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let answered = 0;
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const exited = new Promise((r) => child.once('exit', r));
    const deadline = Date.now() + 120_000;
    while (child.exitCode === null) {
      const tail = out.slice(out.lastIndexOf('\n') + 1);
      if (out.length > answered && (tail.endsWith(': ') || tail.endsWith('] '))) {
        answered = out.length;
        let answer = '';
        const card = /보안카드\s*(\d+)번 코드의 (앞|뒤) 2자리/.exec(tail);
        if (card) answer = card[2] === '앞' ? cust.card[Number(card[1]) - 1].slice(0, 2) : cust.card[Number(card[1]) - 1].slice(2);
        else if (/ARS|SMS/.test(tail)) answer = this.phoneCode(cust.phone);
        child.stdin.write(`${answer}\n`);
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`dojang cert issue did not finish:\n${out}`);
      }
      await sleep(50);
    }
    const status = await exited;
    if (status !== 0) throw new Error(`dojang cert issue failed (${status}):\n${out}`);
    return out;
  }
}

/** Debian's Chromium, headless. */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page whose console errors and failed requests are collected (and fail the test at the end). */
export async function newPage(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  return page;
}

/**
 * Saves a screenshot of the page at `viewport` (then restores the size it had), scrolled so
 * that `focus` (a selector) is in view when given.
 */
export async function shot(page, name, viewport, focus) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize();
  if (viewport && (viewport.width !== before.width || viewport.height !== before.height)) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(150);
  }
  if (focus) {
    await page.locator(focus).first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await page.waitForTimeout(50);
  }
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
  if (viewport && (viewport.width !== before.width || viewport.height !== before.height)) await page.setViewportSize(before);
}

/** Desktop and phone screenshots of the same moment. */
export async function shots(page, name, focus) {
  await shot(page, `${name}-desktop`, DESKTOP, focus);
  await shot(page, `${name}-phone`, PHONE, focus);
}

/** How many messages each phone had when a code was last read off it. */
const seen = new Map();

/**
 * The code in the newest message on the simulated phone, read from the page's phone panel as
 * a person would; waits for a message newer than the last one read for that phone.
 */
export async function codeFromPhone(page, phone) {
  const panel = page.getByTestId('phone-messages');
  if (!(await panel.isVisible())) await page.getByTestId('phone-toggle').click();
  const input = page.getByTestId('phone-number');
  if ((await input.inputValue()) !== phone) await input.fill(phone);
  const after = seen.get(phone) || 0;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const count = Number((await panel.getAttribute('data-count')) || 0);
    if (count > after) {
      const code = await panel.locator('li.message').first().locator('mark.code').first().textContent();
      seen.set(phone, count);
      await page.getByTestId('phone-toggle').click();
      return { code: code.replace(/\D+/g, ''), count };
    }
    if (Date.now() > deadline) throw new Error(`no new message for ${phone} on the simulated phone`);
    await sleep(250);
  }
}

/** The security-card digits asked for, from the card printed at enrolment. */
export function cardAnswer(card, first, second) {
  return { first: card[first - 1].slice(0, 2), second: card[second - 1].slice(2) };
}

/**
 * The page's API helpers ({ get, post } of src/api.js) bound to a center's address, for a test
 * that plays a device with the page's own modules (src/transfer.js).
 */
export function apiAt(base) {
  const call = async (method, path, body, extra = {}) => {
    const headers = { Accept: 'application/json', ...(extra.headers || {}) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  };
  return { get: (p, extra) => call('GET', p, undefined, extra), post: (p, b = {}, extra) => call('POST', p, b, extra) };
}
