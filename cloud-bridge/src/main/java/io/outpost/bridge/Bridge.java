package io.outpost.bridge;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.bridge.admission.AdmissionWebhook;
import io.outpost.bridge.artifacts.ArtifactServer;
import io.outpost.bridge.artifacts.ArtifactStore;
import io.outpost.bridge.artifacts.RolloutReports;
import io.outpost.bridge.admission.TolerationBackstop;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.downstream.Routing;
import io.outpost.bridge.fleet.FleetController;
import io.outpost.bridge.fleet.Placement;
import io.outpost.bridge.ha.Leadership;
import io.outpost.bridge.join.JoinTokens;
import io.outpost.bridge.kube.Informers;
import io.outpost.bridge.kube.ServiceAccountTokens;
import io.outpost.bridge.kubelet.KubeletApi;
import io.outpost.bridge.metrics.HttpEndpoints;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Readiness;
import io.outpost.bridge.mqtt.MqttBridgeLink;
import io.outpost.bridge.site.PodCidrAllocator;
import io.outpost.bridge.site.Sites;
import io.outpost.bridge.upstream.UpstreamPath;
import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud bridge, wired: the informer caches ({@link Informers}), the downstream path that routes their changes to
 * per-node MQTT topics ({@link Routing}), site membership and pod ranges ({@link Sites}, {@link PodCidrAllocator}),
 * the upstream path that writes pod status, Device status, Events, Node
 * status and Leases ({@link UpstreamPath}), the kubelet API, the admission webhook and its backstop, and which
 * replica is active ({@link Leadership}). This class only builds and connects the parts and stops them in order.
 * MQTT is connected only after every informer has synced, so a resync is never answered from an empty cache.
 */
