package io.outpost.bench;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.testing.ManagedProcess;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Ports;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The bridge at scale: {@code nodes} simulated edge nodes ({@link SimulatedFleet}) with {@code podsPerNode} pods
 * each, the bridge as its own process (the shaded jar) against fabric8's CRUD mock API. Measures: time until every
 * node has resynced; bridge RSS and heap per node; latency from a Kubernetes change to its arrival at the simulated
 * edge; Kubernetes API requests, by verb, caused by every node reconnecting at once (each node sends its heartbeat on
 * connect and then resyncs, as a real edge does); bridge CPU while idle with heartbeats flowing.
 * Usage: {@code ScaleBench [nodes] [podsPerNode] [latencySamples]}.
 *
 * <p>A simulated node's publish that fails (or a bridge that stops answering) makes the whole run fail with no figure:
 * a figure measured on partial work is not printed.
 */
public final class ScaleBench {
  private ScaleBench() {}

  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int podsPerNode = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int samples = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    Logger.getLogger("io.fabric8.mockwebserver").setLevel(Level.WARNING);
    Path dir = Files.createTempDirectory("outpost-scale-");
    IndexedCrudDispatcher dispatcher = new IndexedCrudDispatcher();
    KubernetesMockServer kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    kubernetes.init();
    KubernetesClient client = kubernetes.createClient();
    SimulatedFleet fleet = new SimulatedFleet();
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"))) {
      long t0 = System.nanoTime();
      seed(client, fleet, nodes, podsPerNode);
      System.out.printf("seeded %d edge Nodes and %d pods into the mock API in %.1f s%n", nodes, nodes * podsPerNode,
          (System.nanoTime() - t0) / 1e9);
      int httpPort = Ports.free();
      try (ManagedProcess bridge = startBridge(dir, kubernetes, broker, httpPort)) {
        String metricsUrl = "http://127.0.0.1:" + httpPort + "/metrics";
        fleet.waitFor("bridge ready", Duration.ofMinutes(5),
            () -> ProcessStats.get("http://127.0.0.1:" + httpPort + "/readyz") == 200);
        System.out.printf("bridge up (informers synced) %.1f s after seeding began%n",
            (System.nanoTime() - t0) / 1e9);

        fleet.connect(broker.url());
        long start = System.nanoTime();
        fleet.heartbeatAndResyncAll();
        fleet.waitFor("all nodes resynced", Duration.ofMinutes(20), fleet::allSynced);
        System.out.printf("%d nodes resynced (%d objects each) in %.1f s%n", nodes,
            fleet.nodes().iterator().next().held.size(), (System.nanoTime() - start) / 1e9);

        latency(client, fleet, podsPerNode, samples);
        idle(fleet, bridge.pid(), metricsUrl, nodes);
        reconnectWave(kubernetes, dispatcher, fleet, broker, metricsUrl, nodes);
        fleet.disconnect();
      }
    } finally {
      fleet.close();
      client.close();
      kubernetes.destroy();
      Trees.deleteTree(dir);
    }
  }

  private static ManagedProcess startBridge(Path dir, KubernetesMockServer kubernetes, Mosquitto broker,
      int httpPort) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- name: mock\n  cluster:\n"
        + "    server: " + kubernetes.url("/").replaceAll("/$", "") + "\nusers:\n- name: bench\n  user:\n"
        + "    token: bench\ncontexts:\n- name: bench\n  context:\n    cluster: mock\n    user: bench\n"
        + "current-context: bench\n");
    Path jar;
    try (var jars = Files.list(Path.of("cloud-bridge/target"))) {
      jar = jars.filter(p -> p.getFileName().toString().endsWith("-all.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("build cloud-bridge first (mvn install)"));
    }
    return ManagedProcess.start("bridge", List.of("java", "-Xmx2g",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-jar", jar.toAbsolutePath().toString()),
        Map.of("KUBECONFIG", kubeconfig.toString(), "OUTPOST_BROKER_URL", broker.url(),
            "OUTPOST_HTTP_PORT", Integer.toString(httpPort), "OUTPOST_ROUTER_THREADS", "2",
            "OUTPOST_INSECURE_PLAINTEXT", "true"), // the bench's own Mosquitto on loopback: plain, explicitly
        dir, dir.resolve("bridge.log"));
  }

  /** Kubernetes change → arrival at the simulated edge, one change at a time. */
  private static void latency(KubernetesClient client, SimulatedFleet fleet, int podsPerNode, int samples) {
    List<String> names = fleet.names();
    List<Long> edits = new ArrayList<>();
    for (int i = 0; i < samples; i++) {
      String node = names.get(i * 7919 % names.size());
      String pod = node + "-pod-" + (i % podsPerNode);
      String value = "v" + i;
      // The change exists in Kubernetes once the API server answered the PUT: measured from there. (The watch
      // event may even beat the response: those count as 0.)
      long requestStart = System.nanoTime();
      client.pods().inNamespace("bench").withName(pod).edit(p -> new PodBuilder(p).editSpec()
          .editFirstContainer().withArgs(value).endContainer().endSpec().build());
      long committed = System.nanoTime();
      edits.add(committed - requestStart);
      fleet.changeCommitted(pod, value, committed);
    }
    fleet.waitFor("latency samples", Duration.ofMinutes(2), () -> fleet.latencies().size() >= samples);
    List<Long> sorted = fleet.latencies();
    System.out.printf("k8s change -> edge: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples, sequential)%n",
        sorted.get(sorted.size() / 2) / 1e6, percentile99(sorted) / 1e6, sorted.get(sorted.size() - 1) / 1e6,
        sorted.size());
    edits.sort(null);
    System.out.printf("  (the mock API's own GET+PUT for each change: p50 %.1f ms, p99 %.1f ms; not included)%n",
        edits.get(edits.size() / 2) / 1e6, percentile99(edits) / 1e6);
  }

  private static long percentile99(List<Long> sorted) {
    return sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
  }

  /**
   * Idle: three rounds of heartbeats, 10 s apart, as real nodes send them, nothing changing. Every heartbeat of
   * every round must be acknowledged, else the run fails: a CPU figure over partial rounds would flatter the bridge.
   */
  private static void idle(SimulatedFleet fleet, long pid, String metricsUrl, int nodes) throws Exception {
    long cpu0 = ProcessStats.cpuTicks(pid);
    long idleStart = System.nanoTime();
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    CountDownLatch rounds = new CountDownLatch(4);
    AtomicInteger complete = new AtomicInteger();
    pacer.scheduleAtFixedRate(() -> {
      try {
        if (rounds.getCount() > 1) {
          fleet.heartbeatAll();
          complete.incrementAndGet();
        }
      } catch (RuntimeException e) {
        fleet.failed(e); // a periodic task that throws is never run again: record and go on
      } finally {
        rounds.countDown();
      }
    }, 0, 10, TimeUnit.SECONDS);
    rounds.await();
    pacer.shutdownNow();
    fleet.waitFor("heartbeats acknowledged", Duration.ofMinutes(2), () -> fleet.unacknowledged() == 0);
    if (complete.get() != 3) {
      throw new IllegalStateException("only " + complete.get() + " of 3 heartbeat rounds were sent: no figure");
    }
    double idleSeconds = (System.nanoTime() - idleStart) / 1e9;
    double cpu = (ProcessStats.cpuTicks(pid) - cpu0) / 100.0 / idleSeconds * 100;
    ManagedProcess.run(List.of("jcmd", Long.toString(pid), "GC.run"), Map.of());
    long heap = ProcessStats.metric(metricsUrl, "outpost_bridge_jvm_heap_used_bytes");
    long rss = ProcessStats.rssKb(pid);
    System.out.printf("idle with heartbeats (10 s) from %d nodes: bridge CPU %.1f %% of one core; RSS %d MB "
        + "(%.1f KB/node), heap after GC %d MB (%.1f KB/node)%n", nodes, cpu, rss / 1024, (double) rss / nodes,
        heap >> 20, heap / 1024.0 / nodes);
  }

  /**
   * Every node reconnects and resyncs at once; counts the Kubernetes API requests meanwhile. First lets the Lease
   * renewals that earlier heartbeats made due finish, so that only requests the wave causes are counted.
   */
  private static void reconnectWave(KubernetesMockServer kubernetes, IndexedCrudDispatcher dispatcher,
      SimulatedFleet fleet, Mosquitto broker, String metricsUrl, int nodes) throws Exception {
    fleet.waitFor("heartbeats handled and lease renewals done", Duration.ofMinutes(10), () -> drained(metricsUrl));
    int requests = kubernetes.getRequestCount();
    Map<String, Long> before = dispatcher.requests();
    fleet.disconnect();
    long wave = System.nanoTime();
    fleet.connect(broker.url());
    fleet.heartbeatAndResyncAll(); // as a real edge: its heartbeat on connect, then its resync
    fleet.waitFor("reconnect wave resynced", Duration.ofMinutes(10), fleet::allSynced);
    double resynced = (System.nanoTime() - wave) / 1e9;
    Map<String, Long> atResync = dispatcher.requests();
    System.out.printf("reconnect wave (heartbeat + resync per node): %d nodes resynced in %.1f s; Kubernetes API"
        + " requests meanwhile: %d — %s%n", nodes, resynced, kubernetes.getRequestCount() - requests,
        difference(before, atResync));
    fleet.waitFor("the wave's heartbeats handled and lease renewals done", Duration.ofMinutes(10),
        () -> drained(metricsUrl));
    Map<String, Long> whole = difference(before, dispatcher.requests());
    System.out.printf("  whole wave until the bridge's queues drained (%.1f s): %s; lists and watches: %d%n",
        (System.nanoTime() - wave) / 1e9, whole, whole.entrySet().stream()
            .filter(e -> e.getKey().startsWith("list ") || e.getKey().startsWith("watch "))
            .mapToLong(Map.Entry::getValue).sum());
  }

  /** No Lease renewal due and the bridge's router and upstream queues empty. */
  private static boolean drained(String metricsUrl) {
    try {
      return ProcessStats.metric(metricsUrl, "outpost_bridge_leases_due") == 0
          && ProcessStats.metric(metricsUrl, "outpost_bridge_router_queue") == 0
          && ProcessStats.metric(metricsUrl, "outpost_bridge_upstream_queue") == 0;
    } catch (Exception e) {
      return false;
    }
  }

  private static void seed(KubernetesClient client, SimulatedFleet fleet, int nodes, int podsPerNode) {
    for (int n = 0; n < nodes; n++) {
      String name = String.format("site%03d-node%02d", n / 10, n % 10);
      fleet.add(name);
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
          .addToLabels("outpost.io/edge", "true").endMetadata().build()).create();
      for (int p = 0; p < podsPerNode; p++) {
        client.pods().inNamespace("bench").resource(new PodBuilder().withNewMetadata().withName(name + "-pod-" + p)
            .withNamespace("bench").endMetadata().withNewSpec().withNodeName(name)
            // As the admission webhook leaves edge pods: the bridge has no toleration to add.
            .addNewToleration().withKey("node.kubernetes.io/unreachable").withOperator("Exists")
            .withEffect("NoExecute").endToleration()
            .addNewToleration().withKey("node.kubernetes.io/not-ready").withOperator("Exists")
            .withEffect("NoExecute").endToleration()
            .addNewContainer()
            .withName("app").withImage("registry.example/shop/web:2.14.1").withArgs("v-init")
            .addNewEnv().withName("SHOP_REGION").withValue("north").endEnv().endContainer().endSpec().build())
            .create();
      }
    }
  }

  /** Per verb and resource, how many more requests {@code after} counts than {@code before}. */
  private static Map<String, Long> difference(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> more = new java.util.TreeMap<>();
    after.forEach((key, count) -> {
      long added = count - before.getOrDefault(key, 0L);
      if (added > 0) {
        more.put(key, added);
      }
    });
    return more;
  }

}
