package dev.memhook;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Applies events in seq order per memhook instance (callers hold no lock; this class has its
 * own).
 *
 * <ul>
 *   <li>the first event of an instance not seen starts its order and is applied at once;
 *   <li>the next seq is applied at once; an early one is held up to the hold for the missing ones,
 *       then applied and the gap reported ({@link Gap.Reason#MISSING});
 *   <li>an event with dropped_before is applied at once and the loss reported ({@link
 *       Gap.Reason#DROPPED_BEFORE}); so is the first event after the stream's "event: lost" ({@link
 *       Gap.Reason#STREAM_LOST});
 *   <li>an event at or below the last applied seq is late: not applied;
 *   <li>an event without instance or seq is applied as it arrives.
 * </ul>
 */
final class Orderer {
  /** What offer() did with an event. */
  enum Outcome {
    APPLIED_OR_HELD,
    LATE
  }

  /** Early events held per instance at most; beyond, the oldest is applied. */
  static final int HELD_MAX = 100;

  /** Instances remembered at most (one memhook restarting gives one more each time). */
  static final int INSTANCES_MAX = 16;

  private static final class Order {
    long last; // the last seq applied
    final TreeMap<Long, Object[]> held = new TreeMap<>(); // seq -> {Event, Long arrivedMs}
  }

  private final long holdMs;
  private final Consumer<Event> apply;
  private final Consumer<Gap> gap;
  private final Consumer<String> log;
  private final Map<String, Order> orders = new LinkedHashMap<>(16, 0.75f, true);

  Orderer(long holdMs, Consumer<Event> apply, Consumer<Gap> gap, Consumer<String> log) {
    this.holdMs = holdMs;
    this.apply = apply;
    this.gap = gap;
    this.log = log;
  }

  /** Applies or holds ev that arrived at nowMs; LATE when it is no longer news. */
  synchronized Outcome offer(Event ev, long nowMs) {
    String inst = ev.instance();
    if (inst == null || ev.seq().isEmpty()) {
      apply.accept(ev);
      return Outcome.APPLIED_OR_HELD;
    }
    long seq = ev.seq().getAsLong();
    Order o = orders.get(inst);
    if (o == null) {
      if (!orders.isEmpty()) {
        log.accept("new memhook instance " + inst + ": seq order starts at seq=" + seq);
      } else {
        log.accept("memhook instance " + inst + ": seq order starts at seq=" + seq);
      }
      if (orders.size() >= INSTANCES_MAX) {
        Iterator<Map.Entry<String, Order>> it = orders.entrySet().iterator();
        Map.Entry<String, Order> eldest = it.next();
        drain(eldest.getKey(), eldest.getValue(), nowMs, true);
        it.remove();
      }
      o = new Order();
      o.last = seq - 1;
      orders.put(inst, o);
    }
    if (seq <= o.last || o.held.containsKey(seq)) {
      log.accept(
          "late event seq=" + seq + " (" + ev.kindName() + ") after seq " + o.last
              + " was applied: not applied");
      return Outcome.LATE;
    }
    o.held.put(seq, new Object[] {ev, nowMs});
    if (seq != o.last + 1 && ev.droppedBefore() == 0 && ev.streamLost() == 0 && holdMs > 0) {
      log.accept(
          "held seq=" + seq + ": waiting up to " + holdMs + " ms for seq " + (o.last + 1));
    }
    drain(inst, o, nowMs, false);
    return Outcome.APPLIED_OR_HELD;
  }

  /** Applies the held events whose hold has passed at nowMs. */
  synchronized void tick(long nowMs) {
    for (Map.Entry<String, Order> e : new ArrayList<>(orders.entrySet())) {
      drain(e.getKey(), e.getValue(), nowMs, false);
    }
  }

  /** The earliest time (ms) a held event's hold ends, or -1 when none is held. */
  synchronized long nextDeadline() {
    long next = -1;
    for (Order o : orders.values()) {
      for (Object[] h : o.held.values()) {
        long d = (Long) h[1] + holdMs;
        if (next < 0 || d < next) {
          next = d;
        }
      }
    }
    return next;
  }

  private void drain(String inst, Order o, long nowMs, boolean flush) {
    while (!o.held.isEmpty()) {
      Map.Entry<Long, Object[]> first = o.held.firstEntry();
      long seq = first.getKey();
      Event ev = (Event) first.getValue()[0];
      long arrived = (Long) first.getValue()[1];
      long dropped = ev.droppedBefore();
      if (ev.streamLost() > 0) {
        log.accept(
            "the stream lost " + ev.streamLost() + " event(s) before seq=" + seq + " (instance "
                + inst + "): gap accepted");
        gap.accept(new Gap(inst, seq, ev.streamLost(), Gap.Reason.STREAM_LOST));
      } else if (dropped > 0) {
        log.accept(
            "memhook dropped " + dropped + " event(s) for this endpoint before seq=" + seq
                + " (instance " + inst + "): gap accepted");
        gap.accept(new Gap(inst, seq, dropped, Gap.Reason.DROPPED_BEFORE));
      } else if (seq != o.last + 1) {
        if (!(flush || nowMs - arrived >= holdMs || o.held.size() > HELD_MAX)) {
          return;
        }
        log.accept(
            "seq " + (o.last + 1) + ".." + (seq - 1) + " not received (instance " + inst
                + "): applying seq=" + seq);
        gap.accept(new Gap(inst, seq, seq - o.last - 1, Gap.Reason.MISSING));
      }
      o.held.remove(seq);
      o.last = seq;
      apply.accept(ev);
    }
  }

  /** For tests: the seqs held for inst. */
  synchronized List<Long> held(String inst) {
    Order o = orders.get(inst);
    return o == null ? List.of() : new ArrayList<>(o.held.keySet());
  }
}
