package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.flow.NodeQueues;
import io.outpost.bridge.kube.ChangeHandler;
import io.outpost.bridge.kube.Informers;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.site.Sites;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The upstream path as one part: what nodes send, from the MQTT callback to the Kubernetes writes. Stream frames go
 * straight to the stream sink (the kubelet API); every other message takes its lane ({@link UpstreamLanes}) and is
 * handled ({@link Upstream}) by the writers of Node status and Leases, pod status, Events and Device status, per node
 * in order. Informer and MQTT callbacks only enqueue; they never block.
 */
public final class UpstreamPath implements AutoCloseable {
  private final KubernetesClient client;
  private final BridgeConfig config;
  private final Metrics metrics;
  /** Upstream messages other than resyncs: heartbeats on their own lane, the rest in fair per-node shares. */
  private final UpstreamLanes lanes;
  /** The Kubernetes writes that follow from upstream messages, per node on the message lane's threads. */
  private final NodeQueues writers;
  private final ScheduledExecutorService leaseTicker =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-bridge-leases"));
  private final DeletedPods deletedPods = new DeletedPods();
  private volatile Upstream handler;
  private volatile BiConsumer<Topics.UpTopic, byte[]> streams = (address, payload) -> { };
  /** Where resource usage reports go (the kubelet API); until set (or with the kubelet API off) they are dropped. */
  private volatile BiConsumer<Topics.UpTopic, byte[]> stats;
  /** Where gateway rollout traffic goes (chunk requests, progress reports); until set it is dropped. */
  private volatile BiConsumer<Topics.UpTopic, byte[]> artifacts;
  private volatile BiConsumer<Topics.UpTopic, byte[]> rollouts;
  private LeaseRenewer leases;
  private NodeWriter nodes;
  private PodStatusWriter statuses;
  private Predicate<String> edgeNode;
  private BiConsumer<String, Runnable> resyncLane;
  private NodeLabels nodeLabels = NodeLabels.NONE;

  public UpstreamPath(BridgeConfig config, KubernetesClient client, Metrics metrics) {
    this.client = client;
    this.config = config;
    this.metrics = metrics;
    this.stats = (address, payload) -> metrics.increment(UpstreamLanes.DROPPED, "node", address.node(), "channel",
        "stats", "reason", "not_served");
    this.artifacts = (address, payload) -> metrics.increment(UpstreamLanes.DROPPED, "node", address.node(),
        "channel", "artifact", "reason", "not_served");
    this.rollouts = (address, payload) -> metrics.increment(UpstreamLanes.DROPPED, "node", address.node(),
        "channel", "rollout", "reason", "not_served");
    this.lanes = new UpstreamLanes(config.fairShares(), metrics, System::nanoTime,
        (topic, payload) -> handler.handle(topic, payload),
        (waiting, newer) -> handler.coalesceHeartbeats(waiting, newer));
    this.writers = lanes.writers();
  }

  /** The per-node threads Kubernetes writes run on (other parts queue their writes for a node there too). */
  public NodeQueues writers() {
    return writers;
  }

  /**
   * Builds the writers over {@code informers}' caches and listens to them; before the informers start. {@code
   * edgeNode} says which node names are edge nodes; resync requests run on {@code resyncLane} (the node's router
   * thread) and are answered by {@code resync}; {@code edgePod} says which pods are routed to an edge node.
   */
  public void start(Codec codec, Informers informers, Predicate<String> edgeNode, Predicate<Pod> edgePod,
      BiConsumer<String, Runnable> resyncLane, Consumer<ResyncRequest> resync) {
    start(codec, informers, edgeNode, edgePod, resyncLane, resync, null, node -> true);
  }

  /**
   * As above, a pod IP checked against the node's range from {@code sites} (null: the rule from before site
   * networking for every node), except for nodes {@code legacy} says do not apply site networking.
   */
  public void start(Codec codec, Informers informers, Predicate<String> edgeNode, Predicate<Pod> edgePod,
      BiConsumer<String, Runnable> resyncLane, Consumer<ResyncRequest> resync, Sites sites,
      Predicate<String> legacy) {
    this.edgeNode = edgeNode;
    this.resyncLane = resyncLane;
    leases = new LeaseRenewer(client, metrics, Clock.systemUTC(), config.leaseDurationSeconds(),
        config.leaseRenewInterval(), config.kubeWritesPerSecond());
    nodes = new NodeWriter(client, config, metrics, informers::node, Clock.systemUTC(), leases, nodeLabels);
    statuses = new PodStatusWriter(client, metrics, new StatusClaims(sites == null
        ? new PodAddressRanges(config.podNetworks(), informers::node)
        : new PodAddressRanges(sites, informers::node, legacy)));
    DeviceStatusWriter deviceStatuses = new DeviceStatusWriter(client, metrics, informers::device);
    handler = new Upstream(codec, metrics, informers::pod, edgeNode, nodes, statuses, new EventWriter(client, metrics),
        resync, informers::device, report -> deviceStatuses.offer(report, writers), deletedPods, informers::service);
    // Before the router hears of a deletion: the node's late reports on the pod are expected, not refused.
    informers.pods().addEventHandler(deletedPods);
    informers.pods().addEventHandler(new ReadinessGateChanges(informers, edgePod));
    informers.nodes().addEventHandler(ChangeHandler.onDelete(node -> {
      metrics.forgetEdge(node.getMetadata().getName());
      lanes.forget(node.getMetadata().getName());
    }));
    metrics.gauge("outpost_bridge_upstream_queue", lanes::depth);
    metrics.gauge("outpost_bridge_upstream_queue_deepest_node", lanes::deepestNode);
    metrics.gauge("outpost_bridge_heartbeats_waiting", lanes::heartbeatsWaiting);
  }

