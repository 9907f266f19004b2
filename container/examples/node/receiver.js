#!/usr/bin/env node
// A memhook webhook receiver that lives inside the app (Node.js; `npm ci` installs its one
// dependency, the Standard Webhooks library `standardwebhooks`).
//
// It keeps an in-memory cache (the thing a real app would shed under pressure) and trusts a webhook
// only after three checks, in this order:
//  1. Verify: the Standard Webhooks v1 signature (webhook-id, webhook-timestamp, webhook-signature)
//     with the npm `standardwebhooks` library, which also rejects a timestamp more than 5 minutes
//     from now (a captured request cannot be replayed later).
//  2. Deduplicate: a webhook-id seen in the last 10 minutes is answered 204 and not applied again
//     (memhook retries with the same id, so a retry whose first answer was lost is harmless).
//  3. Order: events are applied in `seq` order per memhook `instance`. The first event of an
//     instance starts its order. An event that comes early (seq 3 before seq 2) is held up to
//     ORDER_HOLD_MS for the missing one (0: never held); an event older than one already applied
//     is not applied (it is no longer news); `dropped_before` (events memhook dropped for this
//     endpoint) is logged and the gap accepted at once; a new `instance` (memhook restarted) starts
//     the order again.
//
// Applying an event does something real: on "entered" of level >= 1 it drops the cache and forces
// a garbage collection (when node was started with --expose-gc; otherwise it says it cannot),
// reporting the bytes freed; on "normal" it lets the cache fill again. SIGUSR1 (memhook's "signal"
// action) drops the cache too. One log line per event on stdout.
//
// Environment, as in the Python receiver: PORT (8080; 0 picks a free one, logged), HOST (127.0.0.1),
//   MEMHOOK_SECRET (required: "whsec_<base64>" or a plain string whose UTF-8 bytes are the key;
//   several separated by spaces while keys rotate), ACCEPT_LEGACY_SIGNATURE (1: a request without
//   the standard headers may carry the legacy X-Memhook-Signature instead; default 0),
//   ORDER_HOLD_MS (1000), CACHE_MB (16), CACHE_GROW_MB_PER_S (0), CACHE_MAX_MB (64).
// Replies: 204 accepted (also a duplicate or a late event), 400 not a memhook event, 401 bad or
//   missing signature or a stale timestamp, 404 other paths, 413 body over 64 KiB; GET /healthz 200.
// Run: npm ci && node --expose-gc receiver.js
'use strict';

const crypto = require('crypto');
const http = require('http');
const { performance } = require('perf_hooks');
const { Webhook, WebhookVerificationError } = require('standardwebhooks');

const MAX_BODY_BYTES = 64 * 1024; // memhook's payload is well under 2 KiB
const CHUNK_BYTES = 1024 * 1024;  // the cache holds 1 MiB values
const MIB = 1024 * 1024;
const SEEN_TTL_MS = 10 * 60 * 1000; // remember ids twice the library's 5-minute replay window
const SEEN_MAX = 10000;             // and at most this many (memhook sends a few per minute)
const HELD_MAX = 100;               // early events held at most; beyond, the oldest is applied
const SECRET_PREFIX = 'whsec_';

function log(msg) {
  process.stdout.write(`receiver: ${msg}\n`);
}

