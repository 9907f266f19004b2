package dev.memhook;

import static dev.memhook.TestMain.check;
import static dev.memhook.TestMain.eq;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

final class SubscribeTest {
  private SubscribeTest() {}

  static String message(long id, String event, int level, int previous) {
    return "id: " + id + "\nevent: " + event + "\ndata: "
        + Fixtures.body(event, level, previous, id, "") + "\n\n";
  }

  /**
   * A small /events server: the first connection sends seq 1 and 2 and is cut; the second must
   * carry Last-Event-ID: 2 and gets "event: lost" (3 of them) then seq 6 (CR LF lines, data on two
   * lines); the third stays open.
   */
  static void testReconnectsWithLastEventIdAndReportsLost() throws Exception {
    List<String> lastIds = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger connections = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(1);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/events", ex -> {
      int n = connections.incrementAndGet();
      lastIds.add(String.valueOf(ex.getRequestHeaders().getFirst("Last-Event-ID")));
      ex.getResponseHeaders().add("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        String text;
        if (n == 1) {
          text = ": memhook events, instance " + Fixtures.INSTANCE + "\n\nretry: 100\n\n"
              + message(1, "entered", 1, 0) + ": ping\n\n" + message(2, "entered", 2, 1);
        } else if (n == 2) {
          String six = Fixtures.body("entered", 3, 2, 6, "");
          int cut = six.indexOf(",\"seq\"");
          text = "event: lost\r\ndata: {\"lost\":3,\"instance\":\"" + Fixtures.INSTANCE
              + "\"}\r\n\r\nid: 6\r\nevent: entered\r\ndata: " + six.substring(0, cut + 1)
              + "\r\ndata:" + six.substring(cut + 1) + "\r\n\r\n";
        } else {
          text = ": still here\n\n";
        }
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (n >= 3) {
          done.await(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "test-sse");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    List<String> calls = Collections.synchronizedList(new ArrayList<>());
    List<String> gaps = Collections.synchronizedList(new ArrayList<>());
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    // A long hold: seq 6 must not wait for 3..5, which the stream said were lost.
    try (Receiver r = Receiver.builder().orderHold(Duration.ofMinutes(1))
        .softMaxHeap(false, Double.NaN).log(log::add).build()) {
      r.registerOnEnteredSeverity(1, () -> calls.add("entered 1"));
      r.registerOnEnteredSeverity(2, () -> calls.add("entered 2"));
      r.registerOnEnteredSeverity("critical", () -> calls.add("entered 3"));
      r.registerOnGap(g -> gaps.add(g.reason() + " " + g.instance() + " " + g.seq() + " "
          + g.count()));
      URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/events");
      Subscriber s = r.subscribe(url);
      TestMain.waitFor(() -> calls.size() == 3, 10_000, "three calls over three connections");
      eq(List.of("entered 1", "entered 2", "entered 3"), calls, "in order, seq 6 not held");
      TestMain.waitFor(() -> connections.get() >= 3, 10_000, "the third connection");
      eq(List.of("null", "2", "6"), lastIds.subList(0, 3), "Last-Event-ID on each reconnection");
      eq(List.of("STREAM_LOST " + Fixtures.INSTANCE + " 6 3"), gaps, "the loss reported");
      synchronized (log) {
        check(log.stream().anyMatch(l -> l.contains("event: lost: memhook no longer has 3 "
            + "event(s) of instance " + Fixtures.INSTANCE)), "event: lost is logged: " + log);
      }
      TestMain.waitFor(s::connected, 5000, "connected");
      s.close();
      TestMain.waitFor(() -> !s.connected(), 5000, "closed");
      int after = connections.get();
      done.countDown();
      Thread.sleep(300); // would be two reconnections at retry: 100
      eq(after, connections.get(), "no reconnection after close");
    } finally {
      done.countDown();
      server.stop(0);
    }
  }

  static void testLinesAreBounded() throws Exception {
    byte[] longLine = new byte[Subscriber.MAX_LINE_BYTES + 10];
    java.util.Arrays.fill(longLine, (byte) 'a');
    Subscriber.LineReader lr = new Subscriber.LineReader(new java.io.ByteArrayInputStream(longLine));
    TestMain.throwsA(java.io.IOException.class, lr::next, "a line over 64 KiB");
    Subscriber.LineReader ends = new Subscriber.LineReader(new java.io.ByteArrayInputStream(
        "a\r\nb\rc\n\npartial".getBytes(StandardCharsets.UTF_8)));
    List<String> got = new ArrayList<>();
    String l;
    while ((l = ends.next()) != null) {
      got.add(l);
    }
    eq(List.of("a", "b", "c", ""), got, "CR LF, CR, LF; a partial last line is not a line");
  }

  /** A refusal (memhook's 503 at 128 subscribers) is retried; a new instance starts again. */
  static void testRetriesARefusalAndFollowsARestart() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(1);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    String restarted = "0123456789abcdef";
    server.createContext("/events", ex -> {
      int n = connections.incrementAndGet();
      if (n == 1) {
        ex.sendResponseHeaders(503, -1);
        ex.close();
        return;
      }
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        String text = n == 2 ? message(7, "entered", 1, 0)
            : "event: lost\ndata: {\"lost\":1,\"instance\":\"" + restarted + "\"}\n\n"
                + message(1, "entered", 2, 1).replace(Fixtures.INSTANCE, restarted);
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (n >= 3) {
          done.await(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "test-sse");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    List<String> calls = Collections.synchronizedList(new ArrayList<>());
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    try (Receiver r = Receiver.builder().softMaxHeap(false, Double.NaN).log(log::add).build()) {
      r.registerOnEnteredSeverity(1, e -> calls.add("entered 1 " + e.instance()));
      r.registerOnEnteredSeverity(2, e -> calls.add("entered 2 " + e.instance()));
      r.subscribe(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/events"));
      TestMain.waitFor(() -> calls.size() == 2, 10_000, "both events");
      eq(List.of("entered 1 " + Fixtures.INSTANCE, "entered 2 " + restarted), calls,
          "seq 1 of the restarted memhook is applied after seq 7 of the old one");
      synchronized (log) {
        check(log.stream().anyMatch(l -> l.contains("HTTP 503, retrying")), "503 logged: " + log);
        check(log.stream().anyMatch(l -> l.contains("new memhook instance " + restarted)),
            "the new instance logged");
      }
    } finally {
      done.countDown();
      server.stop(0);
    }
  }
}
