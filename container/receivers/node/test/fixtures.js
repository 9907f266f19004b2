'use strict';
// Signed memhook requests for the tests, made with the same library memhook's receivers verify with.

const { Webhook } = require('standardwebhooks');

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = 'whsec_bm90IHRoZSBzYW1lIGtleSBhdCBhbGwh';
const INSTANCE = '9f2c41d07ab3e615';
const T0 = 1764105060; // seconds

const NAMES = ['normal', 'elevated', 'high', 'critical'];

// A memhook body: kind at level (left: the level left is previous), seq, instance, extra keys.
function event(kind, level, seq, extra = {}) {
  let previous = level;
  let now = level;
  if (kind === 'entered') previous = level - 1;
  if (kind === 'left') now = level - 1;
  if (kind === 'normal') { now = 0; previous = 1; }
  return {
    event: kind, level: now, level_name: NAMES[now] || `level${now}`, previous_level: previous,
    previous_level_name: NAMES[previous] || `level${previous}`, seq, instance: INSTANCE,
    timestamp: '2025-11-25T21:11:00.123Z', target: { cgroup: null, pid: null },
    sample: kind.startsWith('target_') ? null : { usage_bytes: 1, limit_bytes: 104857600 },
    hostname: 'test', memhook_version: '0.1.0', ...extra,
  };
}

// {headers, body} of ev (an object or a string) signed with secret at unix second ts.
function signed(ev, { secret = SECRET, ts = T0, id } = {}) {
  const body = typeof ev === 'string' ? ev : JSON.stringify(ev);
  const msgId = id || (typeof ev === 'object' ? `msg_${ev.instance}_${ev.seq}_0badcafe` : 'msg_x');
  const hook = secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' });
  const sig = hook.sign(msgId, new Date(ts * 1000), body);
  return {
    headers: { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': sig, 'content-type': 'application/json' },
    body,
  };
}

// A logger that keeps lines (and prints nothing).
function memLogger() {
  const lines = [];
  const add = (m) => lines.push(m);
  return { lines, info: add, warn: add, error: (m) => lines.push(`ERROR ${m}`) };
}

// Resolves when cond() is true; rejects after ms.
async function waitFor(cond, ms = 3000, what = 'condition') {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

module.exports = { SECRET, OTHER_SECRET, INSTANCE, T0, event, signed, memLogger, waitFor };
