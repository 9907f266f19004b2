package dev.memhook;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs handler calls off the request thread, one at a time and in the order they were queued (as
 * Satella calls its handlers), each under a time limit.
 *
 * <p>The queue is bounded: when it is full, the oldest waiting call is dropped (logged and
 * counted), as memhook's own delivery queue drops its oldest job: the newest state matters most.
 * A call that outlives its limit is interrupted and left behind; the next call starts at once. A
 * handler whose previous call is still running is not called again until it returns (logged), so
 * a handler that never returns holds one thread, never more.
 */
final class Dispatcher implements AutoCloseable {
  /** One queued call: what to run, for which handler, described for the log. */
  static final class Call {
    final Handler handler;
    final Runnable body;
    final String what;

    Call(Handler handler, Runnable body, String what) {
      this.handler = handler;
      this.body = body;
      this.what = what;
    }
  }

  /** A handler's identity and whether a call of it is still running. */
  static final class Handler {
    final String name;
    final AtomicBoolean running = new AtomicBoolean();

    Handler(String name) {
      this.name = name;
    }
  }

  private final ArrayDeque<Call> queue = new ArrayDeque<>();
  private final int capacity;
  private final long timeoutMs;
  private final Consumer<String> log;
  private final ExecutorService workers;
  private final Thread thread;
  private long dropped;
  private boolean busy;
  private boolean closed;

  Dispatcher(int capacity, long timeoutMs, Consumer<String> log) {
    if (capacity < 1 || timeoutMs < 1) {
      throw new IllegalArgumentException("the queue holds at least 1 call, the limit is >= 1 ms");
    }
    this.capacity = capacity;
    this.timeoutMs = timeoutMs;
    this.log = log;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "memhook-handler-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.thread = new Thread(this::loop, "memhook-dispatch");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Queues c; when the queue is full the oldest waiting call is dropped first. */
  synchronized void submit(Call c) {
    if (closed) {
      return;
    }
    if (queue.size() >= capacity) {
      Call old = queue.removeFirst();
      dropped++;
      log.accept(
          "handler queue full ("
              + capacity
              + " calls): dropped the oldest, "
              + old.what
              + " for "
              + old.handler.name
              + " (dropped so far: "
              + dropped
              + ")");
    }
    queue.addLast(c);
    notifyAll();
  }

  /** Calls dropped because the queue was full. */
  synchronized long dropped() {
    return dropped;
  }

  /** Waits until no call waits or runs (the last one returned or overran); false on timeout. */
  synchronized boolean awaitIdle(long timeoutMs) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (busy || !queue.isEmpty()) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  private void loop() {
    while (true) {
      Call c;
      synchronized (this) {
        busy = false;
        notifyAll();
        while (queue.isEmpty() && !closed) {
          try {
            wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        c = queue.removeFirst();
        busy = true;
      }
      run(c);
    }
  }

  private void run(Call c) {
    if (!c.handler.running.compareAndSet(false, true)) {
      log.accept(
          "handler "
              + c.handler.name
              + " is still running from an earlier call: not called for "
              + c.what);
      return;
    }
    Future<?> f;
    try {
      f =
          workers.submit(
              () -> {
                try {
                  c.body.run();
                } catch (Throwable t) { // a handler must never break the receiver
                  log.accept("handler " + c.handler.name + " threw on " + c.what + ": " + t);
                } finally {
                  c.handler.running.set(false);
                }
              });
    } catch (RuntimeException e) { // rejected: closing
      c.handler.running.set(false);
      return;
    }
    try {
      f.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      log.accept(
          "handler "
              + c.handler.name
              + " took more than "
              + timeoutMs
              + " ms on "
              + c.what
              + ": interrupted, moving on (it is not called again until it returns)");
    } catch (ExecutionException e) {
      log.accept("handler " + c.handler.name + " failed on " + c.what + ": " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) { // cancelled while closing
      log.accept("handler " + c.handler.name + " on " + c.what + ": " + e);
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      queue.clear();
      notifyAll();
    }
    workers.shutdownNow();
  }
}
