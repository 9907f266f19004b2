'use strict';
// limit_changed: the warning when V8's heap can outgrow the container's new limit.
const test = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const { MemhookReceiver, heapCheck } = require('../lib');
const { SECRET, T0, event, signed, memLogger } = require('./fixtures');

const MIB = 1024 * 1024;

test('heapCheck: a heap limit at or above the container limit warns, with the restart that fixes it', () => {
  assert.equal(heapCheck(512 * MIB, 1024 * MIB), null);
  assert.equal(heapCheck(512 * MIB, null), null);
  const w = heapCheck(2048 * MIB, 1024 * MIB);
  assert.equal(w.suggestedMaxOldSpaceMb, 768);
  assert.match(w.message, /V8's heap limit \(2048 MiB\) is not below the container's memory limit \(1024 MiB\)/);
  assert.match(w.message, /only a restart with --max-old-space-size=768 /);
  assert.ok(heapCheck(1024 * MIB, 1024 * MIB) !== null);
});

function limitChanged(r, seq, newLimit) {
  const ev = event('limit_changed', 1, seq, { old_limit_bytes: 4096 * MIB, new_limit_bytes: newLimit });
  const s = signed(ev);
  return r.receive(s.headers, s.body);
}

test('on limit_changed the receiver compares V8 heap_size_limit with new_limit_bytes', async () => {
  const logger = memLogger();
  const r = new MemhookReceiver({ secrets: SECRET, now: () => T0 * 1000, logger, heapLimitBytes: () => 1536 * MIB });
  const warnings = [];
  r.on('heap_warning', (w) => warnings.push(w));
  limitChanged(r, 1, 2048 * MIB); // the heap fits
  limitChanged(r, 2, 1024 * MIB); // it does not
  await r.idle();
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].limitBytes, 1024 * MIB);
  assert.ok(logger.lines.some((l) => l.includes('only a restart with --max-old-space-size=768')), logger.lines.join('\n'));
  r.close();
});

test("the default reads this process's real heap limit (v8.getHeapStatistics)", async () => {
  const real = v8.getHeapStatistics().heap_size_limit;
  const r = new MemhookReceiver({ secrets: SECRET, now: () => T0 * 1000, logger: memLogger() });
  const warnings = [];
  r.on('heap_warning', (w) => warnings.push(w));
  limitChanged(r, 1, real * 2);
  limitChanged(r, 2, Math.floor(real / 2));
  await r.idle();
  assert.deepEqual(warnings.map((w) => [w.heapLimitBytes, w.limitBytes]), [[real, Math.floor(real / 2)]]);
  r.close();
});
