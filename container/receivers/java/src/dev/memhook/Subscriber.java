package dev.memhook;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Reads memhook's {@code /events} stream (Server-Sent Events) with java.net.http.HttpClient and
 * applies its events through the receiver (in seq order per instance; a stream needs no
 * signature: it is memhook's own port, on loopback in a pod).
 *
 * <p>On a cut it reconnects (0.1 s, doubling to 5 s, or the stream's {@code retry:}) sending
 * {@code Last-Event-ID} with the last id it read; memhook then sends what came after it, first an
 * {@code event: lost} when some of it is no longer in its ring: that is logged and reported as a
 * {@link Gap} ({@link Gap.Reason#STREAM_LOST}), and the next event is applied at once (not held
 * for the seq numbers that will never come).
 */
public final class Subscriber implements AutoCloseable {
  /** A line longer than this ends the connection (memhook's are under 2 KiB). */
  static final int MAX_LINE_BYTES = 64 * 1024;

  private final Receiver receiver;
  private final URI url;
  private final HttpClient client;
  private final Thread thread;
  private volatile boolean closed;
  private volatile InputStream current;
  private volatile boolean connected;
  private String lastId; // touched by the reading thread only
  private long retryMs = 100;
  private long pendingLost;
  private String pendingLostInstance;

  Subscriber(Receiver receiver, URI url) {
    this.receiver = receiver;
    this.url = url;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.thread = new Thread(this::run, "memhook-subscribe");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** True while a stream is open. */
  public boolean connected() {
    return connected;
  }

  /** Waits until a stream is open; false when timeout passed first. */
  public synchronized boolean awaitConnected(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!connected) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  private synchronized void setConnected(boolean on) {
    connected = on;
    notifyAll();
  }

  private void run() {
    long backoffMs = 100;
    while (!closed) {
      try {
        HttpRequest.Builder rb =
            HttpRequest.newBuilder(url).header("Accept", "text/event-stream").GET();
        if (lastId != null) {
          rb.header("Last-Event-ID", lastId);
        }
        HttpResponse<InputStream> resp =
            client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() != 200) {
          resp.body().close();
          receiver.log("subscribe " + url + ": HTTP " + resp.statusCode() + ", retrying");
        } else {
          current = resp.body();
          setConnected(true);
          receiver.log(
              "subscribed to " + url + (lastId != null ? " (Last-Event-ID: " + lastId + ")" : ""));
          backoffMs = retryMs;
          read(resp.body());
          if (!closed) {
            receiver.log("stream " + url + " ended, reconnecting");
          }
        }
      } catch (IOException e) {
        if (!closed) {
          receiver.log("subscribe " + url + ": " + e + ", retrying in " + backoffMs + " ms");
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        setConnected(false);
        current = null;
      }
      try {
        Thread.sleep(backoffMs);
      } catch (InterruptedException e) {
        return;
      }
      backoffMs = Math.min(Math.max(backoffMs * 2, retryMs), 5000);
    }
  }

  /** Reads messages until the stream ends; one message per blank line (the SSE spec). */
  private void read(InputStream in) throws IOException {
    String id = null;
    String event = "";
    StringBuilder data = new StringBuilder();
    boolean hasData = false;
    LineReader lines = new LineReader(in);
    String line;
    while ((line = lines.next()) != null) {
      if (line.isEmpty()) {
        if (id != null) {
          lastId = id; // SSE: the last event ID sticks once a message is dispatched
        }
        if (hasData) {
          dispatch(event.isEmpty() ? "message" : event, data.toString());
        }
        event = "";
        data.setLength(0);
        hasData = false;
        id = null;
        continue;
      }
      if (line.startsWith(":")) {
        continue; // a comment: the opening one and ": ping"
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "event" -> event = value;
        case "data" -> {
          if (hasData) {
            data.append('\n');
          }
          if (data.length() + value.length() > MAX_LINE_BYTES) {
            throw new IOException("a message's data is over " + MAX_LINE_BYTES + " bytes");
          }
          data.append(value);
          hasData = true;
        }
        case "id" -> {
          if (value.indexOf('\0') < 0) {
            id = value;
          }
        }
        case "retry" -> {
          if (!value.isEmpty() && value.length() < 10 && value.chars().allMatch(Character::isDigit)) {
            retryMs = Math.max(100, Long.parseLong(value));
          }
        }
        default -> {} // unknown fields are ignored (the spec)
      }
    }
  }

  private void dispatch(String event, String data) {
    Object parsed;
    try {
      parsed = Json.parse(data);
    } catch (Json.JsonException e) {
      receiver.log("stream: event \"" + event + "\" is not JSON (" + e.getMessage() + "): ignored");
      return;
    }
    if (event.equals("lost")) {
      long n = 0;
      String inst = null;
      if (parsed instanceof Map) {
        Object c = ((Map<?, ?>) parsed).get("lost");
        Object i = ((Map<?, ?>) parsed).get("instance");
        n = c instanceof Long ? (Long) c : 0;
        inst = i instanceof String ? (String) i : null;
      }
      receiver.log(
          "stream: event: lost: memhook no longer has " + n + " event(s) of instance " + inst
              + " (cut for too long)");
      pendingLost += n;
      pendingLostInstance = inst;
      return;
    }
    Event ev;
    try {
      ev = Event.of(parsed);
    } catch (IllegalArgumentException e) {
      receiver.log("stream: not a memhook event (" + e.getMessage() + "): ignored");
      return;
    }
    if (pendingLost > 0) {
      if (ev.instance() == null || ev.seq().isEmpty()) { // the orderer cannot say it: we do
        receiver.gap(new Gap(pendingLostInstance, ev.seq().orElse(0), pendingLost,
            Gap.Reason.STREAM_LOST));
      }
      ev = ev.withStreamLost(pendingLost);
      pendingLost = 0;
    }
    receiver.offerTrusted(ev);
  }

  /** Stops reading; the stream is closed, no reconnection. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    InputStream in = current;
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /** SSE lines (LF, CR LF or CR), each at most MAX_LINE_BYTES; null at the end. */
  static final class LineReader {
    private final InputStream in;
    private final byte[] buf = new byte[8192];
    private int len;
    private int pos;
    private boolean lastWasCr;

    LineReader(InputStream in) {
      this.in = in;
    }

    String next() throws IOException {
      java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
      while (true) {
        if (pos == len) {
          len = in.read(buf);
          pos = 0;
          if (len <= 0) {
            len = 0;
            return null; // a partial line at the end is not a message (the spec)
          }
        }
        byte b = buf[pos++];
        if (lastWasCr && b == '\n') {
          lastWasCr = false;
          continue;
        }
        lastWasCr = false;
        if (b == '\n' || b == '\r') {
          lastWasCr = b == '\r';
          return line.toString(StandardCharsets.UTF_8);
        }
        if (line.size() >= MAX_LINE_BYTES) {
          throw new IOException("a line is over " + MAX_LINE_BYTES + " bytes");
        }
        line.write(b);
      }
    }
  }
}
