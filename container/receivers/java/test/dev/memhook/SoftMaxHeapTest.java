package dev.memhook;

import static dev.memhook.TestMain.check;
import static dev.memhook.TestMain.eq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * limit_changed and SoftMaxHeapSize. test.sh runs this class again in JVMs started with
 * -XX:+UseZGC, -XX:+UseShenandoahGC and -XX:+UseG1GC (each -Xmx256m), naming the collector in
 * -Dmemhook.test.gc, so that each is checked for what it is, never for what the test finds; for
 * ZGC and Shenandoah it then finds, in the collector's own log (-Xlog:gc*), that the collector
 * took the new value (ZGC: "Soft Max Capacity: 50M", Shenandoah: "Soft Max Heap Size: 256M ->
 * 51200K").
 */
final class SoftMaxHeapTest {
  private SoftMaxHeapTest() {}

  static final long MIB = 1 << 20;

  static void testLimitChangedFollowsTheCollector() throws Exception {
    SoftMaxHeap smh = new SoftMaxHeap(0.25);
    String want = System.getProperty("memhook.test.gc");
    if (want != null) {
      eq(want, smh.collector(), "the JVM runs the collector test.sh asked for");
    }
    boolean honours = smh.honouringCollector() != null;
    eq(honours, want == null ? honours : want.equals("ZGC") || want.equals("Shenandoah"),
        "ZGC and Shenandoah honour it, nothing else");
    long max = Long.parseLong(java.lang.management.ManagementFactory
        .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
        .getVMOption("MaxHeapSize").getValue());
    long before = smh.current();
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    try (Receiver r = Receiver.builder().secrets(Fixtures.SECRET).softMaxHeap(true, 0.25)
        .log(log::add).build()) {
      long now = System.currentTimeMillis() / 1000;
      long limit = Math.min(200 * MIB, max * 2);
      String body = Fixtures.body("limit_changed", 0, 0, 1,
          "\"old_limit_bytes\":" + (4 * limit) + ",\"new_limit_bytes\":" + limit);
      eq(204, r.handle(Fixtures.headers("m1", now, body), Fixtures.bytes(body)), "accepted");
      check(r.awaitIdle(Duration.ofSeconds(5)), "idle");
      if (honours) {
        eq(Math.min(limit / 4, max), smh.current(), "SoftMaxHeapSize is a quarter of the limit");
        String line = "limit now " + limit + " bytes: SoftMaxHeapSize " + before + " -> "
            + smh.current() + " bytes (" + smh.collector() + ", 25.0% of the limit";
        check(log.stream().anyMatch(l -> l.startsWith(line)), "logged: " + log);
        System.gc(); // a cycle that reads it: test.sh finds the collector's own log line
        String up = Fixtures.body("limit_changed", 0, 0, 2,
            "\"old_limit_bytes\":" + limit + ",\"new_limit_bytes\":" + (1L << 40));
        r.handle(Fixtures.headers("m2", now, up), Fixtures.bytes(up));
        check(r.awaitIdle(Duration.ofSeconds(5)), "idle");
        eq(max, smh.current(), "a limit of 1 TiB: SoftMaxHeapSize at most MaxHeapSize");
      } else {
        eq(before, smh.current(), "SoftMaxHeapSize left alone");
        check(log.stream().anyMatch(l -> l.contains("bytes: SoftMaxHeapSize not set: "
            + smh.collector() + " in JDK 17 does not honour it (ZGC and Shenandoah do)")),
            "the log says why: " + log);
      }
    }
  }

  static void testValueIsAFractionOfTheLimitWithinBounds() {
    SoftMaxHeap smh = new SoftMaxHeap(0.5);
    long max = smh.valueFor(Long.MAX_VALUE / 4);
    check(max > 0, "capped at MaxHeapSize");
    eq(Math.min(50 * MIB, max), smh.valueFor(100 * MIB), "half of 100 MiB");
    eq(Math.min(MIB, max), smh.valueFor(1000), "at least 1 MiB");
    TestMain.throwsA(IllegalArgumentException.class, () -> new SoftMaxHeap(1.5), "over 1");
    TestMain.throwsA(IllegalArgumentException.class, () -> new SoftMaxHeap(0), "zero");
    double def = Double.parseDouble(java.lang.management.ManagementFactory
        .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
        .getVMOption("MaxRAMPercentage").getValue());
    eq(Math.min((long) (100 * MIB * def / 100), max), new SoftMaxHeap(Double.NaN).valueFor(100 * MIB),
        "the default fraction is MaxRAMPercentage");
  }
}