function envNumber(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v} is not a non-negative number`);
  return n;
}

// The HMAC key of each secret in MEMHOOK_SECRET (space-separated): a whsec_ secret's key is its
// base64-decoded part, a plain secret's key its UTF-8 bytes. Throws on a bad whsec_ secret.
function parseSecrets(value) {
  const secrets = value.split(/\s+/).filter((s) => s !== '');
  if (secrets.length === 0) throw new Error('MEMHOOK_SECRET is not set');
  return secrets.map((s) => {
    if (!s.startsWith(SECRET_PREFIX)) return Buffer.from(s, 'utf8');
    const b64 = s.slice(SECRET_PREFIX.length);
    // Node's decoder skips what is not base64; refuse it here, at start.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new Error(`a ${SECRET_PREFIX} secret is not valid base64`);
    }
    return Buffer.from(b64, 'base64');
  });
}

// null when one of the verifiers accepts the request (signature and timestamp), else why not.
function verifyStandard(verifiers, body, headers) {
  let why = 'No matching signature found';
  for (const wh of verifiers) {
    try {
      wh.verify(body, headers, { jsonParse: false });
      return null;
    } catch (e) {
      if (!(e instanceof WebhookVerificationError)) throw e;
      why = e.message;
    }
  }
  return why;
}

// True when header is "sha256=<hex HMAC-SHA256(key, body)>" for one of the keys.
function verifyLegacy(keys, body, header) {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const got = Buffer.from(header.slice('sha256='.length).trim().toLowerCase());
  return keys.some((k) => {
    const want = Buffer.from(crypto.createHmac('sha256', k).update(body).digest('hex'));
    return got.length === want.length && crypto.timingSafeEqual(got, want);
  });
}

// The webhook-ids accepted in the last SEEN_TTL_MS (at most SEEN_MAX); a Map keeps insertion order.
class SeenIds {
  constructor() {
    this.ids = new Map(); // id -> time first accepted
  }

  // True when id was not seen (it is remembered from now on).
  addIfNew(id, now) {
    for (const [oldest, t] of this.ids) {
      if (now - t < SEEN_TTL_MS && this.ids.size < SEEN_MAX) break;
      this.ids.delete(oldest);
    }
    if (this.ids.has(id)) return false;
    this.ids.set(id, now);
    return true;
  }
}

// Applies events in seq order per memhook instance; see the comment at the top.
class Orderer {
  constructor(holdMs, apply) {
    this.holdMs = holdMs;
    this.apply = apply;
    this.instance = null;
    this.last = 0;          // the last seq applied for this.instance
    this.held = new Map();  // seq -> {ev, arrived}
    this.timer = null;
    this.warnedNoInstance = false;
  }

  offer(ev, now) {
    const inst = ev.instance;
    const seq = ev.seq;
    if (typeof inst !== 'string' || !Number.isInteger(seq)) {
      if (!this.warnedNoInstance) {
        log('event without instance/seq (memhook before Standard Webhooks): applied as it arrives, not ordered');
        this.warnedNoInstance = true;
      }
      this.apply(ev);
      return;
    }
    if (inst !== this.instance) {
      // The first event of an instance starts its order: a receiver (re)started beside a running
      // memhook must not hold its first event, often the one that matters.
      if (this.instance !== null) {
        this.drain(now, true);
        log(`new memhook instance ${inst} (was ${this.instance}): seq order starts again at seq=${seq}`);
      } else {
        log(`memhook instance ${inst}: seq order starts at seq=${seq}`);
      }
      this.instance = inst;
      this.last = seq - 1;
      this.held = new Map();
    }
    if (seq <= this.last || this.held.has(seq)) {
      log(`late event seq=${seq} (${ev.event}) after seq ${this.last} was applied: not applied`);
      return;
    }
    this.held.set(seq, { ev, arrived: now });
    if (seq !== this.last + 1 && !(ev.dropped_before > 0) && this.holdMs > 0) {
      log(`held seq=${seq}: waiting up to ${this.holdMs} ms for seq ${this.last + 1}`);
    }
    this.drain(now, false);
  }

  drain(now, flush) {
    while (this.held.size > 0) {
      const seq = Math.min(...this.held.keys());
      const { ev, arrived } = this.held.get(seq);
      const dropped = Number.isInteger(ev.dropped_before) ? ev.dropped_before : 0;
      if (dropped > 0) {
        log(`memhook dropped ${dropped} event(s) for this endpoint before seq=${seq}: gap accepted`);
      } else if (seq !== this.last + 1) {
        if (!(flush || now - arrived >= this.holdMs || this.held.size > HELD_MAX)) {
          this.schedule(arrived + this.holdMs - now);
          return;
        }
        log(`seq ${this.last + 1}..${seq - 1} not received: applying seq=${seq}`);
      }
      this.held.delete(seq);
      this.last = seq;
      this.apply(ev);
    }
  }

  schedule(ms) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.drain(performance.now(), false);
    }, Math.max(ms, 0));
  }
}

// A Map of Buffers standing for whatever the app caches.
class Cache {
  constructor(maxBytes) {
    this.items = new Map();
    this.nextKey = 0;
    this.bytes = 0;
    this.maxBytes = maxBytes;
    this.filling = true; // false after a drop, until memhook says "normal" again
  }

  add(nbytes) {
    if (!this.filling) return;
    while (nbytes > 0 && this.bytes < this.maxBytes) {
      const n = Math.min(CHUNK_BYTES, nbytes, this.maxBytes - this.bytes);
      // Distinct content so every page is really touched.
      this.items.set(this.nextKey, Buffer.alloc(n, (this.nextKey % 251) + 1));
      this.nextKey += 1;
      this.bytes += n;
      nbytes -= n;
    }
  }

  // Empties the cache and stops refilling; returns the bytes it held.
  drop() {
    const freed = this.bytes;
    this.items.clear();
    this.bytes = 0;
    this.filling = false;
    return freed;
  }
}

function shed(cache, why) {
  const freed = cache.drop();
  let gcNote;
  if (typeof global.gc === 'function') {
    global.gc();
    gcNote = 'forced a gc';
  } else {
    gcNote = 'cannot force a gc (start node with --expose-gc)';
  }
  log(`${why}: dropped cache, freed ${freed} bytes; ${gcNote}`);
}

function handleEvent(ev, cache) {
  const level = Number(ev.level) || 0;
  const name = ev.level_name || 'normal';
  const sample = ev.sample || {};
  const what = `verified event=${ev.event} level=${level} (${name}) seq=${ev.seq} ` +
    `usage=${sample.usage_bytes} limit=${sample.limit_bytes}`;
  if (ev.event === 'entered' && level >= 1) {
    shed(cache, what);
  } else if (ev.event === 'normal' || (ev.event === 'left' && level === 0)) {
    cache.filling = true;
    log(`${what}: cache may fill again`);
  } else {
    log(`${what}: noted`);
  }
}

function reply(res, code) {
  res.writeHead(code, { 'Content-Length': '0' });
  res.end();
}

function main() {
  let keys;
  try {
    keys = parseSecrets(process.env.MEMHOOK_SECRET || '');
  } catch (e) {
    log(`${e.message}; refusing to accept unsigned webhooks`);
    process.exit(2);
  }
  // The library, given the key bytes ("raw"), checks the signature and the timestamp.
  const verifiers = keys.map((k) => new Webhook(k, { format: 'raw' }));
  const acceptLegacy = process.env.ACCEPT_LEGACY_SIGNATURE === '1';
  const port = envNumber('PORT', 8080);
  const host = process.env.HOST || '127.0.0.1';
  const cache = new Cache(envNumber('CACHE_MAX_MB', 64) * MIB);
  cache.add(envNumber('CACHE_MB', 16) * MIB);
  const growBytesPerSec = envNumber('CACHE_GROW_MB_PER_S', 0) * MIB;
  const seen = new SeenIds();
  const orderer = new Orderer(envNumber('ORDER_HOLD_MS', 1000), (ev) => handleEvent(ev, cache));

  const server = http.createServer((req, res) => {
    if (req.method === 'GET') return reply(res, req.url === '/healthz' ? 200 : 404);
    if (req.method !== 'POST') return reply(res, 405);
    const chunks = [];
    let len = 0;
    let tooBig = false;
    req.on('data', (c) => {
      len += c.length;
      if (len > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) {
        log(`rejected: body over ${MAX_BODY_BYTES} bytes (413)`);
        return reply(res, 413);
      }
      const body = Buffer.concat(chunks);
      const h = req.headers;
      const id = h['webhook-id'];
      if (acceptLegacy && !id && !h['webhook-timestamp'] && !h['webhook-signature']) {
        if (!verifyLegacy(keys, body, h['x-memhook-signature'])) {
          log('rejected: bad or missing X-Memhook-Signature (401)');
          return reply(res, 401);
        }
      } else {
        const why = verifyStandard(verifiers, body, h);
        if (why) {
          log(`rejected: ${why} (401)`);
          return reply(res, 401);
        }
      }
      let ev;
      try {
        ev = JSON.parse(body.toString('utf8'));
        if (typeof ev !== 'object' || ev === null || Array.isArray(ev) || typeof ev.event !== 'string') {
          throw new Error();
        }
      } catch (e) {
        log('rejected: signed but not a memhook event (400)');
        return reply(res, 400);
      }
      const now = performance.now();
      if (id && !seen.addIfNew(id, now)) {
        log(`duplicate webhook-id ${id} (seq=${ev.seq}): already handled`);
        return reply(res, 204);
      }
      reply(res, 204);
      orderer.offer(ev, now);
    });
  });

  process.on('SIGUSR1', () => shed(cache, 'signal SIGUSR1'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));

  server.listen(port, host, () => {
    if (acceptLegacy) {
      log('ACCEPT_LEGACY_SIGNATURE=1: requests with only X-Memhook-Signature are accepted (no replay protection)');
    }
    log(`listening on ${host}:${server.address().port}; cache ${cache.bytes} bytes, growing ${growBytesPerSec} bytes/s`);
  });
  if (growBytesPerSec > 0) setInterval(() => cache.add(growBytesPerSec / 10), 100);
}

main();
