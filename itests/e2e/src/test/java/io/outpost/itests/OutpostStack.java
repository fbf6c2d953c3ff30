package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.testing.EdgeNode;
import io.outpost.testing.KubeletPki;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Podman;
import io.outpost.testing.Trees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The whole system on one machine for end-to-end tests: the fabric8 mock Kubernetes API (CRUD mode), a real
 * Mosquitto, the bridge, the built edge distribution as its own process, and a private Podman API service. Pods are
 * checked from the outside: containers through podman, pods through the Kubernetes API. {@link #close()} removes
 * everything it started, including the containers labelled with its (unique) node name.
 */
final class OutpostStack implements AutoCloseable {
  static final String UID_LABEL = "io.outpost.pod.uid";
  static final String NODE_LABEL = "io.outpost.node";
  static final Duration PATIENCE = Duration.ofMinutes(3);

  final String node = "e2e-" + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
  final Path dir;
  final KubernetesMockServer kubernetes;
  final KubernetesClient client;
  final Mosquitto broker;
  final Podman podman;
  final EdgeNode edge;
  Bridge bridge;

  OutpostStack() throws Exception {
    dir = Files.createTempDirectory("outpost-e2e-");
    // One API server for the whole test class: the bridge's informers watch it while the tests change it.
    // CRUD, plus expectations for what the mock does not model (TokenRequest: KubeletBehavioursIT).
    Map<io.fabric8.mockwebserver.ServerRequest, java.util.Queue<io.fabric8.mockwebserver.ServerResponse>> responses =
        new HashMap<>();
    kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
        new io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher(responses), false);
    kubernetes.init();
    client = kubernetes.createClient();
    // The operator applies the device CRDs with the bridge (deploy/kubernetes/05-device-crds.yaml).
    try (java.io.InputStream crds = Files.newInputStream(io.outpost.testing.Project.root().resolve(
        "deploy/kubernetes/05-device-crds.yaml"))) {
      client.load(crds).items().forEach(crd -> client.resource(crd).create());
    }
    broker = Mosquitto.start(dir.resolve("broker"));
    podman = Podman.start(dir.resolve("podman"));
    startBridge();
    edge = EdgeNode.install(dir.resolve("edge"), node, broker.url(), podman.host()).withConsoleUser().start();
    await("node " + node + " Ready in Kubernetes").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(edge.isRunning()).as("edge process (log: %s)", edge.home()).isTrue();
      Node registered = client.nodes().withName(node).get();
      assertThat(registered).isNotNull();
      assertThat(registered.getStatus()).isNotNull();
      assertThat(registered.getStatus().getConditions())
          .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));
    });
  }

  /** Edge Nodes are also published as {@code <node>.<this>} for metrics-server (EdgeMetricsIT). */
  static final String KUBELET_NODE_DOMAIN = "kubelet.e2e.test";

  /** The cluster's kubelet certificates: the bridge serves the kubelet API of edge nodes with them. */
  KubeletPki kubeletPki;

  void startBridge() {
    try {
      if (kubeletPki == null) {
        kubeletPki = new KubeletPki(dir.resolve("kubelet-pki"));
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot make the kubelet certificates", e);
    }
    Map<String, String> env = new HashMap<>(kubeletPki.bridgeEnvironment());
    env.put("OUTPOST_BROKER_URL", broker.url());
    env.put("OUTPOST_INSECURE_PLAINTEXT", "true"); // the stack's own Mosquitto on loopback: plain MQTT, explicitly
    env.put("OUTPOST_HTTP_PORT", "0");
    env.put("OUTPOST_POD_CIDRS", "10.88.0.0/16"); // Podman's default network: the edge's pod address range
    // Resource usage for metrics-server: each edge Node also named <node>.<domain>, read by a usage-only identity.
    env.put("OUTPOST_KUBELET_NODE_DOMAIN", KUBELET_NODE_DOMAIN);
    env.put("OUTPOST_KUBELET_METRICS_USERS", "metrics-server");
    bridge = new Bridge(BridgeConfig.from(env), client);
    try {
      bridge.start();
    } catch (Exception e) {
      throw new IllegalStateException("bridge did not start", e);
    }
    await("bridge ready").atMost(PATIENCE).until(bridge::isReady);
  }

  Pod createPod(String name, String image, List<String> command, List<String> finalizers) {
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(name).withNamespace("default").withFinalizers(finalizers).endMetadata()
        .withNewSpec().withNodeName(node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(5L)
        .addNewContainer().withName("app").withImage(image).withCommand(command)
        .addNewEnv().withName("GREETING").withValue("hello from " + name).endEnv()
        .endContainer().endSpec().build();
    return client.pods().inNamespace("default").resource(pod).create();
  }

  /** A ConfigMap in namespace default, created or replaced. */
  ConfigMap configMap(String name, Map<String, String> data) {
    return client.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata()
        .withName(name).withNamespace("default").endMetadata().withData(data).build()).createOr(c -> c.update());
  }

  /** An Opaque Secret in namespace default, its values given as text. */
  Secret secret(String name, Map<String, String> values) {
    Map<String, String> data = new HashMap<>();
    values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return client.secrets().inNamespace("default").resource(new SecretBuilder().withNewMetadata().withName(name)
        .withNamespace("default").endMetadata().withType("Opaque").withData(data).build()).createOr(c -> c.update());
  }

  /** A sleeper whose env has MODE from key {@code mode} of the ConfigMap and PASSWORD from key {@code password}. */
  Pod createConfiguredSleeper(String name, String configMap, String secret) {
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(name).withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(5L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600")
        .addNewEnv().withName("MODE").withNewValueFrom().withNewConfigMapKeyRef().withName(configMap)
        .withKey("mode").endConfigMapKeyRef().endValueFrom().endEnv()
        .addNewEnv().withName("PASSWORD").withNewValueFrom().withNewSecretKeyRef().withName(secret)
        .withKey("password").endSecretKeyRef().endValueFrom().endEnv()
        .endContainer().endSpec().build();
    return client.pods().inNamespace("default").resource(pod).create();
  }

  /** The environment of a container as the engine holds it. */
  static List<String> envOf(String containerId) {
    return List.of(Podman.cli("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", containerId)
        .strip().split("\n"));
  }

  Pod createSleeper(String name) {
    return createPod(name, Podman.TEST_IMAGE, List.of("sleep", "3600"), List.of());
  }

  /** Creates or replaces a namespaced object given as YAML (a KubeEdge Device or DeviceModel, say), in default. */
  io.fabric8.kubernetes.api.model.HasMetadata apply(String yaml) {
    io.fabric8.kubernetes.api.model.HasMetadata object = client.load(new java.io.ByteArrayInputStream(
        yaml.getBytes(StandardCharsets.UTF_8))).items().get(0);
    return client.resource(object).inNamespace("default").createOr(c -> c.update());
  }

  Pod pod(String name) {
    return client.pods().inNamespace("default").withName(name).get();
  }

  /** When the engine started a container, and how often it restarted it: equal before and after means untouched. */
  static String startedAt(String containerId) {
    return Podman.cli("inspect", "--format", "{{.State.StartedAt}}|{{.RestartCount}}", containerId).trim();
  }

  static List<String> containersOf(Pod pod) {
    return Podman.appContainersOf(pod.getMetadata().getUid());
  }

  static boolean running(String containerId) {
    return Podman.cli("inspect", "--format", "{{.State.Running}}", containerId).trim().equals("true");
  }

  /**
   * What the edge says about itself, on one line for a failure message: its Outpost bundles and DS components that
   * are not active (from the console, if it answers) and the last warnings and errors of its log. The full log is
   * kept in {@code target/edge-logs}.
   */
  String edgeDiagnostics() {
    StringBuilder out = new StringBuilder();
    for (String command : List.of("bundle:list -s -t 0", "scr:list")) {
      try {
        String answer = edge.console(command);
        List<String> notActive = answer.lines().filter(line -> line.contains("io.outpost"))
            .filter(line -> !line.contains("Active") && !line.contains("ACTIVE")).map(String::trim).toList();
        out.append(command).append(": ").append(notActive.isEmpty() ? "all io.outpost active" : notActive)
            .append(" | ");
      } catch (RuntimeException e) {
        out.append(command).append(" failed: ").append(oneLine(e.getMessage())).append(" | ");
      }
    }
    List<String> warnings = edge.log().lines().filter(line -> line.contains("| WARN ") || line.contains("| ERROR"))
        .filter(line -> !line.contains("Plain MQTT") && !line.contains("EventAdminAuditLoginModule")).toList();
    out.append("last warnings: ").append(warnings.subList(Math.max(0, warnings.size() - 8), warnings.size()).stream()
        .map(OutpostStack::oneLine).toList());
    System.out.println("Edge diagnostics: " + out);
    return out.toString();
  }

  /** A text on one line, at most 400 characters: for failure messages a CI summary prints in full. */
  static String oneLine(String text) {
    String line = text == null ? "null" : text.replaceAll("\\s+", " ").trim();
    return line.length() > 400 ? line.substring(0, 400) + "…" : line;
  }

  /** Waits until the pod is Running in Kubernetes (ready container) and its one container runs in Podman. */
  Pod awaitRunning(String name) {
    try {
      awaitRunningQuietly(name);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // What the node did is on its side: its log's end goes with the failure.
      List<String> log = edge.log().lines().toList();
      throw new AssertionError(e.getMessage() + "\n--- end of the edge's karaf.log ---\n"
          + String.join("\n", log.subList(Math.max(0, log.size() - 150), log.size())), e);
    }
    return pod(name);
  }

  private void awaitRunningQuietly(String name) {
    await(name + " Running in Kubernetes and in Podman").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(edge.isRunning()).isTrue();
      Pod current = pod(name);
      assertThat(current.getStatus()).isNotNull();
      assertThat(current.getStatus().getPhase()).isEqualTo("Running");
      assertThat(current.getStatus().getContainerStatuses()).isNotEmpty();
      ContainerStatus status = current.getStatus().getContainerStatuses().get(0);
      assertThat(status.getName()).isEqualTo("app");
      assertThat(status.getState().getRunning()).isNotNull();
      assertThat(status.getReady()).isTrue();
      // Its one app container runs (init containers, if any, have exited).
      assertThat(containersOf(current).stream().filter(OutpostStack::running)).hasSize(1);
    });
  }

  @Override
  public void close() throws Exception {
    try (Mosquitto m = broker; Podman p = podman) {
      if (edge != null) {
        edge.close();
      }
      if (bridge != null) {
        bridge.close();
      }
      Podman.removeContainersLabelled(NODE_LABEL, node);
      Podman.removeContainersLabelled("io.outpost.e2e.bystander", node);
    } finally {
      client.close();
      kubernetes.destroy();
      keepEdgeLog();
      Trees.deleteTree(dir);
    }
  }

  /**
   * The edge's Karaf log survives the stack in {@code target/edge-logs/<node>.karaf.log} (the module's build
   * directory, removed by {@code mvn clean}): an intermittent failure can be read after the fact.
   */
  private void keepEdgeLog() {
    Path log = dir.resolve("edge/data/log/karaf.log");
    if (!Files.exists(log)) {
      return;
    }
    try {
      Path kept = Path.of("target", "edge-logs");
      Files.createDirectories(kept);
      Files.copy(log, kept.resolve(node + ".karaf.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (java.io.IOException e) {
      System.err.println("edge log not kept: " + e.getMessage());
    }
  }
}
