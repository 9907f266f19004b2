#!/usr/bin/env node
'use strict';
// The quickstart of memhook-receiver, runnable: serves memhook's webhooks (or reads its /events
// stream), sheds a cache on entering level 1, and prints one line per handler call:
// `call entered 1 high` (the call, then the level's name where the event has a level).
//
// Environment: MEMHOOK_SECRET (secrets, space-separated; required to serve), PORT (8080; 0: a free
// one), HOST (127.0.0.1), SUBSCRIBE_URL (read memhook's stream there instead of serving),
// ORDER_HOLD_MS (1000: how long an early event waits for the ones before it).
// Prints `listening on PORT` or `subscribed to URL` once ready. Exit 2: no secret, or a bad one.

const http = require('node:http');
const { MemhookReceiver, KINDS, callWords } = require('..');

function print(line) {
  process.stdout.write(`${line}\n`);
}

function main() {
  const subscribeUrl = process.env.SUBSCRIBE_URL || '';
  const secret = process.env.MEMHOOK_SECRET || '';
  if (subscribeUrl === '' && secret.trim() === '') {
    process.stderr.write('receiver: MEMHOOK_SECRET is not set: refusing to accept unsigned webhooks\n');
    process.exit(2);
  }
  let mh;
  try {
    const hold = process.env.ORDER_HOLD_MS;
    if (hold !== undefined && hold !== '' && !/^[0-9]+$/.test(hold)) throw new Error(`ORDER_HOLD_MS=${hold} is not a number of ms`);
    // secrets from MEMHOOK_SECRET
    mh = new MemhookReceiver({ holdMs: hold ? Number(hold) : undefined });
  } catch (e) {
    process.stderr.write(`receiver: ${e.message}\n`);
    process.exit(2);
  }

  const cache = new Map([['report', Buffer.alloc(1024 * 1024)]]); // what the app can recompute
  mh.onEntered(1, () => cache.clear()); // Satella's register_on_entered_severity(1)
  mh.onNormal(() => cache.set('report', Buffer.alloc(1024 * 1024)));
  for (const kind of KINDS) {
    mh.on(kind, (ev) => {
      const name = kind === 'left' ? ev.previous_level_name : ev.level_name;
      const leveled = callWords(ev) !== kind;
      print(`call ${callWords(ev)}${leveled && name ? ` ${name}` : ''}`);
    });
  }

  let server = null;
  process.on('SIGTERM', () => {
    mh.close();
    if (server) server.close();
    process.exit(0);
  });

  if (subscribeUrl !== '') {
    const sub = mh.subscribe(subscribeUrl);
    sub.ready.then(() => print(`subscribed to ${subscribeUrl}`));
    return;
  }
  server = http.createServer(mh.handler);
  server.listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1', () => {
    print(`listening on ${server.address().port}`);
  });
}

main();
