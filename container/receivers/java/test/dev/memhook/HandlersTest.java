package dev.memhook;

import static dev.memhook.TestMain.check;
import static dev.memhook.TestMain.eq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

final class HandlersTest {
  private HandlersTest() {}

  static void testClimbAndFallCallsSatellasHandlersInOrder() throws Exception {
    try (Fixtures.Rig rig = new Fixtures.Rig(Duration.ofSeconds(1))) {
      for (int level = 1; level <= 3; level++) {
        int l = level;
        rig.r.registerOnEnteredSeverity(level, () -> rig.calls.add("entered " + l));
        rig.r.registerOnLeftSeverity(level, e -> rig.calls.add("left " + e.previousLevel()));
      }
      rig.r.registerOnMemoryNormal(() -> rig.calls.add("normal"));
      int seq = 1;
      for (String[] e : new String[][] {{"entered", "1", "0"}, {"entered", "2", "1"},
          {"entered", "3", "2"}, {"left", "2", "3"}, {"left", "1", "2"}, {"left", "0", "1"},
          {"normal", "0", "0"}}) {
        rig.send(e[0], Integer.parseInt(e[1]), Integer.parseInt(e[2]), seq++);
      }
      eq(List.of("entered 1", "entered 2", "entered 3", "left 3", "left 2", "left 1", "normal"),
          rig.calls(), "Satella's order");
    }
  }

  static void testByNameOrNumber() throws Exception {
    try (Fixtures.Rig rig = new Fixtures.Rig(Duration.ofSeconds(1))) {
      rig.r.registerOnEnteredSeverity("high", () -> rig.calls.add("entered high"));
      rig.r.registerOnEnteredSeverity(2, () -> rig.calls.add("entered 2"));
      rig.r.registerOnEnteredSeverity("critical", () -> rig.calls.add("entered critical"));
      rig.r.registerOnLeftSeverity("high", e -> rig.calls.add("left high to " + e.levelName()));
      rig.r.registerOnRemainingInSeverity("high", () -> rig.calls.add("remaining high"));
      rig.r.registerOnRemainingInSeverity(2, e -> rig.calls.add("remaining " + e.level()));
      rig.r.registerOnOomKill(e -> rig.calls.add("oom_kill " + e.level()));
      rig.r.registerOnLimitChanged(e -> rig.calls.add("limit " + e.newLimitBytes()));
      rig.r.registerOnTargetLost(e -> rig.calls.add("target_lost"));
      rig.r.registerOnTargetFound(e -> rig.calls.add("target_found"));
      Receiver.Registration cancelled = rig.r.registerOnEnteredSeverity(2,
          () -> rig.calls.add("cancelled"));
      cancelled.cancel();
      rig.send("entered", 1, 0, 1);
      rig.send("entered", 2, 1, 2);
      rig.send("remaining", 2, 2, 3);
      rig.send("oom_kill", 2, 2, 4);
      rig.send(Fixtures.body("limit_changed", 2, 2, 5,
          "\"old_limit_bytes\":100,\"new_limit_bytes\":200"), "msg_5");
      rig.send("target_lost", 2, 2, 6);
      rig.send("target_found", 2, 2, 7);
      rig.send("left", 1, 2, 8);
      eq(List.of("entered high", "entered 2", "remaining high", "remaining 2", "oom_kill 2", "limit 200",
          "target_lost", "target_found", "left high to elevated"), rig.calls(),
          "names and numbers, in registration order per event");
      TestMain.throwsA(IllegalArgumentException.class,
          () -> rig.r.registerOnEnteredSeverity(-1, () -> {}), "a negative level");
      TestMain.throwsA(IllegalArgumentException.class,
          () -> rig.r.registerOnEnteredSeverity("", () -> {}), "an empty name");
    }
  }

