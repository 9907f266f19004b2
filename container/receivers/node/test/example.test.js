'use strict';
// The example receiver (the quickstart) as the contract runs it: through run-example.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { SECRET, INSTANCE, event, signed, waitFor } = require('./fixtures');

const RUN = path.join(__dirname, '..', 'run-example');

function start(env) {
  const child = spawn(RUN, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.lines = [];
  child.errText = '';
  let rest = '';
  child.stdout.on('data', (c) => {
    const parts = (rest + c).split('\n');
    rest = parts.pop();
    child.lines.push(...parts);
  });
  child.stderr.on('data', (c) => { child.errText += c; });
  child.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return child;
}

function post(port, s) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: s.headers }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end(s.body);
  });
}

test('serving: listening on PORT, then one line per call in order', async () => {
  const child = start({ MEMHOOK_SECRET: `whsec_b2xkIG9sZCBvbGQ= ${SECRET}`, PORT: '0', HOST: '127.0.0.1' });
  try {
    await waitFor(() => child.lines.length > 0, 20000, 'listening');
    const m = /^listening on (\d+)$/.exec(child.lines[0]);
    assert.ok(m, child.lines[0]);
    const ts = Math.floor(Date.now() / 1000);
    const evs = [event('entered', 1, 1), event('entered', 2, 2), event('left', 2, 3), event('normal', 0, 4),
      event('target_lost', 0, 5)];
    for (const ev of evs) assert.equal(await post(Number(m[1]), signed(ev, { ts })), 204);
    assert.equal(await post(Number(m[1]), { ...signed(evs[0], { ts }), body: '{}' }), 401);
    await waitFor(() => child.lines.length === 6, 5000, 'five calls');
    assert.deepEqual(child.lines.slice(1), ['call entered 1 elevated', 'call entered 2 high', 'call left 2 high', 'call normal',
      'call target_lost']);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await child.exited, 0);
});

test('subscribing: subscribed to URL, then the calls', async () => {
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(`: memhook events, instance ${INSTANCE}\n\n`);
    const ev = event('entered', 3, 9);
    res.write(`id: 9\nevent: entered\ndata: ${JSON.stringify(ev)}\n\n`);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${srv.address().port}/events`;
  const child = start({ MEMHOOK_SECRET: '', SUBSCRIBE_URL: url });
  try {
    await waitFor(() => child.lines.length >= 2, 20000, 'two lines');
    assert.deepEqual(child.lines, [`subscribed to ${url}`, 'call entered 3 critical']);
  } finally {
    child.kill('SIGTERM');
    srv.closeAllConnections();
    srv.close();
  }
  assert.equal(await child.exited, 0);
});

test('no secret to serve, or a bad one: exit 2', async () => {
  for (const secret of ['', 'whsec_%%%']) {
    const child = start({ MEMHOOK_SECRET: secret, SUBSCRIBE_URL: '' });
    assert.equal(await child.exited, 2);
    assert.match(child.errText, secret === '' ? /MEMHOOK_SECRET is not set/ : /not valid base64/);
  }
});
