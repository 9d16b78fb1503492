// Runs the browser's SEED (src/crypto/seed.js) on cases read from standard input, for the Rust
// test crates/dojang-seed/tests/javascript.rs, which compares the answers with the Rust cipher.
// One case per line: `block KEY - DATA` or `cbc KEY IV DATA` (hex, `-` for empty); one answer
// per line: `ENCRYPTED DECRYPTED` (hex, `-` for empty, `!` when decryption was refused). Only
// Node's standard library and seed.js are used, so no `npm ci` is needed.

import { cbcDecrypt, cbcEncrypt, decryptBlock, encryptBlock } from '../src/crypto/seed.js';

const hex = (b) => (b.length ? Buffer.from(b).toString('hex') : '-');
const bytes = (h) => new Uint8Array(h === '-' ? [] : Buffer.from(h, 'hex'));

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const lines = input.split('\n').filter((l) => l.trim());
const out = lines.map((line) => {
  const [op, key, iv, data] = line.trim().split(/\s+/);
  if (op === 'block') {
    const e = encryptBlock(bytes(key), bytes(data));
    return `${hex(e)} ${hex(decryptBlock(bytes(key), e))}`;
  }
  const e = cbcEncrypt(bytes(key), bytes(iv), bytes(data));
  const d = cbcDecrypt(bytes(key), bytes(iv), e);
  return `${hex(e)} ${d ? hex(d) : '!'}`;
});
process.stdout.write(`${out.join('\n')}\n`);
