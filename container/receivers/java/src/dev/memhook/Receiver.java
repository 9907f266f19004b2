package dev.memhook;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * memhook's events for a Java app, with Satella's MemoryPressureManager API.
 *
 * <p>Each webhook is verified (Standard Webhooks), deduplicated by webhook-id, put in seq order
 * per memhook instance, and its handlers are called off the request thread, one at a time, each
 * under a time limit. See the package's README for the whole behaviour.
 */
public final class Receiver implements AutoCloseable {
  /** The largest body read (memhook's are under 2 KiB). */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  /** Ids are remembered twice the replay window, at most this many. */
  static final long SEEN_TTL_MS = 10 * 60 * 1000;

  static final int SEEN_MAX = 10_000;

  /** Builds a Receiver; every setting has a default but the secrets (needed to serve). */
  public static final class Builder {
    private List<String> secrets = List.of();
    private Clock clock = Clock.system();
    private Duration orderHold = Duration.ofSeconds(1);
    private Duration handlerTimeout = Duration.ofSeconds(10);
    private int queueCapacity = 256;
    private Consumer<String> log = line -> System.err.println("memhook: " + line);
    private boolean softMaxHeap = true;
    private double softMaxHeapFraction = Double.NaN;

    /** The secrets memhook signs with: whsec_&lt;base64&gt; or plain, space-separated. */
    public Builder secrets(String spaceSeparated) {
      this.secrets = Verifier.split(spaceSeparated == null ? "" : spaceSeparated);
      return this;
    }

    /** The secrets memhook signs with, one per element (several while keys rotate). */
    public Builder secrets(List<String> secrets) {
      this.secrets = List.copyOf(secrets);
      return this;
    }

    /** How long an early event waits for the missing ones (default 1 s; 0: never). */
    public Builder orderHold(Duration d) {
      this.orderHold = d;
      return this;
    }

    /** How long one handler call may run before the next is started (default 10 s). */
    public Builder handlerTimeout(Duration d) {
      this.handlerTimeout = d;
      return this;
    }

    /** How many handler calls may wait (default 256; when full the oldest is dropped). */
    public Builder queueCapacity(int n) {
      this.queueCapacity = n;
      return this;
    }

    /** Where the receiver's log lines go (default: stderr, prefixed "memhook: "). */
    public Builder log(Consumer<String> log) {
      this.log = log;
      return this;
    }

    /** The clock (tests inject one). */
    public Builder clock(Clock c) {
      this.clock = c;
      return this;
    }

    /**
     * Whether limit_changed sets SoftMaxHeapSize (default on) and to which fraction of the new
     * limit (NaN, the default: MaxRAMPercentage). See {@link SoftMaxHeap}.
     */
    public Builder softMaxHeap(boolean on, double fractionOfLimit) {
      this.softMaxHeap = on;
      this.softMaxHeapFraction = fractionOfLimit;
      return this;
    }

    /** The receiver; throws IllegalArgumentException for a whsec_ secret that is not base64. */
    public Receiver build() {
      return new Receiver(this);
    }
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  private final Verifier verifier;
  private final Clock clock;
  private final Consumer<String> log;
  private final Dispatcher dispatcher;
  private final Orderer orderer;
  private final Handlers handlers;
  private final SeenIds seen = new SeenIds(SEEN_TTL_MS, SEEN_MAX);
  private final List<Consumer<Gap>> gapHandlers = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer;
  private final List<AutoCloseable> owned = new CopyOnWriteArrayList<>();

