package dev.memhook;

/**
 * Events of one memhook instance that the receiver will never apply, reported once.
 *
 * @param instance the memhook instance (null for a stream that named none)
 * @param seq the first event applied after the gap
 * @param count how many events are missing (as memhook counted them for DROPPED_BEFORE and
 *     STREAM_LOST; from the seq numbers for MISSING)
 * @param reason who noticed
 */
public record Gap(String instance, long seq, long count, Reason reason) {
  /** Who noticed the loss. */
  public enum Reason {
    /** memhook dropped events for this endpoint and said so in "dropped_before". */
    DROPPED_BEFORE,
    /** seq numbers never arrived within the order hold. */
    MISSING,
    /** the /events stream's "event: lost" after a reconnection. */
    STREAM_LOST
  }
}
