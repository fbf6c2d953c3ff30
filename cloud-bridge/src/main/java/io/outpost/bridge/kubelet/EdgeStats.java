package io.outpost.bridge.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.bridge.flow.TokenBucket;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Refusals;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.StatsReport;
import io.outpost.protocol.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The newest resource usage of every edge node ({@code up/stats}), which the kubelet API serves as
 * {@code /stats/summary} and {@code /metrics/resource}. Off the upstream lanes on purpose: it is disposable telemetry
 * and must never delay a pod status. The MQTT callback only counts and parks the payload ({@link #receive}); one
 * thread ({@code outpost-bridge-stats}) decodes the newest parked payload per node, so what waits is at most one
 * payload per node, whatever a node sends.
 *
 * <p>A report is refused (counted in {@code outpost_bridge_rejected_total{reason}}, logged once a minute per node and
 * reason) if it does not decode, if its node is not the topic's, or if that is not an edge node; beyond one report per
 * second (burst {@value #BURST}) per node it is dropped
 * ({@code outpost_bridge_upstream_dropped_total{channel="stats"}}).
 * A pod the node is not running by the bridge's cache (unknown, another uid, bound elsewhere) is left out of what is
 * served and counted in {@code outpost_bridge_stats_pods_ignored_total}: a node claims only its own pods.
 */
final class EdgeStats implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeStats.class);
  static final int BURST = 5;

  /**
   * The newest report of a node and the one before it (for rates), as accepted; {@code receivedNanos}: when the
   * newest arrived, on the bridge's {@code nanos} clock (staleness is judged by arrival: node clocks may be skewed).
   */
  record Samples(StatsReport latest, StatsReport previous, long receivedNanos) {}

  private final Codec codec;
  private final Metrics metrics;
  private final Predicate<String> edgeNodes;
  private final Function<String, Pod> pods;
  private final LongSupplier nanos;
  private final Refusals refusals;
  private final Map<String, byte[]> parked = new ConcurrentHashMap<>();
  private final Map<String, Samples> samples = new ConcurrentHashMap<>();
  private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();
  private final ExecutorService decoder = Executors.newSingleThreadExecutor(r -> {
    Thread thread = new Thread(r, "outpost-bridge-stats");
    thread.setDaemon(true);
    return thread;
  });

  /**
   * @param pods pods by {@code namespace/name}, from the informer cache
   * @param edgeNodes which node names are edge nodes
   */
  EdgeStats(Codec codec, Metrics metrics, Predicate<String> edgeNodes, Function<String, Pod> pods,
      LongSupplier nanos) {
    this.codec = codec;
    this.metrics = metrics;
    this.edgeNodes = edgeNodes;
    this.pods = pods;
    this.nanos = nanos;
    this.refusals = new Refusals(metrics, LOG, nanos);
    metrics.gauge("outpost_bridge_stats_nodes", samples::size);
  }

  /** A payload on a node's {@code up/stats} topic; on the MQTT callback thread: never blocks. */
  void receive(Topics.UpTopic address, byte[] payload) {
    String node = address.node();
    TokenBucket bucket = buckets.computeIfAbsent(node, k -> new TokenBucket(1.0, BURST, nanos));
    if (!bucket.tryAcquire()) {
      refusals.refuse(node + " (stats)", "Dropped a stats report of node " + node + ": over one per second (burst "
          + BURST + ")", "outpost_bridge_upstream_dropped_total", "node", node, "channel", "stats", "reason",
          "rate_limited");
      return;
    }
    if (parked.put(node, payload) != null) {
      metrics.increment("outpost_bridge_stats_coalesced_total");
      return; // a decode of this node is queued already and takes the newest
    }
    try {
      decoder.execute(() -> {
        byte[] newest = parked.remove(node);
        if (newest != null) {
          accept(address, newest);
        }
      });
    } catch (RejectedExecutionException e) {
      parked.remove(node); // closing
    }
  }

  /** Decodes, checks and keeps one report (on the stats thread; tests call it directly). */
  void accept(Topics.UpTopic address, byte[] payload) {
    String topic = Topics.up(address.node(), Topics.Up.STATS);
    StatsReport report;
    try {
      report = codec.decode(payload, StatsReport.class);
    } catch (ProtocolException e) {
      reject(address.node(), e.reason().label(), topic, e.getMessage());
      return;
    }
    if (!address.node().equals(report.node())) {
      reject(address.node(), ProtocolException.Reason.WRONG_NODE.label(), topic, "message from " + address.node()
          + "'s topic claims to be from " + report.node());
      return;
    }
    if (!edgeNodes.test(report.node())) {
      reject(address.node(), "not_edge_node", topic, report.node() + " is not a registered edge node");
      return;
    }
    StatsReport own = ownPods(report);
    metrics.increment("outpost_bridge_stats_reports_total");
    long now = nanos.getAsLong();
    samples.compute(report.node(), (node, before) -> new Samples(own, before == null ? null : before.latest(), now));
  }

  /** The report with only the pods the node runs by the bridge's cache. */
  private StatsReport ownPods(StatsReport report) {
    if (report.pods() == null || report.pods().isEmpty()) {
      return report;
    }
    List<StatsReport.PodUsage> own = new ArrayList<>(report.pods().size());
    for (StatsReport.PodUsage pod : report.pods()) {
      Pod known = pods.apply(pod.namespace() + "/" + pod.name());
      if (known != null && known.getMetadata() != null && pod.uid().equals(known.getMetadata().getUid())
          && known.getSpec() != null && report.node().equals(known.getSpec().getNodeName())) {
        own.add(pod);
      } else {
        metrics.increment("outpost_bridge_stats_pods_ignored_total");
        LOG.debug("Stats of pod {}/{} (uid {}) from {} ignored: not a pod of that node", pod.namespace(),
            pod.name(), pod.uid(), report.node());
      }
    }
    return own.size() == report.pods().size() ? report
        : new StatsReport(report.v(), report.node(), report.sentAt(), report.usage(), List.copyOf(own));
  }

  /** The newest samples of an edge node, or null if it sent none (or is no edge node any more). */
  Samples of(String node) {
    Samples found = samples.get(node);
    return found == null || !edgeNodes.test(node) ? null : found;
  }

  /** True if the newest samples arrived longer than {@code limit} ago. */
  boolean stale(Samples found, java.time.Duration limit) {
    return nanos.getAsLong() - found.receivedNanos() > limit.toNanos();
  }

  /** Forgets nodes that are no edge nodes any more (deleted Nodes); bounded memory, run periodically. */
  void purge() {
    samples.keySet().removeIf(node -> !edgeNodes.test(node));
    buckets.keySet().removeIf(node -> !edgeNodes.test(node) && !samples.containsKey(node));
  }

  private void reject(String node, String reason, String topic, String message) {
    String label = reason.toLowerCase(Locale.ROOT);
    refusals.refuse(node + " (" + label + ")", "Rejected upstream message on " + topic + ": " + message,
        "outpost_bridge_rejected_total", "reason", label);
  }

  @Override
  public void close() {
    decoder.shutdownNow();
    try {
      decoder.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
