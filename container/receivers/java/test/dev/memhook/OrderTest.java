package dev.memhook;

import static dev.memhook.TestMain.check;
import static dev.memhook.TestMain.eq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

final class OrderTest {
  private OrderTest() {}

  /** A rig recording "entered N seqS" for levels 1..3 and every gap. */
  static Fixtures.Rig rig(long holdMs, List<String> gaps) {
    Fixtures.Rig rig = new Fixtures.Rig(Duration.ofMillis(holdMs));
    for (int level = 0; level <= 3; level++) {
      rig.r.registerOnEnteredSeverity(level, e -> rig.calls.add("seq " + e.seq().orElse(-1)));
      rig.r.registerOnLeftSeverity(level, e -> rig.calls.add("seq " + e.seq().orElse(-1)));
    }
    rig.r.registerOnGap(g -> gaps.add(g.reason() + " " + g.seq() + " " + g.count()));
    return rig;
  }

  static void testEarlyEventWaitsTheHoldThenTheGapIsLogged() throws Exception {
    List<String> gaps = Collections.synchronizedList(new ArrayList<>());
    try (Fixtures.Rig rig = rig(1000, gaps)) {
      eq(Receiver.Outcome.ACCEPTED, rig.send("entered", 1, 0, 1), "seq 1 starts the order");
      eq(Receiver.Outcome.ACCEPTED, rig.send("entered", 3, 2, 3), "seq 3 is accepted (held)");
      check(rig.logged("held seq=3: waiting up to 1000 ms for seq 2"), "the hold is logged");
      eq(List.of("seq 1"), rig.calls(), "seq 3 held");
      rig.clock.advanceMs(999);
      rig.r.tick();
      eq(List.of("seq 1"), rig.calls(), "still held at 999 ms");
      rig.clock.advanceMs(1);
      rig.r.tick();
      eq(List.of("seq 1", "seq 3"), rig.calls(), "applied at 1000 ms");
      check(rig.logged("seq 2..2 not received (instance " + Fixtures.INSTANCE
          + "): applying seq=3"), "the gap is logged");
      eq(List.of("MISSING 3 1"), gaps, "the gap is reported");
      eq(Receiver.Outcome.LATE, rig.send("entered", 2, 1, 2), "seq 2 now is late");
      check(rig.logged("late event seq=2 (entered) after seq 3 was applied: not applied"), "log");
      eq(List.of("seq 1", "seq 3"), rig.calls(), "the late one is not applied");
    }
  }

  static void testReorderedPairIsAppliedInOrder() throws Exception {
    List<String> gaps = new ArrayList<>();
    try (Fixtures.Rig rig = rig(1000, gaps)) {
      rig.send("entered", 1, 0, 1);
      rig.send("entered", 3, 2, 3);
      rig.send("entered", 2, 1, 2);
      eq(List.of("seq 1", "seq 2", "seq 3"), rig.calls(), "2 then the held 3, at once");
      eq(List.of(), gaps, "no gap");
    }
  }

  static void testTheTimerAppliesHeldEventsOnItsOwn() throws Exception {
    // The system clock: the receiver's own timer releases the held event after the hold.
    List<String> calls = Collections.synchronizedList(new ArrayList<>());
    try (Receiver r = Receiver.builder().secrets(Fixtures.SECRET).orderHold(Duration.ofMillis(200))
        .softMaxHeap(false, Double.NaN).log(l -> {}).build()) {
      r.registerOnEnteredSeverity(1, () -> calls.add("1"));
      r.registerOnEnteredSeverity(3, () -> calls.add("3"));
      long now = System.currentTimeMillis() / 1000;
      for (int[] e : new int[][] {{1, 0, 1}, {3, 2, 3}}) {
        String b = Fixtures.body("entered", e[0], e[1], e[2], "");
        r.handle(Fixtures.headers("m" + e[2], now, b), Fixtures.bytes(b));
      }
      long t0 = System.nanoTime();
      TestMain.waitFor(() -> calls.size() == 2, 5000, "the held event applied by the timer");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      check(ms >= 150 && ms < 2000, "applied after about the hold (" + ms + " ms)");
    }
  }

