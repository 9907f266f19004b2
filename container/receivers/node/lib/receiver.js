'use strict';
// The receiver: verify, deduplicate, order, then call the handlers (see README.md).

const { EventEmitter } = require('node:events');
const { parseSecrets, makeVerifier } = require('./verify');
const { SeenIds } = require('./seen');
const { Orderer } = require('./order');
const { Dispatcher } = require('./dispatch');
const { heapCheck, newLimitBytes, v8HeapLimitBytes } = require('./heap');
const { readBody } = require('./http_body');
const { Subscription } = require('./stream');

// The event kinds memhook sends (policies/payload.schema.json).
const KINDS = ['entered', 'left', 'remaining', 'normal', 'limit_changed', 'oom_kill', 'target_lost', 'target_found'];
// Kinds whose handlers can be registered for one level; `left` matches the level it left.
const LEVELED = new Set(['entered', 'left', 'remaining', 'limit_changed', 'oom_kill']);
// An early event waits this long for the ones before it.
const HOLD_MS = 1000;
// memhook's body is well under 2 KiB.
const MAX_BODY_BYTES = 64 * 1024;
const SECRET_ENV = 'MEMHOOK_SECRET';

function defaultLogger() {
  const write = (msg) => process.stderr.write(`memhook-receiver: ${msg}\n`);
  return { info: write, warn: write, error: write };
}

function header(headers, name) {
  if (!headers) return undefined;
  if (headers[name] !== undefined) return headers[name];
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return headers[k];
  return undefined;
}

function isEvent(ev) {
  return typeof ev === 'object' && ev !== null && !Array.isArray(ev) && typeof ev.event === 'string' && ev.event !== '';
}

// [number, name] of the level an event is about for kind: the level left for `left`, else the
// level in effect.
function levelOf(ev) {
  if (ev.event === 'left') return [ev.previous_level, ev.previous_level_name];
  return [ev.level, ev.level_name];
}

// "entered 1", "left 3", "normal", "target_lost": the event as its handler call (the vectors' words).
function callWords(ev) {
  return LEVELED.has(ev.event) ? `${ev.event} ${levelOf(ev)[0]}` : ev.event;
}

function normalizeLevel(level) {
  if (level === undefined || level === null || level === '*') return undefined;
  if (typeof level === 'string' && /^[0-9]+$/.test(level)) return Number(level);
  if (Number.isSafeInteger(level) && level >= 0) return level;
  if (typeof level === 'string' && level !== '') return level;
  throw new TypeError(`a level is a number >= 0 or a level name, not ${JSON.stringify(level)}`);
}

function checkFn(fn) {
  if (typeof fn !== 'function') throw new TypeError('a handler is a function');
  return fn;
}

class MemhookReceiver extends EventEmitter {
  // options: secrets (default: $MEMHOOK_SECRET), holdMs, now (() => Unix ms), queueMax,
  // handlerTimeoutMs, logger ({info, warn, error}), maxBodyBytes, heapLimitBytes (() => bytes).
  constructor(options = {}) {
    super();
    const secrets = options.secrets !== undefined ? options.secrets : process.env[SECRET_ENV];
    this.now = options.now || Date.now;
    this.log = options.logger || defaultLogger();
    const empty = secrets === undefined || secrets === null || (typeof secrets === 'string' && secrets.trim() === '');
    // Without a secret the receiver can still read the stream; webhooks are refused (401).
    this.verify = empty ? null : makeVerifier(parseSecrets(secrets), this.now);
    this.maxBodyBytes = options.maxBodyBytes || MAX_BODY_BYTES;
    this.heapLimitBytes = options.heapLimitBytes || v8HeapLimitBytes;
    this.seen = new SeenIds();
    this.dispatcher = new Dispatcher({
      log: this.log, queueMax: options.queueMax, timeoutMs: options.handlerTimeoutMs,
    });
    this.orderer = new Orderer({
      holdMs: options.holdMs === undefined ? HOLD_MS : options.holdMs,
      nowMs: this.now,
      log: this.log,
      apply: (ev) => this.apply(ev),
      onDropped: (gap) => this.notify('dropped', gap),
      onMissing: (gap) => this.notify('missing', gap),
      onInstance: (info) => this.notify('instance', info),
    });
    this.registrations = [];
    this.subscriptions = new Set();
    this.severityLevel = 0; // the level of the last event applied, as Satella's severity_level
    this.handler = this.handler.bind(this);
  }

