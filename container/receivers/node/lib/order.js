'use strict';
// Applies events in seq order per memhook instance.
//
// - The first event of an instance not seen before starts its order and is applied at once: a
//   receiver started beside a running memhook cannot know where memhook's count is.
// - The next seq is applied at once. An early one (seq 3 while 2 is missing) is held up to holdMs
//   for the missing one, then applied and the gap reported (onMissing).
// - An event with dropped_before (memhook dropped that many events for this endpoint before it) is
//   applied at once and the loss reported (onDropped); so is the first event after a stream's
//   `lost` (acceptGap).
// - An event at or below the last seq applied, or from an instance older than the current one, is
//   late: not applied (it is no longer news).
// - A new instance (memhook restarted; seq starts again) applies what the old one held and starts
//   the order again.
// - An event without instance/seq (a memhook from before Standard Webhooks) is applied as it comes.

const { performance } = require('node:perf_hooks');

// Early events held at most per instance; beyond, the oldest is applied (a flood cannot grow memory).
const HELD_MAX = 100;
// Instances remembered (to call an old instance's event late); memhook restarts are rare.
const INSTANCES_MAX = 16;

class Orderer {
  // holdMs: how long an early event waits; nowMs: the receiver's clock (ms); apply(ev): called in
  // order; log: {info, warn}; onDropped({instance, seq, count}); onMissing({instance, from, to, seq});
  // onInstance({instance, previous, seq}).
  constructor({ holdMs, nowMs, apply, log, onDropped, onMissing, onInstance }) {
    this.holdMs = holdMs;
    this.nowMs = nowMs;
    this.apply = apply;
    this.log = log;
    this.onDropped = onDropped || (() => {});
    this.onMissing = onMissing || (() => {});
    this.onInstance = onInstance || (() => {});
    this.current = null;       // the instance whose events are applied
    this.states = new Map();   // instance -> {last, held: Map(seq -> entry), gapAccepted}
    this.timer = null;
    this.warnedUnordered = false;
  }

  // Offers a verified event; returns 'accept' (applied now or held) or 'late' (not applied).
  offer(ev) {
    const inst = ev.instance;
    const seq = ev.seq;
    if (typeof inst !== 'string' || !Number.isSafeInteger(seq)) {
      if (!this.warnedUnordered) {
        this.log.warn('event without instance/seq (a memhook before Standard Webhooks): applied as it arrives, not ordered');
        this.warnedUnordered = true;
      }
      this.apply(ev);
      return 'accept';
    }
    const now = this.clocks();
    if (this.current !== null) this.drain(this.current, now, false); // holds that expired meanwhile
    let st = this.states.get(inst);
    if (st === undefined) {
      const previous = this.current;
      if (previous !== null) {
        this.drain(previous, now, true);
        this.log.info(`new memhook instance ${inst} (was ${previous}): seq order starts again at seq=${seq}`);
      } else {
        this.log.info(`memhook instance ${inst}: seq order starts at seq=${seq}`);
      }
      st = { last: seq - 1, held: new Map(), gapAccepted: false };
      this.states.set(inst, st);
      this.current = inst;
      for (const old of this.states.keys()) {
        if (this.states.size <= INSTANCES_MAX) break;
        if (old !== inst) this.states.delete(old);
      }
      this.onInstance({ instance: inst, previous, seq });
    } else if (inst !== this.current) {
      this.log.info(`late event seq=${seq} (${ev.event}) from memhook instance ${inst}, replaced by ${this.current}: not applied`);
      return 'late';
    }
    if (seq <= st.last || st.held.has(seq)) {
      this.log.info(`late event seq=${seq} (${ev.event}) after seq ${st.last} was applied: not applied`);
      return 'late';
    }
    st.held.set(seq, { ev, at: now });
    if (seq !== st.last + 1 && !(dropped(ev) > 0) && !st.gapAccepted && this.holdMs > 0) {
      this.log.info(`held seq=${seq}: waiting up to ${this.holdMs} ms for seq ${st.last + 1}`);
    }
    this.drain(inst, now, false);
    return 'accept';
  }

  // The next event of inst is applied at once whatever its seq (the stream said events were lost).
  acceptGap(inst) {
    const st = this.states.get(inst);
    if (st !== undefined) {
      st.gapAccepted = true;
      this.drain(inst, this.clocks(), false);
    }
  }

  // Events held now (all instances).
  heldCount() {
    let n = 0;
    for (const st of this.states.values()) n += st.held.size;
    return n;
  }

  // Applies every held event now (a stop).
  flush() {
    if (this.current !== null) this.drain(this.current, this.clocks(), true);
  }

  close() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  // Both clocks: the receiver's (which a test may move) and the monotonic one the timer runs on.
  // A hold has passed when either says so.
  clocks() {
    return { clock: this.nowMs(), mono: performance.now() };
  }

  drain(inst, now, flush) {
    const st = this.states.get(inst);
    while (st.held.size > 0) {
      const seq = Math.min(...st.held.keys());
      const { ev, at } = st.held.get(seq);
      const count = dropped(ev);
      if (count > 0) {
        this.log.warn(`memhook dropped ${count} event(s) for this endpoint before seq=${seq}: gap accepted`);
        this.onDropped({ instance: inst, seq, count });
      } else if (seq !== st.last + 1 && !st.gapAccepted) {
        const waited = Math.max(now.clock - at.clock, now.mono - at.mono);
        if (!flush && waited < this.holdMs && st.held.size <= HELD_MAX) {
          this.schedule(inst, this.holdMs - waited);
          return;
        }
        this.log.warn(`seq ${st.last + 1}..${seq - 1} not received: applying seq=${seq}`);
        this.onMissing({ instance: inst, from: st.last + 1, to: seq - 1, seq });
      }
      st.gapAccepted = false;
      st.held.delete(seq);
      st.last = seq;
      this.apply(ev);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  schedule(inst, ms) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (inst === this.current) this.drain(inst, this.clocks(), false);
    }, Math.max(Math.ceil(ms), 1));
  }
}

function dropped(ev) {
  return Number.isSafeInteger(ev.dropped_before) ? ev.dropped_before : 0;
}

module.exports = { Orderer, HELD_MAX };
