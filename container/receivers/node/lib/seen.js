'use strict';
// The webhook-ids accepted lately, to answer memhook's retries without applying them twice.

// Twice Standard Webhooks' 5-minute timestamp window: an older request is refused as stale anyway.
const SEEN_TTL_MS = 10 * 60 * 1000;
// memhook sends a few events a minute; this bounds memory against a flood of valid ids.
const SEEN_MAX = 10000;

class SeenIds {
  constructor({ ttlMs = SEEN_TTL_MS, max = SEEN_MAX } = {}) {
    this.ttlMs = ttlMs;
    this.max = max;
    this.ids = new Map(); // id -> time first accepted (ms); a Map keeps insertion order
  }

  // True when id was not seen (it is remembered from now on), false for a repeat.
  addIfNew(id, nowMs) {
    for (const [oldest, t] of this.ids) {
      if (nowMs - t < this.ttlMs && this.ids.size < this.max) break;
      this.ids.delete(oldest);
    }
    if (this.ids.has(id)) return false;
    this.ids.set(id, nowMs);
    return true;
  }
}

module.exports = { SeenIds, SEEN_TTL_MS, SEEN_MAX };
