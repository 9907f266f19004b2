package dev.memhook.example;

import dev.memhook.Event;
import dev.memhook.MemhookListener;
import dev.memhook.Receiver;
import dev.memhook.Subscriber;
import java.net.URI;
import java.time.Duration;

/**
 * The library's quickstart, runnable: prints one line per handler call ({@code call entered 1
 * high}), flushed. Environment: MEMHOOK_SECRET (secrets, space-separated), PORT (8080; 0: a free
 * one), HOST (127.0.0.1), or SUBSCRIBE_URL to read memhook's /events stream instead of serving;
 * ORDER_HOLD_MS (1000).
 */
public final class Example {
  private Example() {}

  /** "call KIND [N [NAME]]": the word pair, then the name of the level N where there is one. */
  static void print(Event e, boolean hasLevel) {
    StringBuilder b = new StringBuilder("call ").append(e.kindName());
    if (hasLevel) {
      b.append(' ').append(e.subjectLevel());
      if (e.subjectLevelName() != null) {
        b.append(' ').append(e.subjectLevelName());
      }
    }
    synchronized (System.out) {
      System.out.println(b);
      System.out.flush();
    }
  }

  public static void main(String[] args) throws Exception {
    String subscribe = System.getenv("SUBSCRIBE_URL");
    String hold = System.getenv().getOrDefault("ORDER_HOLD_MS", "1000");
    Receiver memhook;
    try {
      memhook =
          Receiver.builder()
              .secrets(System.getenv("MEMHOOK_SECRET"))
              .orderHold(Duration.ofMillis(Long.parseLong(hold)))
              .build();
    } catch (IllegalArgumentException e) {
      System.err.println("memhook: " + e.getMessage());
      System.exit(2);
      return;
    }
    memhook.addListener(
        new MemhookListener() {
          @Override
          public void onEntered(Event e) {
            print(e, true);
          }

          @Override
          public void onLeft(Event e) {
            print(e, true);
          }

          @Override
          public void onRemaining(Event e) {
            print(e, true);
          }

          @Override
          public void onNormal(Event e) {
            print(e, false);
          }

          @Override
          public void onLimitChanged(Event e) {
            print(e, true);
          }

          @Override
          public void onOomKill(Event e) {
            print(e, true);
          }

          @Override
          public void onTargetLost(Event e) {
            print(e, false);
          }

          @Override
          public void onTargetFound(Event e) {
            print(e, false);
          }
        });
    if (subscribe != null && !subscribe.isEmpty()) {
      Subscriber stream = memhook.subscribe(URI.create(subscribe));
      while (!stream.awaitConnected(Duration.ofMinutes(1))) {
        System.err.println("memhook: still connecting to " + subscribe);
      }
      System.out.println("subscribed to " + subscribe);
    } else {
      if (System.getenv("MEMHOOK_SECRET") == null || System.getenv("MEMHOOK_SECRET").isBlank()) {
        System.err.println("memhook: MEMHOOK_SECRET is not set: refusing unsigned webhooks");
        System.exit(2);
      }
      String host = System.getenv().getOrDefault("HOST", "127.0.0.1");
      int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
      int bound = memhook.serve(host, port).getAddress().getPort();
      System.out.println("listening on " + bound);
    }
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(memhook::close));
    Thread.currentThread().join(); // the receiver's threads do the work
  }
}
