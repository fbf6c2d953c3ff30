package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.testing.EdgeNode;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Podman;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Mock Kubernetes API + Mosquitto + Podman + bridge + one edge distribution, for benchmark harnesses. */
final class BenchStack implements AutoCloseable {
  static final Duration PATIENCE = Duration.ofMinutes(10);
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  final String node;
  final Path dir;
  final KubernetesMockServer kubernetes;
  final KubernetesClient client;
  final Mosquitto broker;
  final Podman podman;
  final EdgeNode edge;
  Bridge bridge;
  private DelayProxy edgeLink;

  BenchStack(String node) throws Exception {
    this(node, java.util.Map.of());
  }

  /** With more bridge settings ({@code OUTPOST_*}), e.g. to serve the kubelet API. */
  BenchStack(String node, java.util.Map<String, String> bridgeSettings) throws Exception {
    this(node, bridgeSettings, java.util.Map.of(), 0);
  }

  /**
   * With more bridge settings, more edge node settings ({@code io.outpost.node.cfg} keys), and the edge's link to
   * the broker {@code edgeDelayMillis} long each way (0: loopback as it is).
   */
  BenchStack(String node, java.util.Map<String, String> bridgeSettings, java.util.Map<String, String> nodeSettings,
      long edgeDelayMillis) throws Exception {
    this(node, bridgeSettings, nodeSettings, edgeDelayMillis, false);
  }

  /** As above; {@code countLink}: the edge's link goes through a byte-counting proxy ({@link #edgeLink()}). */
  BenchStack(String node, java.util.Map<String, String> bridgeSettings, java.util.Map<String, String> nodeSettings,
      long edgeDelayMillis, boolean countLink) throws Exception {
    MOCK_LOG.setLevel(Level.WARNING);
    this.node = node;
    dir = Files.createTempDirectory("outpost-bench-");
    kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    kubernetes.init();
    client = kubernetes.createClient();
    broker = Mosquitto.start(dir.resolve("broker"));
    podman = Podman.start(dir.resolve("podman"));
    java.util.Map<String, String> settings = new HashMap<>(bridgeSettings);
    settings.put("OUTPOST_BROKER_URL", broker.url());
    settings.put("OUTPOST_INSECURE_PLAINTEXT", "true"); // the bench's own Mosquitto on loopback: plain, explicitly
    settings.put("OUTPOST_HTTP_PORT", "0");
    settings.putIfAbsent("OUTPOST_POD_CIDRS", "10.88.0.0/16"); // Podman's default network: the pods' address range
    bridge = new Bridge(BridgeConfig.from(settings), client);
    bridge.start();
    String edgeBroker = broker.url();
    if (edgeDelayMillis > 0 || countLink) {
      java.net.URI url = java.net.URI.create(broker.url());
      edgeLink = new DelayProxy(url.getHost(), url.getPort(), edgeDelayMillis);
      edgeBroker = "tcp://127.0.0.1:" + edgeLink.port();
    }
    // What users run: the shipped node configuration (heartbeat 10 s, resync 10 s, reconnect cap 60 s, 4 pod
    // workers, ...). OUTPOST_BENCH_CONFIG=test: the tests' fast timings (2 s / 5 s / 5 s), for comparison.
    EdgeNode installed = "test".equals(System.getenv("OUTPOST_BENCH_CONFIG"))
        ? EdgeNode.install(dir.resolve("edge"), node, edgeBroker, podman.host())
        : EdgeNode.installAsShipped(dir.resolve("edge"), node, edgeBroker, podman.host());
    for (java.util.Map.Entry<String, String> setting : nodeSettings.entrySet()) {
      installed.editConfig("io.outpost.node.cfg", setting.getKey(), setting.getValue());
    }
    if ("1".equals(System.getenv("OUTPOST_BENCH_TRACE"))) { // the edge logs each applied message and pass
      Files.writeString(dir.resolve("edge/etc/org.ops4j.pax.logging.cfg"), "\nlog4j2.logger.outpost.name = io.outpost"
          + "\nlog4j2.logger.outpost.level = DEBUG\n", java.nio.file.StandardOpenOption.APPEND);
    }
    edge = installed.start();
  }

  /** The proxy on the edge's link to the broker, or null if the edge connects directly. */
  DelayProxy edgeLink() {
    return edgeLink;
  }

  void createPods(int pods) {
    for (int i = 0; i < pods; i++) {
      client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("bench-" + i)
          .withNamespace("default").endMetadata().withNewSpec().withNodeName(node).addNewContainer()
          .withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer().endSpec()
          .build()).create();
    }
  }

  /**
   * Waits until {@code pods} app containers (not counting the pods' infra containers) run in Podman, asked every
   * 50 ms through the API socket ({@code OUTPOST_BENCH_POLL=cli}: with two {@code podman ps} processes per poll, as
   * the harness did until 2026-12-07 — those processes load the machine the start is measured on).
   */
  void awaitRunning(int pods) {
    if ("cli".equals(System.getenv("OUTPOST_BENCH_POLL"))) {
      await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).until(() -> running(false) - running(true)
          == pods);
      return;
    }
    EngineProbe probe = new EngineProbe(podman.socket(), node);
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).until(() -> probe.runningApps() == pods);
  }

  private long running(boolean infraOnly) {
    List<String> args = new ArrayList<>(List.of("ps", "-q", "--filter", "label=io.outpost.node=" + node,
        "--filter", "status=running"));
    if (infraOnly) {
      args.addAll(List.of("--filter", "label=io.outpost.container=" + Podman.INFRA));
    }
    return Podman.cli(args.toArray(String[]::new)).lines().filter(l -> !l.isBlank()).count();
  }

  /** The edge's JVM (bin/karaf starts java as a child), for CPU and RSS. */
  long edgeJavaPid() {
    return ProcessHandle.of(edge.pid()).stream().flatMap(ProcessHandle::descendants)
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false)).mapToLong(ProcessHandle::pid)
        .findFirst().orElse(edge.pid());
  }

  @Override
  public void close() throws Exception {
    try (Mosquitto m = broker; Podman p = podman; EdgeNode e = edge; DelayProxy link = edgeLink) {
      if (bridge != null) {
        bridge.close();
      }
    } finally {
      Podman.removeContainersLabelled("io.outpost.node", node);
      client.close();
      kubernetes.destroy();
      Trees.deleteTree(dir);
    }
  }
}
