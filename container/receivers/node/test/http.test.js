'use strict';
// The handler over real loopback: as node:http's request listener, and as Express-style middleware.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { MemhookReceiver } = require('../lib');
const { SECRET, event, signed, memLogger } = require('./fixtures');

function listen(listener) {
  return new Promise((resolve) => {
    const server = http.createServer(listener);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function request(server, { method = 'POST', path = '/', headers = {}, body = '' } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.address().port, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function now() {
  return Math.floor(Date.now() / 1000);
}

test('node:http: 204 accepted and applied, duplicate 204, 401, 400, 413, 405', async () => {
  const logger = memLogger();
  const r = new MemhookReceiver({ secrets: SECRET, logger });
  const calls = [];
  r.onEntered('elevated', (ev) => calls.push(ev.seq));
  const server = await listen(r.handler);
  try {
    const s = signed(event('entered', 1, 1), { ts: now() });
    assert.equal((await request(server, s)).status, 204);
    assert.equal((await request(server, s)).status, 204); // memhook's retry
    const tampered = await request(server, { headers: s.headers, body: s.body.replace('"seq":1', '"seq":9') });
    assert.deepEqual(tampered, { status: 401, body: 'No matching signature found\n' });
    const stale = signed(event('entered', 1, 2), { ts: now() - 400 });
    assert.deepEqual(await request(server, stale), { status: 401, body: 'Message timestamp too old\n' });
    const nothing = await request(server, { body: s.body });
    assert.deepEqual(nothing, { status: 401, body: 'Missing required headers\n' });
    const notEvent = signed('{"ok":true}', { ts: now(), id: 'msg_other' });
    assert.equal((await request(server, notEvent)).status, 400);
    const big = signed(`{"event":"entered","pad":"${'x'.repeat(70000)}"}`, { ts: now(), id: 'msg_big' });
    assert.equal((await request(server, big)).status, 413);
    assert.equal((await request(server, { method: 'GET' })).status, 405);
    await r.idle();
    assert.deepEqual(calls, [1]);
  } finally {
    server.close();
    r.close();
  }
});

test('a chunked body over the limit is cut at the limit: 413', async () => {
  const r = new MemhookReceiver({ secrets: SECRET, logger: memLogger(), maxBodyBytes: 1024 });
  const server = await listen(r.handler);
  try {
    const res = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.address().port, method: 'POST', path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.write('x'.repeat(800));
      req.end('y'.repeat(800));
    });
    assert.equal(res, 413);
  } finally {
    server.close();
    r.close();
  }
});

// A stand-in for Express's app: middleware (req, res, next) in order, next() to the following one.
function app(...middleware) {
  return (req, res) => {
    let i = 0;
    const next = (err) => {
      const m = middleware[i++];
      if (err || !m) {
        res.writeHead(err ? 500 : 404);
        res.end();
        return;
      }
      m(req, res, next);
    };
    next();
  };
}

// What express.raw() / express.json() leave: the body read, then req.body a Buffer / an object.
function bodyParser(kind) {
  return (req, res, next) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const buf = Buffer.concat(chunks);
      req._body = true;
      req.body = kind === 'raw' ? buf : JSON.parse(buf.toString());
      next();
    });
  };
}

test('as Express middleware: other methods pass on (next), a raw body parser is fine, a JSON one is named', async () => {
  const logger = memLogger();
  const r = new MemhookReceiver({ secrets: SECRET, logger });
  const health = (req, res) => { res.writeHead(200); res.end('ok'); };
  const plain = await listen(app(r.handler, health));
  const raw = await listen(app(bodyParser('raw'), r.handler));
  const json = await listen(app(bodyParser('json'), r.handler));
  try {
    assert.deepEqual(await request(plain, { method: 'GET', path: '/healthz' }), { status: 200, body: 'ok' });
    assert.equal((await request(plain, signed(event('entered', 1, 1), { ts: now() }))).status, 204);
    assert.equal((await request(raw, signed(event('entered', 2, 2), { ts: now() }))).status, 204);
    const parsed = await request(json, signed(event('entered', 3, 3), { ts: now() }));
    assert.equal(parsed.status, 500);
    assert.match(parsed.body, /mount this handler before express\.json\(\)/);
    await r.idle();
  } finally {
    for (const s of [plain, raw, json]) s.close();
    r.close();
  }
});

test('mounted in a real Express app: app.post, app.use, behind express.raw; after express.json it says why', async () => {
  const express = require('express');
  const r = new MemhookReceiver({ secrets: SECRET, logger: memLogger() });
  const calls = [];
  r.on('entered', (ev) => calls.push(ev.level));
  const app = express();
  app.post('/memhook', r.handler);
  app.use('/mounted', r.handler);
  app.post('/raw', express.raw({ type: 'application/json' }), r.handler);
  app.post('/json', express.json(), r.handler);
  app.get('/healthz', (req, res) => res.send('ok'));
  const server = await listen(app);
  try {
    assert.equal((await request(server, { path: '/memhook', ...signed(event('entered', 1, 1), { ts: now() }) })).status, 204);
    assert.equal((await request(server, { path: '/mounted', ...signed(event('entered', 2, 2), { ts: now() }) })).status, 204);
    assert.equal((await request(server, { path: '/raw', ...signed(event('entered', 3, 3), { ts: now() }) })).status, 204);
    const parsed = await request(server, { path: '/json', ...signed(event('entered', 4, 4), { ts: now() }) });
    assert.equal(parsed.status, 500);
    assert.match(parsed.body, /mount this handler before express\.json\(\)/);
    assert.deepEqual(await request(server, { method: 'GET', path: '/healthz' }), { status: 200, body: 'ok' });
    await r.idle();
    assert.deepEqual(calls, [1, 2, 3]);
  } finally {
    server.close();
    r.close();
  }
});
