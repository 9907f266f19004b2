package dev.memhook;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** The registered handlers; dispatch() queues the calls an event makes, in order. */
final class Handlers {
  private final class Entry {
    final Event.Kind kind; // null: every kind (a listener)
    final Level level;
    final long minIntervalMs;
    final Consumer<Event> fn;
    final Dispatcher.Handler id;
    long lastCallMs = Long.MIN_VALUE;

    Entry(Event.Kind kind, Level level, long minIntervalMs, Consumer<Event> fn, String name) {
      this.kind = kind;
      this.level = level;
      this.minIntervalMs = minIntervalMs;
      this.fn = fn;
      this.id = new Dispatcher.Handler(name);
    }
  }

  private final List<Entry> entries = new CopyOnWriteArrayList<>();
  private final Dispatcher dispatcher;
  private final Clock clock;

  Handlers(Dispatcher dispatcher, Clock clock) {
    this.dispatcher = dispatcher;
    this.clock = clock;
  }

  Receiver.Registration add(
      Event.Kind kind, Level level, long minIntervalMs, Consumer<Event> fn, String name) {
    if (minIntervalMs < 0) {
      throw new IllegalArgumentException("call_no_more_often_than is 0 or more");
    }
    Entry e = new Entry(kind, level, minIntervalMs, java.util.Objects.requireNonNull(fn), name);
    entries.add(e);
    return () -> entries.remove(e);
  }

  void dispatch(Event ev) {
    List<Entry> due = new ArrayList<>();
    long now = clock.monotonicMillis();
    for (Entry e : entries) {
      if (e.kind != null && (e.kind != ev.kind() || !e.level.matches(ev))) {
        continue;
      }
      synchronized (e) {
        if (e.minIntervalMs > 0 && e.lastCallMs != Long.MIN_VALUE
            && now - e.lastCallMs < e.minIntervalMs) {
          continue;
        }
        e.lastCallMs = now;
      }
      due.add(e);
    }
    for (Entry e : due) {
      dispatcher.submit(new Dispatcher.Call(e.id, () -> e.fn.accept(ev), ev.toString()));
    }
  }
}