public final class Bridge implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);

  private final BridgeConfig config;
  private final KubernetesClient client;
  /** TLS for the MQTT connection, or null (plain TCP). */
  private final SSLContext mqttTls;
  private final Metrics metrics = new Metrics();
  private final Routing routing;
  /** Bound ServiceAccount tokens of edge pods (TokenRequest), routed with the pods. */
  private final ServiceAccountTokens tokens;
  private final UpstreamPath upstream;
  private final TolerationBackstop tolerations;
  private final Leadership leadership;
  private final Readiness readiness = new Readiness();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-bridge-mqtt"));
  private volatile Informers informers;
  /** Records each edge node's block of its site's pool on its Node (active replica only). */
  private volatile PodCidrAllocator podCidrs;
  /** Nodes labelled with their sites, sites summarised (metrics, Site objects). */
  private volatile io.outpost.bridge.fleet.sites.FleetSites fleetSites;
  /** Stamps each SiteWorkload's copy per site (active replica only); null if off or the CRD is not installed. */
  private volatile FleetController fleet;
  private volatile ArtifactStore artifactStore;
  private volatile ArtifactServer artifactServer;
  private volatile RolloutReports rolloutReports;
  /** Assigns GatewayRollouts' artifacts to edge nodes (active replica only); null if off or the CRD is not installed. */
  private volatile io.outpost.bridge.rollout.GatewayRolloutController rollouts;
  private volatile MqttBridgeLink link;
  /** kubectl logs/exec/port-forward for edge pods, when configured. */
  private volatile KubeletApi kubelet;
  private HttpEndpoints http;
  private AdmissionWebhook webhook;
  private volatile boolean closed;
  private volatile Runnable onLeadershipLost = () -> { };

  public Bridge(BridgeConfig config, KubernetesClient client) {
    this(config, client, null);
  }

  /** A bridge whose MQTT connection uses {@code mqttTls} (for an {@code ssl://} broker with client certificates). */
  public Bridge(BridgeConfig config, KubernetesClient client, SSLContext mqttTls) {
    this.config = config;
    this.client = client;
    this.mqttTls = mqttTls;
    this.routing = new Routing(config.routerThreads());
    this.tokens = new ServiceAccountTokens(client, Clock.systemUTC(),
        outcome -> metrics.increment("outpost_bridge_sa_token_requests_total", "outcome", outcome));
    this.upstream = new UpstreamPath(config, client, metrics);
    this.leadership = new Leadership(client, config);
    this.tolerations = new TolerationBackstop(client, metrics, upstream.writers(), leadership::isActive);
    readiness.notReadyWhile("closing", () -> closed)
        .notReadyWhile("informers not synced", () -> informers == null || !informers.synced())
        .notReadyWhile("MQTT not connected", () -> leadership.isActive() && (link == null || !link.isConnected()));
  }

  public void start() throws Exception {
    long epoch = System.currentTimeMillis();
    Codec codec = new Codec(config.maxMessageBytes());
    http = new HttpEndpoints(config.httpBind(), config.httpPort(), metrics, readiness);
    Informers informers = new Informers(client, config, JoinTokens.LABEL);
    this.informers = informers;
    link = new MqttBridgeLink(config, scheduler, upstream::receive, metrics, () -> codec.encode(
        new BridgeOnline(Codec.VERSION, epoch, UUID.randomUUID().toString(), Instant.now().toString())), mqttTls);
    // An edge-labelled Node in the cache, or one this bridge registered and the cache has not caught up with.
    Predicate<String> edgeNode = name -> informers.node(name) != null || upstream.registered(name);
    // Site membership and pod ranges: the same for the SiteNetworks sent and the pod IPs accepted.
    Sites sites = new Sites(config.podNetworks(), informers::node, informers::edgeNodes,
        config.kubelet().enabled() && config.kubelet().addressIsIp() ? config.kubelet().address() : null);
    Predicate<String> legacy = node -> routing.kinds().known(node)
        && !routing.kinds().accepts(node, Downstream.KIND_SITE_NETWORK);
    io.outpost.bridge.fleet.sites.FleetSites siteSummaries = new io.outpost.bridge.fleet.sites.FleetSites(config,
        client, informers, metrics, leadership::isActive);
    fleetSites = siteSummaries;
    upstream.labelNodesWith(siteSummaries::keep);
    // Informer handlers run in the order added: the upstream path hears of a pod's deletion before the router does.
    upstream.start(codec, informers, edgeNode, routing::isEdge, routing::execute, routing::resync, sites, legacy);
    routing.start(epoch, codec, link, informers, metrics, edgeNode, tokens, sites);
    PodCidrAllocator allocator = new PodCidrAllocator(client, sites, metrics, leadership::isActive,
        routing::nodeChanged);
    podCidrs = allocator;
    informers.nodes().addEventHandler(new io.outpost.bridge.kube.ChangeHandler<>(node -> allocator.request()));
    informers.nodes().addEventHandler(io.outpost.bridge.kube.ChangeHandler.onDelete(
        node -> allocator.forget(node.getMetadata().getName())));
    informers.pods().addEventHandler(tokens.podHandler(routing::isEdge)); // asks before any node resyncs
    metrics.gauge("outpost_bridge_sa_token_pods", tokens::pods);
    tolerations.listen(informers, routing::isEdge);
    metrics.gauge("outpost_bridge_edge_nodes", () -> informers.nodes().getStore().list().size());
    metrics.gauge("outpost_bridge_connected_nodes", informers::readyNodes);
    metrics.gauge("outpost_bridge_jvm_heap_used_bytes",
        () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    informers.start();
    LOG.info("Informers synced ({}); epoch {}", informers.counts(), epoch);
    siteSummaries.start();
    FleetController fleet = FleetController.start(client, config.fleetWorkloads(), informers.nodes(),
        new Placement(config.podNetworks().siteLabel(), config.edgeLabelKey(), config.edgeLabelValue()), metrics,
        leadership::isActive);
    this.fleet = fleet;
    // Gateway rollouts: nodes pull their assigned artifact in chunks and report progress into their Node.
    artifactStore = new ArtifactStore(config.artifactDir(), Executors.newSingleThreadExecutor(
        runnable -> {
          Thread thread = new Thread(runnable, "outpost-artifact-fetch");
          thread.setDaemon(true);
          return thread;
        }), metrics, Clock.systemUTC());
    artifactServer = new ArtifactServer(codec, artifactStore, informers.nodes().getStore()::getByKey, link::publish,
        metrics);
    rolloutReports = new RolloutReports(codec, client, informers.nodes().getStore()::getByKey, metrics);
    upstream.rolloutsTo(artifactServer::receive, rolloutReports::receive);
    io.outpost.bridge.rollout.GatewayRolloutController rollouts = io.outpost.bridge.rollout.GatewayRolloutController
        .start(client, config.rollouts().enabled(), informers.nodes(), informers::podsOn,
            config.podNetworks().siteLabel(), config.rollouts().onlineWindow(), siteSummaries::lastContact, metrics,
            leadership::isActive);
    this.rollouts = rollouts;
    if (config.kubelet().enabled()) {
      KubeletApi api = new KubeletApi(config.kubelet(), codec, link, metrics, scheduler,
          informers.pods().getStore()::getByKey, edgeNode, informers.nodes().getStore()::getByKey, config.fairShares());
      kubelet = api;
      upstream.streamsTo(api::receive);
      upstream.statsTo(api::receiveStats);
      // Published: what the operator configured (a Service's or load balancer's address and port), else where the
      // bridge listens.
      upstream.publishKubeletEndpoint(config.kubelet().address(), config.kubelet().addressIsIp(),
          config.kubelet().publishedPort() != 0 ? config.kubelet().publishedPort() : api.port(),
          config.kubelet().nodeDomain());
      leadership.labelTheActiveReplica();
    } else {
      LOG.info("Kubelet API off (OUTPOST_KUBELET_CLIENT_CA_FILE not set): no kubectl logs/exec for edge pods");
    }
    if (config.webhookEnabled()) {
      // Every replica serves the webhook: it needs only the informer caches.
      webhook = new AdmissionWebhook(config.webhookBind(), config.webhookPort(), config.webhookCertFile(),
          config.webhookKeyFile(), metrics, edgeNode, config.edgeLabelKey(), config.edgeLabelValue(),
          config.fairShares());
    } else {
      LOG.info("Admission webhook off (OUTPOST_WEBHOOK_CERT_FILE not set): only bound pods get tolerations");
    }
    // Active: MQTT connects (the edges see a new session and resync) and Leases are renewed. Lost: stop everything.
    leadership.start(() -> {
      allocator.request();
      upstream.renewLeases();
      link.connect();
      tolerations.checkAll(informers, routing::isEdge);
      if (fleet != null) {
        fleet.activate();
      }
      if (rollouts != null) {
        rollouts.activate();
      }
    }, () -> {
      close();
      onLeadershipLost.run();
    });
    if (!config.edgeTaint()) {
      LOG.warn("OUTPOST_EDGE_TAINT=false: edge Nodes are registered without the {} taint and it is not restored —"
          + " every DaemonSet and any pod without a node selector may be scheduled onto edge nodes. Meant for a"
          + " conformance run only (docs/conformance.md)", io.outpost.bridge.kube.EdgeTaint.KEY);
    }
    LOG.info("Bridge started; health on :{}", http.port());
  }

  /** What to do after the leadership was lost and the bridge closed (the main program exits). */
  public void onLeadershipLost(Runnable action) {
    this.onLeadershipLost = action;
  }

  /** True while this bridge is the active one (always, without leader election). */
  public boolean isActive() {
    return leadership.isActive() && !closed;
  }

  public boolean isReady() {
    return readiness.get().isEmpty();
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
    leadership.resign(); // releases the Lease: a standby takes over within its retry period
    if (fleet != null) {
      fleet.close(); // first: no more writes once another replica may lead
    }
    if (rollouts != null) {
      rollouts.close();
    }
    if (rolloutReports != null) {
      rolloutReports.close();
    }
    if (informers != null) {
      informers.stop();
    }
    if (kubelet != null) {
      kubelet.close(); // before the MQTT link: its sessions' ENDs still reach the nodes
    }
    if (artifactServer != null) {
      artifactServer.close();
    }
    if (link != null) {
      link.close();
    }
    if (artifactStore != null) {
      artifactStore.close();
    }
    if (http != null) {
      http.close();
    }
    if (webhook != null) {
      webhook.close();
    }
    leadership.unlabel();
    if (podCidrs != null) {
      podCidrs.close();
    }
    if (fleetSites != null) {
      fleetSites.close();
    }
    routing.close();
    tokens.close();
    upstream.close();
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.info("Bridge stopped");
  }
}
