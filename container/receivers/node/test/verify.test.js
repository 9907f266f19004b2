'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { MemhookReceiver, parseSecrets } = require('../lib');
const { SECRET, OTHER_SECRET, T0, event, signed, memLogger } = require('./fixtures');

function receiver(opts = {}) {
  const logger = memLogger();
  const r = new MemhookReceiver({ secrets: SECRET, now: () => T0 * 1000, logger, ...opts });
  return { r, logger };
}

test('parseSecrets: whsec_ is base64, anything else its UTF-8 bytes, several by spaces', () => {
  const keys = parseSecrets(`${SECRET}  plain`);
  assert.equal(keys.length, 2);
  assert.deepEqual(Buffer.from(keys[0]), Buffer.from(SECRET.slice(6), 'base64'));
  assert.deepEqual(Buffer.from(keys[1]), Buffer.from('plain'));
  assert.throws(() => parseSecrets('whsec_not*base64'), /not valid base64/);
  assert.throws(() => parseSecrets('whsec_'), /not valid base64/);
  assert.throws(() => parseSecrets('  '), /no secret/);
  assert.equal(parseSecrets([Buffer.from('raw')]).length, 1);
});

test('a valid request is accepted (204); headers match in any case', () => {
  const { r } = receiver();
  const s = signed(event('entered', 1, 1));
  const upper = {};
  for (const [k, v] of Object.entries(s.headers)) upper[k.toUpperCase()] = v;
  assert.deepEqual(r.receive(upper, Buffer.from(s.body)), { status: 204, outcome: 'accept' });
  r.close();
});

test('a bad signature, a tampered body, a wrong secret: 401', () => {
  const { r, logger } = receiver();
  const s = signed(event('entered', 1, 1));
  assert.equal(r.receive(s.headers, s.body.replace('"level":1', '"level":2')).status, 401);
  const other = signed(event('entered', 1, 2), { secret: OTHER_SECRET });
  assert.equal(r.receive(other.headers, other.body).status, 401);
  const bad = { ...s.headers, 'webhook-signature': 'v1,AAAA' };
  assert.equal(r.receive(bad, s.body).status, 401);
  assert.ok(logger.lines.some((l) => l === 'rejected: No matching signature found (401)'), logger.lines.join('\n'));
  r.close();
});

test('a timestamp more than 5 minutes from now is refused, within it accepted', () => {
  for (const [delta, status] of [[301, 401], [-301, 401], [300, 204], [-300, 204]]) {
    const { r } = receiver({ now: () => (T0 + delta) * 1000 });
    const s = signed(event('entered', 1, 1));
    assert.equal(r.receive(s.headers, s.body).status, status, `now = ts ${delta >= 0 ? '+' : ''}${delta} s`);
    r.close();
  }
});

test('each missing webhook-* header: 401', () => {
  for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const { r, logger } = receiver();
    const s = signed(event('entered', 1, 1));
    delete s.headers[h];
    const got = r.receive(s.headers, s.body);
    assert.equal(got.status, 401, h);
    assert.equal(got.reason, 'Missing required headers');
    assert.ok(logger.lines.includes('rejected: Missing required headers (401)'));
    r.close();
  }
});

test('rotation: any of several secrets verifies; a plain secret is its UTF-8 bytes', () => {
  const { r } = receiver({ secrets: [OTHER_SECRET, SECRET, 'plain secret'] });
  let s = signed(event('entered', 1, 1), { secret: SECRET });
  assert.equal(r.receive(s.headers, s.body).status, 204);
  s = signed(event('entered', 2, 2), { secret: OTHER_SECRET });
  assert.equal(r.receive(s.headers, s.body).status, 204);
  s = signed(event('entered', 3, 3), { secret: 'plain secret' });
  assert.equal(r.receive(s.headers, s.body).status, 204);
  r.close();
  const old = receiver({ secrets: OTHER_SECRET }).r;
  s = signed(event('entered', 1, 1), { secret: SECRET });
  assert.equal(old.receive(s.headers, s.body).status, 401);
  old.close();
});

test('signed but not a memhook event: 400; no secret configured: 401', () => {
  const { r } = receiver();
  for (const body of ['{"hello":1}', '[1]', 'null', 'not json', '{"event":""}']) {
    const s = signed(body, { id: 'msg_x' });
    assert.equal(r.receive(s.headers, s.body).status, 400, body);
  }
  r.close();
  const none = new MemhookReceiver({ secrets: '', logger: memLogger() });
  const s = signed(event('entered', 1, 1));
  assert.equal(none.receive(s.headers, s.body).status, 401);
  none.close();
});

test('a retried webhook-id is a duplicate (204), applied once', async () => {
  const { r } = receiver();
  const calls = [];
  r.onEntered(1, () => calls.push(1));
  const s = signed(event('entered', 1, 1));
  assert.equal(r.receive(s.headers, s.body).outcome, 'accept');
  const again = signed(event('entered', 1, 1), { ts: T0 + 10 });
  assert.deepEqual(r.receive(again.headers, again.body), { status: 204, outcome: 'duplicate' });
  await r.idle();
  assert.deepEqual(calls, [1]);
  r.close();
});

test('odd input never throws: header arrays, a body that is neither string nor Buffer', () => {
  const { r } = receiver();
  const s = signed(event('entered', 1, 1));
  const arrays = { ...s.headers, 'webhook-signature': ['v1,AAAA', s.headers['webhook-signature']] };
  assert.equal(r.receive(arrays, s.body).status, 204);
  assert.equal(r.receive(s.headers, 42).status, 401);
  assert.equal(r.receive(undefined, s.body).status, 401);
  r.close();
});
