package io.outpost.containers.impl;

import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * Exponential back-off of one pod: 10 s after the first failure, doubling, capped at 5 minutes, plus up to 10 %
 * jitter. Not thread-safe: used on the reconciler's thread only.
 */
final class Backoff {
  static final Duration INITIAL = Duration.ofSeconds(10);
  static final Duration MAX = Duration.ofMinutes(5);

  private final DoubleSupplier jitter;
  private int failures;
  private Instant next;

  /** @param jitter returns a value in [0, 1); 0 disables jitter */
  Backoff(DoubleSupplier jitter) {
    this.jitter = jitter;
  }

  /** Delay after the {@code failures}-th consecutive failure, without jitter. */
  static Duration delay(int failures) {
    if (failures <= 0) {
      return Duration.ZERO;
    }
    int shift = Math.min(failures - 1, 20);
    Duration delay = INITIAL.multipliedBy(1L << shift);
    return delay.compareTo(MAX) > 0 ? MAX : delay;
  }

  /** Records a failure at {@code now} and returns when the next attempt is allowed. */
  Instant failed(Instant now) {
    failures++;
    Duration delay = delay(failures);
    long jitterMillis = (long) (delay.toMillis() * 0.1 * jitter.getAsDouble());
    next = now.plus(delay).plusMillis(jitterMillis);
    return next;
  }

  void reset() {
    failures = 0;
    next = null;
  }

  boolean ready(Instant now) {
    return next == null || !now.isBefore(next);
  }

  int failures() {
    return failures;
  }

  /** When the next attempt is allowed, or null if not backing off. */
  Instant next() {
    return next;
  }

  /** The current delay, for messages such as "back-off 20s"; stable between two failures. */
  Duration currentDelay() {
    return delay(failures);
  }
}
