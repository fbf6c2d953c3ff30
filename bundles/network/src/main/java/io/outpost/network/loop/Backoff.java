package io.outpost.network.loop;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential back-off with full jitter between {@code base} and {@code max}: the delay before the n-th retry is
 * random in [d/2, d] with d = min(max, base * 2^(n-1)). Not thread-safe: owned by one executor.
 */
public final class Backoff {
  private final Duration base;
  private final Duration max;
  private int failures;

  public Backoff(Duration base, Duration max) {
    this.base = base;
    this.max = max;
  }

  /** Counts a failure and returns how long to wait before trying again. */
  public Duration next() {
    failures = Math.min(failures + 1, 30);
    long ceiling = Math.min(max.toMillis(), base.toMillis() << Math.min(failures - 1, 20));
    long half = ceiling / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(ceiling - half + 1));
  }

  /** After a success: the next failure waits {@code base} again. */
  public void reset() {
    failures = 0;
  }

  public int failures() {
    return failures;
  }
}
