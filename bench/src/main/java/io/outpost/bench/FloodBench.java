package io.outpost.bench;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.Codec;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import io.outpost.testing.Mosquitto;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * One node flooding every upstream channel against {@code nodes} calm nodes that send a heartbeat every second, the
 * bridge with its shipped fair-share settings (in this JVM, on a real Mosquitto and fabric8's CRUD mock API).
 * Measures, without and then with the flood: the heartbeat processing latency of the calm nodes (from their publish
 * to the bridge having written the heartbeat, taken from the bridge's own per-node heartbeat timestamp) — p50, p99,
 * max, and heartbeats not handled before the node's next one; with the flood: the flooder's publish rate, what the
 * bridge accepted from it per channel per second, what it dropped and why, and the deepest per-node queue and the
 * most heartbeats waiting seen (sampled every 20 ms). Usage: {@code FloodBench [nodes] [seconds per phase]}.
 *
 * <p>No figure from partial work: a failed publish of a calm node, or a calm node whose heartbeats stopped being
 * handled, fails the run.
 */
public final class FloodBench {
  private static final Codec CODEC = new Codec();
  private static final String HEARTBEAT_SERIES = "outpost_edge_heartbeat_timestamp_seconds";
  private static final List<Topics.Up> CHANNELS = List.of(Topics.Up.NODE, Topics.Up.STATUS, Topics.Up.EVENT,
      Topics.Up.RESYNC, Topics.Up.DEVICE);

  private FloodBench() {}

  /** Latencies of one phase, in ms, and heartbeats not handled before the node's next one. */
  record Phase(List<Long> latencies, long missed) {
    String describe() {
      List<Long> sorted = new ArrayList<>(latencies);
      Collections.sort(sorted);
      return String.format("p50 %d ms, p99 %d ms, max %d ms over %d heartbeats; %d not handled before the node's"
          + " next heartbeat", sorted.get(sorted.size() / 2), sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1),
          sorted.get(sorted.size() - 1), sorted.size(), missed);
    }
  }

  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    Logger.getLogger("io.fabric8.mockwebserver").setLevel(Level.WARNING);
    Path dir = Files.createTempDirectory("outpost-flood-");
    KubernetesMockServer kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new IndexedCrudDispatcher(), false);
    kubernetes.init();
    KubernetesClient client = kubernetes.createClient();
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
        Bridge bridge = new Bridge(BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", broker.url(),
            "OUTPOST_HTTP_PORT", "0", "OUTPOST_INSECURE_PLAINTEXT", "true")), client)) {
      bridge.start();
      waitFor("bridge ready", Duration.ofMinutes(2), bridge::isReady);
      Metrics metrics = bridge.metrics();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        names.add(String.format("calm-%04d", i));
      }
      MqttClient calm = connect(broker.url(), "calm");
      MqttClient flooder = connect(broker.url(), "flooder");
      try {
        publish(flooder, "flooder", Topics.Up.NODE, CODEC.encode(report("flooder")));
        waitFor("flooder registered", Duration.ofMinutes(1), () -> client.nodes().withName("flooder").get() != null);
        Pod pod = client.pods().inNamespace("flood").resource(new PodBuilder().withNewMetadata().withName("noisy")
            .withNamespace("flood").endMetadata().withNewSpec().withNodeName("flooder").addNewContainer()
            .withName("app").withImage("nginx").endContainer().endSpec().build()).create();
        Rounds rounds = new Rounds(calm, names, metrics);
        rounds.round();
        waitFor("calm nodes registered", Duration.ofMinutes(2), rounds::allHandled);
        rounds.reset();

        Phase quiet = rounds.run(seconds);
        System.out.printf("without flood: calm nodes' heartbeat processing: %s%n", quiet.describe());

        Map<String, Long> before = counters(metrics);
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong flooded = new AtomicLong();
        AtomicReference<Throwable> floodFailure = new AtomicReference<>();
        List<byte[]> messages = floodMessages(ref(pod));
        Thread flood = new Thread(() -> {
          try {
            for (int i = 0; flooding.get(); i++) {
              publish(flooder, "flooder", CHANNELS.get(i % CHANNELS.size()), messages.get(i % messages.size()));
              flooded.incrementAndGet();
            }
          } catch (MqttException | RuntimeException e) {
            floodFailure.set(e);
          }
        }, "flooder");
        Sampler sampler = new Sampler(metrics);
        long floodStart = System.nanoTime();
        flood.start();
        sampler.start();
        Phase loud = rounds.run(seconds);
        flooding.set(false);
        flood.join();
        double floodSeconds = (System.nanoTime() - floodStart) / 1e9;
        sampler.stop();
        if (floodFailure.get() != null) {
          throw new IllegalStateException("the flooder's publishing failed", floodFailure.get());
        }
        Map<String, Long> after = counters(metrics);
        System.out.printf("with flood:    calm nodes' heartbeat processing: %s%n", loud.describe());
        System.out.printf("flooder: published %.0f msg/s over %.1f s (QoS 1, one connection, all five channels in"
            + " turn)%n", flooded.get() / floodSeconds, floodSeconds);
        for (String channel : List.of("status", "event", "device", "resync", "node")) {
          String in = "outpost_bridge_messages_in_total{channel=\"" + channel + "\"}";
          long accepted = after.getOrDefault(in, 0L) - before.getOrDefault(in, 0L);
          if (channel.equals("node")) {
            accepted -= loud.latencies().size() + loud.missed(); // the calm nodes' heartbeats
          }
          System.out.printf("  %-6s accepted %7.1f msg/s; dropped: %s%n", channel, accepted / floodSeconds,
              dropped(before, after, channel));
        }
        long coalesced = after.getOrDefault("outpost_bridge_heartbeats_coalesced_total", 0L)
            - before.getOrDefault("outpost_bridge_heartbeats_coalesced_total", 0L);
        System.out.printf("  heartbeats replaced by a newer one while waiting: %d%n", coalesced);
        System.out.printf("queues: deepest per-node upstream queue seen %d (bound %s), most heartbeats waiting %d"
            + " (bound: one per node, %d nodes)%n", sampler.deepest.get(), "1000 messages / 8 MiB",
            sampler.heartbeats.get(), nodes + 1);
        String others = metrics.render().lines().filter(l -> l.startsWith("outpost_bridge_upstream_dropped_total{")
            && !l.contains("node=\"flooder\"")).findFirst().orElse(null);
        if (others != null) {
          throw new IllegalStateException("a calm node's message was dropped: " + others);
        }
      } finally {
        calm.disconnect();
        calm.close();
        flooder.disconnect();
        flooder.close();
      }
    } finally {
      client.close();
      kubernetes.destroy();
      io.outpost.testing.Trees.deleteTree(dir);
    }
  }

  /** Heartbeat rounds of the calm nodes, one a second; latency from each publish to its handling. */
  static final class Rounds {
    private final MqttClient connection;
    private final List<String> names;
    private final Metrics metrics;
    private final Map<String, Long> publishedAt = new HashMap<>();

    Rounds(MqttClient connection, List<String> names, Metrics metrics) {
      this.connection = connection;
      this.names = names;
      this.metrics = metrics;
    }

    void round() throws MqttException {
      for (String node : names) {
        byte[] payload = CODEC.encode(report(node));
        publishedAt.put(node, System.currentTimeMillis());
        publish(connection, node, Topics.Up.NODE, payload);
      }
    }

    long handledAt(String node) {
      Double seconds = metrics.edgeValue(node, HEARTBEAT_SERIES);
      return seconds == null ? -1 : Math.round(seconds * 1000);
    }

    boolean allHandled() {
      return names.stream().allMatch(n -> handledAt(n) >= publishedAt.get(n));
    }

    void reset() {
      publishedAt.clear();
    }

    /** Rounds for {@code seconds}, a second apart; each round first collects the previous round's latencies. */
    Phase run(int seconds) throws Exception {
      List<Long> latencies = new ArrayList<>();
      long missed = 0;
      long next = System.nanoTime();
      for (int i = 0; i < seconds; i++) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(wait); // the pacing of a node's heartbeat timer
        }
        next += 1_000_000_000L;
        missed += collect(latencies);
        round();
      }
      try {
        waitFor("the last round handled", Duration.ofMinutes(1), this::allHandled);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        long unhandled = names.stream().filter(n -> handledAt(n) < publishedAt.get(n)).count();
        throw new IllegalStateException("calm nodes' heartbeats were not handled: " + unhandled + " of the last "
            + "round still waiting after 1 min; before it, " + (latencies.isEmpty() ? "none handled"
            : new Phase(latencies, missed).describe()), e);
      }
      collect(latencies);
      reset();
      return new Phase(latencies, missed);
    }

    private long collect(List<Long> latencies) {
      long missed = 0;
      for (String node : names) {
        Long published = publishedAt.get(node);
        if (published == null) {
          continue;
        }
        long handled = handledAt(node);
        if (handled >= published) {
          latencies.add(handled - published);
        } else {
          missed++;
        }
      }
      return missed;
    }
  }

  /** The deepest per-node queue and the most heartbeats waiting, sampled every 20 ms. */
  static final class Sampler {
    final AtomicLong deepest = new AtomicLong();
    final AtomicLong heartbeats = new AtomicLong();
    private final Metrics metrics;
    private final java.util.concurrent.ScheduledExecutorService timer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

    Sampler(Metrics metrics) {
      this.metrics = metrics;
    }

    void start() {
      timer.scheduleAtFixedRate(() -> {
        deepest.accumulateAndGet(metrics.get("outpost_bridge_upstream_queue_deepest_node"), Math::max);
        heartbeats.accumulateAndGet(metrics.get("outpost_bridge_heartbeats_waiting"), Math::max);
      }, 0, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    void stop() throws InterruptedException {
      timer.shutdownNow();
      timer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  private static Map<String, Long> counters(Metrics metrics) {
    Map<String, Long> values = new HashMap<>();
    metrics.render().lines().filter(l -> l.startsWith("outpost_bridge_")).forEach(l -> {
      int space = l.lastIndexOf(' ');
      values.put(l.substring(0, space), Long.parseLong(l.substring(space + 1)));
    });
    return values;
  }

  private static String dropped(Map<String, Long> before, Map<String, Long> after, String channel) {
    StringBuilder text = new StringBuilder();
    for (String reason : List.of("rate_limited", "queue_full")) {
      String key = "outpost_bridge_upstream_dropped_total{node=\"flooder\",channel=\"" + channel + "\",reason=\""
          + reason + "\"}";
      long count = after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
      text.append(reason).append(' ').append(count).append(' ');
    }
    return text.toString().trim();
  }

  private static MqttClient connect(String url, String name) throws MqttException {
    MqttClient client = new MqttClient(url, "flood-bench-" + name + "-" + UUID.randomUUID(), new MemoryPersistence());
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(true);
    client.connect(options);
    return client;
  }

  /** QoS 1, trying again while Paho's in-flight window is full (its synchronous client frees a place late). */
  private static void publish(MqttClient client, String node, Topics.Up channel, byte[] payload)
      throws MqttException {
    while (true) {
      try {
        client.publish(Topics.up(node, channel), payload, 1, false);
        return;
      } catch (MqttException e) {
        if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT) {
          throw e;
        }
        Thread.onSpinWait();
      }
    }
  }

  private static NodeReport report(String node) {
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), true, "Outpost edge ready",
        Map.of("cpu", "4", "memory", "8167056Ki", "pods", "110"),
        List.of(new NodeReport.Address("InternalIP", "192.0.2.17"), new NodeReport.Address("Hostname", node)),
        new NodeReport.NodeInfo("machine-" + node, "boot-1", "6.1.0-26-amd64", "Debian GNU/Linux 12 (bookworm)",
            "linux", "amd64", "docker-engine-api://1.41", "outpost/0.1.0-bench"));
  }

  private static ObjectRef ref(Pod pod) {
    return new ObjectRef("Pod", pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
        pod.getMetadata().getUid(), pod.getMetadata().getResourceVersion());
  }

  /** One valid message per channel in {@link #CHANNELS}, about the flooder's own pod. */
  private static List<byte[]> floodMessages(ObjectRef pod) {
    String now = Instant.now().toString();
    return List.of(
        CODEC.encode(report("flooder")),
        CODEC.encode(new PodStatusReport(Codec.VERSION, "flooder", pod, "Running", null, null, "10.88.0.5", null,
            now, List.of(new PodStatusReport.ContainerStatusV1("app", "nginx", "sha256:9a1e", "docker://a3f9", true,
                0, PodStatusReport.ContainerStateV1.running(now), null)), false)),
        CODEC.encode(new EventReport(Codec.VERSION, "flooder", "00000000000000f1", pod, "Warning", "BackOff",
            "Back-off restarting failed container app", 1, now, now)),
        CODEC.encode(new ResyncRequest(Codec.VERSION, "flooder", UUID.randomUUID().toString(), 0, 0, "flood", null,
            ResyncRequest.digestOf(List.of()), 0)),
        CODEC.encode(new DeviceStatusReport(Codec.VERSION, "flooder", new ObjectRef("Device", "flood", "meter",
            UUID.randomUUID().toString(), "1"), DeviceStatusReport.ONLINE, null, null, now, List.of())));
  }

  private static void waitFor(String what, Duration timeout, BooleanSupplier condition) {
    org.awaitility.Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(20))
        .until(condition::getAsBoolean);
  }
}
