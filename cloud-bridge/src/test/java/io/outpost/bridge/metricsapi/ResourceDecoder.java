package io.outpost.bridge.metricsapi;

import io.outpost.testing.PrometheusText;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * metrics-server's decoder of a kubelet's {@code /metrics/resource} ({@code pkg/scraper/client/resource/decode.go},
 * {@code decodeBatch}, metrics-server 0.6/0.7), in Java: one scrape's text becomes a {@link Batch} of node and
 * container points. What it reads, as metrics-server reads it:
 * <ul>
 *   <li>only {@code node_cpu_usage_seconds_total}, {@code node_memory_working_set_bytes},
 *   {@code node_swap_usage_bytes}, {@code container_cpu_usage_seconds_total},
 *   {@code container_memory_working_set_bytes}, {@code container_swap_usage_bytes} and
 *   {@code container_start_time_seconds}; every other family
 *   ({@code pod_*}, {@code resource_scrape_error}, {@code scrape_error}) is skipped unread: metrics-server does not
 *   look at a kubelet's scrape error, so what keeps a cut-off node's figures from being taken as new is their old
 *   timestamps alone ({@link MetricsStorage});</li>
 *   <li>a sample's own timestamp (milliseconds) is the point's time; only a sample without one takes the time of the
 *   scrape;</li>
 *   <li>CPU seconds become nanoseconds as Go's {@code uint64(value * 1e9)} does (truncation);</li>
 *   <li>the node's point is dropped if its time, CPU or memory is zero; a pod is dropped if any of its containers has
 *   zero CPU or zero memory.</li>
 * </ul>
 * The text is parsed with the project's strict {@link PrometheusText} (metrics-server uses Prometheus' own
 * {@code textparse}, which accepts the same format): a malformed answer fails the scrape, as it does there.
 */
public final class ResourceDecoder {
  /** A node's or a container's point: cumulative CPU (core-nanoseconds) and working set at {@code timestamp}. */
  public record Point(Instant startTime, Instant timestamp, long cumulativeCpu, long memory, long swap) {
    static final Point EMPTY = new Point(null, null, 0, 0, 0);

    Point withCpu(Instant at, long cpu) {
      return new Point(startTime, at, cpu, memory, swap);
    }

    Point withMemory(Instant at, long bytes) {
      return new Point(startTime, at, cumulativeCpu, bytes, swap);
    }

    Point withSwap(Instant at, long bytes) {
      return new Point(startTime, at, cumulativeCpu, memory, bytes);
    }

    Point withStart(Instant start) {
      return new Point(start, timestamp, cumulativeCpu, memory, swap);
    }

    /** Go's zero-value comparison: {@code containerMetric != (storage.MetricsPoint{})}. */
    boolean empty() {
      return startTime == null && timestamp == null && cumulativeCpu == 0 && memory == 0 && swap == 0;
    }
  }

  /** A pod by namespace and name (metrics-server keys pods by {@code NamespacedName}, not uid). */
  public record PodRef(String namespace, String name) {}

  /** One node's scrape: its node point (if complete) and its pods' container points. */
  public record Batch(Map<String, Point> nodes, Map<PodRef, Map<String, Point>> pods) {}

  private ResourceDecoder() {}

  /** {@code decodeBatch(b, defaultTime, nodeName)}. */
  public static Batch decode(String text, Instant scrapeTime, String nodeName) {
    Point node = Point.EMPTY;
    Map<PodRef, Map<String, Point>> pods = new HashMap<>();
    for (PrometheusText.Sample sample : PrometheusText.parse(text)) {
      Instant at = sample.timestampMs() == null ? scrapeTime : Instant.ofEpochMilli(sample.timestampMs());
      double value = sample.value();
      switch (sample.name()) {
        case "node_cpu_usage_seconds_total" -> node = node.withCpu(at, goUint64(value * 1e9));
        case "node_memory_working_set_bytes" -> node = node.withMemory(at, goUint64(value));
        case "node_swap_usage_bytes" -> node = node.withSwap(at, goUint64(value));
        case "container_cpu_usage_seconds_total" -> update(pods, sample, p -> p.withCpu(at, goUint64(value * 1e9)));
        case "container_memory_working_set_bytes" -> update(pods, sample, p -> p.withMemory(at, goUint64(value)));
        case "container_swap_usage_bytes" -> update(pods, sample, p -> p.withSwap(at, goUint64(value)));
        // The start time's sample timestamp is not used: the value is the start, in seconds.
        case "container_start_time_seconds" -> update(pods, sample, p -> p.withStart(Instant.ofEpochSecond(0,
            goUint64(value * 1e9))));
        default -> { } // pod_*, resource_scrape_error, scrape_error and the rest: not read
      }
    }
    Map<String, Point> nodes = new HashMap<>();
    if (node.timestamp() != null && node.cumulativeCpu() != 0
        && node.memory() != 0) {
      nodes.put(nodeName, node);
    }
    Map<PodRef, Map<String, Point>> complete = new HashMap<>();
    pods.forEach((ref, containers) -> {
      Map<String, Point> checked = checkContainerMetrics(containers);
      if (!containers.isEmpty() && checked != null) {
        complete.put(ref, checked);
      }
    });
    return new Batch(nodes, complete);
  }

  /** {@code checkContainerMetrics}: one container with zero CPU or zero memory drops the whole pod (null). */
  private static Map<String, Point> checkContainerMetrics(Map<String, Point> containers) {
    Map<String, Point> kept = new HashMap<>();
    for (Map.Entry<String, Point> entry : containers.entrySet()) {
      Point point = entry.getValue();
      if (!point.empty()) {
        if (point.cumulativeCpu() == 0 || point.memory() == 0) {
          return null;
        }
        kept.put(entry.getKey(), point);
      }
    }
    return kept;
  }

  private static void update(Map<PodRef, Map<String, Point>> pods, PrometheusText.Sample sample,
      java.util.function.UnaryOperator<Point> change) {
    PodRef ref = new PodRef(sample.labels().get("namespace"), sample.labels().get("pod"));
    pods.computeIfAbsent(ref, k -> new HashMap<>()).merge(sample.labels().get("container"),
        change.apply(Point.EMPTY), (old, ignored) -> change.apply(old));
  }

  /** Go's float64 to uint64 conversion for the values that occur (non-negative, in range): truncation. */
  static long goUint64(double value) {
    return (long) value;
  }
}
