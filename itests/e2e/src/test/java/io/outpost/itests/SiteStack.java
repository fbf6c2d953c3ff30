package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.testing.KubeletPki;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.SiteLan;
import io.outpost.testing.SiteNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A site of edge nodes for end-to-end tests of site networking: a {@link SiteLan} (one network namespace per node,
 * joined by a simulated LAN), the stack's Mosquitto listening on the LAN's cloud address (nodes reach the cloud only
 * over the LAN, so {@link SiteLan#cut()} cuts them off), the fabric8 mock API (CRUD) and the bridge in this JVM, and
 * per node a {@link SiteNode}: its own Podman service and the built distribution, both inside its namespace.
 * {@link #close()} removes all of it, also after a failed start.
 */
final class SiteStack implements AutoCloseable {
  static final Duration PATIENCE = Duration.ofMinutes(3);
  /** The bridge's site label (its default {@code OUTPOST_SITE_LABEL}). */
  static final String SITE_LABEL = "outpost.io/site";

  final SiteLan lan;
  /**
   * The run's own namespace for its pods and Services: container names ({@code outpost_<namespace>_<pod>_...}) and
   * the engine's network records live in the one Podman store every run on the machine shares.
   */
  final String namespace;
  final Mosquitto broker;
  final KubernetesMockServer kubernetes;
  final KubernetesClient client;
  final List<SiteNode> nodes = new ArrayList<>();
  private final Map<String, String> bridgeEnvironment;
  private final KubeletPki kubeletPki;
  Bridge bridge;

  /**
   * Starts the site: {@code sites} maps each node's short name (in order) to its site label value (null: no label);
   * {@code bridgeEnvironment} adds to the bridge's configuration (e.g. {@code OUTPOST_SITE_POD_CIDRS}). Returns once
   * every node is Ready in the API and labelled.
   */
  SiteStack(LinkedHashMap<String, String> sites, Map<String, String> bridgeEnvironment) throws Exception {
    this(sites, bridgeEnvironment, node -> { });
  }

  /** As above; {@code beforeStart} may change each node's installation (its etc/ files) before its Karaf starts. */
  SiteStack(LinkedHashMap<String, String> sites, Map<String, String> bridgeEnvironment,
      java.util.function.Consumer<SiteNode> beforeStart) throws Exception {
    this(sites, bridgeEnvironment, beforeStart, api -> { });
  }

  /**
   * As above; {@code beforeBridge} prepares the API server before the bridge starts (e.g. applies the CRDs whose
   * controllers the bridge starts only if the API serves them).
   */
  SiteStack(LinkedHashMap<String, String> sites, Map<String, String> bridgeEnvironment,
      java.util.function.Consumer<SiteNode> beforeStart, java.util.function.Consumer<KubernetesClient> beforeBridge)
      throws Exception {
    this.bridgeEnvironment = Map.copyOf(bridgeEnvironment);
    lan = SiteLan.create(List.copyOf(sites.keySet()));
    namespace = "site" + lan.run();
    Mosquitto startedBroker = null;
    KubernetesMockServer startedApi = null;
    KubernetesClient startedClient = null;
    try {
      startedBroker = Mosquitto.start(lan.dir().resolve("broker"), List.of(lan.cloudAddress()));
      lan.adopt(startedBroker.pid()); // a later run ends it if this JVM dies
      Map<io.fabric8.mockwebserver.ServerRequest, java.util.Queue<io.fabric8.mockwebserver.ServerResponse>> responses =
          new HashMap<>();
      startedApi = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
          new KubernetesMixedDispatcher(responses), false);
      startedApi.init();
      startedClient = startedApi.createClient();
      kubeletPki = new KubeletPki(lan.dir().resolve("kubelet-pki"));
    } catch (Exception | Error e) {
      closeQuietly(startedClient, startedApi, startedBroker);
      lan.close();
      throw e;
    }
    broker = startedBroker;
    kubernetes = startedApi;
    client = startedClient;
    try {
      beforeBridge.accept(client);
      startBridge();
      for (int i = 0; i < lan.size(); i++) {
        nodes.add(SiteNode.install(lan, i, broker.url(lan.cloudAddress())));
      }
      nodes.forEach(beforeStart);
      nodes.forEach(SiteNode::start);
      List<String> siteValues = new ArrayList<>(sites.values()); // null: no site label
      for (int i = 0; i < nodes.size(); i++) {
        awaitReady(nodes.get(i));
        if (siteValues.get(i) != null) {
          label(nodes.get(i), siteValues.get(i));
        }
      }
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  void startBridge() {
    Map<String, String> env = new HashMap<>(kubeletPki.bridgeEnvironment());
    env.put("OUTPOST_BROKER_URL", broker.url());
    env.put("OUTPOST_INSECURE_PLAINTEXT", "true"); // the stack's own Mosquitto: plain MQTT, explicitly
    env.put("OUTPOST_HTTP_PORT", "0");
    env.put("OUTPOST_POD_CIDRS", "10.88.0.0/16"); // Podman's default network, for nodes without a site range
    env.putAll(bridgeEnvironment);
    bridge = new Bridge(BridgeConfig.from(env), client);
    try {
      bridge.start();
    } catch (Exception e) {
      throw new IllegalStateException("bridge did not start", e);
    }
    await("bridge ready").atMost(PATIENCE).until(bridge::isReady);
  }

  SiteNode node(String shortName) {
    return nodes.stream().filter(n -> n.name().endsWith("-" + shortName)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node " + shortName + " in " + lan));
  }

  /** Waits until the node is Ready in the API, and the edge process still runs. */
  void awaitReady(SiteNode node) {
    await("node " + node.name() + " Ready in Kubernetes").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(node.edge().isRunning()).as("edge process of %s (log: %s)", node.name(), node.edge().home())
          .isTrue();
      Node registered = client.nodes().withName(node.name()).get();
      assertThat(registered).as("Node %s", node.name()).isNotNull();
      assertThat(registered.getStatus()).isNotNull();
      assertThat(registered.getStatus().getConditions())
          .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));
    });
  }

  /** Sets the node's site label, as an operator does ({@code kubectl label node <n> outpost.io/site=<site>}). */
  void label(SiteNode node, String site) {
    client.nodes().withName(node.name()).edit(n -> {
      n.getMetadata().getLabels().put(SITE_LABEL, site);
      return n;
    });
  }

  /**
   * The Node's addresses as the API holds them, as {@code type=address}. With the kubelet API served by the bridge
   * (as here and in deploy/kubernetes) every edge Node's InternalIP is the bridge's {@code OUTPOST_KUBELET_ADDRESS}
   * and the node's own address is its ExternalIP.
   */
  List<String> addresses(SiteNode node) {
    Node registered = client.nodes().withName(node.name()).get();
    if (registered == null || registered.getStatus() == null || registered.getStatus().getAddresses() == null) {
      return List.of();
    }
    return registered.getStatus().getAddresses().stream().map(a -> a.getType() + "=" + a.getAddress()).toList();
  }

  Pod pod(String name) {
    return client.pods().inNamespace(namespace).withName(name).get();
  }

  /** Creates the pod in the run's {@link #namespace} (its {@code spec.nodeName} names the node). */
  Pod create(Pod pod) {
    pod.getMetadata().setNamespace(namespace);
    return client.pods().inNamespace(namespace).resource(pod).create();
  }

  /** The node a pod is bound to. */
  SiteNode nodeOf(Pod pod) {
    String name = pod.getSpec().getNodeName();
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("pod " + pod.getMetadata().getName() + " is on " + name));
  }

  /** Waits until the pod is Running and ready in Kubernetes and its one app container runs on its node. */
  Pod awaitRunning(String name) {
    try {
      await(name + " Running in Kubernetes and on its node").atMost(PATIENCE).untilAsserted(() -> {
        Pod current = pod(name);
        SiteNode node = nodeOf(current);
        assertThat(node.edge().isRunning()).as("edge process of %s", node.name()).isTrue();
        assertThat(current.getStatus()).isNotNull();
        assertThat(current.getStatus().getPhase()).isEqualTo("Running");
        assertThat(current.getStatus().getContainerStatuses()).isNotEmpty();
        ContainerStatus status = current.getStatus().getContainerStatuses().get(0);
        assertThat(status.getState().getRunning()).isNotNull();
        assertThat(status.getReady()).isTrue();
        assertThat(node.appContainersOf(current.getMetadata().getUid())).hasSize(1);
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      SiteNode node = nodeOf(pod(name));
      List<String> log = node.edge().log().lines().toList();
      throw new AssertionError(e.getMessage() + "\n--- end of " + node.name() + "'s karaf.log ---\n"
          + String.join("\n", log.subList(Math.max(0, log.size() - 150), log.size())), e);
    }
    return pod(name);
  }

  /** The id of the pod's one app container on its node. */
  String containerOf(Pod pod) {
    List<String> ids = nodeOf(pod).appContainersOf(pod.getMetadata().getUid());
    assertThat(ids).as("app containers of %s", pod.getMetadata().getName()).hasSize(1);
    return ids.get(0);
  }

  @Override
  public void close() throws Exception {
    RuntimeException failure = null;
    try {
      for (SiteNode node : nodes) {
        keepEdgeLog(node);
        try {
          node.close();
        } catch (RuntimeException e) { // the other nodes are closed all the same
          failure = failure == null ? e : failure;
        }
      }
      if (bridge != null) {
        bridge.close();
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      closeQuietly(client, kubernetes, broker);
      lan.close();
    }
  }

  private static void closeQuietly(KubernetesClient client, KubernetesMockServer api, Mosquitto broker) {
    try {
      if (client != null) {
        client.close();
      }
      if (api != null) {
        api.destroy();
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  /** The node's Karaf log survives in {@code target/edge-logs/<node>.karaf.log}, as {@link OutpostStack} keeps it. */
  private static void keepEdgeLog(SiteNode node) {
    Path log = node.edge().home().resolve("data/log/karaf.log");
    if (!Files.exists(log)) {
      return;
    }
    try {
      Path kept = Path.of("target", "edge-logs");
      Files.createDirectories(kept);
      Files.copy(log, kept.resolve(node.name() + ".karaf.log"), StandardCopyOption.REPLACE_EXISTING);
    } catch (java.io.IOException e) {
      System.err.println("edge log not kept: " + e.getMessage());
    }
  }
}