  // --- Satella-like registration; each returns {cancel()} ---------------------------------------

  onEntered(level, fn, opts) { return this.register('entered', level, fn, opts); }
  onLeft(level, fn, opts) { return this.register('left', level, fn, opts); }
  // opts.every (seconds; Satella's call_no_more_often_than): at most one call per that long.
  onRemaining(level, fn, opts) { return this.register('remaining', level, fn, opts); }
  onNormal(fn, opts) { return this.register('normal', undefined, fn, opts); }
  onLimitChanged(level, fn, opts) { return this.registerAnyLevel('limit_changed', level, fn, opts); }
  onOomKill(level, fn, opts) { return this.registerAnyLevel('oom_kill', level, fn, opts); }
  onTargetLost(fn, opts) { return this.register('target_lost', undefined, fn, opts); }
  onTargetFound(fn, opts) { return this.register('target_found', undefined, fn, opts); }

  // Satella's names: registerOnEnteredSeverity(1, fn) or registerOnEnteredSeverity(1)(fn).
  registerOnEnteredSeverity(level, fn) { return this.curried(fn, (f) => this.onEntered(level, f)); }
  registerOnLeftSeverity(level, fn) { return this.curried(fn, (f) => this.onLeft(level, f)); }
  registerOnRemainingInSeverity(level, callNoMoreOftenThan = 0, fn = undefined) {
    if (typeof callNoMoreOftenThan === 'function') [fn, callNoMoreOftenThan] = [callNoMoreOftenThan, 0];
    return this.curried(fn, (f) => this.onRemaining(level, f, { every: callNoMoreOftenThan }));
  }
  registerOnMemoryNormal(fn) { return this.onNormal(fn); }
  // Calls collector(obj) on entering level while obj is alive (held weakly), as Satella's.
  cleanupOnEntered(level, obj, collector = (o) => o.cleanup()) {
    const ref = new WeakRef(obj);
    return this.onEntered(level, () => {
      const o = ref.deref();
      return o === undefined ? undefined : collector(o);
    });
  }

  curried(fn, register) {
    return fn === undefined ? (f) => register(f) : register(fn);
  }

  registerAnyLevel(kind, level, fn, opts) {
    if (typeof level === 'function') return this.register(kind, undefined, level, fn);
    return this.register(kind, level, fn, opts);
  }

  // One handler for kind at level (a number, a name, or undefined: any); opts: {every, timeoutMs}.
  register(kind, level, fn, opts = {}) {
    checkFn(fn);
    const every = opts.every !== undefined ? opts.every : opts.callNoMoreOftenThan;
    if (every !== undefined && !(every >= 0)) throw new TypeError('every is a number of seconds >= 0');
    const reg = {
      kind,
      level: normalizeLevel(level),
      fn,
      everyMs: (every || 0) * 1000,
      lastMs: -Infinity,
      timeoutMs: opts.timeoutMs,
      name: `${kind}${level === undefined ? '' : ` ${level}`} handler ${fn.name || '(anonymous)'}`,
    };
    this.registrations.push(reg);
    return { cancel: () => { this.registrations = this.registrations.filter((r) => r !== reg); } };
  }

  // --- intake -----------------------------------------------------------------------------------

