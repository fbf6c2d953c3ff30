package io.outpost.bridge.artifacts;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Refusals;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.RolloutReport;
import io.outpost.protocol.Topics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records each node's newest {@link RolloutReport} (from {@code up/rollout}) in its Node's
 * {@value GatewayAnnotations#STATUS} annotation, where the rollout controller and operators read it. Reports are
 * coalesced per node (only the newest matters) and written on this class's own thread, only when they say something
 * new (the time a report was sent alone is not news, so a node re-reporting after each reconnect costs no write). A
 * write the API server refuses is tried again after a jittered back-off (1 s doubling to 60 s) unless a newer report
 * came meanwhile: a node reports once per state, and a lost write would leave its rollout waiting. Malformed or
 * spoofed reports are refused, logged and counted.
 */
public final class RolloutReports implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RolloutReports.class);

  private final Codec codec;
  private final KubernetesClient client;
  private final Function<String, Node> nodes;
  private final Metrics metrics;
  private final Refusals refusals;
  /** The newest report of each node not written yet. */
  private final Map<String, RolloutReport> pending = new ConcurrentHashMap<>();
  /** What this bridge last wrote for each node (the informer cache may not show it yet). */
  private final Map<String, RolloutReport> written = new ConcurrentHashMap<>();
  /** Failed writes in a row per node (writer thread only): the retry's back-off. */
  private final Map<String, Integer> failures = new HashMap<>();
  private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "outpost-rollout-reports");
    thread.setDaemon(true);
    return thread;
  });

  public RolloutReports(Codec codec, KubernetesClient client, Function<String, Node> nodes, Metrics metrics) {
    this.codec = codec;
    this.client = client;
    this.nodes = nodes;
    this.metrics = metrics;
    this.refusals = new Refusals(metrics, LOG, System::nanoTime);
  }

  /** A report from {@code up/rollout} (MQTT callback thread): checked and queued, newest per node. */
  public void receive(Topics.UpTopic address, byte[] payload) {
    metrics.increment("outpost_bridge_messages_in_total", "channel", Topics.Up.ROLLOUT.segment());
    RolloutReport report;
    try {
      report = codec.decode(payload, RolloutReport.class);
    } catch (ProtocolException e) {
      refuse(address.node(), e.reason().label(), e.getMessage());
      return;
    }
    if (!report.node().equals(address.node())) {
      refuse(address.node(), "wrong_node", "report names node " + report.node());
      return;
    }
    if (pending.put(address.node(), report) == null) {
      submit(() -> writeNewest(address.node()), 0);
    }
  }

  private void submit(Runnable task, long delayMillis) {
    try {
      writer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("Rollout reports closed: a report is not written");
    }
  }

  /** Writes the node's newest report; a failed write is tried again after a jittered back-off, unless a newer came. */
  private void writeNewest(String name) {
    RolloutReport report = pending.remove(name);
    if (report == null) {
      return;
    }
    if (write(name, report)) {
      failures.remove(name);
      return;
    }
    int failed = failures.merge(name, 1, Integer::sum);
    long ceiling = Math.min(60_000L, 1_000L << Math.min(failed, 6));
    if (pending.putIfAbsent(name, report) == null) {
      submit(() -> writeNewest(name), ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
    }
  }

  /** True if the report is recorded (or nothing new, or refused: nothing to try again). */
  boolean write(String name, RolloutReport report) {
    Node node = nodes.apply(name);
    if (node == null) {
      refuse(name, "not_edge_node", name + " is not a registered edge node");
      return true;
    }
    RolloutReport recorded = written.containsKey(name) ? written.get(name)
        : GatewayAnnotations.status(node).orElse(null);
    if (recorded != null && sameNews(recorded, report)) {
      return true;
    }
    String value = GatewayAnnotations.format(report);
    try {
      client.nodes().withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization()
          .asJson(Map.of("metadata", Map.of("annotations", Map.of(GatewayAnnotations.STATUS, value)))));
      written.put(name, report);
      metrics.increment("outpost_bridge_rollout_reports_total", "state", report.state());
      LOG.info("Node {} gateway rollout {}: {} {} {}{}", name, report.rollout(), report.name(), report.version(),
          report.state(), report.reason() == null ? "" : " — " + report.reason());
      return true;
    } catch (KubernetesClientException e) {
      metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
      LOG.warn("Could not record the rollout report of {} (tried again): {} {}", name, e.getCode(), e.getMessage());
      return false;
    }
  }

  /** Whether two reports say the same apart from when they were sent. */
  static boolean sameNews(RolloutReport a, RolloutReport b) {
    return Objects.equals(a.rollout(), b.rollout()) && Objects.equals(a.sha256(), b.sha256())
        && Objects.equals(a.state(), b.state()) && Objects.equals(a.reason(), b.reason())
        && Objects.equals(a.version(), b.version()) && a.received() == b.received() && a.chunks() == b.chunks();
  }

  private void refuse(String node, String reason, String message) {
    refusals.refuse(node + " (" + reason + ")", "Rejected rollout report of " + node + ": " + message,
        "outpost_bridge_rejected_total", "reason", reason);
  }

  @Override
  public void close() {
    writer.shutdownNow();
  }
}
