#!/usr/bin/env node
'use strict';
// Runs the receiver conformance vectors (tests/contract/receivers/README.md) against this library:
// `node test/vectors.js path/to/vectors.json` prints `ok NAME` or `not ok NAME: why` per case and
// exits 0 only when every case passes.

const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const { MemhookReceiver, KINDS, callWords } = require('../lib');

const LEVELED = ['entered', 'left', 'remaining', 'limit_changed', 'oom_kill'];

// The level numbers a case names: in its expected calls and in its bodies.
function levelsOf(c) {
  const levels = new Set();
  for (const call of c.calls || []) {
    const n = Number(call.split(' ')[1]);
    if (Number.isSafeInteger(n)) levels.add(n);
  }
  for (const d of c.deliveries) {
    try {
      const ev = JSON.parse(d.body);
      for (const n of [ev.level, ev.previous_level]) if (Number.isSafeInteger(n)) levels.add(n);
    } catch (e) { /* a body that is not JSON names no level */ }
  }
  return levels;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function runCase(c, holdMs) {
  // The receiver's clock: the delivery's `now`, moving on in real time until the next delivery
  // (so the order hold, which also runs on real timers, passes on either clock).
  let baseMs = 0;
  let setAt = performance.now();
  const now = () => baseMs + (performance.now() - setAt);
  const logs = [];
  const logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(`ERROR ${m}`) };
  const r = new MemhookReceiver({ secrets: c.secrets, holdMs, now, logger });
  const calls = [];
  const record = (ev) => { calls.push(callWords(ev)); };
  for (const kind of LEVELED) for (const level of levelsOf(c)) r.register(kind, level, record);
  for (const kind of KINDS) if (!LEVELED.includes(kind)) r.register(kind, undefined, record);
  const gaps = [];
  r.on('dropped', (g) => { gaps.push({ instance: g.instance, seq: g.seq, dropped_before: g.count }); });

  const problems = [];
  c.deliveries.forEach((d, i) => {
    baseMs = d.now * 1000;
    setAt = performance.now();
    const got = r.receive(d.headers, Buffer.from(d.body, 'utf8'));
    const want = d.expect;
    const ok2xx = got.status >= 200 && got.status < 300;
    if (want === 'reject') {
      const status = d.status === undefined ? null : d.status;
      if (got.outcome !== 'reject' || got.status < 400 || got.status > 499 || (status !== null && got.status !== status)) {
        problems.push(`delivery ${i}: want reject ${status === null ? '4xx' : status}, got ${got.outcome} ${got.status}`);
      }
    } else if (got.outcome !== want || !ok2xx) {
      problems.push(`delivery ${i}: want ${want}, got ${got.outcome} ${got.status}${got.reason ? ` (${got.reason})` : ''}`);
    }
  });
  await r.idle();
  r.close();
  if (c.calls !== undefined && !same(calls, c.calls)) {
    problems.push(`calls ${JSON.stringify(calls)}, want ${JSON.stringify(c.calls)}`);
  }
  if (c.gaps !== undefined && !same(gaps, c.gaps)) {
    problems.push(`gaps ${JSON.stringify(gaps)}, want ${JSON.stringify(c.gaps)}`);
  }
  const errors = logs.filter((m) => m.startsWith('ERROR '));
  if (errors.length > 0) problems.push(`handler errors: ${errors.join('; ')}`);
  return problems;
}

async function main() {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: node test/vectors.js VECTORS.json\n');
    process.exit(2);
  }
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (e) {
    process.stdout.write(`not ok vectors: cannot read ${path}: ${e.message}\n`);
    process.exit(1);
  }
  if (doc.format !== 1) {
    process.stdout.write(`not ok format: ${doc.format} is not a format this runner reads (1)\n`);
    process.exit(1);
  }
  if (!Array.isArray(doc.cases) || doc.cases.length === 0) {
    process.stdout.write('not ok cases: the file has none\n');
    process.exit(1);
  }
  let passed = 0;
  let failed = 0;
  for (const c of doc.cases) {
    let problems;
    try {
      problems = await runCase(c, doc.hold_ms);
    } catch (e) {
      problems = [`threw ${e.stack || e}`];
    }
    if (problems.length === 0) {
      passed += 1;
      process.stdout.write(`ok ${c.name}\n`);
    } else {
      failed += 1;
      process.stdout.write(`not ok ${c.name}: ${problems.join('; ')}\n`);
    }
  }
  process.stdout.write(`vectors: ${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