  // One webhook request: headers (any case) and the raw body (Buffer or the exact string).
  // Returns {status, outcome: 'accept'|'duplicate'|'late'|'reject', reason}. Never throws for bad input.
  receive(headers, body) {
    if (this.verify === null) {
      return this.reject(401, `no secret configured (${SECRET_ENV} or the secrets option): refusing to accept unsigned webhooks`);
    }
    const why = this.verify(body, headers);
    if (why !== null) return this.reject(401, why);
    let ev;
    try {
      ev = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : String(body));
    } catch (e) {
      ev = undefined;
    }
    if (!isEvent(ev)) return this.reject(400, 'signed but not a memhook event');
    const id = header(headers, 'webhook-id');
    if (!this.seen.addIfNew(String(id), this.now())) {
      this.log.info(`duplicate webhook-id ${id} (seq=${ev.seq}): already handled`);
      this.notify('duplicate', ev);
      return { status: 204, outcome: 'duplicate' };
    }
    return this.offer(ev);
  }

  // One event read from memhook's stream (already parsed; the stream is not signed).
  receiveStreamEvent(ev) {
    if (!isEvent(ev)) {
      this.log.warn('stream message is not a memhook event: ignored');
      return { outcome: 'reject' };
    }
    return this.offer(ev);
  }

  offer(ev) {
    const outcome = this.orderer.offer(ev);
    if (outcome === 'late') this.notify('late', ev);
    return { status: 204, outcome };
  }

  reject(status, reason) {
    this.log.warn(`rejected: ${reason} (${status})`);
    this.notify('rejected', { status, reason });
    return { status, outcome: 'reject', reason };
  }

  // A handler for node:http (http.createServer(mh.handler)) and Express (app.post('/memhook',
  // mh.handler)). Mount it before any body parser, or after express.raw({type: 'application/json'}).
  handler(req, res, next) {
    if (req.method !== 'POST') {
      if (typeof next === 'function') return next();
      return send(res, 405, 'POST only');
    }
    readBody(req, this.maxBodyBytes, (err, body) => {
      if (err) {
        this.log.warn(`rejected: ${err.message} (${err.status})`);
        return send(res, err.status, err.message);
      }
      let r;
      try {
        r = this.receive(req.headers, body);
      } catch (e) {
        this.log.error(`receiving failed: ${e.stack || e}`);
        return send(res, 500, 'receiver error');
      }
      return send(res, r.status, r.reason);
    });
  }

  // Reads memhook's /events stream instead of serving (see stream.js); returns a Subscription.
  subscribe(url, opts = {}) {
    const sub = new Subscription(this, url, opts);
    this.subscriptions.add(sub);
    sub.once('closed', () => this.subscriptions.delete(sub));
    sub.start();
    return sub;
  }

  // A stream said some events are gone: the next one of instance is applied without waiting.
  streamLost(info) {
    this.log.warn(`event: lost: memhook no longer had ${info.lost} event(s) of instance ${info.instance} for this stream`);
    this.notify('lost', info);
    this.orderer.acceptGap(info.instance);
  }

  // --- applying -----------------------------------------------------------------------------------

  apply(ev) {
    if (Number.isSafeInteger(ev.level)) this.severityLevel = ev.level;
    if (ev.event === 'limit_changed') {
      const found = heapCheck(this.heapLimitBytes(), newLimitBytes(ev));
      if (found !== null) {
        this.log.warn(found.message);
        this.notify('heap_warning', found);
      }
    }
    const [num, name] = levelOf(ev);
    const nowMs = this.now();
    for (const reg of this.registrations) {
      if (reg.kind !== ev.event) continue;
      if (reg.level !== undefined && reg.level !== (typeof reg.level === 'number' ? num : name)) continue;
      if (reg.everyMs > 0) {
        if (nowMs - reg.lastMs < reg.everyMs) continue;
        reg.lastMs = nowMs;
      }
      this.dispatcher.push(reg.name, reg.fn, undefined, [ev], reg.timeoutMs);
    }
    if (KINDS.includes(ev.event)) this.notify(ev.event, ev); // never 'error' or 'newListener' from a body
    this.notify('event', ev);
  }

  // Runs this emitter's listeners of name from the queue (off the request path, errors logged).
  notify(name, payload) {
    for (const l of this.rawListeners(name)) this.dispatcher.push(`'${name}' listener`, l, this, [payload]);
  }

  // Resolves once nothing is held for order and no handler is queued or running.
  idle() {
    return new Promise((resolve) => {
      const check = () => {
        if (this.orderer.heldCount() === 0 && this.dispatcher.idle()) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }

  // Stops the streams and the order timer; held events are applied first.
  close() {
    this.orderer.flush();
    this.orderer.close();
    for (const sub of this.subscriptions) sub.close();
  }
}

function send(res, status, text) {
  if (res.headersSent) return;
  if (status === 204 || !text) {
    res.writeHead(status, { 'Content-Length': '0' });
    res.end();
    return;
  }
  const body = `${text}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

module.exports = { MemhookReceiver, KINDS, callWords, HOLD_MS, MAX_BODY_BYTES };
