package dev.memhook;

import java.util.concurrent.atomic.AtomicLong;

/** A clock the test moves by hand. */
final class ManualClock implements Clock {
  final AtomicLong unixS = new AtomicLong(1_764_105_060L);
  final AtomicLong monoMs = new AtomicLong(1_000_000L);

  @Override
  public long unixSeconds() {
    return unixS.get();
  }

  @Override
  public long monotonicMillis() {
    return monoMs.get();
  }

  void advanceMs(long ms) {
    monoMs.addAndGet(ms);
  }
}
