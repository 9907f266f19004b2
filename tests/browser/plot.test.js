// memhook's pictures in a real browser: Debian's Chromium driven by playwright-core (no browser
// download), headless, offline. Run by `make test-browser`:
//   MEMHOOK=build/memhook node --test tests/browser/plot.test.js
// The page of the shipped example loads with no console error and no request but its own file;
// it has one marker per event simulate printed, and hovering a marker shows its seq. A day at one
// sample a second makes a file under 2 MB whose chart is drawn within a second of navigation.
// Artifacts (not in the repo): build/browser/leak.html, leak.png, day.html, figures.json.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { chromium } = require('playwright-core');

const REPO = path.resolve(__dirname, '../..');
const MEMHOOK = path.resolve(REPO, process.env.MEMHOOK || 'build/memhook');
const OUT = path.join(REPO, 'build/browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DAY = 86400;
const RENDER_BUDGET_MS = 1000;
const SIZE_BUDGET_BYTES = 2 * 1000 * 1000;
const figures = {};

let context, userDataDir;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memhook-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    viewport: { width: 1040, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (context) await context.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  fs.writeFileSync(path.join(OUT, 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
});

// memhook's arguments → the event lines it printed (the summary not counted).
function simulate(args) {
  const out = execFileSync(MEMHOOK, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.split('\n').filter((l) => l.startsWith('{"event"')).length;
}

// A page that records console errors, uncaught exceptions and every request.
async function watchedPage() {
  const page = await context.newPage();
  const seen = { errors: [], requests: [] };
  page.on('console', (m) => { if (m.type() === 'error') seen.errors.push(m.text()); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('request', (r) => seen.requests.push(r.url()));
  return { page, seen };
}

test('the shipped example: no console error, no request, a marker per event, seq on hover', async () => {
  const html = path.join(OUT, 'leak.html');
  const traces = path.join(REPO, 'policies/traces');
  const printed = simulate(['simulate', '--policy', path.join(traces, 'tuned.json'),
    '--compare', path.join(REPO, 'policies/default.json'),
    '--trace', path.join(traces, 'leak.jsonl'), '--html', html]);
  const other = simulate(['simulate', '--trace', path.join(traces, 'leak.jsonl')]);
  assert.ok(printed >= 2, `simulate printed ${printed} events`);
  const { page, seen } = await watchedPage();
  const url = pathToFileURL(html).href;
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  assert.strictEqual(await page.locator('.ev[data-policy="0"]').count(), printed);
  assert.strictEqual(await page.locator('.ev[data-policy="1"]').count(), other);
  for (const seq of [1, printed]) {
    await page.hover(`.ev[data-policy="0"][data-seq="${seq}"]`, { timeout: 10000 });
    const tip = page.locator('#tip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await tip.textContent(), new RegExp(`seq ${seq} · tuned\\.json`));
  }
  await page.mouse.move(5, 5);
  await page.locator('#tip').waitFor({ state: 'hidden', timeout: 5000 });
  await page.screenshot({ path: path.join(OUT, 'leak.png'), fullPage: true });
  assert.deepStrictEqual(seen.errors, []);
  assert.deepStrictEqual(seen.requests, [url]);
  await page.close();
});

test('a day at one sample a second: under 2 MB, drawn within a second', async () => {
  const csv = path.join(OUT, 'day.csv');
  const html = path.join(OUT, 'day.html');
  // a 7-minute wave from 40% to 98% of 512 MiB with noise: every level of the default policy
  const limit = 512 * 1048576;
  const t0 = Date.UTC(2026, 0, 1) / 1000;
  const rows = ['time,elapsed_sec,usage_bytes,working_set_bytes,anon_bytes,limit_bytes,' +
                'host_available_bytes,host_total_bytes'];
  for (let i = 0; i < DAY; i++) {
    const frac = 0.69 + 0.29 * Math.sin(i * 2 * Math.PI / 420) + 0.01 * Math.sin(i * 1.7);
    const usage = Math.floor(limit * frac);
    const time = new Date((t0 + i) * 1000).toISOString();
    rows.push(`${time},${i}.000,${usage},${Math.floor(usage * 3 / 4)},${Math.floor(usage / 2)},` +
              `${limit},${8 * 2 ** 30},${16 * 2 ** 30}`);
  }
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  const printed = simulate(['simulate', '--trace', csv, '--html', html]);
  const size = fs.statSync(html).size;
  figures.day_html_bytes = size;
  figures.day_events = printed;
  assert.ok(size < SIZE_BUDGET_BYTES, `day.html is ${size} bytes`);
  assert.ok(printed > 1000, `simulate printed ${printed} events`);

  // From navigation start to the second frame after load: parsed, laid out, painted. Three fresh
  // pages (the first also warms the browser's caches); each must be within the budget.
  const times = [];
  for (let k = 0; k < 3; k++) {
    const { page, seen } = await watchedPage();
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load', timeout: 30000 });
    const ms = await page.evaluate(() => new Promise((done) =>
      requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())))));
    times.push(Math.round(ms));
    assert.strictEqual(await page.locator('.ev').count(), printed);
    assert.deepStrictEqual(seen.errors, []);
    await page.close();
  }
  figures.day_render_ms = times;
  for (const ms of times) assert.ok(ms < RENDER_BUDGET_MS, `drawn in ${times.join(', ')} ms`);
});
