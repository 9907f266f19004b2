'use strict';
// Runs handlers off the request path: a bounded queue, one handler at a time in the order queued
// (entered 1 before entered 2, as Satella calls them), each within a time limit.
//
// An async handler (one that returns a promise) that has not settled within its limit is logged,
// its AbortSignal is aborted, and the queue moves on; the promise is left to finish on its own (JS
// cannot cancel it). A synchronous handler cannot be stopped at all: JS cannot preempt a busy loop
// on its own thread. One that ran past its limit is logged when it returns. A handler that throws
// or rejects is logged; the queue and the receiver go on.

const { performance } = require('node:perf_hooks');

// Jobs waiting at most; one more drops the oldest waiting one (the newest state matters most).
const QUEUE_MAX = 256;
// A handler's time limit unless it names its own.
const TIMEOUT_MS = 5000;

class Dispatcher {
  constructor({ log, queueMax = QUEUE_MAX, timeoutMs = TIMEOUT_MS }) {
    this.log = log;
    this.queueMax = queueMax;
    this.timeoutMs = timeoutMs;
    this.queue = [];
    this.running = false;
    this.dropped = 0;
    this.failed = 0;
    this.timedOut = 0;
  }

  // Queues fn.apply(thisArg, args) under name (for logs); timeoutMs: its own limit.
  push(name, fn, thisArg, args, timeoutMs) {
    if (this.queue.length >= this.queueMax) {
      const old = this.queue.shift();
      this.dropped += 1;
      this.log.warn(`handler queue full (${this.queueMax}): dropped ${old.name} (dropped: ${this.dropped})`);
    }
    this.queue.push({ name, fn, thisArg, args, timeoutMs: timeoutMs === undefined ? this.timeoutMs : timeoutMs });
    if (!this.running) {
      this.running = true;
      setImmediate(() => this.run());
    }
  }

  idle() {
    return !this.running && this.queue.length === 0;
  }

  async run() {
    while (this.queue.length > 0) {
      const job = this.queue.shift();
      await this.runOne(job);
    }
    this.running = false;
  }

  async runOne(job) {
    const ac = new AbortController();
    const args = job.args.concat([{ signal: ac.signal }]);
    const t0 = performance.now();
    let result;
    try {
      result = job.fn.apply(job.thisArg, args);
    } catch (e) {
      this.fail(job, 'threw', e);
      return;
    }
    const syncMs = performance.now() - t0;
    if (syncMs > job.timeoutMs) {
      this.timedOut += 1;
      this.log.warn(`${job.name} ran ${Math.round(syncMs)} ms synchronously, over its ${job.timeoutMs} ms limit ` +
        '(JS cannot preempt a synchronous handler: make it shorter or async)');
    }
    if (result === null || typeof result !== 'object' || typeof result.then !== 'function') return;
    let timer;
    const limit = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(job.timeoutMs - syncMs, 0));
    });
    const settled = Promise.resolve(result).then(() => 'done', (e) => {
      this.fail(job, 'rejected', e);
      return 'failed';
    });
    const how = await Promise.race([settled, limit]);
    clearTimeout(timer);
    if (how === 'timeout') {
      this.timedOut += 1;
      ac.abort(new Error(`${job.name} timed out`));
      this.log.warn(`${job.name} did not settle within ${job.timeoutMs} ms: left running, the queue moves on`);
    }
  }

  fail(job, how, e) {
    this.failed += 1;
    const why = e instanceof Error ? (e.stack || e.message) : String(e);
    this.log.error(`${job.name} ${how}: ${why}`);
  }
}

module.exports = { Dispatcher, QUEUE_MAX, TIMEOUT_MS };
