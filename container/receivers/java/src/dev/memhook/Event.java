package dev.memhook;

import java.util.Map;
import java.util.OptionalLong;

/**
 * One memhook event: the webhook body (or an {@code /events} message's data), read once.
 *
 * <p>The typed getters cover what a handler needs; {@link #raw()} holds the whole body (sample,
 * target, pod, ...) as {@link Json} parsed it.
 */
public final class Event {
  /** The event kinds memhook sends (policies/payload.schema.json). */
  public enum Kind {
    ENTERED("entered"),
    LEFT("left"),
    REMAINING("remaining"),
    NORMAL("normal"),
    LIMIT_CHANGED("limit_changed"),
    OOM_KILL("oom_kill"),
    TARGET_LOST("target_lost"),
    TARGET_FOUND("target_found");

    /** The name in the payload's "event". */
    public final String wire;

    Kind(String wire) {
      this.wire = wire;
    }

    /** The kind named wire, or null for one this library does not know. */
    public static Kind of(String wire) {
      for (Kind k : values()) {
        if (k.wire.equals(wire)) {
          return k;
        }
      }
      return null;
    }
  }

  private final Map<String, Object> raw;
  private final String kindName;
  private final Kind kind;
  private final long streamLost;

  private Event(Map<String, Object> raw, String kindName, long streamLost) {
    this.raw = raw;
    this.kindName = kindName;
    this.kind = Kind.of(kindName);
    this.streamLost = streamLost;
  }

  /**
   * The event in a parsed body; throws IllegalArgumentException when the body is not a memhook
   * event: not an object, "event" not a string, "level" missing, one of level, previous_level,
   * seq, dropped_before present but not a non-negative integer (JSON null is allowed but for
   * level), or instance present but not a string.
   */
  public static Event of(Object parsed) {
    if (!(parsed instanceof Map)) {
      throw new IllegalArgumentException("not a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) parsed;
    Object ev = m.get("event");
    if (!(ev instanceof String)) {
      throw new IllegalArgumentException("no \"event\" string");
    }
    for (String k : new String[] {"level", "previous_level", "seq", "dropped_before"}) {
      Object v = m.get(k);
      if (v != null && v != Json.NULL && !(v instanceof Long && (Long) v >= 0)) {
        throw new IllegalArgumentException("\"" + k + "\" is not a non-negative integer");
      }
      if (k.endsWith("level") && v instanceof Long && (Long) v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("\"" + k + "\" is out of range");
      }
    }
    Object inst = m.get("instance");
    if (inst != null && inst != Json.NULL && !(inst instanceof String)) {
      throw new IllegalArgumentException("\"instance\" is not a string");
    }
    if (!(m.get("level") instanceof Long)) {
      throw new IllegalArgumentException("no \"level\" number");
    }
    return new Event(m, (String) ev, 0);
  }

  /** The kind, or null for a kind this library does not know (a newer memhook). */
  public Kind kind() {
    return kind;
  }

  /** "event" as sent. */
  public String kindName() {
    return kindName;
  }

  /** The level in effect after this event (0: normal). */
  public int level() {
    return (int) longOr("level", 0);
  }

  /** The level's name from the policy ("normal" for 0), or null. */
  public String levelName() {
    return string("level_name");
  }

  /** The level before this event. */
  public int previousLevel() {
    return (int) longOr("previous_level", 0);
  }

  /** The previous level's name, or null. */
  public String previousLevelName() {
    return string("previous_level_name");
  }

  /**
   * The level this event is about: the level left for {@code left} (previous_level), the level
   * in effect for every other kind.
   */
  public int subjectLevel() {
    return kind == Kind.LEFT ? previousLevel() : level();
  }

  /** The name of {@link #subjectLevel()}, or null. */
  public String subjectLevelName() {
    return kind == Kind.LEFT ? previousLevelName() : levelName();
  }

  /** memhook's sequence number, if the body has one. */
  public OptionalLong seq() {
    Object v = raw.get("seq");
    return v instanceof Long ? OptionalLong.of((Long) v) : OptionalLong.empty();
  }

  /** The memhook process's random id, or null. */
  public String instance() {
    return string("instance");
  }

  /** How many events memhook dropped for this endpoint just before this one (0: none). */
  public long droppedBefore() {
    return longOr("dropped_before", 0);
  }

  /** limit_changed: the previous effective limit in bytes, else -1. */
  public long oldLimitBytes() {
    return longOr("old_limit_bytes", -1);
  }

  /** limit_changed: the new effective limit in bytes, else -1. */
  public long newLimitBytes() {
    return longOr("new_limit_bytes", -1);
  }

  /** "timestamp" (RFC 3339, UTC), or null. */
  public String timestamp() {
    return string("timestamp");
  }

  /** This event, the first after the stream's "event: lost" said n events are gone. */
  Event withStreamLost(long n) {
    return new Event(raw, kindName, n);
  }

  /** How many events the /events stream said were lost just before this one (0: none). */
  public long streamLost() {
    return streamLost;
  }

  /** The whole body as parsed (unmodifiable). */
  public Map<String, Object> raw() {
    return raw;
  }

  private String string(String key) {
    Object v = raw.get(key);
    return v instanceof String ? (String) v : null;
  }

  private long longOr(String key, long otherwise) {
    Object v = raw.get(key);
    return v instanceof Long ? (Long) v : otherwise;
  }

  @Override
  public String toString() {
    return kindName
        + " level="
        + level()
        + (levelName() != null ? " (" + levelName() + ")" : "")
        + (seq().isPresent() ? " seq=" + seq().getAsLong() : "");
  }
}
