package io.outpost.metrics;

import java.util.Map;

/**
 * Whiteboard service: a part of the edge node that reports on its health — the sync (link, outboxes, rejections),
 * the store (size on disk), the container manager (pods by phase, engine), the JVM. Collected for the local
 * Prometheus endpoint and, summarised, for the heartbeat, so that the bridge shows every node's health.
 */
public interface MetricSource {

  /**
   * The current values by series ({@link io.outpost.protocol.MetricSeries}: {@code outpost_edge_<name>} with at
   * most four labels; names ending in {@code _total} are counters). Quick: never waits for I/O.
   */
  Map<String, Double> metrics();
}
