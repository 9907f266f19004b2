'use strict';
// Subscribing to memhook's /events stream, against a small SSE server run by the test.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { MemhookReceiver, SseParser, callWords } = require('../lib');
const { INSTANCE, event, memLogger, waitFor } = require('./fixtures');

test('SseParser: fields, multi-line data, comments, CRLF split across chunks, retry', () => {
  const got = [];
  const retries = [];
  const p = new SseParser((m) => got.push(m), (ms) => retries.push(ms));
  p.push(': memhook events, instance x\n\nid: 7\nevent: ent');
  p.push('ered\ndata: {"a":\r');
  p.push('\ndata: 1}\r\n\r\nretry: 2500\nid: 8\ndata:x\n\n: ping\n\ndata: no id\n');
  p.push('\n');
  assert.deepEqual(got, [
    { id: '7', event: 'entered', data: '{"a":\n1}' },
    { id: '8', event: 'message', data: 'x' },
    { id: undefined, event: 'message', data: 'no id' }, // the subscription keeps the last id
  ]);
  assert.deepEqual(retries, [2500]);
});

function sse(res) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.write(`: memhook events, instance ${INSTANCE}\n\n`);
}

function message(ev, type = ev.event) {
  return `id: ${ev.seq}\nevent: ${type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

// A server whose nth connection (from 0) is served by scripts[n]; it records each Last-Event-ID.
async function server(scripts) {
  const seen = [];
  const open = new Set();
  const s = http.createServer((req, res) => {
    const n = seen.length;
    seen.push(req.headers['last-event-id'] === undefined ? null : req.headers['last-event-id']);
    open.add(res);
    res.on('close', () => open.delete(res));
    (scripts[n] || scripts[scripts.length - 1])(req, res);
  });
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${s.address().port}/events`;
  s.seen = seen;
  s.stop = () => { for (const res of open) res.destroy(); s.close(); };
  return s;
}

test('subscribe: events applied; on reconnection Last-Event-ID; event: lost logged and no hold', async () => {
  const srv = await server([
    (req, res) => {
      sse(res);
      res.write(message(event('entered', 1, 1)));
      res.end(message(event('entered', 2, 2))); // the stream ends: memhook restarted its listener, a proxy cut it
    },
    (req, res) => {
      sse(res);
      res.write(`event: lost\ndata: ${JSON.stringify({ lost: 2, instance: INSTANCE })}\n\n`);
      res.write(message(event('entered', 3, 5)));
    },
  ]);
  const logger = memLogger();
  const r = new MemhookReceiver({ logger, holdMs: 60000 }); // no secret: a stream needs none
  const calls = [];
  const lost = [];
  r.on('event', (ev) => calls.push(callWords(ev)));
  r.on('lost', (l) => lost.push(l));
  const sub = r.subscribe(srv.url, { reconnectMs: 50 });
  try {
    await sub.ready;
    await waitFor(() => calls.length === 3, 5000, 'three calls');
    assert.deepEqual(calls, ['entered 1', 'entered 2', 'entered 3']);
    assert.deepEqual(srv.seen, [null, '2']);
    assert.equal(sub.lastEventId, '5');
    await r.idle();
    assert.deepEqual(lost, [{ lost: 2, instance: INSTANCE }]);
    assert.ok(logger.lines.includes(`event: lost: memhook no longer had 2 event(s) of instance ${INSTANCE} for this stream`),
      logger.lines.join('\n'));
    assert.ok(logger.lines.some((l) => l.endsWith('the stream ended: reconnecting in 50 ms with Last-Event-ID: 2')));
  } finally {
    r.close();
    srv.stop();
  }
});

test('subscribe: 503 backs off, a refused Last-Event-ID (400) resumes without it, silence reconnects', async () => {
  const srv = await server([
    (req, res) => { res.writeHead(503); res.end(); },
    (req, res) => { sse(res); res.write(message(event('entered', 1, 3))); }, // then silent
    (req, res) => { res.writeHead(400); res.end(); },
    (req, res) => { sse(res); res.write(message(event('entered', 2, 4))); },
  ]);
  const logger = memLogger();
  const r = new MemhookReceiver({ logger, holdMs: 0 });
  const calls = [];
  r.on('event', (ev) => calls.push(callWords(ev)));
  const sub = r.subscribe(srv.url, { reconnectMs: 20, idleTimeoutMs: 300 });
  const delays = [];
  sub.on('disconnected', (d) => delays.push(d.delayMs));
  try {
    await waitFor(() => calls.length === 2, 5000, 'two calls');
    assert.deepEqual(srv.seen.slice(0, 4), [null, null, '3', null]); // then silence again: more may follow
    // 503: 20; the 200 resets it; silence: 20; the 400 right after: 40
    assert.deepEqual(delays.slice(0, 3), [20, 20, 40]);
    assert.ok(logger.lines.some((l) => l.includes('nothing received for 300 ms')), logger.lines.join('\n'));
    assert.ok(logger.lines.some((l) => l.includes('Last-Event-ID 3 refused (400): resuming without it')));
    await r.idle();
  } finally {
    r.close();
    srv.stop();
  }
});

test('subscribe: failures in a row double the delay; close() stops for good', async () => {
  const srv = await server([(req, res) => { res.writeHead(503); res.end(); }]);
  const r = new MemhookReceiver({ logger: memLogger() });
  const sub = r.subscribe(srv.url, { reconnectMs: 10, maxReconnectMs: 40 });
  const delays = [];
  sub.on('disconnected', (d) => delays.push(d.delayMs));
  try {
    await waitFor(() => delays.length >= 5, 5000, 'five failures');
    assert.deepEqual(delays.slice(0, 5), [10, 20, 40, 40, 40]);
    sub.close();
    const n = srv.seen.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(srv.seen.length, n);
  } finally {
    r.close();
    srv.stop();
  }
});