  static void testListenerHearsEveryKind() throws Exception {
    try (Fixtures.Rig rig = new Fixtures.Rig(Duration.ofSeconds(1))) {
      rig.r.addListener(new MemhookListener() {
        @Override public void onEntered(Event e) { rig.calls.add("entered " + e.level()); }
        @Override public void onLeft(Event e) { rig.calls.add("left " + e.subjectLevel()); }
        @Override public void onRemaining(Event e) { rig.calls.add("remaining " + e.level()); }
        @Override public void onNormal(Event e) { rig.calls.add("normal"); }
        @Override public void onLimitChanged(Event e) { rig.calls.add("limit_changed"); }
        @Override public void onOomKill(Event e) { rig.calls.add("oom_kill"); }
        @Override public void onTargetLost(Event e) { rig.calls.add("target_lost"); }
        @Override public void onTargetFound(Event e) { rig.calls.add("target_found"); }
        @Override public void onGap(Gap g) { rig.calls.add("gap " + g.count()); }
      });
      String[] kinds = {"entered", "remaining", "left", "normal", "limit_changed", "oom_kill",
          "target_lost", "target_found"};
      int[][] levels = {{1, 0}, {1, 1}, {0, 1}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}};
      for (int i = 0; i < kinds.length; i++) {
        rig.send(kinds[i], levels[i][0], levels[i][1], i + 1);
      }
      rig.send(Fixtures.body("normal", 0, 0, 12, "\"dropped_before\":3"), "msg_12");
      eq(List.of("entered 1", "remaining 1", "left 1", "normal", "limit_changed", "oom_kill",
          "target_lost", "target_found", "gap 3", "normal"), rig.calls(), "every kind");
    }
  }

  static void testCallNoMoreOftenThan() throws Exception {
    try (Fixtures.Rig rig = new Fixtures.Rig(Duration.ofSeconds(1))) {
      rig.r.registerOnRemainingInSeverity(1, Duration.ofSeconds(30),
          e -> rig.calls.add("thin " + e.seq().getAsLong()));
      rig.r.registerOnRemainingInSeverity(1, Duration.ZERO,
          e -> rig.calls.add("every " + e.seq().getAsLong()));
      rig.send("remaining", 1, 1, 1); // t = 0: both
      rig.clock.advanceMs(10_000);
      rig.send("remaining", 1, 1, 2); // t = 10 s: only every
      rig.send("remaining", 2, 2, 3); // another level: neither
      rig.clock.advanceMs(19_999);
      rig.send("remaining", 1, 1, 4); // t = 29.999 s: only every
      rig.clock.advanceMs(1);
      rig.send("remaining", 1, 1, 5); // t = 30 s: both
      eq(List.of("thin 1", "every 1", "every 2", "every 4", "thin 5", "every 5"), rig.calls(),
          "at most once per 30 s");
    }
  }

  static void testThrowingHandlerIsLoggedAndNeverBreaksTheReceiver() throws Exception {
    try (Fixtures.Rig rig = new Fixtures.Rig(Duration.ofSeconds(1))) {
      rig.r.registerOnEnteredSeverity(1, () -> {
        throw new IllegalStateException("boom");
      });
      rig.r.registerOnEnteredSeverity(1, () -> {
        throw new AssertionError("an Error too");
      });
      rig.r.registerOnEnteredSeverity(1, e -> rig.calls.add("after " + e.seq().getAsLong()));
      eq(Receiver.Outcome.ACCEPTED, rig.send("entered", 1, 0, 1), "accepted");
      eq(Receiver.Outcome.ACCEPTED, rig.send("entered", 1, 0, 2), "the next one too");
      eq(List.of("after 1", "after 2"), rig.calls(), "the later handler ran both times");
      check(rig.logged("handler entered 1 threw on entered level=1 (elevated) seq=1: "
          + "java.lang.IllegalStateException: boom"), "the throw is logged: " + rig.log);
      check(rig.logged("java.lang.AssertionError: an Error too"), "an Error is logged");
    }
  }

  static void testHandlerTimeLimit() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Long> stuckCalls = Collections.synchronizedList(new ArrayList<>());
    try (Fixtures.Rig rig = new Fixtures.Rig(
        Receiver.builder().orderHold(Duration.ofSeconds(1)).handlerTimeout(Duration.ofMillis(200)))) {
      rig.r.registerOnEnteredSeverity(1, e -> {
        stuckCalls.add(e.seq().getAsLong());
        // Ignores interruption: the worst a handler can do.
        while (true) {
          try {
            if (release.await(10, TimeUnit.SECONDS)) {
              return;
            }
          } catch (InterruptedException ignored) {
            // keeps waiting
          }
        }
      });
      rig.r.registerOnEnteredSeverity(1, e -> rig.calls.add("next " + e.seq().getAsLong()));
      long t0 = System.nanoTime();
      rig.send("entered", 1, 0, 1);
      TestMain.waitFor(() -> rig.calls.size() == 1, 5000, "the next handler runs");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      check(ms >= 180 && ms < 3000, "the next handler started after the limit (" + ms + " ms)");
      rig.send("entered", 1, 0, 2);
      TestMain.waitFor(() -> rig.calls.size() == 2, 5000, "the next handler runs again");
      eq(List.of(1L), stuckCalls, "the stuck handler is not called while it runs");
      check(rig.logged("handler entered 1 took more than 200 ms on entered level=1 (elevated) "
          + "seq=1: interrupted, moving on"), "the overrun is logged: " + rig.log);
      check(rig.logged("handler entered 1 is still running from an earlier call: not called for "
          + "entered level=1 (elevated) seq=2"), "the skip is logged");
      release.countDown();
      // Once it has returned it is called again (its flag clears just after it returns: events
      // are sent until one reaches it).
      long end = System.nanoTime() + 5_000_000_000L;
      for (long seq = 3; stuckCalls.size() < 2 && System.nanoTime() < end; seq++) {
        rig.send("entered", 1, 0, seq);
        rig.r.awaitIdle(Duration.ofSeconds(1));
      }
      eq(2, stuckCalls.size(), "called again once it returned");
    }
  }

  static void testQueueIsBoundedDroppingTheOldest() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Fixtures.Rig rig = new Fixtures.Rig(
        Receiver.builder().orderHold(Duration.ofSeconds(1)).queueCapacity(3)
            .handlerTimeout(Duration.ofSeconds(30)))) {
      rig.r.registerOnEnteredSeverity(1, e -> {
        if (e.seq().getAsLong() == 1) {
          started.countDown();
          try {
            release.await();
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
        }
        rig.calls.add("seq " + e.seq().getAsLong());
      });
      long t0 = System.nanoTime();
      rig.send("entered", 1, 0, 1);
      check(started.await(5, TimeUnit.SECONDS), "the first call runs");
      for (int seq = 2; seq <= 6; seq++) {
        eq(Receiver.Outcome.ACCEPTED, rig.send("entered", 1, 0, seq), "seq " + seq);
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      check(ms < 2000, "requests never wait for handlers (" + ms + " ms)");
      eq(2L, rig.r.droppedCalls(), "two calls dropped");
      check(rig.logged("handler queue full (3 calls): dropped the oldest, entered level=1 "
          + "(elevated) seq=2 for entered 1 (dropped so far: 1)"), "logged: " + rig.log);
      release.countDown();
      eq(List.of("seq 1", "seq 4", "seq 5", "seq 6"), rig.calls(), "the newest three kept");
    }
  }
}
