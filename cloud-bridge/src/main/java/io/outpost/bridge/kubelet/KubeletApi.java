package io.outpost.bridge.kubelet;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.bridge.config.FairShares;
import io.outpost.bridge.config.KubeletConfig;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.mqtt.MqttBridgeLink;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Topics;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * {@code kubectl logs/exec/port-forward} for edge pods: the kubelet API served by the bridge ({@link KubeletServer})
 * and the relay of its streams to the nodes over MQTT ({@link StreamRelay}). The API server is led here by every
 * edge Node's {@code InternalIP} (the bridge's address) and kubelet port; the edge site is never connected to.
 */
public final class KubeletApi implements KubeletHandler.Routes, AutoCloseable {
  /** How often an idle stream shows it is alive; a node silent for three times this is taken as gone. */
  static final Duration KEEPALIVE = Duration.ofSeconds(10);

  private final StreamRelay relay;
  private final KubeletServer server;
  private final Function<String, Pod> pods;
  private final Predicate<String> edgeNodes;
  private final Function<String, Node> nodes;
  private final KubeletConfig config;
  /** The newest resource usage of every edge node ({@code /stats/summary}, {@code /metrics/resource}). */
  private final EdgeStats stats;

  public KubeletApi(KubeletConfig config, MqttBridgeLink link, Metrics metrics, ScheduledExecutorService ticker,
      Function<String, Pod> pods, Predicate<String> edgeNodes, Function<String, Node> nodes, FairShares shares)
      throws Exception {
    this(config, new Codec(), link, metrics, ticker, pods, edgeNodes, nodes, shares);
  }

  /** With the bridge's codec (its message size limit) for the nodes' stats reports. */
  public KubeletApi(KubeletConfig config, Codec codec, MqttBridgeLink link, Metrics metrics,
      ScheduledExecutorService ticker, Function<String, Pod> pods, Predicate<String> edgeNodes,
      Function<String, Node> nodes, FairShares shares) throws Exception {
    this.config = config;
    this.stats = new EdgeStats(codec, metrics, edgeNodes, pods, System::nanoTime);
    this.pods = pods;
    this.edgeNodes = edgeNodes;
    this.nodes = nodes;
    // A frame not delivered within the session's silence limit belongs to a session that is over: the broker drops
    // it rather than hand a node that was offline an OPEN whose client gave up long ago.
    this.relay = new StreamRelay((topic, payload) -> link.publish(topic, payload, KEEPALIVE.toSeconds() * 3),
        link::isConnected, metrics, KEEPALIVE, shares);
    this.server = new KubeletServer(config, this);
    ticker.scheduleWithFixedDelay(relay::tick, KEEPALIVE.toMillis(), KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS);
    ticker.scheduleWithFixedDelay(stats::purge, 1, 1, TimeUnit.MINUTES);
  }

  public int port() {
    return server.port();
  }

  /** A frame from a node's {@code up/stream} topic. */
  public void receive(Topics.UpTopic address, byte[] payload) {
    relay.receive(address.node(), payload);
  }

  /** A report on a node's {@code up/stats} topic (on the MQTT callback thread: parked, decoded elsewhere). */
  public void receiveStats(Topics.UpTopic address, byte[] payload) {
    stats.receive(address, payload);
  }

  @Override
  public KubeletHandler.NodeUsage usage(String host) throws KubeletHandler.Refused {
    String node = config.nodeOfHost(host);
    if (node == null || !edgeNodes.test(node)) {
      throw new KubeletHandler.Refused(404, "host " + host + " names no edge node: resource usage is served for "
          + (config.nodeDomain() == null ? "<node>.<OUTPOST_KUBELET_NODE_DOMAIN>, which is not set"
          : "<node>." + config.nodeDomain()) + " (metrics-server: --kubelet-preferred-address-types=ExternalDNS)");
    }
    EdgeStats.Samples samples = stats.of(node);
    if (samples == null) {
      throw new KubeletHandler.Refused(503, "edge node " + node + " has sent no resource usage yet");
    }
    return new KubeletHandler.NodeUsage(node, samples, stats.stale(samples, config.statsStaleAfter()));
  }

  @Override
  public KubeletHandler.Target target(String namespace, String name) throws KubeletHandler.Refused {
    Pod pod = pods.apply(namespace + "/" + name);
    if (pod == null) {
      throw new KubeletHandler.Refused(404, "pod " + namespace + "/" + name + " not found");
    }
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    if (node == null || !edgeNodes.test(node)) {
      throw new KubeletHandler.Refused(404, "pod " + namespace + "/" + name + " is not on an edge node");
    }
    Node object = nodes.apply(node);
    boolean ready = object != null && object.getStatus() != null && object.getStatus().getConditions() != null
        && object.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType())
            && "True".equals(c.getStatus()));
    if (!ready) {
      throw new KubeletHandler.Refused(503, "edge node " + node + " is not connected");
    }
    return new KubeletHandler.Target(node, pod.getMetadata().getUid());
  }

  @Override
  public StreamRelay relay() {
    return relay;
  }

  @Override
  public void close() {
    server.close();
    relay.close();
    stats.close();
  }
}
