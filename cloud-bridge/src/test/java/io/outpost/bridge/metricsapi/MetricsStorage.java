package io.outpost.bridge.metricsapi;

import io.outpost.bridge.metricsapi.ResourceDecoder.Batch;
import io.outpost.bridge.metricsapi.ResourceDecoder.PodRef;
import io.outpost.bridge.metricsapi.ResourceDecoder.Point;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * metrics-server's storage ({@code pkg/storage/node.go}, {@code pod.go}, {@code types.go}, metrics-server 0.6/0.7):
 * the last two points of every node and container, and usage from them. A stored point moves to "previous" only when
 * a newer one (by its own timestamp) arrives, so a kubelet answering with the same old points adds nothing; CPU is
 * the rate between "previous" and "last" ({@code resourceUsage}), never a cumulative value; a node or container
 * without a previous point has no usage at all. A node missing from a scrape (its scrape failed) is forgotten.
 * One rule for new containers is kept too: a container between 10 s and one metric resolution old gets its start
 * (CPU 0) as its previous point.
 */
public final class MetricsStorage {
  /** Usage as the Metrics API serves it: CPU in nanocores, working set in bytes, the time and window it covers. */
  public record Usage(long cpuNanoCores, long memoryBytes, Instant timestamp, Duration window) {}

  static final Duration FRESH_CONTAINER_MIN_RESOLUTION = Duration.ofSeconds(10);

  private final Duration metricResolution;
  private Map<String, Point> lastNodes = Map.of();
  private Map<String, Point> prevNodes = Map.of();
  private Map<PodRef, Map<String, Point>> lastPods = Map.of();
  private Map<PodRef, Map<String, Point>> prevPods = Map.of();

  /** @param metricResolution metrics-server's {@code --metric-resolution} (15 s by default) */
  public MetricsStorage(Duration metricResolution) {
    this.metricResolution = metricResolution;
  }

  /** {@code storage.Store(batch)}: the batch of one scrape cycle, all nodes together. */
  public synchronized void store(Batch batch) {
    storeNodes(batch.nodes());
    storePods(batch.pods());
  }

  private void storeNodes(Map<String, Point> nodes) {
    Map<String, Point> last = new HashMap<>();
    Map<String, Point> prev = new HashMap<>();
    nodes.forEach((name, point) -> {
      last.put(name, point);
      Point stored = lastNodes.get(name);
      if (stored != null) {
        if (point.timestamp().isAfter(stored.timestamp())) {
          prev.put(name, stored);
        } else {
          Point before = prevNodes.get(name);
          if (before != null && before.timestamp().isBefore(point.timestamp())) {
            prev.put(name, before);
          }
        }
      }
    });
    lastNodes = last;
    prevNodes = prev;
  }

  private void storePods(Map<PodRef, Map<String, Point>> pods) {
    Map<PodRef, Map<String, Point>> last = new HashMap<>();
    Map<PodRef, Map<String, Point>> prev = new HashMap<>();
    pods.forEach((ref, containers) -> {
      Map<String, Point> lastContainers = new HashMap<>();
      Map<String, Point> prevContainers = new HashMap<>();
      containers.forEach((name, point) -> {
        lastContainers.put(name, point);
        Duration age = point.startTime() == null ? null : Duration.between(point.startTime(), point.timestamp());
        Map<String, Point> storedPod = lastPods.get(ref);
        Point stored = storedPod == null ? null : storedPod.get(name);
        if (age != null && !age.isNegative() && !age.isZero() && age.compareTo(metricResolution) < 0
            && age.compareTo(FRESH_CONTAINER_MIN_RESOLUTION) >= 0) {
          prevContainers.put(name, new Point(point.startTime(), point.startTime(), 0, point.memory(), point.swap()));
        } else if (stored != null && startedBefore(point, stored.timestamp())) {
          if (point.timestamp().isAfter(stored.timestamp())) {
            prevContainers.put(name, stored);
          } else {
            Point before = prevPods.getOrDefault(ref, Map.of()).get(name);
            if (before != null && before.timestamp().isBefore(point.timestamp())) {
              prevContainers.put(name, before);
            }
          }
        }
      });
      if (!prevContainers.isEmpty()) {
        prev.put(ref, prevContainers);
      }
      last.put(ref, lastContainers);
    });
    lastPods = last;
    prevPods = prev;
  }

  /** {@code newContainer.StartTime.Before(lastContainer.Timestamp)}: no restart since the stored point. */
  private static boolean startedBefore(Point point, Instant storedTimestamp) {
    return point.startTime() == null || point.startTime().isBefore(storedTimestamp);
  }

  /** {@code nodeStorage.GetMetrics}: null if the node has no usage (no previous point, or a counter went back). */
  public synchronized Usage node(String name) {
    Point last = lastNodes.get(name);
    Point prev = prevNodes.get(name);
    return last == null || prev == null ? null : resourceUsage(last, prev);
  }

  /**
   * {@code podStorage.GetMetrics}: each container's usage, the earliest time among them; null if the pod has no
   * usage (a container without a previous point leaves the whole pod out).
   */
  public synchronized PodUsage pod(PodRef ref) {
    Map<String, Point> last = lastPods.get(ref);
    Map<String, Point> prev = prevPods.get(ref);
    if (last == null || prev == null) {
      return null;
    }
    Map<String, Usage> containers = new HashMap<>();
    Usage earliest = null;
    for (Map.Entry<String, Point> entry : last.entrySet()) {
      Point before = prev.get(entry.getKey());
      if (before == null) {
        return null;
      }
      Usage usage = resourceUsage(entry.getValue(), before);
      if (usage == null) {
        continue; // "Skipping container usage metric"
      }
      containers.put(entry.getKey(), usage);
      if (earliest == null || earliest.timestamp().isAfter(usage.timestamp())) {
        earliest = usage;
      }
    }
    return new PodUsage(containers, earliest == null ? null : earliest.timestamp(),
        earliest == null ? null : earliest.window());
  }

  /** A pod's usage: per container, with the pod's time and window (its earliest container's). */
  public record PodUsage(Map<String, Usage> containers, Instant timestamp, Duration window) {}

  /** {@code storage.Ready()}: a node and a container have usage. */
  public synchronized boolean ready() {
    return !prevNodes.isEmpty() && prevPods.values().stream().anyMatch(c -> !c.isEmpty());
  }

  /** {@code resourceUsage(last, prev)}: null where metrics-server returns an error (start went back, counter fell). */
  static Usage resourceUsage(Point last, Point prev) {
    if (last.startTime() != null && prev.startTime() != null && last.startTime().isBefore(prev.startTime())) {
      return null;
    }
    if (last.cumulativeCpu() < prev.cumulativeCpu()) {
      return null;
    }
    Duration window = Duration.between(prev.timestamp(), last.timestamp());
    double seconds = window.toNanos() / 1e9;
    long nanoCores = (long) ((last.cumulativeCpu() - prev.cumulativeCpu()) / seconds);
    return new Usage(nanoCores, last.memory(), last.timestamp(), window);
  }
}
