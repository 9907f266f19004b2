package dev.memhook;

import static dev.memhook.TestMain.check;
import static dev.memhook.TestMain.eq;

import com.sun.net.httpserver.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

final class HttpTest {
  private HttpTest() {}

  static int post(HttpClient c, URI url, Map<String, String> headers, byte[] body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach((k, v) -> {
      if (!k.equalsIgnoreCase("content-length")) {
        b.header(k, v);
      }
    });
    return c.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  static void testServesOverLoopback() throws Exception {
    List<String> calls = Collections.synchronizedList(new ArrayList<>());
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    try (Receiver r = Receiver.builder().secrets(Fixtures.SECRET).softMaxHeap(false, Double.NaN)
        .log(log::add).build()) {
      r.registerOnEnteredSeverity("high", e -> calls.add("entered " + e.level() + " on "
          + Thread.currentThread().getName()));
      HttpServer server = r.serve("127.0.0.1", 0);
      int port = server.getAddress().getPort();
      check(port > 0, "a free port");
      URI url = URI.create("http://127.0.0.1:" + port + "/memhook");
      HttpClient c = HttpClient.newHttpClient();
      long now = System.currentTimeMillis() / 1000;
      String body = Fixtures.body("entered", 2, 1, 1, "");
      Map<String, String> h = Fixtures.headers("msg_1", now, body);
      eq(204, post(c, url, h, Fixtures.bytes(body)), "a signed event");
      eq(204, post(c, url, h, Fixtures.bytes(body)), "its retry");
      eq(401, post(c, url, h, Fixtures.bytes(body.replace("high", "hig2"))), "tampered");
      eq(401, post(c, url, Map.of("webhook-id", "x"), Fixtures.bytes(body)), "no signature");
      String nonsense = "{\"hello\":1}";
      eq(400, post(c, url, Fixtures.headers("msg_2", now, nonsense), Fixtures.bytes(nonsense)),
          "signed, not an event");
      byte[] big = new byte[Receiver.MAX_BODY_BYTES + 10];
      eq(413, post(c, url, Fixtures.headers("msg_3", now, ""), big), "over 64 KiB");
      HttpResponse<Void> health = c.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
          HttpResponse.BodyHandlers.discarding());
      eq(200, health.statusCode(), "GET /healthz");
      HttpResponse<Void> put = c.send(HttpRequest.newBuilder(url)
          .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
      eq(405, put.statusCode(), "PUT");
      check(r.awaitIdle(Duration.ofSeconds(5)), "idle");
      eq(1, calls.size(), "one call: " + calls);
      check(calls.get(0).startsWith("entered 2 on memhook-handler-"),
          "the handler ran off the request thread: " + calls);
    }
  }

  static void testAnswersBeforeASlowHandlerReturns() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (Receiver r = Receiver.builder().secrets(Fixtures.SECRET).softMaxHeap(false, Double.NaN)
        .log(l -> {}).build()) {
      r.registerOnEnteredSeverity(1, () -> {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      int port = r.serve("127.0.0.1", 0).getAddress().getPort();
      URI url = URI.create("http://127.0.0.1:" + port + "/");
      HttpClient c = HttpClient.newHttpClient();
      long now = System.currentTimeMillis() / 1000;
      long t0 = System.nanoTime();
      for (int seq = 1; seq <= 3; seq++) {
        String body = Fixtures.body("entered", 1, 0, seq, "");
        eq(204, post(c, url, Fixtures.headers("m" + seq, now, body), Fixtures.bytes(body)), "204");
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      check(ms < 3000, "three answers while the handler blocks (" + ms + " ms)");
      release.countDown();
    }
  }
}
