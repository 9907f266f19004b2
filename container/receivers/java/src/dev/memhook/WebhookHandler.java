package dev.memhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;

/**
 * The com.sun.net.httpserver handler for memhook's webhooks: POST at any path goes to {@link
 * Receiver#handle}; {@code GET /healthz} is 200; other methods 405. The body is read up to 64 KiB
 * (one byte more: 413).
 */
public final class WebhookHandler implements HttpHandler {
  private final Receiver receiver;

  /** A handler feeding receiver (Receiver.serve makes one). */
  public WebhookHandler(Receiver receiver) {
    this.receiver = receiver;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
      if (method.equals("GET") && ex.getRequestURI().getPath().equals("/healthz")) {
        reply(ex, 200);
        return;
      }
      if (!method.equals("POST")) {
        reply(ex, method.equals("GET") ? 404 : 405);
        return;
      }
      byte[] body = readAtMost(ex.getRequestBody(), Receiver.MAX_BODY_BYTES + 1);
      int status =
          receiver.receive(
              name -> {
                List<String> v = ex.getRequestHeaders().get(name);
                return v == null || v.isEmpty() ? null : v.get(0);
              },
              body)
              .status;
      reply(ex, status);
    }
  }

  private static byte[] readAtMost(InputStream in, int max) throws IOException {
    return in.readNBytes(max);
  }

  private static void reply(HttpExchange ex, int status) throws IOException {
    ex.sendResponseHeaders(status, -1);
  }
}
