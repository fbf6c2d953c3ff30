package io.outpost.bench;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.SiteLan;
import io.outpost.testing.SiteNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;

/**
 * A Service change reaching every node of a site: {@code nodes} edge nodes (the built distribution, each in its own
 * network namespace with its own Podman service, on a simulated site LAN — {@link SiteLan}), the bridge and the mock
 * API in this JVM, Mosquitto on the LAN's cloud address. Each round changes the address of the Service's one
 * endpoint in its EndpointSlice (as the EndpointSlice controller does when a pod is replaced) and times, from just
 * before the API write, until {@code nft monitor} in each node's namespace shows a rule forwarding to the new
 * address: the bridge's informer, translation and fan-out, MQTT, each node's sync and store, its Service proxy's
 * plan and the nftables transaction. Prints p50/p99 of the site (the slowest node of each round) and of single
 * nodes. Needs root, nft, ip and Podman (scripts/setup.sh), and the distribution built (mvn install).
 */
public final class SiteServiceBench {
  private static final String SITE = "bench";
  private static final String NAMESPACE = "bench";
  private static final String CLUSTER_IP = "10.96.77.10";
  private static final Duration PATIENCE = Duration.ofMinutes(5);
  /** Held so that its level stays set (java.util.logging keeps loggers weakly). */
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  private SiteServiceBench() {}

  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    MOCK_LOG.setLevel(Level.WARNING);
    SiteLan lan = SiteLan.create(IntStream.rangeClosed(1, nodes).mapToObj(i -> "n" + i).toList());
    List<SiteNode> started = new ArrayList<>();
    List<Process> monitors = new ArrayList<>();
    KubernetesMockServer api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    try (Mosquitto broker = Mosquitto.start(lan.dir().resolve("broker"), List.of(lan.cloudAddress()))) {
      lan.adopt(broker.pid());
      api.init();
      KubernetesClient client = api.createClient();
      Map<String, String> env = new HashMap<>();
      env.put("OUTPOST_BROKER_URL", broker.url());
      env.put("OUTPOST_INSECURE_PLAINTEXT", "true"); // the bench's own Mosquitto: plain MQTT, explicitly
      env.put("OUTPOST_HTTP_PORT", "0");
      env.put("OUTPOST_POD_CIDRS", "");
      env.put("OUTPOST_SITE_POD_CIDRS", SITE + "=10.60.0.0/16");
      try (Bridge bridge = new Bridge(BridgeConfig.from(env), client)) {
        bridge.start();
        for (int i = 0; i < nodes; i++) {
          started.add(SiteNode.install(lan, i, broker.url(lan.cloudAddress())));
        }
        started.forEach(SiteNode::start);
        for (SiteNode node : started) {
          Awaitility.await(node.name() + " registered").atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
              .until(() -> client.nodes().withName(node.name()).get() != null);
          // A merge patch without resourceVersion, as `kubectl label` does: the bridge writes the Node meanwhile.
          client.nodes().withName(node.name()).patch(PatchContext.of(PatchType.JSON_MERGE),
              "{\"metadata\":{\"labels\":{\"outpost.io/site\":\"" + SITE + "\"}}}");
        }
        createService(client);
        String endpointNode = started.get(0).name();
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice(endpointNode, "10.60.250.1"))
            .create();
        for (SiteNode node : started) {
          Awaitility.await(node.name() + " forwards the ClusterIP").atMost(PATIENCE)
              .pollInterval(Duration.ofMillis(200)).until(() -> node.inNamespace(Duration.ofSeconds(10), "nft",
                  "list", "table", "ip", "outpost").output().contains("10.60.250.1:8080"));
        }
        Map<String, Map<String, Long>> seen = new ConcurrentHashMap<>();
        for (SiteNode node : started) {
          monitors.add(monitor(lan.namespace(node.index()), node.name(), seen));
        }
        List<Double> site = new ArrayList<>();
        List<Double> single = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
          String address = "10.60.251." + (round % 250 + 1);
          String marker = "dnat to " + address + ":8080";
          long start = System.nanoTime();
          client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).withName("web-1")
              .edit(s -> slice(endpointNode, address));
          Awaitility.await("round " + round + " applied on every node").atMost(PATIENCE)
              .pollInterval(Duration.ofMillis(5)).until(() -> started.stream()
                  .allMatch(n -> seen.getOrDefault(n.name(), Map.of()).containsKey(marker)));
          long slowest = 0;
          for (SiteNode node : started) {
            long at = seen.get(node.name()).get(marker) - start;
            single.add(at / 1e6);
            slowest = Math.max(slowest, at);
          }
          site.add(slowest / 1e6);
          seen.values().forEach(Map::clear);
        }
        Collections.sort(site);
        Collections.sort(single);
        System.out.printf("%d nodes in one site, %d rounds (one endpoint's address changed per round)%n", nodes,
            rounds);
        System.out.printf("Service change -> rule in force on every node of the site: p50 %.0f ms, p99 %.0f ms,"
            + " max %.0f ms%n", Percentiles.of(site, 50), Percentiles.of(site, 99), site.get(site.size() - 1));
        System.out.printf("per node: p50 %.0f ms, p99 %.0f ms%n", Percentiles.of(single, 50),
            Percentiles.of(single, 99));
      } finally {
        monitors.forEach(Process::destroy);
        for (SiteNode node : started) {
          try {
            node.close();
          } catch (RuntimeException e) {
            System.err.println("node " + node.name() + " not closed cleanly: " + e.getMessage());
          }
        }
      }
    } finally {
      api.destroy();
      lan.close();
    }
  }

  private static void createService(KubernetesClient client) {
    client.services().inNamespace(NAMESPACE).resource(new ServiceBuilder().withNewMetadata().withName("web")
        .withNamespace(NAMESPACE).endMetadata().withNewSpec().withType("ClusterIP").withClusterIP(CLUSTER_IP)
        .withClusterIPs(CLUSTER_IP).withIpFamilies("IPv4").withSessionAffinity("None")
        .withInternalTrafficPolicy("Cluster").addNewPort().withName("http").withProtocol("TCP").withPort(80)
        .withTargetPort(new IntOrString(8080)).endPort().endSpec().build()).create();
  }

  private static EndpointSlice slice(String node, String address) {
    return new EndpointSliceBuilder().withNewMetadata().withName("web-1").withNamespace(NAMESPACE)
        .addToLabels("kubernetes.io/service-name", "web").endMetadata().withAddressType("IPv4")
        .addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort()
        .addNewEndpoint().withAddresses(address).withNodeName(node).withNewConditions().withReady(true)
        .withServing(true).withTerminating(false).endConditions().endEndpoint().build();
  }

  /** {@code nft monitor} in the namespace: the first time each {@code dnat to} target shows, by node, in nanoTime. */
  private static Process monitor(String namespace, String node, Map<String, Map<String, Long>> seen)
      throws Exception {
    Process process = new ProcessBuilder("ip", "netns", "exec", namespace, "nft", "monitor", "rules")
        .redirectErrorStream(true).start();
    Map<String, Long> firsts = seen.computeIfAbsent(node, n -> new ConcurrentHashMap<>());
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          long now = System.nanoTime();
          int at = line.indexOf("dnat to ");
          if (at >= 0) {
            firsts.putIfAbsent("dnat to " + line.substring(at + "dnat to ".length()).split("[\\s;]", 2)[0], now);
          }
        }
      } catch (java.io.IOException e) {
        // the monitor was ended
      }
    }, "nft-monitor-" + node);
    reader.setDaemon(true);
    reader.start();
    return process;
  }
}
