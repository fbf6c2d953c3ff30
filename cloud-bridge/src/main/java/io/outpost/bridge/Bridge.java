package io.outpost.bridge;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud bridge: one informer per kind over the whole cluster ({@link Informers}), a router that fans changes
 * out to per-node MQTT topics, and the upstream path that writes pod status, Device status, Events, Node status and
 * Leases. Informer and MQTT callbacks only enqueue work onto named executors. MQTT is connected only after every informer has synced,
 * so a resync is never answered from an empty cache.
 */
public final class Bridge implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);

  private final BridgeConfig config;
  private final KubernetesClient client;
  private final Metrics metrics = new Metrics();
  private final NodeQueues router;
  /** Upstream messages other than resyncs: heartbeats on their own lane, the rest in fair per-node shares. */
  private final UpstreamLanes lanes;
  /** The Kubernetes writes that follow from upstream messages, per node on the message lane's threads. */
  private final NodeQueues upstream;
  private final ScheduledExecutorService leaseTicker =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-bridge-leases"));
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-bridge-mqtt"));
  private Informers informers;
  /** Nodes with a reconcile queued on the router: a burst of changes on one node costs one pass. */
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  private MqttBridgeLink link;
  /** kubectl logs/exec/port-forward for edge pods, when configured. */
  private volatile KubeletApi kubelet;
  /** With replicas, the mark on this bridge's pod that routes the kubelet API to the active one. */
  private ActiveLabel activeLabel;
  private HttpEndpoints http;
  private Router routing;
  private NodeContents contents;
  private DeviceStatusWriter deviceStatuses;
  private NodeWriter nodes;
  private Upstream upstreamHandler;
  private PodStatusWriter statusWriter;
  private final DeletedPods deletedPods = new DeletedPods();
  private volatile boolean closed;

  private AdmissionWebhook webhook;
  private final TolerationBackstop tolerations;
  private CompletableFuture<?> election;
  private volatile boolean active;
  private volatile Runnable onLeadershipLost = () -> { };
  private LeaseRenewer leases;

  /** TLS for the MQTT connection, or null (plain TCP). */
  private final javax.net.ssl.SSLContext mqttTls;

  public Bridge(BridgeConfig config, KubernetesClient client) {
    this(config, client, null);
  }

  /** A bridge whose MQTT connection uses {@code mqttTls} (for an {@code ssl://} broker with client certificates). */
  public Bridge(BridgeConfig config, KubernetesClient client, javax.net.ssl.SSLContext mqttTls) {
    this.config = config;
    this.client = client;
    this.mqttTls = mqttTls;
    this.router = new NodeQueues(config.routerThreads(), "outpost-bridge-router");
    this.lanes = new UpstreamLanes(config.fairShares(), metrics, System::nanoTime,
        (topic, payload) -> upstreamHandler.handle(topic, payload),
        (waiting, newer) -> upstreamHandler.coalesceHeartbeats(waiting, newer));
    this.upstream = lanes.writers();
    this.tolerations = new TolerationBackstop(client, metrics, upstream, () -> active);
  }

  public void start() throws Exception {
    if (config.plaintext()) { // BridgeConfig refuses it unless OUTPOST_INSECURE_PLAINTEXT=true
      LOG.warn("Plain MQTT to {}, allowed by OUTPOST_INSECURE_PLAINTEXT=true: for a development link only — nodes"
          + " and the bridge are not authenticated, and any host on the path can read the traffic and register"
          + " Nodes", config.brokerUrl());
    }
    long epoch = System.currentTimeMillis();
    Codec codec = new Codec(config.maxMessageBytes());
    http = new HttpEndpoints(config.httpBind(), config.httpPort(), metrics, this::notReady);
    informers = new Informers(client, config);
    deviceStatuses = new DeviceStatusWriter(client, metrics, informers::device);
    link = new MqttBridgeLink(config, scheduler, this::onUpstream, metrics, () -> codec.encode(
        new BridgeOnline(Codec.VERSION, epoch, java.util.UUID.randomUUID().toString(), java.time.Instant.now()
            .toString())), mqttTls);
    contents = new NodeContents(informers);
    routing = new Router(epoch, codec, link, contents, metrics);
    leases = new LeaseRenewer(client, metrics, Clock.systemUTC(), config.leaseDurationSeconds(),
        config.leaseRenewInterval(), config.kubeWritesPerSecond());
    nodes = new NodeWriter(client, config, metrics, name -> informers.nodes.getStore().getByKey(name),
        Clock.systemUTC(), leases);
    statusWriter = new PodStatusWriter(client, metrics, new StatusClaims(new PodAddressRanges(config.podNetworks(),
        name -> informers.nodes.getStore().getByKey(name))));
    upstreamHandler = new Upstream(codec, metrics, (ns, name) -> informers.pods.getStore().getByKey(ns + "/" + name),
        this::isEdgeNode, nodes, statusWriter, new EventWriter(client, metrics),
        request -> router.execute(request.node(), () -> routing.resync(request)), informers::device,
        report -> deviceStatuses.offer(report, upstream), deletedPods);
    informers.pods.addEventHandler(new PodEvents());
    informers.nodes.addEventHandler(new ChangeHandler<>(node -> schedule(node.getMetadata().getName())));
    informers.nodes.addEventHandler(ChangeHandler.onDelete(node -> {
      metrics.forgetEdge(node.getMetadata().getName());
      lanes.forget(node.getMetadata().getName());
    }));
    informers.configMaps.addEventHandler(new ChangeHandler<>(c -> referenced(Downstream.KIND_CONFIG_MAP, c)));
    informers.secrets.addEventHandler(new ChangeHandler<>(s -> referenced(Downstream.KIND_SECRET, s)));
    if (informers.devices != null) {
      informers.devices.addEventHandler(new DeviceEvents());
      informers.deviceModels.addEventHandler(new ChangeHandler<>(m -> referenced(Downstream.KIND_DEVICE_MODEL, m)));
    }
    metrics.gauge("outpost_bridge_edge_nodes", () -> informers.nodes.getStore().list().size());
    metrics.gauge("outpost_bridge_router_queue", router::depth);
    metrics.gauge("outpost_bridge_upstream_queue", lanes::depth);
    metrics.gauge("outpost_bridge_upstream_queue_deepest_node", lanes::deepestNode);
    metrics.gauge("outpost_bridge_heartbeats_waiting", lanes::heartbeatsWaiting);
    metrics.gauge("outpost_bridge_jvm_heap_used_bytes", () -> java.lang.management.ManagementFactory
        .getMemoryMXBean().getHeapMemoryUsage().getUsed());
    metrics.gauge("outpost_bridge_connected_nodes", () -> informers.nodes.getStore().list().stream()
        .filter(Bridge::ready).count());
    informers.start();
    LOG.info("Informers synced ({}); epoch {}", informers.counts(), epoch);
    if (config.kubelet().enabled()) {
      kubelet = new KubeletApi(config.kubelet(), link, metrics, scheduler, informers.pods.getStore()::getByKey,
          this::isEdgeNode, informers.nodes.getStore()::getByKey, config.fairShares());
      // Published: what the operator configured (a Service's or load balancer's address and port), else where the
      // bridge listens.
      nodes.kubeletEndpoint(config.kubelet().address(), config.kubelet().addressIsIp(),
          config.kubelet().publishedPort() != 0 ? config.kubelet().publishedPort() : kubelet.port());
      if (config.leaderElection()) {
        activeLabel = new ActiveLabel(client, config.leaderElectionNamespace(), config.leaderIdentity());
        activeLabel.set(false);
      }
    } else {
      LOG.info("Kubelet API off (OUTPOST_KUBELET_CLIENT_CA_FILE not set): no kubectl logs/exec for edge pods");
    }
    if (config.webhookEnabled()) {
      // Every replica serves the webhook: it needs only the informer caches.
      webhook = new AdmissionWebhook(config.webhookBind(), config.webhookPort(), config.webhookCertFile(),
          config.webhookKeyFile(), metrics, this::isEdgeNode, config.edgeLabelKey(), config.edgeLabelValue(),
          config.fairShares());
    } else {
      LOG.info("Admission webhook off (OUTPOST_WEBHOOK_CERT_FILE not set): only bound pods get tolerations");
    }
    if (config.leaderElection()) {
      election = client.leaderElector().withConfig(LeaderElection.config(config.leaderElectionNamespace(),
          config.leaderIdentity(), config.leaderLease(), new LeaderCallbacks(this::activate, this::leadershipLost,
              leader -> LOG.info("Bridge leader is {}", leader)))).build().start();
      LOG.info("Standing by as {} for the leader Lease {}/{}", config.leaderIdentity(),
          config.leaderElectionNamespace(), LeaderElection.LEASE);
    } else {
      activate();
    }
    LOG.info("Bridge started; health on :{}", http.port());
  }

  /** Becomes the active bridge: connects MQTT (the edges see a new session and resync) and renews Leases. */
  private synchronized void activate() {
    if (closed || active) {
      return;
    }
    active = true;
    leaseTicker.scheduleWithFixedDelay(() -> leases.tick(Duration.ofSeconds(1)), 1, 1, TimeUnit.SECONDS);
    link.connect();
    if (activeLabel != null) {
      activeLabel.set(true);
    }
    // Pods a standby saw were not looked at: the active bridge checks every bound edge pod's tolerations once.
    informers.pods.getStore().list().stream().filter(this::isEdge).forEach(tolerations::check);
    LOG.info("Bridge active as {}", config.leaderIdentity());
  }

  /**
   * Another replica leads now (or this one could not renew the Lease): this one must stop at once, and the
   * simplest way to guarantee that is to stop everything; the process then exits and restarts as a standby.
   */
  private void leadershipLost() {
    if (closed) {
      return;
    }
    LOG.error("Lost the bridge leadership: stopping so that only one bridge is active");
    close();
    onLeadershipLost.run();
  }

  /** What to do after the leadership was lost and the bridge closed (the main program exits). */
  public void onLeadershipLost(Runnable action) {
    this.onLeadershipLost = action;
  }

  /** True while this bridge is the active one (always, without leader election). */
  public boolean isActive() {
    return active && !closed;
  }

  /** An upstream message, on the MQTT callback thread: stream frames are relayed at once, the rest takes its lane. */
  private void onUpstream(String topic, byte[] payload) {
    Optional<Topics.UpTopic> address = Topics.parseUp(topic);
    KubeletApi streams = kubelet;
    if (address.isPresent() && address.get().channel() == Topics.Up.STREAM) {
      if (streams != null) {
        streams.receive(address.get(), payload);
      }
    } else {
      lanes.route(address, topic, payload, this::isEdgeNode, router::execute);
    }
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
    return informers.nodes.getStore().getByKey(name) != null || nodes.registered(name);
  }

  private static boolean ready(Node node) {
    return node.getStatus() != null && node.getStatus().getConditions() != null && node.getStatus().getConditions()
        .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** Queues one reconcile of the node on its router thread, unless one is queued already. */
  private void schedule(String node) {
    if (dirty.add(node)) {
      router.execute(node, () -> {
        dirty.remove(node);
        routing.reconcile(node);
      });
    }
  }

  private void referenced(String kind, HasMetadata object) {
    String key = ObjectRef.key(kind, object.getMetadata().getNamespace(), object.getMetadata().getName());
    contents.nodesReferencing(key).forEach(this::schedule);
  }

  /** Informer callbacks: filter, then hand to the router thread. Never blocks. */
  private final class PodEvents implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      if (isEdge(pod)) {
        schedule(pod.getSpec().getNodeName());
        tolerations.check(pod);
      }
    }

    @Override
    public void onUpdate(Pod before, Pod after) {
      if (isEdge(after) && !Objects.equals(before.getMetadata().getResourceVersion(),
          after.getMetadata().getResourceVersion())) {
        schedule(after.getSpec().getNodeName());
        tolerations.check(after);
        if (ReadinessGates.changed(before, after)) { // Ready is computed over them, as by a kubelet
          upstream.execute(after.getSpec().getNodeName(), () -> ReadinessGates.recheck(statusWriter, metrics,
              informers.pods.getStore().get(after)));
        }
      }
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      deletedPods.onDelete(pod, finalStateUnknown); // before the node hears of it: its late reports are expected
      if (isEdge(pod)) {
        schedule(pod.getSpec().getNodeName());
      }
      tolerations.forget(pod);
    }
  }

  /**
   * Device changes reach the node it is bound to, and the node it was bound to before (which must drop it). Never
   * blocks.
   */
  private final class DeviceEvents implements ResourceEventHandler<GenericKubernetesResource> {
    @Override
    public void onAdd(GenericKubernetesResource device) {
      scheduleIfEdge(DeviceTranslator.nodeName(device));
    }

    @Override
    public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
      // Status writes (this bridge's own, one per report) change nothing a node holds: only spec changes count.
      if (!Objects.equals(before.getAdditionalProperties().get("spec"), after.getAdditionalProperties().get("spec"))
          || !Objects.equals(before.getMetadata().getUid(), after.getMetadata().getUid())) {
        scheduleIfEdge(DeviceTranslator.nodeName(before));
        scheduleIfEdge(DeviceTranslator.nodeName(after));
      }
    }

    @Override
    public void onDelete(GenericKubernetesResource device, boolean finalStateUnknown) {
      scheduleIfEdge(DeviceTranslator.nodeName(device));
    }

    private void scheduleIfEdge(String node) {
      if (!node.isEmpty() && (isEdgeNode(node) || routing.knows(node))) {
        schedule(node);
      }
    }
  }

  private Optional<String> notReady() {
    if (closed) {
      return Optional.of("closing");
    }
    if (informers == null || !informers.synced()) {
      return Optional.of("informers not synced");
    }
    if (active && (link == null || !link.isConnected())) {
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

  /** The port the kubelet API for edge nodes listens on, or -1 if it is off. */
  public int kubeletPort() {
    KubeletApi api = kubelet;
    return api == null ? -1 : api.port();
  }

  /** Idempotent: stops informers, MQTT, HTTP and the executors. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (election != null) {
      election.cancel(true); // releases the Lease: a standby takes over within its retry period
    }
    if (informers != null) {
      informers.stop();
    }
    if (kubelet != null) {
      kubelet.close(); // before the MQTT link: its sessions' ENDs still reach the nodes
    }
    if (link != null) {
      link.close();
    }
    if (http != null) {
      http.close();
    }
    if (webhook != null) {
      webhook.close();
    }
    if (activeLabel != null && active) {
      activeLabel.set(false);
    }
    router.close();
    lanes.close();
    for (ExecutorService executor : List.of(leaseTicker, scheduler)) {
      executor.shutdownNow();
    }
    awaitQuietly(Duration.ofSeconds(10));
    LOG.info("Bridge stopped");
  }

  private void awaitQuietly(Duration timeout) {
    try {
      for (ExecutorService executor : List.of(leaseTicker, scheduler)) {
        executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
