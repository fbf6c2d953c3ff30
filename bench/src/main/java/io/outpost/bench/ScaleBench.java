package io.outpost.bench;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.protocol.Buckets;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import io.outpost.testing.ManagedProcess;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Ports;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;

/**
 * The bridge at scale: {@code nodes} simulated edge nodes (all in this JVM, each with its state in memory, speaking
 * protocol v1 over a real Mosquitto through a few shared MQTT connections) with {@code podsPerNode} pods each, the
 * bridge as its own process (the shaded jar) against fabric8's CRUD mock API. Measures: time until every node has
 * resynced; bridge RSS and heap per node; latency from a Kubernetes change to its arrival at the simulated edge;
 * Kubernetes API requests, by verb, caused by every node reconnecting at once (each node sends its heartbeat on
 * connect and then resyncs, as a real edge does); bridge CPU while idle with heartbeats flowing.
 * Usage: {@code ScaleBench [nodes] [podsPerNode] [latencySamples]}.
 *
 * <p>A simulated node's publish that fails (or a bridge that stops answering) makes the whole run fail with no figure:
 * a figure measured on partial work is not printed. Publishes stay within half the broker's Receive Maximum per
 * connection (Paho frees an in-flight place only after the acknowledgement has been handed to the client).
 */
public final class ScaleBench {
  private static final Codec CODEC = new Codec();
  private static final int CONNECTIONS = 4;

  private ScaleBench() {}

  /** One simulated edge node: what it holds, its stream position, and the resync it waits for. */
  static final class SimNode {
    final String name;
    final Map<String, ObjectRef> held = new HashMap<>();
    long epoch;
    long seq;
    String pending;
    volatile boolean synced;

    SimNode(String name) {
      this.name = name;
    }
  }

