package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.BridgeConfig;
import io.outpost.testing.EdgeNode;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Podman;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Edge cold start with no cloud: an edge node that ran {@code pods} pods is killed, every Outpost container removed
 * (a host reboot), bridge and broker are down; the distribution is started again and the harness measures process
 * start → store open (Karaf and the Outpost bundles up) and process start → every pod's container running again,
 * polled every 50 ms through podman. Usage: {@code ColdStart [pods] [rounds]}.
 */
public final class ColdStart {
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");
  private static final String NODE = "bench-cold-start";
  private static final Duration PATIENCE = Duration.ofMinutes(5);

  private ColdStart() {}

  public static void main(String[] args) throws Exception {
    MOCK_LOG.setLevel(Level.WARNING);
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path dir = Files.createTempDirectory("outpost-cold-start-");
    KubernetesMockServer kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    kubernetes.init();
    try (KubernetesClient client = kubernetes.createClient();
        Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
        Podman podman = Podman.start(dir.resolve("podman"));
        EdgeNode edge = EdgeNode.install(dir.resolve("edge"), NODE, broker.url(), podman.host())) {
      try (Bridge bridge = new Bridge(BridgeConfig.forBroker(broker.url()), client)) {
        bridge.start();
        edge.start();
        for (int i = 0; i < pods; i++) {
          client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("cold-" + i)
              .withNamespace("default").endMetadata().withNewSpec().withNodeName(NODE).addNewContainer()
              .withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer().endSpec()
              .build()).create();
        }
        awaitRunning(pods);
      }
      broker.stop();
      for (int round = 1; round <= rounds; round++) {
        edge.kill();
        Podman.removeContainersLabelled("io.outpost.node", NODE);
        long opened = edge.logCount("Edge store open");
        long start = System.nanoTime();
        edge.start();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).until(() -> edge.logCount("Edge store open")
            > opened);
        long storeOpen = System.nanoTime();
        awaitRunning(pods);
        long running = System.nanoTime();
        System.out.printf("round %d: start → store open %d ms, → %d pods running %d ms (store open → running %d ms)%n",
            round, (storeOpen - start) / 1_000_000, pods, (running - start) / 1_000_000,
            (running - storeOpen) / 1_000_000);
      }
    } finally {
      Podman.removeContainersLabelled("io.outpost.node", NODE);
      kubernetes.destroy();
      Trees.deleteTree(dir);
    }
  }

  private static void awaitRunning(int pods) {
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).until(() ->
        Podman.cli("ps", "-q", "--filter", "label=io.outpost.node=" + NODE, "--filter", "status=running")
            .lines().filter(l -> !l.isBlank()).count() == pods);
  }
}
