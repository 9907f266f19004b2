package dev.memhook;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;

/**
 * Follows memhook's {@code limit_changed} with the JVM's {@code SoftMaxHeapSize}.
 *
 * <p>SoftMaxHeapSize is a manageable flag (settable at run time through {@link
 * HotSpotDiagnosticMXBean#setVMOption}): the heap size the collector tries to stay under, going
 * above it only to avoid stalling allocation, up to MaxHeapSize. In JDK 17 ZGC and Shenandoah
 * honour it; G1, Parallel and Serial accept the value but never read it (G1's use of it,
 * JDK-8236073, came long after 17). So it is set only under ZGC or Shenandoah; under any other
 * collector the change is logged, once per limit, as not applied.
 *
 * <p>The value mirrors how the JVM sized its heap at start from the container's limit: {@code
 * fraction * new_limit_bytes} (the fraction defaults to MaxRAMPercentage, 25% unless set), never
 * above MaxHeapSize (which cannot change at run time, and the flag refuses a larger value).
 */
public final class SoftMaxHeap {
  private final HotSpotDiagnosticMXBean bean;
  private final double fraction;

  /** fraction of the new limit to use; NaN: MaxRAMPercentage / 100. */
  public SoftMaxHeap(double fraction) {
    this.bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    this.fraction = Double.isNaN(fraction) ? maxRamPercentage(bean) / 100.0 : fraction;
    if (!(this.fraction > 0 && this.fraction <= 1)) {
      throw new IllegalArgumentException("the fraction of the limit is in (0, 1]");
    }
  }

  /** The collector in use when it honours SoftMaxHeapSize ("ZGC", "Shenandoah"), else null. */
  public String honouringCollector() {
    if (flag("UseZGC")) {
      return "ZGC";
    }
    if (flag("UseShenandoahGC")) {
      return "Shenandoah";
    }
    return null;
  }

  /** The collector's name for the log. */
  public String collector() {
    String h = honouringCollector();
    if (h != null) {
      return h;
    }
    for (String f : new String[] {"UseG1GC", "UseParallelGC", "UseSerialGC", "UseEpsilonGC"}) {
      if (flag(f)) {
        return f.substring(3, f.length() - 2);
      }
    }
    return "this collector";
  }

  /** SoftMaxHeapSize now, in bytes. */
  public long current() {
    return Long.parseLong(bean.getVMOption("SoftMaxHeapSize").getValue());
  }

  /** The value for a limit of limitBytes: fraction of it, at most MaxHeapSize, at least 1 MiB. */
  public long valueFor(long limitBytes) {
    long max = Long.parseLong(bean.getVMOption("MaxHeapSize").getValue());
    long v = (long) (limitBytes * fraction);
    return Math.max(Math.min(v, max), Math.min(1L << 20, max));
  }

  /** Sets SoftMaxHeapSize for newLimitBytes where the collector honours it; returns the log line. */
  public String apply(long newLimitBytes) {
    if (newLimitBytes <= 0) {
      return "limit_changed without new_limit_bytes: SoftMaxHeapSize left alone";
    }
    long v = valueFor(newLimitBytes);
    String gc = honouringCollector();
    if (gc == null) {
      return "limit now "
          + newLimitBytes
          + " bytes: SoftMaxHeapSize not set: "
          + collector()
          + " in JDK "
          + Runtime.version().feature()
          + " does not honour it (ZGC and Shenandoah do); the heap keeps MaxHeapSize "
          + bean.getVMOption("MaxHeapSize").getValue()
          + " bytes";
    }
    long before = current();
    bean.setVMOption("SoftMaxHeapSize", Long.toString(v));
    return "limit now "
        + newLimitBytes
        + " bytes: SoftMaxHeapSize "
        + before
        + " -> "
        + current()
        + " bytes ("
        + gc
        + ", "
        + Math.round(fraction * 1000) / 10.0
        + "% of the limit, at most MaxHeapSize)";
  }

  private boolean flag(String name) {
    try {
      VMOption o = bean.getVMOption(name);
      return "true".equals(o.getValue());
    } catch (IllegalArgumentException e) { // a JVM without that collector
      return false;
    }
  }

  private static double maxRamPercentage(HotSpotDiagnosticMXBean bean) {
    try {
      return Double.parseDouble(bean.getVMOption("MaxRAMPercentage").getValue());
    } catch (RuntimeException e) {
      return 25.0;
    }
  }
}
