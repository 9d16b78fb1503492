import { Center, launch, newPage, DESKTOP } from './browser/support.mjs';
const c = await Center.create();
await c.start();
const b = await launch();
const p = await newPage(b, DESKTOP);
for (const path of ['#/login', '#/other-ca', '#/financial', '#/financial/issue', '#/login?with=financial']) {
  await p.goto(`${c.base}/${path}`);
  await p.waitForTimeout(600);
  await p.screenshot({ path: `/tmp/webwork/smoke-${path.replace(/[^a-z]/g, '_')}.png`, fullPage: true });
  console.log(path, (await p.locator('main h1').textContent()));
}
console.log(p.problems);
await b.close(); await c.stop(); c.cleanup();
