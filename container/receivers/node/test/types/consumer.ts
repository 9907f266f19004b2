// Compiled (never run) by test.sh with `tsc --noEmit`: index.d.ts describes what a TypeScript app writes.
import * as http from 'node:http';
import { MemhookReceiver, MemhookEvent, callWords, heapCheck, Registration, SseParser, Subscription } from '../..';

const mh = new MemhookReceiver({ secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'plain'], holdMs: 300 });
const cache = new Map<string, Buffer>();
mh.onEntered(1, () => cache.clear());
mh.onEntered('critical', async (ev: MemhookEvent, { signal }) => {
  await new Promise((resolve) => setTimeout(resolve, 10));
  if (!signal.aborted) console.log(ev.level_name);
});
mh.onLeft(2, (ev) => console.log(ev.previous_level_name));
mh.onRemaining(2, (ev) => console.log(ev.sample?.usage_bytes), { every: 30 });
mh.onNormal(() => undefined);
mh.onLimitChanged((ev) => console.log(ev.new_limit_bytes));
mh.onOomKill(3, () => undefined);
mh.onTargetLost(() => undefined);
mh.onTargetFound(() => undefined);
const r: Registration = mh.registerOnEnteredSeverity(1)(() => undefined);
r.cancel();
mh.registerOnRemainingInSeverity(0, 30, () => undefined);
mh.registerOnMemoryNormal(() => undefined);
mh.cleanupOnEntered(2, cache, (c) => c.clear());
mh.on('entered', (ev) => console.log(callWords(ev), ev.level_name));
mh.on('dropped', (g) => console.log(g.instance, g.seq, g.count));
mh.on('lost', (l) => console.log(l.lost));
mh.on('heap_warning', (w) => console.log(w.suggestedMaxOldSpaceMb));
const res = mh.receive({ 'webhook-id': 'x' }, Buffer.from('{}'));
const status: number = res.status;
const level: number = mh.severityLevel;
http.createServer(mh.handler).listen(0);
const sub = mh.subscribe('http://127.0.0.1:9100/events', { reconnectMs: 500 });
sub.ready.then(() => sub.close());
const w = heapCheck(2 ** 31, 2 ** 28);
console.log(status, level, w?.message);
new SseParser((m) => console.log(m.data)).push('');
export type S = Subscription;
