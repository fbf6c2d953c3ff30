package io.outpost.bridge.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Counts every refusal under a metric with its labels and logs it without letting a flooding source flood the log:
 * per source (a node, an address, a user) the first refusal is logged at WARN, then at most one line a minute that
 * says how many followed. Thread-safe; the set of sources is bounded by the caller (nodes, or addresses the caller
 * bounds).
 */
public final class Refusals {
  static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Metrics metrics;
  private final Logger log;
  private final LongSupplier nanos;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  private static final class Window {
    volatile long loggedAt;
    final AtomicLong since = new AtomicLong();

    Window(long at) {
      this.loggedAt = at;
    }
  }

  public Refusals(Metrics metrics, Logger log, LongSupplier nanos) {
    this.metrics = metrics;
    this.log = log;
    this.nanos = nanos;
  }

  /**
   * Counts one refusal of {@code source} under {@code metric} with {@code labels}, and logs {@code what} unless this
   * source was logged less than a minute ago.
   */
  public void refuse(String source, String what, String metric, String... labels) {
    metrics.increment(metric, labels);
    long now = nanos.getAsLong();
    Window fresh = new Window(now);
    Window window = windows.putIfAbsent(source, fresh);
    if (window == null) {
      log.warn("{} — further refusals of {} are counted ({}) and logged at most once a minute", what, source, metric);
      return;
    }
    long since = window.since.incrementAndGet();
    long last = window.loggedAt;
    if (now - last >= LOG_INTERVAL_NANOS && casLogged(window, last, now)) {
      window.since.addAndGet(-since);
      log.warn("{} — {} refusal(s) of {} in the last {} s", what, since, source,
          TimeUnit.NANOSECONDS.toSeconds(now - last));
    }
  }

  private static boolean casLogged(Window window, long expected, long now) {
    synchronized (window) {
      if (window.loggedAt != expected) {
        return false;
      }
      window.loggedAt = now;
      return true;
    }
  }

  /** Forgets a source (a deleted node). */
  public void forget(String source) {
    windows.remove(source);
  }
}
