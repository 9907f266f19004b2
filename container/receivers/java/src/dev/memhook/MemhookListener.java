package dev.memhook;

/**
 * One object hearing every event; override what you need. Each method runs on the receiver's
 * handler thread, under its time limit; what it throws is logged and never stops the receiver.
 */
public interface MemhookListener {
  /** A level was entered (memhook steps through every level in between: 1, 2, 3). */
  default void onEntered(Event e) {}

  /** A level was left ({@link Event#previousLevel()} is the level left). */
  default void onLeft(Event e) {}

  /** Still at {@link Event#level()} (sent by policies with a remaining webhook). */
  default void onRemaining(Event e) {}

  /** Back to level 0. */
  default void onNormal(Event e) {}

  /** The effective limit changed ({@link Event#oldLimitBytes()}, {@link Event#newLimitBytes()}). */
  default void onLimitChanged(Event e) {}

  /** The kernel killed a process of the target for memory. */
  default void onOomKill(Event e) {}

  /** memhook no longer finds its target. */
  default void onTargetLost(Event e) {}

  /** memhook finds its target again. */
  default void onTargetFound(Event e) {}

  /** Events that will never be applied (see {@link Gap}). */
  default void onGap(Gap gap) {}
}
