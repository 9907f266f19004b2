'use strict';
// Reads memhook's /events stream (Server-Sent Events) instead of serving webhooks: for an app
// without an HTTP server. Each message's data is the webhook body; its id is the event's seq.
// When the stream ends or fails it reconnects, with `Last-Event-ID` set to the last id received,
// so memhook sends what came meanwhile from its ring; what the ring no longer has comes first as
// `event: lost` (logged, and the next event is applied without waiting for the lost ones).

const http = require('node:http');
const https = require('node:https');
const { EventEmitter } = require('node:events');
const { StringDecoder } = require('node:string_decoder');

// The first reconnection waits this long (EventSource's usual default); each failure in a row
// doubles it up to RECONNECT_MAX_MS.
const RECONNECT_MS = 1000;
const RECONNECT_MAX_MS = 30000;
// memhook sends `: ping` every 15 s: three missed means the connection is dead.
const IDLE_TIMEOUT_MS = 45000;
// A line longer than this is not memhook's (its events are under 2 KiB): the connection is dropped.
const LINE_MAX_BYTES = 1024 * 1024;

// The event-stream format (HTML's Server-Sent Events): push() text as it comes, onMessage({id,
// event, data}) per message, onRetry(ms) per retry field. Returns false on a line over LINE_MAX_BYTES.
class SseParser {
  constructor(onMessage, onRetry) {
    this.onMessage = onMessage;
    this.onRetry = onRetry || (() => {});
    this.rest = '';
    this.lastCR = false;
    this.reset();
  }

  reset() {
    this.data = [];
    this.event = '';
    this.id = undefined;
  }

  push(text) {
    let s = this.rest + text;
    if (this.lastCR && s.startsWith('\n')) s = s.slice(1); // \r\n split across chunks
    this.lastCR = false;
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(s.slice(start, i));
      if (c === 13) {
        if (i + 1 === s.length) this.lastCR = true;
        else if (s.charCodeAt(i + 1) === 10) i += 1;
      }
      start = i + 1;
    }
    this.rest = s.slice(start);
    return this.rest.length <= LINE_MAX_BYTES;
  }

  line(l) {
    if (l === '') {
      if (this.data.length > 0) this.onMessage({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      this.reset();
      return;
    }
    if (l.startsWith(':')) return; // a comment (memhook's opening line, pings)
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) this.onRetry(Number(value));
  }
}

class Subscription extends EventEmitter {
  // opts: reconnectMs, maxReconnectMs, idleTimeoutMs, headers, lastEventId (to resume from).
  constructor(receiver, url, opts = {}) {
    super();
    this.receiver = receiver;
    this.log = receiver.log;
    this.url = new URL(url);
    this.reconnectMs = opts.reconnectMs || RECONNECT_MS;
    this.maxReconnectMs = opts.maxReconnectMs || RECONNECT_MAX_MS;
    this.idleTimeoutMs = opts.idleTimeoutMs || IDLE_TIMEOUT_MS;
    this.headers = opts.headers || {};
    this.lastEventId = opts.lastEventId === undefined ? undefined : String(opts.lastEventId);
    this.failures = 0;
    this.connections = 0; // successful connections so far
    this.closed = false;
    this.req = null;
    this.timer = null;
    this.ready = new Promise((resolve) => { this.resolveReady = resolve; });
  }

  start() {
    this.connect();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.req) this.req.destroy();
    this.emit('closed');
  }

  connect() {
    if (this.closed) return;
    const headers = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache', ...this.headers };
    if (this.lastEventId !== undefined && this.lastEventId !== '') headers['Last-Event-ID'] = this.lastEventId;
    const mod = this.url.protocol === 'https:' ? https : http;
    let over = false;
    const retry = (why) => {
      if (over) return;
      over = true;
      if (req) req.destroy();
      this.scheduleRetry(why);
    };
    const req = mod.get(this.url, { headers, timeout: this.idleTimeoutMs });
    this.req = req;
    req.on('timeout', () => retry(`nothing received for ${this.idleTimeoutMs} ms`));
    req.on('error', (e) => retry(e.message));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        if (res.statusCode === 400 && headers['Last-Event-ID'] !== undefined) {
          this.log.warn(`stream ${this.url}: Last-Event-ID ${this.lastEventId} refused (400): resuming without it`);
          this.lastEventId = undefined;
        }
        retry(`HTTP ${res.statusCode}`);
        return;
      }
      this.failures = 0;
      this.connections += 1;
      this.log.info(`stream ${this.url}: connected${headers['Last-Event-ID'] ? ` (Last-Event-ID: ${headers['Last-Event-ID']})` : ''}`);
      this.emit('connected', { lastEventId: headers['Last-Event-ID'] });
      this.resolveReady();
      const decoder = new StringDecoder('utf8');
      const parser = new SseParser((m) => this.message(m), (ms) => { this.reconnectMs = ms; });
      res.on('data', (chunk) => {
        if (!parser.push(decoder.write(chunk))) retry(`a line over ${LINE_MAX_BYTES} bytes`);
      });
      res.on('end', () => retry('the stream ended'));
      res.on('error', (e) => retry(e.message));
    });
  }

  scheduleRetry(why) {
    this.req = null;
    if (this.closed) return;
    const delay = Math.min(this.reconnectMs * 2 ** this.failures, this.maxReconnectMs);
    this.failures += 1;
    const resume = this.lastEventId === undefined ? 'from the next event' : `with Last-Event-ID: ${this.lastEventId}`;
    this.log.warn(`stream ${this.url}: ${why}: reconnecting in ${delay} ms ${resume}`);
    this.emit('disconnected', { reason: why, delayMs: delay });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  message(m) {
    if (m.id !== undefined) this.lastEventId = m.id;
    let data;
    try {
      data = JSON.parse(m.data);
    } catch (e) {
      this.log.warn(`stream ${this.url}: a message (event: ${m.event}) whose data is not JSON: ignored`);
      return;
    }
    if (m.event === 'lost') {
      this.receiver.streamLost({ lost: data.lost, instance: data.instance });
      return;
    }
    this.receiver.receiveStreamEvent(data);
  }
}

module.exports = { Subscription, SseParser, RECONNECT_MS, IDLE_TIMEOUT_MS };
