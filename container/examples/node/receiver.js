#!/usr/bin/env node
// A memhook webhook receiver that lives inside the app (Node.js, no dependencies).
//
// It keeps an in-memory cache (the thing a real app would shed under pressure), verifies each
// webhook's X-Memhook-Signature (HMAC-SHA256 of the raw body), and on every event does something
// real: on "entered" of level >= 1 it drops the cache and forces a garbage collection (when node
// was started with --expose-gc; otherwise it says it cannot), reporting the bytes freed; on
// "normal" it lets the cache fill again. SIGUSR1 (memhook's "signal" action) drops the cache too.
// One log line per event on stdout.
//
// Environment: PORT (8080; 0 picks a free one, logged), HOST (127.0.0.1), MEMHOOK_SECRET (required), CACHE_MB (16),
//              CACHE_GROW_MB_PER_S (0), CACHE_MAX_MB (64)  -- as in the Python receiver.
// Replies: 204 handled, 400 bad JSON, 401 bad or missing signature, 404 other paths,
//          413 body over 64 KiB. GET /healthz answers 200.
// Run: node --expose-gc receiver.js
'use strict';

const crypto = require('crypto');
const http = require('http');

const MAX_BODY_BYTES = 64 * 1024; // memhook's payload is well under 2 KiB
const CHUNK_BYTES = 1024 * 1024;  // the cache holds 1 MiB values
const MIB = 1024 * 1024;

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

// True when header is "sha256=<hex HMAC-SHA256(secret, body)>" (compared in constant time).
function verify(secret, body, header) {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const want = Buffer.from(crypto.createHmac('sha256', secret).update(body).digest('hex'));
  const got = Buffer.from(header.slice('sha256='.length).trim().toLowerCase());
  return got.length === want.length && crypto.timingSafeEqual(got, want);
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
  const secret = process.env.MEMHOOK_SECRET || '';
  if (!secret) {
    log('MEMHOOK_SECRET is not set; refusing to accept unsigned webhooks');
    process.exit(2);
  }
  const port = envNumber('PORT', 8080);
  const host = process.env.HOST || '127.0.0.1';
  const cache = new Cache(envNumber('CACHE_MAX_MB', 64) * MIB);
  cache.add(envNumber('CACHE_MB', 16) * MIB);
  const growBytesPerSec = envNumber('CACHE_GROW_MB_PER_S', 0) * MIB;

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
      if (!verify(secret, body, req.headers['x-memhook-signature'])) {
        log('rejected: bad or missing X-Memhook-Signature (401)');
        return reply(res, 401);
      }
      let ev;
      try {
        ev = JSON.parse(body.toString('utf8'));
        if (typeof ev !== 'object' || ev === null || typeof ev.event !== 'string') throw new Error();
      } catch (e) {
        log('rejected: signed but not a memhook event (400)');
        return reply(res, 400);
      }
      reply(res, 204);
      handleEvent(ev, cache);
    });
  });

  process.on('SIGUSR1', () => shed(cache, 'signal SIGUSR1'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));

  server.listen(port, host, () => {
    log(`listening on ${host}:${server.address().port}; cache ${cache.bytes} bytes, growing ${growBytesPerSec} bytes/s`);
  });
  if (growBytesPerSec > 0) setInterval(() => cache.add(growBytesPerSec / 10), 100);
}

main();
