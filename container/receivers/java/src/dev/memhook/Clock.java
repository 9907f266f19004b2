package dev.memhook;

/** The receiver's time: injectable, so tests and the vectors runner decide what "now" is. */
public interface Clock {
  /** Wall-clock Unix seconds: checked against webhook-timestamp. */
  long unixSeconds();

  /** A monotonic count of milliseconds: the order hold, remembered ids, call_no_more_often_than. */
  long monotonicMillis();

  /** The JVM's clocks. */
  static Clock system() {
    return new Clock() {
      @Override
      public long unixSeconds() {
        return System.currentTimeMillis() / 1000;
      }

      @Override
      public long monotonicMillis() {
        return System.nanoTime() / 1_000_000;
      }
    };
  }
}
