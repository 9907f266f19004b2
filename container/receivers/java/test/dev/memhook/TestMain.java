package dev.memhook;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The unit tests' runner (no JUnit: the library needs nothing but a JDK): every static method
 * named test* of the classes below, in name order; prints "ok Class.method" or "not ok
 * Class.method: why"; exits 0 only when every test ran and passed. Arguments: substrings of the
 * tests to run (none: all).
 */
public final class TestMain {
  static final Class<?>[] CLASSES = {
    JsonTest.class,
    VerifyTest.class,
    OrderTest.class,
    HandlersTest.class,
    HttpTest.class,
    SubscribeTest.class,
    SoftMaxHeapTest.class,
    ExampleTest.class,
  };

  private TestMain() {}

  public static void main(String[] args) throws Exception {
    List<Method> tests = new ArrayList<>();
    for (Class<?> c : CLASSES) {
      Method[] ms = c.getDeclaredMethods();
      Arrays.sort(ms, Comparator.comparing(Method::getName));
      for (Method m : ms) {
        String name = c.getSimpleName() + "." + m.getName();
        if (m.getName().startsWith("test")
            && Modifier.isStatic(m.getModifiers())
            && m.getParameterCount() == 0
            && (args.length == 0 || Arrays.stream(args).anyMatch(name::contains))) {
          tests.add(m);
        }
      }
    }
    int failed = 0;
    for (Method m : tests) {
      String name = m.getDeclaringClass().getSimpleName() + "." + m.getName();
      long t0 = System.nanoTime();
      try {
        m.setAccessible(true);
        m.invoke(null);
        System.out.printf("ok %s (%d ms)%n", name, (System.nanoTime() - t0) / 1_000_000);
      } catch (InvocationTargetException e) {
        failed++;
        Throwable t = e.getCause();
        StackTraceElement at = null;
        for (StackTraceElement s : t.getStackTrace()) {
          if (s.getClassName().endsWith("Test")) {
            at = s;
            break;
          }
        }
        System.out.println("not ok " + name + ": " + t + (at != null ? " at " + at : ""));
      }
    }
    System.out.println((tests.size() - failed) + " of " + tests.size() + " tests passed");
    System.exit(failed == 0 && !tests.isEmpty() ? 0 : 1);
  }

  // ---- assertions ---------------------------------------------------------------------------

  static void check(boolean cond, String what) {
    if (!cond) {
      throw new AssertionError(what);
    }
  }

  static void eq(Object want, Object got, String what) {
    if (!java.util.Objects.equals(want, got)) {
      throw new AssertionError(what + ": got " + got + ", wanted " + want);
    }
  }

  /** Waits until cond holds, at most ms; fails with what. */
  static void waitFor(BooleanSupplier cond, long ms, String what) throws InterruptedException {
    long end = System.nanoTime() + ms * 1_000_000;
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + ms + " ms waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Runs r and fails unless it throws a t. */
  static <T extends Throwable> T throwsA(Class<T> t, ThrowingRunnable r, String what) {
    try {
      r.run();
    } catch (Throwable e) {
      if (t.isInstance(e)) {
        return t.cast(e);
      }
      throw new AssertionError(what + ": threw " + e + ", wanted " + t.getSimpleName());
    }
    throw new AssertionError(what + ": did not throw " + t.getSimpleName());
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }
}
