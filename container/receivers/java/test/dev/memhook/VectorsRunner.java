package dev.memhook;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs tests/contract/receivers/vectors.json (its path the only argument) against fresh
 * receivers: prints "ok NAME" or "not ok NAME: why" per case; exits 0 only when all pass.
 *
 * <p>Time: the receiver's wall clock is each delivery's "now"; its monotonic clock follows "now"
 * too (a delivery one second after the last is one second later, so a hold may pass between two
 * deliveries), and after the last delivery it moves on by hold_ms + 1 so that every held event is
 * applied.
 */
public final class VectorsRunner {
  /** The levels each per-level handler is registered for (memhook's policies have at most 16). */
  static final int LEVELS = 16;

  private VectorsRunner() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: VectorsRunner vectors.json");
      System.exit(2);
    }
    Object doc = Json.parse(Files.readAllBytes(Path.of(args[0])), 64 << 20);
    Map<?, ?> top = (Map<?, ?>) doc;
    if (!Long.valueOf(1).equals(top.get("format"))) {
      System.out.println("not ok format: format " + top.get("format") + " is not 1");
      System.exit(1);
    }
    long holdMs = top.get("hold_ms") instanceof Long ? (Long) top.get("hold_ms") : 1000;
    int failed = 0;
    int n = 0;
    for (Object c : (List<?>) top.get("cases")) {
      Map<?, ?> kase = (Map<?, ?>) c;
      String name = (String) kase.get("name");
      n++;
      String why;
      try {
        why = run(kase, holdMs);
      } catch (Exception | AssertionError e) {
        why = "threw " + e;
      }
      if (why == null) {
        System.out.println("ok " + name);
      } else {
        failed++;
        System.out.println("not ok " + name + ": " + why);
      }
    }
    System.out.println((n - failed) + " of " + n + " cases passed");
    System.exit(failed == 0 && n > 0 ? 0 : 1);
  }

  /** Null when the case passes, else why not. */
  static String run(Map<?, ?> kase, long holdMs) throws InterruptedException {
    ManualClock clock = new ManualClock();
    List<String> logLines = Collections.synchronizedList(new ArrayList<>());
    List<String> secrets = new ArrayList<>();
    for (Object s : (List<?>) kase.get("secrets")) {
      secrets.add((String) s);
    }
    List<String> calls = Collections.synchronizedList(new ArrayList<>());
    List<String> gaps = Collections.synchronizedList(new ArrayList<>());
    try (Receiver r =
        Receiver.builder()
            .secrets(secrets)
            .clock(clock)
            .orderHold(Duration.ofMillis(holdMs))
            .softMaxHeap(false, Double.NaN)
            .log(logLines::add)
            .build()) {
      for (int level = 0; level <= LEVELS; level++) {
        String l = Integer.toString(level);
        r.registerOnEnteredSeverity(level, e -> calls.add("entered " + l));
        r.registerOnLeftSeverity(level, e -> calls.add("left " + l));
        r.registerOnRemainingInSeverity(level, Duration.ZERO, e -> calls.add("remaining " + l));
      }
      r.registerOnMemoryNormal(() -> calls.add("normal"));
      r.registerOnLimitChanged(e -> calls.add("limit_changed " + e.level()));
      r.registerOnOomKill(e -> calls.add("oom_kill " + e.level()));
      r.registerOnTargetLost(e -> calls.add("target_lost"));
      r.registerOnTargetFound(e -> calls.add("target_found"));
      r.registerOnGap(
          g -> {
            if (g.reason() == Gap.Reason.DROPPED_BEFORE) {
              gaps.add(g.instance() + " " + g.seq() + " " + g.count());
            }
          });
      long lastNow = -1;
      int i = 0;
      for (Object d : (List<?>) kase.get("deliveries")) {
        Map<?, ?> del = (Map<?, ?>) d;
        long now = (Long) del.get("now");
        if (lastNow >= 0 && now > lastNow) {
          clock.advanceMs((now - lastNow) * 1000);
        }
        lastNow = now;
        clock.unixS.set(now);
        r.tick();
        Map<String, String> headers = new LinkedHashMap<>();
        ((Map<?, ?>) del.get("headers")).forEach((k, v) -> headers.put((String) k, (String) v));
        byte[] body = ((String) del.get("body")).getBytes(StandardCharsets.UTF_8);
        Receiver.Outcome got = r.receive(headers, body);
        String expect = (String) del.get("expect");
        String want =
            switch (expect) {
              case "accept" -> got == Receiver.Outcome.ACCEPTED ? null : "ACCEPTED";
              case "duplicate" -> got == Receiver.Outcome.DUPLICATE ? null : "DUPLICATE";
              case "late" -> got == Receiver.Outcome.LATE ? null : "LATE";
              case "reject" -> {
                long status = del.get("status") instanceof Long ? (Long) del.get("status") : -1;
                yield got.status == status ? null : "a " + status + " rejection";
              }
              default -> "an expectation this runner knows (" + expect + ")";
            };
        if (want != null) {
          return "delivery " + i + ": " + got + " (" + got.status + "), wanted " + want
              + lastLog(logLines);
        }
        i++;
      }
      clock.advanceMs(holdMs + 1);
      r.tick();
      if (!r.awaitIdle(Duration.ofSeconds(10))) {
        return "handlers still running after 10 s";
      }
      List<String> wantCalls = new ArrayList<>();
      for (Object c : (List<?>) kase.get("calls")) {
        wantCalls.add((String) c);
      }
      if (!wantCalls.equals(calls)) {
        return "calls " + calls + ", wanted " + wantCalls + lastLog(logLines);
      }
      List<String> wantGaps = new ArrayList<>();
      Object g = kase.get("gaps");
      if (g instanceof List) {
        for (Object o : (List<?>) g) {
          Map<?, ?> m = (Map<?, ?>) o;
          wantGaps.add(m.get("instance") + " " + m.get("seq") + " " + m.get("dropped_before"));
        }
      }
      if (!wantGaps.equals(gaps)) {
        return "gaps " + gaps + ", wanted " + wantGaps;
      }
      return null;
    }
  }

  private static String lastLog(List<String> lines) {
    return lines.isEmpty() ? "" : " (log: " + String.join(" | ", lines) + ")";
  }
}