  /** Further labels to keep on each edge Node from its heartbeats (its site's); before {@link #start}. */
  public void labelNodesWith(NodeLabels labels) {
    this.nodeLabels = labels;
  }

  /** Where stream frames go (the kubelet API); until set they are dropped. */
  public void streamsTo(BiConsumer<Topics.UpTopic, byte[]> sink) {
    this.streams = sink;
  }

  /** Where resource usage reports go (the kubelet API serves them); until set they are dropped and counted. */
  public void statsTo(BiConsumer<Topics.UpTopic, byte[]> sink) {
    this.stats = sink;
  }

  /**
   * Where a gateway rollout's chunk requests ({@code up/artifact}) and progress reports ({@code up/rollout}) go: each
   * to its own thread, never on the lanes that carry statuses.
   */
  public void rolloutsTo(BiConsumer<Topics.UpTopic, byte[]> artifactRequests,
      BiConsumer<Topics.UpTopic, byte[]> reports) {
    this.artifacts = artifactRequests;
    this.rollouts = reports;
  }

  /**
   * An upstream message, on the MQTT callback thread: stream frames are relayed at once, resource usage reports
   * go to their own sink (disposable telemetry, never on the lanes that carry statuses), the rest takes its lane.
   */
  public void receive(String topic, byte[] payload) {
    Optional<Topics.UpTopic> address = Topics.parseUp(topic);
    if (address.isPresent() && address.get().channel() == Topics.Up.STREAM) {
      streams.accept(address.get(), payload);
    } else if (address.isPresent() && address.get().channel() == Topics.Up.STATS) {
      metrics.increment("outpost_bridge_messages_in_total", "channel", Topics.Up.STATS.segment());
      stats.accept(address.get(), payload);
    } else if (address.isPresent() && address.get().channel() == Topics.Up.ARTIFACT) {
      artifacts.accept(address.get(), payload);
    } else if (address.isPresent() && address.get().channel() == Topics.Up.ROLLOUT) {
      rollouts.accept(address.get(), payload);
    } else {
      lanes.route(address, topic, payload, edgeNode, resyncLane);
    }
  }

  /** True if this bridge registered the Node (the informer cache may not have caught up with it yet). */
  public boolean registered(String node) {
    return nodes != null && nodes.registered(node);
  }

  /** The kubelet endpoint every Node's status publishes. */
  public void publishKubeletEndpoint(String address, boolean addressIsIp, int port) {
    publishKubeletEndpoint(address, addressIsIp, port, null);
  }

  /** As above, and each Node's own name under {@code nodeDomain} (null: none) for metrics-server. */
  public void publishKubeletEndpoint(String address, boolean addressIsIp, int port, String nodeDomain) {
    nodes.kubeletEndpoint(address, addressIsIp, port, nodeDomain);
  }

  /** Starts renewing the edge nodes' Leases (the active bridge only). */
  public void renewLeases() {
    leaseTicker.scheduleWithFixedDelay(() -> leases.tick(Duration.ofSeconds(1)), 1, 1, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    lanes.close();
    leaseTicker.shutdownNow();
    try {
      leaseTicker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Ready is computed over a pod's readiness gates, as by a kubelet: a change of one rechecks it. */
  private final class ReadinessGateChanges implements ResourceEventHandler<Pod> {
    private final Informers informers;
    private final Predicate<Pod> edgePod;

    ReadinessGateChanges(Informers informers, Predicate<Pod> edgePod) {
      this.informers = informers;
      this.edgePod = edgePod;
    }

    @Override
    public void onAdd(Pod pod) {
      // Only changes of a gate matter.
    }

    @Override
    public void onUpdate(Pod before, Pod after) {
      if (edgePod.test(after) && !Objects.equals(before.getMetadata().getResourceVersion(),
          after.getMetadata().getResourceVersion()) && ReadinessGates.changed(before, after)) {
        writers.execute(after.getSpec().getNodeName(), () -> ReadinessGates.recheck(statuses, metrics,
            informers.pods().getStore().get(after)));
      }
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      // Only changes of a gate matter.
    }
  }
}
