'use strict';
// The vectors runner's own reporting, on a small file made here with the test key (the real
// vectors are recorded from memhook: tests/contract/receivers/vectors.json).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { SECRET, INSTANCE, T0, event, signed } = require('./fixtures');

const RUNNER = path.join(__dirname, 'vectors.js');

function delivery(ev, expect, opts = {}) {
  const s = signed(ev, opts);
  return { headers: s.headers, body: s.body, now: opts.now || T0, expect, ...(opts.status ? { status: opts.status } : {}) };
}

function run(doc) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memhook-vectors-'));
  const file = path.join(dir, 'vectors.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  try {
    return spawnSync(process.execPath, [RUNNER, file], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

const CASES = [
  {
    name: 'held_then_late',
    secrets: [SECRET],
    deliveries: [
      delivery(event('entered', 1, 1), 'accept'),
      delivery(event('entered', 3, 3), 'accept'),
      delivery(event('entered', 2, 2), 'late', { now: T0 + 2 }), // the 300 ms hold has passed
    ],
    calls: ['entered 1', 'entered 3'],
    gaps: [],
  },
  {
    name: 'dropped_and_rejected',
    secrets: [SECRET],
    deliveries: [
      delivery(event('left', 2, 4, { dropped_before: 3 }), 'accept'),
      delivery(event('normal', 0, 5), 'reject', { status: 401, now: T0 + 400 }),
    ],
    calls: ['left 2'],
    gaps: [{ instance: INSTANCE, seq: 4, dropped_before: 3 }],
  },
];

test('every case passes: ok NAME each, exit 0', () => {
  const r = run({ format: 1, hold_ms: 300, cases: CASES });
  assert.equal(r.stdout, 'ok held_then_late\nok dropped_and_rejected\nvectors: 2 passed, 0 failed\n');
  assert.equal(r.status, 0);
});

test('a wrong expectation: not ok NAME: why, exit 1', () => {
  const wrong = JSON.parse(JSON.stringify(CASES));
  wrong[0].calls = ['entered 1', 'entered 2', 'entered 3'];
  wrong[1].deliveries[1].status = 400;
  const r = run({ format: 1, hold_ms: 300, cases: wrong });
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^not ok held_then_late: calls \["entered 1","entered 3"\], want \["entered 1","entered 2","entered 3"\]$/);
  assert.match(lines[1], /^not ok dropped_and_rejected: delivery 1: want reject 400, got reject 401$/);
  assert.equal(r.status, 1);
});

test('an unknown format or no cases: not ok, exit 1', () => {
  assert.equal(run({ format: 2, cases: CASES }).status, 1);
  assert.equal(run({ format: 1, cases: [] }).status, 1);
});
