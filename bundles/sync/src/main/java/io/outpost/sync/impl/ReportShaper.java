package io.outpost.sync.impl;

import io.outpost.protocol.NodeReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Turns the node's full heartbeat into what the link has to carry (protocol §5.5): each of the node's facts
 * (capacity, allocatable, conditions, addresses, identity) only when it differs from what the last delivered report
 * carried, all of them after every (re)connect and at least every {@code factsRefresh}, and the metric samples every
 * {@code metricsInterval}. An idle node's heartbeat is then its name, time and readiness: a few dozen bytes.
 *
 * <p>A fact counts as delivered when the broker acknowledged the report that carried it ({@link #delivered}), and only
 * if no (re)connect came in between; until then every heartbeat carries it again. Thread-safe: heartbeats are shaped
 * on the sync thread, acknowledgements arrive on Paho's.
 */
final class ReportShaper {
  private final Duration factsRefresh;
  private final Duration metricsInterval;
  private final Clock clock;
  /** The facts the bridge has (as acknowledged on this connection), or null for none. */
  private NodeReport delivered;
  /** When all facts were last acknowledged together, or null. */
  private Instant factsDeliveredAt;
  /** When metric samples were last sent, or null. */
  private Instant metricsSentAt;
  /** Counts (re)connects: an acknowledgement of an earlier connection proves nothing about this one. */
  private long connection;

  ReportShaper(Duration factsRefresh, Duration metricsInterval, Clock clock) {
    this.factsRefresh = factsRefresh;
    this.metricsInterval = metricsInterval;
    this.clock = clock;
  }

  /**
   * What one heartbeat carries, on which connection it was shaped, and whether it carries every fact as a refresh
   * (after a connect, or when the refresh was due).
   */
  record Shaped(NodeReport report, long connection, boolean refresh) {}

  /** A new connection: the bridge behind it may know nothing (a restart), so the next heartbeat carries everything. */
  synchronized void reset() {
    connection++;
    delivered = null;
    factsDeliveredAt = null;
    metricsSentAt = null;
  }

  /** {@code full} (every fact and the current metrics) as the link should carry it now. */
  synchronized Shaped shape(NodeReport full) {
    Instant now = clock.instant();
    boolean refresh = delivered == null || factsDeliveredAt == null
        || !now.isBefore(factsDeliveredAt.plus(factsRefresh));
    boolean metricsDue = metricsSentAt == null || !now.isBefore(metricsSentAt.plus(metricsInterval));
    if (metricsDue && full.metrics() != null) {
      metricsSentAt = now;
    }
    NodeReport known = refresh ? null : delivered;
    NodeReport shaped = new NodeReport(full.v(), full.node(), full.sentAt(), full.ready(), full.message(),
        changed(full.capacity(), known == null ? null : known.capacity(), known),
        changed(full.addresses(), known == null ? null : known.addresses(), known),
        changed(full.info(), known == null ? null : known.info(), known),
        metricsDue ? full.metrics() : null,
        changed(full.allocatable(), known == null ? null : known.allocatable(), known),
        changed(full.conditions(), known == null ? null : known.conditions(), known));
    return new Shaped(shaped, connection, refresh);
  }

  /** The broker acknowledged {@code shaped}: its facts are the bridge's now (if no reconnect came since). */
  synchronized void delivered(Shaped shaped) {
    if (shaped.connection() != connection) {
      return;
    }
    delivered = shaped.report().over(delivered);
    if (shaped.refresh()) {
      factsDeliveredAt = clock.instant();
    }
  }

  /** {@code value} if the bridge may not have it ({@code known} null: nothing known), else null for "unchanged". */
  private static <T> T changed(T value, T delivered, NodeReport known) {
    return known != null && Objects.equals(value, delivered) ? null : value;
  }
}
