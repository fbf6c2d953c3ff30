package io.outpost.sync.impl;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Capped exponential back-off with full jitter: attempt n waits a random time in [0, min(cap, base * 2^n)). */
final class Backoff {
  private final long baseMillis;
  private final long capMillis;
  private int attempt;

  Backoff(Duration base, Duration cap) {
    this.baseMillis = base.toMillis();
    this.capMillis = cap.toMillis();
  }

  Duration next() {
    long ceiling = Math.min(capMillis, baseMillis << Math.min(attempt, 30));
    attempt++;
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(Math.max(1, ceiling)));
  }

  void reset() {
    attempt = 0;
  }

  int attempts() {
    return attempt;
  }
}
