'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { MemhookReceiver, callWords } = require('../lib');
const { SECRET, INSTANCE, T0, event, signed, memLogger } = require('./fixtures');

// A receiver on a clock the test moves (ms after T0), recording every call and the gaps it reports.
function setup(holdMs = 1000) {
  let clockMs = T0 * 1000;
  const logger = memLogger();
  const r = new MemhookReceiver({ secrets: SECRET, holdMs, now: () => clockMs, logger });
  const calls = [];
  const gaps = [];
  r.on('event', (ev) => calls.push(callWords(ev)));
  r.on('dropped', (g) => gaps.push(['dropped', g]));
  r.on('missing', (g) => gaps.push(['missing', g]));
  let n = 0;
  const post = (ev) => {
    n += 1;
    const s = signed(ev, { ts: Math.floor(clockMs / 1000), id: `msg_test_${n}` });
    return r.receive(s.headers, s.body).outcome;
  };
  return { r, logger, calls, gaps, post, advance: (ms) => { clockMs += ms; } };
}

test('seq n+1 before n: both applied, n first, without waiting the hold out', async () => {
  const { r, calls, post, logger } = setup(10000);
  post(event('entered', 1, 1));
  assert.equal(post(event('entered', 3, 3)), 'accept');
  assert.ok(logger.lines.includes('held seq=3: waiting up to 10000 ms for seq 2'));
  const t0 = Date.now();
  assert.equal(post(event('entered', 2, 2)), 'accept');
  await r.idle();
  assert.ok(Date.now() - t0 < 5000);
  assert.deepEqual(calls, ['entered 1', 'entered 2', 'entered 3']);
  r.close();
});

test('an early event waits at most the hold, then the gap is logged and reported', async () => {
  const { r, calls, gaps, post, logger } = setup(150);
  post(event('entered', 1, 1));
  const t0 = Date.now();
  post(event('entered', 3, 3));
  await r.idle();
  const waited = Date.now() - t0;
  assert.ok(waited >= 140 && waited < 2000, `waited ${waited} ms`);
  assert.deepEqual(calls, ['entered 1', 'entered 3']);
  assert.deepEqual(gaps, [['missing', { instance: INSTANCE, from: 2, to: 2, seq: 3 }]]);
  assert.ok(logger.lines.includes('seq 2..2 not received: applying seq=3'));
  r.close();
});

test('an event below one applied is late: 204, not applied', async () => {
  const { r, calls, post, advance } = setup(300);
  post(event('entered', 1, 1));
  post(event('entered', 3, 3));
  advance(1000); // the hold has passed on the receiver's clock
  assert.equal(post(event('entered', 2, 2)), 'late');
  assert.equal(post(event('entered', 3, 3)), 'late');
  await r.idle();
  assert.deepEqual(calls, ['entered 1', 'entered 3']);
  r.close();
});

test('dropped_before: applied at once, the loss reported', async () => {
  const { r, calls, gaps, post, logger } = setup(10000);
  post(event('entered', 1, 1));
  post(event('entered', 2, 4, { dropped_before: 2 }));
  await r.idle();
  assert.deepEqual(calls, ['entered 1', 'entered 2']);
  assert.deepEqual(gaps, [['dropped', { instance: INSTANCE, seq: 4, count: 2 }]]);
  assert.ok(logger.lines.includes('memhook dropped 2 event(s) for this endpoint before seq=4: gap accepted'));
  r.close();
});

test('a new instance starts the order again; the old one is then late', async () => {
  const { r, calls, post, logger } = setup(10000);
  post(event('entered', 1, 7));
  post(event('entered', 2, 8));
  const restarted = { ...event('entered', 1, 1), instance: 'aaaaaaaaaaaaaaaa' };
  assert.equal(post(restarted), 'accept');
  assert.equal(post(event('left', 2, 9)), 'late');
  await r.idle();
  assert.deepEqual(calls, ['entered 1', 'entered 2', 'entered 1']);
  assert.ok(logger.lines.some((l) => l.startsWith('new memhook instance aaaaaaaaaaaaaaaa')));
  r.close();
});

test('a receiver started mid-stream applies the first event at once', async () => {
  const { r, calls, post } = setup(10000);
  post(event('entered', 3, 41));
  await r.idle();
  assert.deepEqual(calls, ['entered 3']);
  r.close();
});

test('holdMs 0: a newer event is applied at once, the gap logged', async () => {
  const { r, calls, gaps, post } = setup(0);
  post(event('entered', 1, 1));
  post(event('entered', 2, 5));
  await r.idle();
  assert.deepEqual(calls, ['entered 1', 'entered 2']);
  assert.equal(gaps[0][0], 'missing');
  r.close();
});

test('an event without instance/seq is applied as it arrives', async () => {
  const { r, calls, post } = setup(10000);
  const old = event('entered', 2, 1);
  delete old.instance;
  delete old.seq;
  post(old);
  post({ ...old });
  await r.idle();
  assert.deepEqual(calls, ['entered 2', 'entered 2']);
  r.close();
});
