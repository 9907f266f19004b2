'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { MemhookReceiver } = require('../lib');
const { SECRET, T0, event, signed, memLogger, waitFor } = require('./fixtures');

function setup(opts = {}) {
  let clockMs = T0 * 1000;
  const logger = memLogger();
  const r = new MemhookReceiver({ secrets: SECRET, now: () => clockMs, logger, ...opts });
  let seq = 0;
  const post = (kind, level, extra) => {
    seq += 1;
    const s = signed(event(kind, level, seq, extra), { ts: Math.floor(clockMs / 1000) });
    return r.receive(s.headers, s.body);
  };
  return { r, logger, post, advance: (ms) => { clockMs += ms; } };
}

test('every kind calls its handlers, by level number or name; left by the level it left', async () => {
  const { r, post } = setup();
  const got = [];
  r.onEntered(2, (ev) => got.push(`entered#2 ${ev.level}`));
  r.onEntered('high', (ev) => got.push(`entered@high ${ev.level}`));
  r.onEntered('3', () => got.push('entered#3'));
  r.onLeft(2, (ev) => got.push(`left#2 now ${ev.level}`));
  r.onLeft('high', () => got.push('left@high'));
  r.onRemaining(2, () => got.push('remaining#2'));
  r.onNormal(() => got.push('normal'));
  r.onLimitChanged(() => got.push('limit_changed'));
  r.onLimitChanged(1, () => got.push('limit_changed#1'));
  r.onOomKill(() => got.push('oom_kill'));
  r.onOomKill('critical', () => got.push('oom_kill@critical'));
  r.onTargetLost(() => got.push('target_lost'));
  r.onTargetFound(() => got.push('target_found'));
  post('entered', 1);
  post('entered', 2);
  post('entered', 3);
  post('oom_kill', 3);
  post('left', 3);
  post('remaining', 2);
  post('left', 2);
  post('limit_changed', 1, { old_limit_bytes: 1, new_limit_bytes: 2 ** 50 });
  post('target_lost', 1);
  post('target_found', 1);
  post('normal', 0);
  await r.idle();
  assert.deepEqual(got, [
    'entered#2 2', 'entered@high 2', 'entered#3', 'oom_kill', 'oom_kill@critical', 'remaining#2',
    'left#2 now 1', 'left@high', 'limit_changed', 'limit_changed#1', 'target_lost', 'target_found', 'normal',
  ]);
  assert.equal(r.severityLevel, 0);
  r.close();
});

test('remaining: every / call_no_more_often_than limits the calls on the receiver clock', async () => {
  const { r, post, advance } = setup();
  const every = [];
  const satella = [];
  const all = [];
  r.onRemaining(1, (ev) => every.push(ev.seq), { every: 30 });
  r.registerOnRemainingInSeverity(1, 10)((ev) => satella.push(ev.seq));
  r.registerOnRemainingInSeverity(1, (ev) => all.push(ev.seq));
  for (let i = 0; i < 7; i++) {
    post('remaining', 1); // seq 1..7, 5 s apart
    advance(5000);
  }
  await r.idle();
  assert.deepEqual(every, [1, 7]);
  assert.deepEqual(satella, [1, 3, 5, 7]);
  assert.deepEqual(all, [1, 2, 3, 4, 5, 6, 7]);
  r.close();
});

test("Satella's names, cleanupOnEntered, cancel, once", async () => {
  const { r, post } = setup();
  const got = [];
  r.registerOnEnteredSeverity(1)(() => got.push('entered 1'));
  const c = r.registerOnLeftSeverity(1, () => got.push('left 1 (cancelled)'));
  c.cancel();
  r.registerOnMemoryNormal(() => got.push('normal'));
  const cache = { items: [1, 2], cleanup() { this.items = []; } };
  r.cleanupOnEntered(1, cache);
  r.once('entered', () => got.push('once'));
  post('entered', 1);
  post('entered', 1);
  post('left', 1);
  post('normal', 0);
  await r.idle();
  assert.deepEqual(got, ['entered 1', 'once', 'entered 1', 'normal']);
  assert.deepEqual(cache.items, []);
  r.close();
});

