package io.outpost.network.dns;

import io.outpost.protocol.MetricSeries;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the DNS server counts: queries by outcome, rejections by reason (each also logged, at most once a minute per
 * reason with the number left unsaid), truncated answers, upstream failures by reason, and the latency (p50, p99) of
 * the last {@link Latencies#WINDOW} queries per source (cluster, cache, upstream). Thread-safe: adders and
 * per-source locks.
 */
final class DnsMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(DnsMetrics.class);
  static final long LOG_INTERVAL_NANOS = 60_000_000_000L;

  /** How a query ended. */
  enum Outcome { ANSWER, NODATA, NXDOMAIN, CACHED, FORWARDED, SERVFAIL, REFUSED, NOTIMP, FORMERR, DROPPED }

  /** Why a query or connection was refused, dropped or cut. */
  enum Rejection {
    MALFORMED("not a DNS message"), NOT_A_QUERY("a response (QR set), not a query"),
    QUESTIONS("not exactly one question"), OVERSIZE("datagram larger than any query"),
    OPCODE("opcode other than QUERY"), CLASS("class other than IN"), TRANSFER("zone transfer"),
    ANY("ANY query (answered minimally, RFC 8482)"), TCP_TRUNCATED("TCP frame cut short"),
    TCP_IDLE("TCP client idle"), TCP_SLOW("TCP frame too slow (slowloris)"),
    TCP_LIMIT("too many TCP connections"), OVERLOAD("forwarding queue full");

    final String meaning;

    Rejection(String meaning) {
      this.meaning = meaning;
    }

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Where an answer came from, for latency. */
  enum Source { CLUSTER, CACHE, UPSTREAM }

  private final Map<Outcome, LongAdder> outcomes = new EnumMap<>(Outcome.class);
  private final Map<Rejection, LongAdder> rejections = new EnumMap<>(Rejection.class);
  private final Map<Rejection, LogGate> gates = new EnumMap<>(Rejection.class);
  private final Map<Source, Latencies> latencies = new EnumMap<>(Source.class);
  private final Map<String, LongAdder> upstreamFailures = new ConcurrentHashMap<>();
  private final LongAdder truncated = new LongAdder();
  private final LongAdder bindFailures = new LongAdder();

  DnsMetrics() {
    for (Outcome outcome : Outcome.values()) {
      outcomes.put(outcome, new LongAdder());
    }
    for (Rejection rejection : Rejection.values()) {
      rejections.put(rejection, new LongAdder());
      gates.put(rejection, new LogGate());
    }
    for (Source source : Source.values()) {
      latencies.put(source, new Latencies());
    }
  }

  void outcome(Outcome outcome) {
    outcomes.get(outcome).increment();
  }

  long count(Outcome outcome) {
    return outcomes.get(outcome).sum();
  }

  /** Counts a rejection and logs it (WARN), at most once a minute per reason. */
  void rejected(Rejection rejection, Object client, String detail) {
    rejections.get(rejection).increment();
    long suppressed = gates.get(rejection).pass(System.nanoTime());
    if (suppressed >= 0) {
      LOG.warn("Cluster DNS rejected a query from {}: {}{}{}", client, rejection.meaning,
          detail == null ? "" : " (" + detail + ")",
          suppressed == 0 ? "" : "; " + suppressed + " more like it since the last such line");
    }
  }

  long count(Rejection rejection) {
    return rejections.get(rejection).sum();
  }

  void truncated() {
    truncated.increment();
  }

  long truncatedCount() {
    return truncated.sum();
  }

  void bindFailed() {
    bindFailures.increment();
  }

  long bindFailures() {
    return bindFailures.sum();
  }

  void upstreamFailed(String reason) {
    upstreamFailures.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  long upstreamFailures() {
    return upstreamFailures.values().stream().mapToLong(LongAdder::sum).sum();
  }

  void latency(Source source, long nanos) {
    latencies.get(source).add(nanos);
  }

  /** The series for the node's metrics endpoint and heartbeat. */
  Map<String, Double> series(ResponseCache cache, boolean listening) {
    Map<String, Double> series = new LinkedHashMap<>();
    outcomes.forEach((outcome, count) -> series.put(MetricSeries.of("outpost_edge_dns_queries_total", "outcome",
        outcome.name().toLowerCase(Locale.ROOT)), (double) count.sum()));
    rejections.forEach((rejection, count) -> {
      if (count.sum() > 0) {
        series.put(MetricSeries.of("outpost_edge_dns_rejected_total", "reason", rejection.label()),
            (double) count.sum());
      }
    });
    series.put("outpost_edge_dns_truncated_total", (double) truncated.sum());
    upstreamFailures.forEach((reason, count) -> series.put(
        MetricSeries.of("outpost_edge_dns_upstream_failures_total", "reason", reason), (double) count.sum()));
    if (cache != null) {
      series.put("outpost_edge_dns_cache_hits_total", (double) cache.hits.sum());
      series.put("outpost_edge_dns_cache_misses_total", (double) cache.misses.sum());
      series.put("outpost_edge_dns_cache_entries", (double) (cache.size() + cache.negativeSize()));
    }
    latencies.forEach((source, window) -> {
      double[] quantiles = window.quantiles();
      if (quantiles != null) {
        String name = source.name().toLowerCase(Locale.ROOT);
        series.put(MetricSeries.of("outpost_edge_dns_latency_seconds", "source", name, "quantile", "0.5"),
            quantiles[0]);
        series.put(MetricSeries.of("outpost_edge_dns_latency_seconds", "source", name, "quantile", "0.99"),
            quantiles[1]);
      }
    });
    series.put("outpost_edge_dns_listening", listening ? 1.0 : 0.0);
    series.put("outpost_edge_dns_bind_failures_total", (double) bindFailures.sum());
    return series;
  }

  /** The last {@link #WINDOW} latencies of one source. */
  static final class Latencies {
    static final int WINDOW = 1024;
    private final long[] ring = new long[WINDOW];
    private long added;

    synchronized void add(long nanos) {
      ring[(int) (added++ % WINDOW)] = nanos;
    }

    /** p50 and p99 in seconds, or null before the first query. */
    synchronized double[] quantiles() {
      int n = (int) Math.min(added, WINDOW);
      if (n == 0) {
        return null;
      }
      long[] sorted = Arrays.copyOf(ring, n);
      Arrays.sort(sorted);
      return new double[] {sorted[(n - 1) / 2] / 1e9, sorted[(int) Math.ceil(n * 0.99) - 1] / 1e9};
    }
  }

  /** Lets one log line through per interval; counts the ones it held back. */
  static final class LogGate {
    private long lastLogged = Long.MIN_VALUE;
    private long held;

    /** The number held back since the last line if this one may be logged now, else -1. */
    synchronized long pass(long now) {
      if (lastLogged != Long.MIN_VALUE && now - lastLogged < LOG_INTERVAL_NANOS) {
        held++;
        return -1;
      }
      lastLogged = now;
      long count = held;
      held = 0;
      return count;
    }
  }
}