  private static final Map<String, SimNode> NODES = new ConcurrentHashMap<>();
  private static final Map<String, Long> SENT_AT = new ConcurrentHashMap<>();
  private static final List<Long> LATENCIES = Collections.synchronizedList(new ArrayList<>());
  private static final List<Long> EDIT_TIMES = Collections.synchronizedList(new ArrayList<>());
  private static final Map<String, Long> EARLY = new ConcurrentHashMap<>();
  private static MqttAsyncClient[] clients;
  /** Per connection, the in-flight publishes it may still start. */
  private static java.util.concurrent.Semaphore[] windows;
  /** Publishes sent and not yet acknowledged, over all connections. */
  private static final java.util.concurrent.atomic.AtomicLong UNACKED = new java.util.concurrent.atomic.AtomicLong();
  /** The first publish that failed: the run is then invalid. */
  private static final java.util.concurrent.atomic.AtomicReference<Throwable> FAILURE =
      new java.util.concurrent.atomic.AtomicReference<>();
  private static final java.util.concurrent.ExecutorService SENDER = java.util.concurrent.Executors
      .newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "scale-sim-sender");
        thread.setDaemon(true);
        return thread;
      });

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
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"))) {
      long t0 = System.nanoTime();
      seed(client, nodes, podsPerNode);
      System.out.printf("seeded %d edge Nodes and %d pods into the mock API in %.1f s%n", nodes, nodes * podsPerNode,
          (System.nanoTime() - t0) / 1e9);
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- name: mock\n  cluster:\n"
          + "    server: " + kubernetes.url("/").replaceAll("/$", "") + "\nusers:\n- name: bench\n  user:\n"
          + "    token: bench\ncontexts:\n- name: bench\n  context:\n    cluster: mock\n    user: bench\n"
          + "current-context: bench\n");
      int httpPort = Ports.free();
      Path jar = Files.list(Path.of("cloud-bridge/target"))
          .filter(p -> p.getFileName().toString().endsWith("-all.jar"))
          .findFirst().orElseThrow(() -> new IllegalStateException("build cloud-bridge first (mvn install)"));
      try (ManagedProcess bridge = ManagedProcess.start("bridge", List.of("java", "-Xmx2g",
              "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-jar", jar.toAbsolutePath().toString()),
          Map.of("KUBECONFIG", kubeconfig.toString(), "OUTPOST_BROKER_URL", broker.url(),
              "OUTPOST_HTTP_PORT", Integer.toString(httpPort), "OUTPOST_ROUTER_THREADS", "2",
              "OUTPOST_INSECURE_PLAINTEXT", "true"), // the bench's own Mosquitto on loopback: plain, explicitly
          dir, dir.resolve("bridge.log"))) {
        String metricsUrl = "http://127.0.0.1:" + httpPort + "/metrics";
        waitFor("bridge ready", Duration.ofMinutes(5),
            () -> ProcessStats.get("http://127.0.0.1:" + httpPort + "/readyz") == 200);
        System.out.printf("bridge up (informers synced) %.1f s after seeding began%n",
            (System.nanoTime() - t0) / 1e9);

        connect(broker.url());
        long start = System.nanoTime();
        for (SimNode node : NODES.values()) {
          heartbeat(node);
          resync(node, null);
        }
        waitFor("all nodes resynced", Duration.ofMinutes(20), () -> NODES.values().stream().allMatch(n -> n.synced));
        System.out.printf("%d nodes resynced (%d objects each) in %.1f s%n", nodes,
            NODES.values().iterator().next().held.size(), (System.nanoTime() - start) / 1e9);

        // Latency: Kubernetes change -> arrival at the simulated edge.
        List<String> names = new ArrayList<>(NODES.keySet());
        for (int i = 0; i < samples; i++) {
          String node = names.get(i * 7919 % names.size());
          String pod = node + "-pod-" + (i % podsPerNode);
          String value = "v" + i;
          // The change exists in Kubernetes once the API server answered the PUT: measured from there. (The
          // watch event may even beat the response: those count as 0.)
          long requestStart = System.nanoTime();
          client.pods().inNamespace("bench").withName(pod).edit(p -> new PodBuilder(p).editSpec()
              .editFirstContainer().withArgs(value).endContainer().endSpec().build());
          long committed = System.nanoTime();
          EDIT_TIMES.add(committed - requestStart);
          synchronized (ScaleBench.class) { // the same lock as the arrival side
            Long early = EARLY.remove(pod + "|" + value);
            if (early != null) {
              LATENCIES.add(Math.max(0, early - committed));
            } else {
              SENT_AT.put(pod + "|" + value, committed);
            }
          }
        }
        waitFor("latency samples", Duration.ofMinutes(2), () -> LATENCIES.size() >= samples);
        List<Long> sorted = new ArrayList<>(LATENCIES);
        Collections.sort(sorted);
        System.out.printf("k8s change -> edge: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples, sequential)%n",
            sorted.get(sorted.size() / 2) / 1e6, sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1e6,
            sorted.get(sorted.size() - 1) / 1e6, sorted.size());
        List<Long> edits = new ArrayList<>(EDIT_TIMES);
        Collections.sort(edits);
        System.out.printf("  (the mock API's own GET+PUT for each change: p50 %.1f ms, p99 %.1f ms; not included)%n",
            edits.get(edits.size() / 2) / 1e6, edits.get((int) Math.ceil(edits.size() * 0.99) - 1) / 1e6);

        // Idle: heartbeats every 10 s from every node, nothing changing.
        long pid = bridge.pid();
        long cpu0 = ProcessStats.cpuTicks(pid);
        long idleStart = System.nanoTime();
        // Three rounds of heartbeats, 10 s apart, as real nodes send them. Every heartbeat of every round must be
        // acknowledged, else the run fails: a CPU figure over partial rounds would flatter the bridge.
        java.util.concurrent.ScheduledExecutorService pacer = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor();
        java.util.concurrent.CountDownLatch rounds = new java.util.concurrent.CountDownLatch(4);
        java.util.concurrent.atomic.AtomicInteger complete = new java.util.concurrent.atomic.AtomicInteger();
        pacer.scheduleAtFixedRate(() -> {
          try {
            if (rounds.getCount() > 1) {
              NODES.values().forEach(ScaleBench::heartbeat);
              complete.incrementAndGet();
            }
          } catch (RuntimeException e) {
            FAILURE.compareAndSet(null, e); // a periodic task that throws is never run again: record and go on
          } finally {
            rounds.countDown();
          }
        }, 0, 10, TimeUnit.SECONDS);
        rounds.await();
        pacer.shutdownNow();
        waitFor("heartbeats acknowledged", Duration.ofMinutes(2), () -> UNACKED.get() == 0);
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

        // Reconnect wave: every node reconnects and resyncs at once; count API requests meanwhile. First let the
        // Lease renewals the heartbeats above made due finish, so that only requests the wave causes are counted.
        waitFor("heartbeats handled and lease renewals done", Duration.ofMinutes(10), () -> {
          try {
            return ProcessStats.metric(metricsUrl, "outpost_bridge_leases_due") == 0
                && ProcessStats.metric(metricsUrl, "outpost_bridge_router_queue") == 0
                && ProcessStats.metric(metricsUrl, "outpost_bridge_upstream_queue") == 0;
          } catch (Exception e) {
            return false;
          }
        });
        int requests = kubernetes.getRequestCount();
        Map<String, Long> before = dispatcher.requests();
        disconnectAll();
        for (SimNode node : NODES.values()) {
          node.synced = false;
        }
        long wave = System.nanoTime();
        connect(broker.url());
        for (SimNode node : NODES.values()) { // as a real edge: its heartbeat on connect, then its resync
          heartbeat(node);
          resync(node, null);
        }
        waitFor("reconnect wave resynced", Duration.ofMinutes(10), () -> NODES.values().stream()
            .allMatch(n -> n.synced));
        double resynced = (System.nanoTime() - wave) / 1e9;
        Map<String, Long> atResync = dispatcher.requests();
        System.out.printf("reconnect wave (heartbeat + resync per node): %d nodes resynced in %.1f s; Kubernetes API"
            + " requests meanwhile: %d — %s%n", nodes, resynced, kubernetes.getRequestCount() - requests,
            difference(before, atResync));
        waitFor("the wave's heartbeats handled and lease renewals done", Duration.ofMinutes(10), () -> {
          try {
            return ProcessStats.metric(metricsUrl, "outpost_bridge_leases_due") == 0
                && ProcessStats.metric(metricsUrl, "outpost_bridge_router_queue") == 0
                && ProcessStats.metric(metricsUrl, "outpost_bridge_upstream_queue") == 0;
          } catch (Exception e) {
            return false;
          }
        });
        Map<String, Long> drained = dispatcher.requests();
        System.out.printf("  whole wave until the bridge's queues drained (%.1f s): %s; lists and watches: %d%n",
            (System.nanoTime() - wave) / 1e9, difference(before, drained), difference(before, drained).entrySet()
            .stream().filter(e -> e.getKey().startsWith("list ") || e.getKey().startsWith("watch "))
            .mapToLong(Map.Entry::getValue).sum());
        disconnectAll();
        SENDER.shutdownNow();
      }
    } finally {
      client.close();
      kubernetes.destroy();
      Trees.deleteTree(dir);
    }
  }

  private static void seed(KubernetesClient client, int nodes, int podsPerNode) {
    for (int n = 0; n < nodes; n++) {
      String name = String.format("site%03d-node%02d", n / 10, n % 10);
      NODES.put(name, new SimNode(name));
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

  private static void connect(String broker) throws Exception {
    check();
    clients = new MqttAsyncClient[CONNECTIONS];
    windows = new java.util.concurrent.Semaphore[CONNECTIONS];
    for (int i = 0; i < CONNECTIONS; i++) {
      MqttAsyncClient mqtt = new MqttAsyncClient(broker, "scale-sim-" + i + "-" + UUID.randomUUID(),
          new MemoryPersistence());
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setCleanStart(true);
      options.setReceiveMaximum(65535);
      IMqttToken connected = mqtt.connect(options);
      connected.waitForCompletion(30_000);
      Integer receiveMaximum = connected.getResponseProperties() == null ? null
          : connected.getResponseProperties().getReceiveMaximum();
      int window = Math.max(1, (receiveMaximum == null ? 65535 : receiveMaximum) / 2);
      if (i == 0) {
        System.out.printf("  broker Receive Maximum %s: at most %d publishes in flight per connection%n",
            receiveMaximum == null ? "not sent (65,535)" : receiveMaximum, window);
      }
      windows[i] = new java.util.concurrent.Semaphore(window);
      clients[i] = mqtt;
    }
    // One wildcard subscription; each node's messages arrive in order on it.
    clients[0].subscribe(new MqttSubscription[] {new MqttSubscription(Topics.ROOT + "+/down", 1)}, null, null,
        new IMqttMessageListener[] {ScaleBench::down}, null).waitForCompletion(30_000);
  }

  private static void disconnectAll() throws Exception {
    waitFor("publishes acknowledged", Duration.ofMinutes(2), () -> UNACKED.get() == 0);
    for (MqttAsyncClient mqtt : clients) {
      mqtt.disconnect().waitForCompletion(30_000);
      mqtt.close();
    }
  }

  /** Fails the run if any simulated node's publish failed. */
  private static void check() {
    Throwable failure = FAILURE.get();
    if (failure != null) {
      throw new IllegalStateException("a simulated node's publish failed, so the run measured partial work and "
          + "prints no figure: " + failure, failure);
    }
  }

  /** QoS 1, within the connection's window; a failure (now or when acknowledged) fails the run. */
  private static void publish(SimNode node, Topics.Up channel, byte[] payload) {
    check();
    int index = Math.floorMod(node.name.hashCode(), CONNECTIONS);
    java.util.concurrent.Semaphore window = windows[index];
    window.acquireUninterruptibly();
    UNACKED.incrementAndGet();
    MqttActionListener done = new MqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        UNACKED.decrementAndGet();
        window.release();
      }

      @Override
      public void onFailure(IMqttToken token, Throwable cause) {
        FAILURE.compareAndSet(null, cause);
        UNACKED.decrementAndGet();
        window.release();
      }
    };
    try {
      MqttMessage message = new MqttMessage(payload);
      message.setQos(1);
      clients[index].publish(Topics.up(node.name, channel), message, null, done);
    } catch (Exception e) {
      done.onFailure(null, e);
      check();
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

  private static void heartbeat(SimNode node) {
    publish(node, Topics.Up.NODE, CODEC.encode(new NodeReport(Codec.VERSION, node.name, Instant.now().toString(),
        true, "simulated", Map.of("cpu", "4", "memory", "8Gi", "pods", "110"),
        List.of(new NodeReport.Address("InternalIP", "192.0.2.1")), null)));
  }

  /** Builds the request under the simulator's lock, publishes outside it (a publish waits for its PUBACK). */
  private static void resync(SimNode node, List<String> buckets) {
    publish(node, Topics.Up.RESYNC, CODEC.encode(request(node, buckets)));
  }

  private static synchronized ResyncRequest request(SimNode node, List<String> buckets) {
    node.pending = UUID.randomUUID().toString();
    List<ObjectRef> held = new ArrayList<>(node.held.values());
    ResyncRequest request;
    if (buckets == null) {
      request = new ResyncRequest(Codec.VERSION, node.name, node.pending, node.epoch, node.seq, "connect", null,
          ResyncRequest.digestOf(held), held.size());
    } else {
      List<String> ours = Buckets.digests(held, buckets.size());
      List<Integer> differing = new ArrayList<>();
      for (int i = 0; i < buckets.size(); i++) {
        if (!ours.get(i).equals(buckets.get(i))) {
          differing.add(i);
        }
      }
      List<ObjectRef> listed = held.stream()
          .filter(r -> differing.contains(Buckets.bucketOf(r.key(), buckets.size()))).toList();
      request = new ResyncRequest(Codec.VERSION, node.name, node.pending, node.epoch, node.seq, "digest_mismatch",
          listed, ResyncRequest.digestOf(held), held.size(), buckets.size(), differing);
    }
    return request;
  }

  /** The simulated edge: applies in order, as the real one does (without a store). */
  private static void down(String topic, MqttMessage message) {
    String name = topic.substring(Topics.ROOT.length(), topic.length() - "/down".length());
    SimNode node = NODES.get(name);
    if (node == null) {
      return;
    }
    Downstream m;
    try {
      m = CODEC.decode(message.getPayload(), Downstream.class);
    } catch (ProtocolException e) {
      throw new IllegalStateException("bridge sent an invalid message: " + e.getMessage());
    }
    synchronized (ScaleBench.class) {
      switch (m.op()) {
        case DIGEST_MISMATCH -> {
          if (m.correlationId().equals(node.pending)) {
            List<String> buckets = m.buckets();
            SENDER.execute(() -> resync(node, buckets)); // never publish from the MQTT callback thread
          }
        }
        case SYNC_BEGIN -> {
          node.epoch = m.epoch();
          node.seq = m.seq();
        }
        case SYNC_END -> {
          node.seq = m.seq();
          if (m.correlationId().equals(node.pending)) {
            node.synced = true;
          }
        }
        case UPSERT -> {
          node.seq = m.seq();
          node.held.put(m.ref().key(), m.ref());
          if (m.pod() != null && m.pod().containers().get(0).args() != null) {
            String sample = m.ref().name() + "|" + m.pod().containers().get(0).args().get(0);
            Long sent = SENT_AT.remove(sample);
            if (sent != null) {
              LATENCIES.add(System.nanoTime() - sent);
            } else if (!sample.endsWith("|v-init")) {
              EARLY.put(sample, System.nanoTime());
            }
          }
        }
        case DELETE -> {
          node.seq = m.seq();
          node.held.remove(m.ref().key());
        }
        default -> { }
      }
    }
  }

  /** Waits for {@code condition}; fails at once if a publish failed meanwhile. */
  private static void waitFor(String what, Duration timeout, BooleanSupplier condition) {
    org.awaitility.Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(20))
        .until(() -> FAILURE.get() != null || condition.getAsBoolean());
    check();
  }

}
