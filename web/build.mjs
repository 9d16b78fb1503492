// Builds the page into dist/: app.js (src/main.js and its npm libraries bundled by esbuild),
// app.css, index.html and favicon.svg. The Rust server embeds dist/ at compile time, so dist/
// is committed; `node build.mjs --check` rebuilds into a temporary folder and fails if the
// result differs from the committed dist/ (the test script runs it).

import { build } from 'esbuild';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');
const dist = join(here, 'dist');
const out = check ? mkdtempSync(join(tmpdir(), 'dojang-web-')) : dist;

async function make(dir) {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(here, 'src/main.js')],
    outfile: join(dir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: true,
    charset: 'utf8',
    legalComments: 'eof',
    sourcemap: false,
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(here, 'src/app.css')],
    outfile: join(dir, 'app.css'),
    bundle: true,
    minify: true,
    charset: 'utf8',
    logLevel: 'warning',
  });
  copyFileSync(join(here, 'src/index.html'), join(dir, 'index.html'));
  copyFileSync(join(here, 'src/favicon.svg'), join(dir, 'favicon.svg'));
}

await make(out);
if (check) {
  const names = new Set([...readdirSync(out), ...readdirSync(dist)]);
  const differ = [...names].filter((n) => {
    try {
      return !readFileSync(join(out, n)).equals(readFileSync(join(dist, n)));
    } catch {
      return true;
    }
  });
  rmSync(out, { recursive: true, force: true });
  if (differ.length) {
    console.error(`web/dist is out of date (${differ.join(', ')}): run \`npm run build\` in web/ and commit web/dist.`);
    process.exit(1);
  }
  console.log('web/dist matches a fresh build of web/src');
} else {
  for (const n of readdirSync(out)) console.log(`dist/${n} ${readFileSync(join(out, n)).length} bytes`);
}
