package dev.memhook;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Payloads, signed requests and a receiver with a manual clock, for the tests. */
final class Fixtures {
  static final String SECRET =
      "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
  static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final String INSTANCE = "9f2c41d07ab3e615";
  static final String[] NAMES = {"normal", "elevated", "high", "critical"};

  private Fixtures() {}

  /** A body as memhook builds it (the keys a handler reads; extra ones as memhook has them). */
  static String body(String event, int level, int previous, long seq, String extra) {
    return "{\"event\":\"" + event + "\",\"level\":" + level + ",\"level_name\":\""
        + NAMES[level] + "\",\"previous_level\":" + previous + ",\"previous_level_name\":\""
        + NAMES[previous] + "\",\"seq\":" + seq + ",\"instance\":\"" + INSTANCE + "\","
        + "\"timestamp\":\"2026-11-25T21:11:00.123Z\","
        + "\"target\":{\"cgroup\":\"/sys/fs/cgroup/x\",\"pid\":1234},"
        + "\"sample\":{\"usage_bytes\":92274688,\"limit_bytes\":104857600,"
        + "\"local_free_percent\":12.5},\"hostname\":\"web-0\",\"memhook_version\":\"0.1.0\""
        + (extra.isEmpty() ? "" : "," + extra) + "}";
  }

  /** Signed headers for body with id at timestamp. */
  static Map<String, String> headers(String id, long timestamp, String body) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("webhook-id", id);
    h.put("webhook-timestamp", Long.toString(timestamp));
    h.put("webhook-signature", Verifier.sign(KEY, id, timestamp, bytes(body)));
    h.put("content-type", "application/json");
    return h;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A receiver with a manual clock, a log kept in a list, and a recorder of calls. */
  static final class Rig implements AutoCloseable {
    final ManualClock clock = new ManualClock();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Receiver r;

    Rig(Duration hold) {
      this(Receiver.builder().orderHold(hold));
    }

    Rig(Receiver.Builder b) {
      r = b.secrets(SECRET).clock(clock).softMaxHeap(false, Double.NaN).log(log::add).build();
    }

    /** Sends a signed event with id msg_SEQ at the clock's now. */
    Receiver.Outcome send(String event, int level, int previous, long seq) {
      return send(body(event, level, previous, seq, ""), "msg_" + INSTANCE + "_" + seq);
    }

    Receiver.Outcome send(String body, String id) {
      return r.receive(headers(id, clock.unixSeconds(), body), bytes(body));
    }

    /** Every handler call made so far, once the queue is idle. */
    List<String> calls() throws InterruptedException {
      TestMain.check(r.awaitIdle(Duration.ofSeconds(10)), "handlers idle within 10 s");
      synchronized (calls) {
        return new ArrayList<>(calls);
      }
    }

    boolean logged(String part) {
      synchronized (log) {
        return log.stream().anyMatch(l -> l.contains(part));
      }
    }

    @Override
    public void close() {
      r.close();
    }
  }
}
