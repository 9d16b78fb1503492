import { spawn } from 'node:child_process';
import { Center, DOJANG, ok } from './browser/support.mjs';
const c = await Center.create();
const cust = c.enrol(1, '이순신');
await c.start();
const child = spawn(DOJANG, ['cert', 'issue', '--server', c.base, '--banking-id', cust.bankingId, '--product', 'personal-bank', '--accept-terms', '--yes', '--account', cust.account, '--location', `removable:${c.path('usb')}`], { env: { ...process.env, DOJANG_LANG: 'ko', DOJANG_RRN: cust.rrn, DOJANG_ACCOUNT_PASSWORD: '4821', DOJANG_NEW_CERT_PASSWORD: 'Lee-sunsin#1592' }, stdio: ['pipe', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
child.stderr.on('data', (d) => { out += d; process.stdout.write(d); });
let answered = 0;
const t = setInterval(() => {
  if (out.length <= answered) return;
  const tail = out.slice(out.lastIndexOf('\n') + 1);
  if (!(tail.endsWith(': ') || tail.endsWith('] '))) return;
  answered = out.length;
  let ans = '';
  if (/ARS|SMS/.test(tail)) { const o = ok(DOJANG, ['phone', cust.phone, '--last', '1', '--data', c.data]); ans = [...o.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1].replace(/\D+/g, '')).find((d) => d); }
  else if (/보안카드/.test(tail)) { const n = Number(/보안카드\s*(\d+)/.exec(tail)[1]); ans = /앞 2자리/.test(tail) ? cust.card[n - 1].slice(0, 2) : cust.card[n - 1].slice(2); }
  console.log(`\n>> answering [${tail}] with ${ans}`);
  child.stdin.write(`${ans}\n`);
}, 100);
const code = await new Promise((r) => child.on('exit', r));
clearInterval(t);
console.log('exit', code);
await c.stop(); c.cleanup();
