package io.outpost.bench;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.StatsReport;
import io.outpost.protocol.Topics;
import io.outpost.testing.ApiServerClient;
import io.outpost.testing.KubeletPki;
import io.outpost.testing.Mosquitto;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;

/**
 * Bridge CPU for the resource usage of many edge nodes (issue 23): {@code nodes} simulated nodes, each with
 * {@code pods} one-container pods, send a {@code StatsReport} every 15 s (spread over the interval, QoS 0, as the
 * edge does), and a scraper asks each node's {@code /metrics/resource} every 15 s over TLS with a client
 * certificate, on a kept-alive connection per node as metrics-server does ({@code fresh}: a new connection and TLS
 * handshake per scrape). Args: nodes, pods per node, rounds of 15 s, keepalive|fresh. Prints the CPU time of the
 * bridge's threads (ThreadMXBean; the harness's own publisher and scraper threads are left out) per second of
 * steady state, and the scrape latency.
 */
public final class EdgeMetricsBench {
  private static final Codec CODEC = new Codec();
  private static final String DOMAIN = "kubelet.bench";
  private static final Duration INTERVAL = Duration.ofSeconds(15);

  private EdgeMetricsBench() {}

  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int pods = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    boolean keepAlive = args.length <= 3 || !"fresh".equals(args[3]);
    Logger.getLogger("io.fabric8.mockwebserver").setLevel(Level.WARNING);
    Path dir = Files.createTempDirectory("outpost-edge-metrics-");
    KubernetesMockServer kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new IndexedCrudDispatcher(), false);
    kubernetes.init();
    KubernetesClient client = kubernetes.createClient();
    KubeletPki pki = new KubeletPki(dir.resolve("pki"));
    Map<String, String> settings = new HashMap<>(pki.bridgeEnvironment());
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"))) {
      settings.putAll(Map.of("OUTPOST_BROKER_URL", broker.url(), "OUTPOST_HTTP_PORT", "0",
          "OUTPOST_INSECURE_PLAINTEXT", "true", "OUTPOST_KUBELET_NODE_DOMAIN", DOMAIN,
          "OUTPOST_KUBELET_METRICS_USERS", "metrics-server"));
      try (Bridge bridge = new Bridge(BridgeConfig.from(settings), client)) {
        bridge.start();
        waitFor("bridge ready", Duration.ofMinutes(2), bridge::isReady);
        List<String> names = new ArrayList<>();
        Map<String, List<String[]>> podsOf = new HashMap<>();
        for (int i = 0; i < nodes; i++) {
          String node = String.format("edge-%04d", i);
          names.add(node);
          List<String[]> list = new ArrayList<>();
          for (int p = 0; p < pods; p++) {
            Pod pod = client.pods().inNamespace("bench").resource(new PodBuilder().withNewMetadata()
                .withName(node + "-p" + p).withNamespace("bench").endMetadata().withNewSpec().withNodeName(node)
                .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build()).create();
            list.add(new String[] {pod.getMetadata().getName(), pod.getMetadata().getUid()});
          }
          podsOf.put(node, list);
        }
        MqttClient mqtt = new MqttClient(broker.url(), "bench-stats", new MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        mqtt.connect(options);
        for (String node : names) { // registers every node (the bridge's edge label check)
          mqtt.publish(Topics.up(node, Topics.Up.NODE), CODEC.encode(heartbeat(node)), 1, false);
        }
        waitFor("nodes registered", Duration.ofMinutes(5),
            () -> bridge.metrics().get("outpost_bridge_edge_nodes") >= nodes);
        SSLSocketFactory tls = new ApiServerClient(bridge.kubeletPort(), pki, pki.client("metrics-server",
            "metrics-server")).tls().getSocketFactory();
        long[] cpuNanos = new long[rounds];
        List<Long> latencies = new ArrayList<>();
        AtomicLong bytes = new AtomicLong();
        AtomicLong reportBytes = new AtomicLong();
        for (int round = -1; round < rounds; round++) { // round -1 warms up (JIT, first reports)
          long roundStart = System.nanoTime();
          long cpuBefore = bridgeCpu();
          long spacing = INTERVAL.toNanos() / nodes;
          for (int i = 0; i < nodes; i++) {
            String node = names.get(i);
            long due = roundStart + i * spacing;
            while (System.nanoTime() < due) {
              java.util.concurrent.locks.LockSupport.parkNanos(due - System.nanoTime());
            }
            byte[] payload = CODEC.encode(report(node, podsOf.get(node), round + 2));
            reportBytes.addAndGet(payload.length);
            mqtt.publish(Topics.up(node, Topics.Up.STATS), payload, 0, false);
            if (round >= 0) {
              long start = System.nanoTime();
              String scraped = names.get((i + nodes / 2) % nodes);
              bytes.addAndGet(keepAlive ? scrapeKeepAlive(tls, bridge.kubeletPort(), scraped)
                  : scrape(tls, bridge.kubeletPort(), scraped));
              latencies.add((System.nanoTime() - start) / 1_000);
            }
          }
          if (round >= 0) {
            cpuNanos[round] = bridgeCpu() - cpuBefore;
            System.out.printf("round %d: bridge threads %.2f CPU-s in %.1f s%n", round, cpuNanos[round] / 1e9,
                (System.nanoTime() - roundStart) / 1e9);
          }
        }
        mqtt.disconnect();
        mqtt.close();
        for (SSLSocket socket : CONNECTIONS.values()) {
          socket.close();
        }
        latencies.sort(null);
        long total = java.util.Arrays.stream(cpuNanos).sum();
        System.out.printf("%s connections; ", keepAlive ? "keep-alive" : "one TLS connection per scrape,");
        System.out.printf("%d nodes x %d pods, a report and a scrape per node every %d s: bridge CPU %.1f %% of one"
            + " core (%.2f ms per node and interval); scrape p50 %.1f ms, p99 %.1f ms (TLS handshake included);"
            + " /metrics/resource %d bytes per node, StatsReport %d bytes per node; reports accepted %d, rejected %d%n",
            nodes, pods, INTERVAL.toSeconds(), 100.0 * total / (rounds * INTERVAL.toNanos()),
            total / 1e6 / rounds / nodes, latencies.get(latencies.size() / 2) / 1e3,
            latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1) / 1e3, bytes.get() / latencies.size(),
            reportBytes.get() / ((long) (rounds + 1) * nodes), bridge.metrics().get(
                "outpost_bridge_stats_reports_total"), bridge.metrics().get("outpost_bridge_rejected_total"));
      }
    } finally {
      client.close();
      kubernetes.destroy();
      io.outpost.testing.Trees.deleteTree(dir);
    }
  }

  private static NodeReport heartbeat(String node) {
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), true, "Outpost edge ready",
        Map.of("cpu", "4", "memory", "8167056Ki", "pods", "110"),
        List.of(new NodeReport.Address("InternalIP", "192.0.2.17")), null);
  }

  private static void waitFor(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
    org.awaitility.Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(50))
        .until(condition::getAsBoolean);
  }

  /** One node's report: CPU grows 0.1 core-s per container and round. */
  static StatsReport report(String node, List<String[]> pods, int round) {
    String now = Instant.now().toString();
    List<StatsReport.PodUsage> usage = new ArrayList<>();
    for (String[] pod : pods) {
      usage.add(new StatsReport.PodUsage("bench", pod[0], pod[1], "2026-12-07T20:00:00Z", List.of(
          new StatsReport.ContainerUsage("app", "2026-12-07T20:00:01Z", now, round * 100_000_000L, 20L << 20,
              21L << 20))));
    }
    return new StatsReport(1, node, now, new StatsReport.NodeUsage(now, "2026-12-01T00:00:00Z",
        round * 4_000_000_000L, 1L << 30, 2L << 30, 6L << 30, 10L << 30, 100L << 30, 90L << 30, 1_000L, 2_000L),
        usage);
  }

  /** One scrape as metrics-server makes it; the bytes of the answer. */
  private static long scrape(SSLSocketFactory tls, int port, String node) throws Exception {
    try (SSLSocket socket = (SSLSocket) tls.createSocket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET /metrics/resource HTTP/1.1\r\nHost: " + node + "." + DOMAIN + ":" + port
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String head = all.toString(StandardCharsets.ISO_8859_1);
      if (!head.startsWith("HTTP/1.1 200")) {
        throw new IllegalStateException("scrape of " + node + ": " + head.lines().findFirst().orElse(""));
      }
      return all.size();
    }
  }

  /** One kept-alive connection per node, as Go's HTTP transport in metrics-server keeps one per host. */
  private static final Map<String, SSLSocket> CONNECTIONS = new HashMap<>();

  /** A scrape on the node's kept-alive connection (opened on first use); the bytes of the answer. */
  private static long scrapeKeepAlive(SSLSocketFactory tls, int port, String node) throws Exception {
    SSLSocket socket = CONNECTIONS.get(node);
    if (socket == null) {
      socket = (SSLSocket) tls.createSocket("127.0.0.1", port);
      CONNECTIONS.put(node, socket);
    }
    OutputStream out = socket.getOutputStream();
    out.write(("GET /metrics/resource HTTP/1.1\r\nHost: " + node + "." + DOMAIN + ":" + port + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int next = in.read();
      if (next < 0) {
        throw new IllegalStateException("scrape of " + node + ": connection closed");
      }
      head.append((char) next);
    }
    if (!head.toString().startsWith("HTTP/1.1 200")) {
      throw new IllegalStateException("scrape of " + node + ": " + head.toString().lines().findFirst().orElse(""));
    }
    int length = Integer.parseInt(head.toString().replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
    return head.length() + in.readNBytes(length).length;
  }

  /**
   * CPU time of the bridge's threads that serve resource usage: its stats thread, the kubelet API's Netty threads,
   * and its MQTT client's (which in steady state receive only stats: the harness sends no other message). Not the
   * harness's own threads, nor the mock API server's (Lease renewals are the API server's cost, not this feature's).
   */
  private static long bridgeCpu() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long total = 0;
    for (long id : threads.getAllThreadIds()) {
      ThreadInfo info = threads.getThreadInfo(id);
      String name = info == null ? "" : info.getThreadName();
      boolean counted = name.startsWith("outpost-bridge-stats") || name.startsWith("nioEventLoopGroup")
          || (name.startsWith("MQTT") && !name.contains("bench-stats"));
      if (!counted) {
        continue;
      }
      long cpu = threads.getThreadCpuTime(id);
      if (cpu > 0) {
        total += cpu;
      }
    }
    return total;
  }
}
