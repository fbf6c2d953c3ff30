package io.outpost.bridge;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud bridge: one informer for Pods and one for edge Nodes over the whole cluster, a router that fans changes
 * out to per-node MQTT topics, and the upstream path that writes pod status, Node status and Leases. Informer and
 * MQTT callbacks only enqueue work onto named executors. MQTT is connected only after both informers have synced,
 * so a resync is never answered from an empty cache.
 */
public final class Bridge implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);
  private static final String NODE_INDEX = "spec.nodeName";

  private final BridgeConfig config;
  private final KubernetesClient client;
  private final Metrics metrics = new Metrics();
  private final ThreadPoolExecutor router = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
      new LinkedBlockingQueue<>(), r -> new Thread(r, "outpost-bridge-router"));
  private final ScheduledExecutorService upstream =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-bridge-upstream"));
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-bridge-mqtt"));
  private SharedIndexInformer<Node> nodeInformer;
  private SharedIndexInformer<Pod> podInformer;
  private MqttBridgeLink link;
  private HttpEndpoints http;
  private Router routing;
  private NodeWriter nodes;
  private Upstream upstreamHandler;
  private volatile boolean closed;

  public Bridge(BridgeConfig config, KubernetesClient client) {
    this.config = config;
    this.client = client;
  }

  public void start() throws Exception {
    long epoch = System.currentTimeMillis();
    Codec codec = new Codec(config.maxMessageBytes());
    http = new HttpEndpoints(config.httpPort(), metrics, this::notReady);
    nodeInformer = client.nodes().withLabel(config.edgeLabelKey(), config.edgeLabelValue()).runnableInformer(0);
    podInformer = client.pods().inAnyNamespace()
        .withIndexers(Map.of(NODE_INDEX, pod -> List.of(Objects.toString(pod.getSpec().getNodeName(), ""))))
        .runnableInformer(0);
    link = new MqttBridgeLink(config, scheduler, upstream, this::onUpstream, metrics, () -> codec.encode(
        new BridgeOnline(Codec.VERSION, epoch, java.util.UUID.randomUUID().toString(), java.time.Instant.now()
            .toString())));
    routing = new Router(epoch, codec, link, node -> podInformer.getIndexer().byIndex(NODE_INDEX, node), metrics);
    nodes = new NodeWriter(client, config, metrics, name -> nodeInformer.getStore().getByKey(name),
        Clock.systemUTC());
    upstreamHandler = new Upstream(codec, metrics, (ns, name) -> podInformer.getStore().getByKey(ns + "/" + name),
        this::isEdgeNode, nodes, new PodStatusWriter(client, metrics),
        request -> router.execute(() -> routing.resync(request)));
    podInformer.addEventHandler(new PodEvents());
    metrics.gauge("outpost_bridge_edge_nodes", () -> nodeInformer.getStore().list().size());
    metrics.gauge("outpost_bridge_router_queue", () -> router.getQueue().size());
    nodeInformer.start().toCompletableFuture().get(2, TimeUnit.MINUTES);
    podInformer.start().toCompletableFuture().get(2, TimeUnit.MINUTES);
    LOG.info("Informers synced ({} edge nodes, {} pods); epoch {}", nodeInformer.getStore().list().size(),
        podInformer.getStore().list().size(), epoch);
    link.connect();
    LOG.info("Bridge started; health on :{}", http.port());
  }

  private void onUpstream(String topic, byte[] payload) {
    upstreamHandler.handle(topic, payload);
  }

  /**
   * A pod is routed if its node is an edge node, or a node the router already streams to: that covers the window in
   * which a newly registered node is not yet in the informer cache, and a pod deleted after its Node object.
   */
  private boolean isEdge(Pod pod) {
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    return node != null && (isEdgeNode(node) || routing.knows(node));
  }

  /** An edge-labelled Node in the cache, or one this bridge registered and the cache has not caught up with. */
  private boolean isEdgeNode(String name) {
    return nodeInformer.getStore().getByKey(name) != null || nodes.registered(name);
  }

  /** Informer callbacks: filter, then hand to the router thread. Never blocks. */
  private final class PodEvents implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      if (isEdge(pod)) {
        router.execute(() -> routing.podChanged(pod));
      }
    }

    @Override
    public void onUpdate(Pod before, Pod after) {
      if (isEdge(after) && !Objects.equals(before.getMetadata().getResourceVersion(),
          after.getMetadata().getResourceVersion())) {
        router.execute(() -> routing.podChanged(after));
      }
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      if (isEdge(pod)) {
        router.execute(() -> routing.podDeleted(pod));
      }
    }
  }

  private Optional<String> notReady() {
    if (closed) {
      return Optional.of("closing");
    }
    if (nodeInformer == null || !nodeInformer.hasSynced() || podInformer == null || !podInformer.hasSynced()) {
      return Optional.of("informers not synced");
    }
    if (link == null || !link.isConnected()) {
      return Optional.of("MQTT not connected");
    }
    return Optional.empty();
  }

  public boolean isReady() {
    return notReady().isEmpty();
  }

  public int httpPort() {
    return http.port();
  }

  public Metrics metrics() {
    return metrics;
  }

  /** Idempotent: stops informers, MQTT, HTTP and the executors. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (podInformer != null) {
      podInformer.stop();
    }
    if (nodeInformer != null) {
      nodeInformer.stop();
    }
    if (link != null) {
      link.close();
    }
    if (http != null) {
      http.close();
    }
    for (ExecutorService executor : List.of(router, upstream, scheduler)) {
      executor.shutdownNow();
    }
    awaitQuietly(Duration.ofSeconds(10));
    LOG.info("Bridge stopped");
  }

  private void awaitQuietly(Duration timeout) {
    try {
      for (ExecutorService executor : List.of(router, upstream, scheduler)) {
        executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
