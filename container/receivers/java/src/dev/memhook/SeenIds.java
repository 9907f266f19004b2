package dev.memhook;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** The webhook-ids accepted in the last ttl (at most max of them), oldest first. */
final class SeenIds {
  private final long ttlMs;
  private final int max;
  private final LinkedHashMap<String, Long> ids = new LinkedHashMap<>();

  SeenIds(long ttlMs, int max) {
    this.ttlMs = ttlMs;
    this.max = max;
  }

  /** True when id was not seen (it is remembered from nowMs on). */
  synchronized boolean addIfNew(String id, long nowMs) {
    Iterator<Map.Entry<String, Long>> it = ids.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Long> oldest = it.next();
      if (nowMs - oldest.getValue() < ttlMs && ids.size() < max) {
        break;
      }
      it.remove();
    }
    if (ids.containsKey(id)) {
      return false;
    }
    ids.put(id, nowMs);
    return true;
  }
}
