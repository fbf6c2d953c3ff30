package io.outpost.bridge.flow;

import java.util.function.LongSupplier;

/**
 * A token bucket: {@code burst} tokens at most, refilled at {@code perSecond}; each accepted request takes one.
 * Time comes from a nanosecond clock ({@link System#nanoTime} in the bridge, a test's own counter in tests).
 * Thread-safe.
 */
public final class TokenBucket {
  private final double perNano;
  private final double burst;
  private final LongSupplier nanos;
  private double tokens;
  private long last;

  public TokenBucket(double perSecond, int burst, LongSupplier nanos) {
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("a token bucket needs a positive rate and a burst of at least 1");
    }
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.nanos = nanos;
    this.tokens = burst;
    this.last = nanos.getAsLong();
  }

  /** Takes a token if there is one. */
  public synchronized boolean tryAcquire() {
    long now = nanos.getAsLong();
    tokens = Math.min(burst, tokens + Math.max(0, now - last) * perNano);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** True if the bucket is full: its owner has been idle long enough to be forgotten without loss. */
  public synchronized boolean isFull() {
    long now = nanos.getAsLong();
    return tokens + Math.max(0, now - last) * perNano >= burst;
  }

  /** Nanoseconds until a token is available (0: one is). */
  public synchronized long nanosUntilToken() {
    long now = nanos.getAsLong();
    double available = Math.min(burst, tokens + Math.max(0, now - last) * perNano);
    return available >= 1 ? 0 : (long) Math.ceil((1 - available) / perNano);
  }
}