  private Receiver(Builder b) {
    this.verifier = b.secrets.isEmpty() ? null : Verifier.of(b.secrets);
    this.clock = b.clock;
    this.log = b.log;
    this.dispatcher =
        new Dispatcher(b.queueCapacity, Math.max(1, b.handlerTimeout.toMillis()), b.log);
    this.handlers = new Handlers(dispatcher, clock);
    this.orderer = new Orderer(b.orderHold.toMillis(), this::apply, this::gap, b.log);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "memhook-order");
              t.setDaemon(true);
              return t;
            });
    if (b.softMaxHeap) {
      SoftMaxHeap smh = new SoftMaxHeap(b.softMaxHeapFraction);
      handlers.add(
          Event.Kind.LIMIT_CHANGED, Level.ANY, 0, e -> log.accept(smh.apply(e.newLimitBytes())),
          "SoftMaxHeapSize");
    }
  }

  // ---- Satella's registrations -------------------------------------------------------------

  /** Calls h on entering level (1, 2, ...): memhook steps through every level in between. */
  public Registration registerOnEnteredSeverity(int level, Runnable h) {
    return handlers.add(Event.Kind.ENTERED, Level.of(level), 0, e -> h.run(), "entered " + level);
  }

  /** Calls h with the event on entering level. */
  public Registration registerOnEnteredSeverity(int level, Consumer<Event> h) {
    return handlers.add(Event.Kind.ENTERED, Level.of(level), 0, h, "entered " + level);
  }

  /** Calls h on entering the level the policy names levelName. */
  public Registration registerOnEnteredSeverity(String levelName, Runnable h) {
    return handlers.add(
        Event.Kind.ENTERED, Level.of(levelName), 0, e -> h.run(), "entered " + levelName);
  }

  /** Calls h with the event on entering the level named levelName. */
  public Registration registerOnEnteredSeverity(String levelName, Consumer<Event> h) {
    return handlers.add(Event.Kind.ENTERED, Level.of(levelName), 0, h, "entered " + levelName);
  }

  /** Calls h on leaving level (to the one below it). */
  public Registration registerOnLeftSeverity(int level, Runnable h) {
    return handlers.add(Event.Kind.LEFT, Level.of(level), 0, e -> h.run(), "left " + level);
  }

  /** Calls h with the event on leaving level. */
  public Registration registerOnLeftSeverity(int level, Consumer<Event> h) {
    return handlers.add(Event.Kind.LEFT, Level.of(level), 0, h, "left " + level);
  }

  /** Calls h on leaving the level named levelName. */
  public Registration registerOnLeftSeverity(String levelName, Runnable h) {
    return handlers.add(Event.Kind.LEFT, Level.of(levelName), 0, e -> h.run(), "left " + levelName);
  }

  /** Calls h with the event on leaving the level named levelName. */
  public Registration registerOnLeftSeverity(String levelName, Consumer<Event> h) {
    return handlers.add(Event.Kind.LEFT, Level.of(levelName), 0, h, "left " + levelName);
  }

  /**
   * Calls h on each remaining event at level (0 too), at most once per callNoMoreOftenThan
   * (Satella's call_no_more_often_than; memhook's own "every" thins them before they are sent).
   */
  public Registration registerOnRemainingInSeverity(
      int level, Duration callNoMoreOftenThan, Consumer<Event> h) {
    return handlers.add(
        Event.Kind.REMAINING, Level.of(level), callNoMoreOftenThan.toMillis(), h,
        "remaining " + level);
  }

  /** As above, for a Runnable. */
  public Registration registerOnRemainingInSeverity(
      int level, Duration callNoMoreOftenThan, Runnable h) {
    return registerOnRemainingInSeverity(level, callNoMoreOftenThan, e -> h.run());
  }

  /** As above, by the level's name. */
  public Registration registerOnRemainingInSeverity(
      String levelName, Duration callNoMoreOftenThan, Consumer<Event> h) {
    return handlers.add(
        Event.Kind.REMAINING, Level.of(levelName), callNoMoreOftenThan.toMillis(), h,
        "remaining " + levelName);
  }

  /** As above, by the level's name, for a Runnable. */
  public Registration registerOnRemainingInSeverity(
      String levelName, Duration callNoMoreOftenThan, Runnable h) {
    return registerOnRemainingInSeverity(levelName, callNoMoreOftenThan, e -> h.run());
  }

  /** Calls h on every remaining event at level (Satella's call_no_more_often_than=0). */
  public Registration registerOnRemainingInSeverity(int level, Consumer<Event> h) {
    return registerOnRemainingInSeverity(level, Duration.ZERO, h);
  }

  /** As above, for a Runnable. */
  public Registration registerOnRemainingInSeverity(int level, Runnable h) {
    return registerOnRemainingInSeverity(level, Duration.ZERO, h);
  }

  /** As above, by the level's name. */
  public Registration registerOnRemainingInSeverity(String levelName, Consumer<Event> h) {
    return registerOnRemainingInSeverity(levelName, Duration.ZERO, h);
  }

  /** As above, by the level's name, for a Runnable. */
  public Registration registerOnRemainingInSeverity(String levelName, Runnable h) {
    return registerOnRemainingInSeverity(levelName, Duration.ZERO, h);
  }

  /** Calls h once memory is back to level 0 (memhook's "normal"). */
  public Registration registerOnMemoryNormal(Runnable h) {
    return handlers.add(Event.Kind.NORMAL, Level.ANY, 0, e -> h.run(), "normal");
  }

  /** Calls h with the event once memory is back to level 0. */
  public Registration registerOnMemoryNormal(Consumer<Event> h) {
    return handlers.add(Event.Kind.NORMAL, Level.ANY, 0, h, "normal");
  }

  /** Calls h on every event of kind, whatever its level (limit_changed, oom_kill, ...). */
  public Registration registerOn(Event.Kind kind, Consumer<Event> h) {
    return handlers.add(kind, Level.ANY, 0, h, kind.wire);
  }

  /** Calls h when the effective limit changes (after SoftMaxHeapSize followed it). */
  public Registration registerOnLimitChanged(Consumer<Event> h) {
    return registerOn(Event.Kind.LIMIT_CHANGED, h);
  }

  /** Calls h when the kernel OOM-killed a process of the target. */
  public Registration registerOnOomKill(Consumer<Event> h) {
    return registerOn(Event.Kind.OOM_KILL, h);
  }

  /** Calls h when memhook loses its target. */
  public Registration registerOnTargetLost(Consumer<Event> h) {
    return registerOn(Event.Kind.TARGET_LOST, h);
  }

  /** Calls h when memhook finds its target again. */
  public Registration registerOnTargetFound(Consumer<Event> h) {
    return registerOn(Event.Kind.TARGET_FOUND, h);
  }

  /** Calls the listener's method for every event, and onGap for every loss. */
  public Registration addListener(MemhookListener l) {
    Registration events = handlers.add(null, Level.ANY, 0, e -> toListener(l, e), "listener " + l);
    Registration gaps = registerOnGap(l::onGap);
    return () -> {
      events.cancel();
      gaps.cancel();
    };
  }

  /** Calls h (on the handler thread, in order with the events) for every loss reported. */
  public Registration registerOnGap(Consumer<Gap> h) {
    Dispatcher.Handler id = new Dispatcher.Handler("gap " + h);
    Consumer<Gap> queued =
        g -> dispatcher.submit(new Dispatcher.Call(id, () -> h.accept(g), "gap " + g));
    gapHandlers.add(queued);
    return () -> gapHandlers.remove(queued);
  }

  private static void toListener(MemhookListener l, Event e) {
    if (e.kind() == null) {
      return;
    }
    switch (e.kind()) {
      case ENTERED -> l.onEntered(e);
      case LEFT -> l.onLeft(e);
      case REMAINING -> l.onRemaining(e);
      case NORMAL -> l.onNormal(e);
      case LIMIT_CHANGED -> l.onLimitChanged(e);
      case OOM_KILL -> l.onOomKill(e);
      case TARGET_LOST -> l.onTargetLost(e);
      case TARGET_FOUND -> l.onTargetFound(e);
    }
  }

  // ---- requests ----------------------------------------------------------------------------

  /** What became of one request, and the status to answer it with. */
  public enum Outcome {
    /** Verified, new: applied now or held for the seq numbers before it. */
    ACCEPTED(204),
    /** A webhook-id already accepted: not applied again. */
    DUPLICATE(204),
    /** Older than an event already applied for its instance: not applied. */
    LATE(204),
    /** Signed, but not a memhook event. */
    NOT_AN_EVENT(400),
    /** A bad or missing signature, missing headers, a timestamp more than 5 min from now. */
    UNVERIFIED(401),
    /** A body over 64 KiB. */
    TOO_LARGE(413);

    /** The HTTP status to answer. */
    public final int status;

    Outcome(int status) {
      this.status = status;
    }
  }

  /**
   * Handles one webhook request: its headers (any case) and raw body. Returns the status to
   * answer: 204 accepted (also a duplicate webhook-id or a late event, which retrying cannot
   * help), 400 a well-signed body that is not a memhook event, 401 a bad or missing signature,
   * missing headers or a timestamp more than 5 minutes from now, 413 a body over 64 KiB.
   */
  public int handle(Map<String, String> headers, byte[] body) {
    return receive(headers, body).status;
  }

  /** As {@link #handle(Map, byte[])}, saying what became of the request. */
  public Outcome receive(Map<String, String> headers, byte[] body) {
    Map<String, String> lower = new java.util.HashMap<>();
    headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
    return receive(lower::get, body);
  }

  /** As above, with header(name) giving a header's value by lower-case name (null: absent). */
  public Outcome receive(Function<String, String> header, byte[] body) {
    if (body.length > MAX_BODY_BYTES) {
      log.accept("rejected: body over " + MAX_BODY_BYTES + " bytes (413)");
      return Outcome.TOO_LARGE;
    }
    if (verifier == null) {
      log.accept("rejected: no secret configured, refusing unsigned webhooks (401)");
      return Outcome.UNVERIFIED;
    }
    String id = header.apply("webhook-id");
    String why =
        verifier.check(
            id, header.apply("webhook-timestamp"), header.apply("webhook-signature"), body,
            clock.unixSeconds());
    if (why != null) {
      log.accept("rejected: " + why + " (401)");
      return Outcome.UNVERIFIED;
    }
    Event ev;
    try {
      ev = Event.of(Json.parse(body, MAX_BODY_BYTES));
    } catch (Json.JsonException | IllegalArgumentException e) {
      log.accept("rejected: signed but not a memhook event: " + e.getMessage() + " (400)");
      return Outcome.NOT_AN_EVENT;
    }
    long now = clock.monotonicMillis();
    if (!seen.addIfNew(id, now)) {
      log.accept("duplicate webhook-id " + id + " (" + ev + "): already handled");
      return Outcome.DUPLICATE;
    }
    return offer(ev, now) == Orderer.Outcome.LATE ? Outcome.LATE : Outcome.ACCEPTED;
  }

  /** Applies an event that needs no signature (the /events stream): ordered, not deduplicated. */
  void offerTrusted(Event ev) {
    offer(ev, clock.monotonicMillis());
  }

  private Orderer.Outcome offer(Event ev, long now) {
    Orderer.Outcome o = orderer.offer(ev, now);
    long next = orderer.nextDeadline();
    if (next >= 0) {
      long delay = Math.max(1, next - clock.monotonicMillis() + 1);
      try {
        timer.schedule(this::tick, delay, TimeUnit.MILLISECONDS);
      } catch (RuntimeException e) { // closed
      }
    }
    return o;
  }

  /** Applies the held events whose hold has passed (a timer calls it; tests call it too). */
  public void tick() {
    orderer.tick(clock.monotonicMillis());
  }

  /** Reports a loss the receiver learnt of (the stream's "event: lost"). */
  void gap(Gap g) {
    for (Consumer<Gap> h : gapHandlers) {
      h.accept(g);
    }
  }

  void log(String line) {
    log.accept(line);
  }

  private void apply(Event ev) {
    if (ev.kind() == null) {
      log.accept("event \"" + ev.kindName() + "\" is not one this library knows: no handler");
    }
    handlers.dispatch(ev);
  }

  /** Waits until no handler call waits or runs; false when timeout passed first. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    return dispatcher.awaitIdle(timeout.toMillis());
  }

  /** Handler calls dropped because the queue was full. */
  public long droppedCalls() {
    return dispatcher.dropped();
  }

  // ---- serving and subscribing -------------------------------------------------------------

  /**
   * Serves webhooks on host:port (0: a free port; see {@code server.getAddress()}) at every path
   * ({@code GET /healthz} answers 200). Stopped by {@link #close()}.
   */
  public HttpServer serve(String host, int port) throws IOException {
    if (verifier == null) {
      throw new IllegalStateException("no secret: refusing to accept unsigned webhooks");
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
    server.createContext("/", new WebhookHandler(this));
    java.util.concurrent.ExecutorService pool =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "memhook-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(pool);
    server.start();
    owned.add(
        () -> {
          server.stop(0);
          pool.shutdownNow();
        });
    return server;
  }

  /**
   * Reads memhook's /events stream at url (http://127.0.0.1:9100/events) instead of serving:
   * reconnects with Last-Event-ID and reports what the stream says was lost. Stopped by {@link
   * #close()}.
   */
  public Subscriber subscribe(URI url) {
    Subscriber s = new Subscriber(this, url);
    owned.add(s);
    s.start();
    return s;
  }

  /** Stops serving and subscribing, drops the calls waiting, interrupts the running one. */
  @Override
  public void close() {
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception e) {
        log.accept("closing: " + e);
      }
    }
    timer.shutdownNow();
    dispatcher.close();
  }

  /** A registration to cancel (Satella's CancellableCallback). */
  @FunctionalInterface
  public interface Registration {
    /** No more calls after this returns (one already queued may still run). */
    void cancel();
  }
}