  static void testDroppedBeforeIsAppliedAtOnceAndReported() throws Exception {
    List<String> gaps = Collections.synchronizedList(new ArrayList<>());
    try (Fixtures.Rig rig = rig(60_000, gaps)) {
      rig.send("entered", 1, 0, 1);
      rig.send(Fixtures.body("entered", 3, 2, 4, "\"dropped_before\":2"), "msg_4");
      eq(List.of("seq 1", "seq 4"), rig.calls(), "not held");
      eq(List.of("DROPPED_BEFORE 4 2"), gaps, "reported with memhook's count");
      check(rig.logged("memhook dropped 2 event(s) for this endpoint before seq=4"), "logged");
    }
  }

  static void testNewInstanceStartsAgainAndNoInstanceIsAppliedAsItComes() throws Exception {
    List<String> gaps = new ArrayList<>();
    try (Fixtures.Rig rig = rig(60_000, gaps)) {
      rig.send("entered", 1, 0, 7);
      String other = Fixtures.body("left", 0, 1, 1, "").replace(Fixtures.INSTANCE, "0123456789abcdef");
      eq(Receiver.Outcome.ACCEPTED, rig.send(other, "msg_other_1"), "seq 1 of a new instance");
      check(rig.logged("new memhook instance 0123456789abcdef: seq order starts at seq=1"), "log");
      rig.send("{\"event\":\"entered\",\"level\":2,\"level_name\":\"high\"}", "msg_old_1");
      rig.send("{\"event\":\"entered\",\"level\":1,\"level_name\":\"elevated\"}", "msg_old_2");
      List<String> calls = rig.calls();
      eq(List.of("seq 7", "seq 1", "seq -1", "seq -1"), calls, "all four applied");
      eq(List.of(), gaps, "no gap");
    }
  }

  static void testHeldEventsAreBounded() throws Exception {
    List<String> gaps = Collections.synchronizedList(new ArrayList<>());
    try (Fixtures.Rig rig = rig(60_000, gaps)) {
      rig.send("entered", 1, 0, 1);
      // Odd seqs only: every one waits for the one before it.
      for (int seq = 3; seq <= 2 * Orderer.HELD_MAX + 3; seq += 2) {
        rig.send("entered", 1, 0, seq);
      }
      // HELD_MAX + 1 held: the oldest (3) is applied, with seq 2 reported missing; 5 still waits.
      eq(List.of("seq 1", "seq 3"), rig.calls().subList(0, 2), "the bound applies the oldest");
      eq(Orderer.HELD_MAX, rig.r.awaitIdle(Duration.ofSeconds(5)) ? heldCount(rig) : -1, "held");
      eq(List.of("MISSING 3 1"), gaps, "the gap");
    }
  }

  private static int heldCount(Fixtures.Rig rig) throws Exception {
    java.lang.reflect.Field f = Receiver.class.getDeclaredField("orderer");
    f.setAccessible(true);
    return ((Orderer) f.get(rig.r)).held(Fixtures.INSTANCE).size();
  }

  static void testInstancesAreBoundedFlushingTheEldest() throws Exception {
    List<String> gaps = Collections.synchronizedList(new ArrayList<>());
    try (Fixtures.Rig rig = rig(60_000, gaps)) {
      // Instance 0 holds seq 3 (2 missing); 16 more instances push it out: 3 is applied then.
      for (int i = 0; i <= Orderer.INSTANCES_MAX; i++) {
        String inst = String.format("%016x", i);
        String b1 = Fixtures.body("entered", 1, 0, 1, "").replace(Fixtures.INSTANCE, inst);
        rig.send(b1, "m" + i + "_1");
        if (i == 0) {
          String b3 = Fixtures.body("entered", 3, 2, 3, "").replace(Fixtures.INSTANCE, inst);
          rig.send(b3, "m0_3");
          eq(List.of("seq 1"), rig.calls(), "seq 3 of instance 0 held");
        }
      }
      List<String> calls = rig.calls();
      eq(Orderer.INSTANCES_MAX + 2, calls.size(), "every event applied: " + calls);
      eq("seq 3", calls.get(calls.size() - 2), "the eldest's held event applied when it went");
      eq(List.of("MISSING 3 1"), gaps, "its gap reported");
    }
  }
}