test('handlers run off the request path, after receive() returned', async () => {
  const { r, post } = setup();
  let called = false;
  r.onEntered(1, () => { called = true; });
  r.on('entered', () => { throw new Error('listener boom'); });
  const res = post('entered', 1);
  assert.equal(res.status, 204);
  assert.equal(called, false);
  await r.idle();
  assert.equal(called, true);
  r.close();
});

test('a handler that throws or rejects is logged; the next ones still run', async () => {
  const { r, post, logger } = setup();
  const got = [];
  r.onEntered(1, function boom() { throw new Error('boom'); });
  r.onEntered(1, async function nope() { throw new Error('nope'); });
  r.on('entered', () => { throw new Error('listener'); });
  r.onEntered(1, () => got.push('after'));
  post('entered', 1);
  await r.idle();
  assert.deepEqual(got, ['after']);
  assert.ok(logger.lines.some((l) => l.startsWith('ERROR entered 1 handler boom threw: Error: boom')), logger.lines.join('\n'));
  assert.ok(logger.lines.some((l) => l.startsWith('ERROR entered 1 handler nope rejected: Error: nope')));
  assert.ok(logger.lines.some((l) => l.startsWith("ERROR 'entered' listener threw: Error: listener")));
  r.close();
});

test('an async handler past its limit: logged, its signal aborted, the queue moves on', async () => {
  const { r, post, logger } = setup({ handlerTimeoutMs: 100 });
  const got = [];
  let aborted = null;
  r.onEntered(1, function slow(ev, { signal }) {
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => { aborted = true; });
      setTimeout(resolve, 10000).unref();
    });
  });
  r.onEntered(1, () => got.push('next'), { timeoutMs: 50 });
  const t0 = Date.now();
  post('entered', 1);
  await waitFor(() => got.length === 1, 8000, 'the next handler');
  assert.ok(Date.now() - t0 < 8000); // long before the slow one's 10 s
  assert.equal(aborted, true);
  assert.ok(logger.lines.includes('entered 1 handler slow did not settle within 100 ms: left running, the queue moves on'));
  r.close();
});

test('a synchronous busy loop cannot be preempted: it is logged when it returns', async () => {
  const { r, post, logger } = setup({ handlerTimeoutMs: 20 });
  const got = [];
  r.onEntered(1, function busy() { const end = Date.now() + 60; while (Date.now() < end) { /* spin */ } });
  r.onEntered(1, () => got.push('next'));
  post('entered', 1);
  await r.idle();
  assert.deepEqual(got, ['next']);
  assert.ok(logger.lines.some((l) => /^entered 1 handler busy ran \d+ ms synchronously, over its 20 ms limit \(JS cannot preempt/.test(l)),
    logger.lines.join('\n'));
  r.close();
});

test('the queue is bounded: when full the oldest waiting call is dropped, logged', async () => {
  const { r, post, logger } = setup({ queueMax: 3 });
  const got = [];
  r.onEntered(1, (ev) => got.push(ev.seq));
  for (let i = 0; i < 5; i++) post('entered', 1); // queued in this tick: seq 1..5
  await r.idle();
  assert.deepEqual(got, [3, 4, 5]);
  assert.equal(logger.lines.filter((l) => l.startsWith('handler queue full (3): dropped entered 1 handler')).length, 2);
  r.close();
});

test('registration refuses what is not a handler or a level', () => {
  const { r } = setup();
  assert.throws(() => r.onEntered(1, 'x'), TypeError);
  assert.throws(() => r.onEntered(-1, () => {}), TypeError);
  assert.throws(() => r.onRemaining(1, () => {}, { every: -1 }), TypeError);
  r.close();
});
