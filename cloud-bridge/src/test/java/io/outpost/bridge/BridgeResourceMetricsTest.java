package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.testing.PrometheusText;
import io.outpost.protocol.Codec;
import io.outpost.protocol.StatsReport;
import io.outpost.protocol.Topics;
import io.outpost.testing.ApiServerClient;
import io.outpost.testing.KubeletPki;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resource usage for metrics-server, end to end through a real Mosquitto: an edge node's {@code StatsReport} on
 * {@code up/stats} is served on the bridge's kubelet API as {@code /metrics/resource} (parsed strictly, then read as
 * metrics-server's decoder reads it) and {@code /stats/summary} for the host {@code <node>.<node domain>} that every
 * edge Node publishes; spoofed, malformed and foreign-pod reports are refused and counted; a node whose figures
 * are old keeps its samples' own timestamps and says {@code scrape_error 1}.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeResourceMetricsTest {
  static KubernetesClient client;
  private static final String DOMAIN = "kubelet.outpost.test";

  @TempDir Path dir;
  private final Codec codec = new Codec();
  private KubeletPki pki;
  private BridgeHarness h;

  @BeforeEach
  void start(org.junit.jupiter.api.TestInfo test) throws Exception {
    pki = new KubeletPki(dir.resolve("pki"));
    Map<String, String> settings = new HashMap<>(pki.bridgeEnvironment());
    settings.put("OUTPOST_KUBELET_NODE_DOMAIN", DOMAIN);
    settings.put("OUTPOST_KUBELET_METRICS_USERS", "metrics-server");
    // The cut-off test waits for its node's figures to go stale (the least limit allowed); the others read fresh ones.
    settings.put("OUTPOST_KUBELET_STATS_STALE_SECONDS", test.getDisplayName().contains("CutOff") ? "5" : "60");
    h = BridgeHarness.start(dir, client, settings);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  void metricsServersScrapePathIsAnsweredWithTheNodesOwnFiguresAndSampleTimes() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-m1");
    Node node = await().atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName("edge-m1").get(),
        n -> n.getStatus() != null && n.getStatus().getAddresses() != null && n.getStatus().getAddresses().stream()
            .anyMatch(a -> "ExternalDNS".equals(a.getType())));
    assertThat(node.getStatus().getAddresses()).extracting(a -> a.getType() + "=" + a.getAddress())
        .startsWith("InternalIP=127.0.0.1", "ExternalDNS=edge-m1." + DOMAIN);
    Pod pod = h.createPod("default", "busy", "edge-m1");
    String uid = pod.getMetadata().getUid();
    Instant first = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(15);
    Instant second = first.plusSeconds(15);
    ApiServerClient metricsServer = new ApiServerClient(h.bridge.kubeletPort(), pki,
        pki.client("metrics-server", "metrics-server"));
    long accepted = h.metric("outpost_bridge_stats_reports_total");
    edge.publish(Topics.Up.STATS, codec.encode(report("edge-m1", first, uid, 30_000_000_000L, 2_000_000_000L)));
    // One report at a time: reports waiting together are coalesced to the newest (disposable telemetry).
    await("the first report kept").atMost(FakeEdge.TIMEOUT)
        .until(() -> h.metric("outpost_bridge_stats_reports_total") == accepted + 1);
    edge.publish(Topics.Up.STATS, codec.encode(report("edge-m1", second, uid, 45_000_000_000L, 17_000_000_000L)));

    await("the second report served").atMost(FakeEdge.TIMEOUT).until(() -> get(metricsServer, "/metrics/resource",
        "edge-m1." + DOMAIN).body().contains(Long.toString(second.toEpochMilli())));
    Response resource = get(metricsServer, "/metrics/resource", "edge-m1." + DOMAIN + ":" + h.bridge.kubeletPort());
    assertThat(resource.status()).isEqualTo(200);
    assertThat(resource.headers()).containsIgnoringCase("content-type: text/plain; version=0.0.4");
    List<PrometheusText.Sample> samples = PrometheusText.parse(resource.body());
    Map<String, PrometheusText.Sample> byName = samples.stream().collect(Collectors.toMap(
        s -> s.name() + s.labels(), s -> s));
    String container = "{container=main, namespace=default, pod=busy}";
    // As metrics-server's decoder reads them: cumulative CPU in seconds, working set in bytes, each with its time.
    assertThat(byName.get("node_cpu_usage_seconds_total{}").value()).isEqualTo(45.0);
    assertThat(byName.get("node_cpu_usage_seconds_total{}").timestampMs()).isEqualTo(second.toEpochMilli());
    assertThat(byName.get("node_memory_working_set_bytes{}").value()).isEqualTo(512.0 * 1024 * 1024);
    assertThat(byName.get("container_cpu_usage_seconds_total" + container).value()).isEqualTo(17.0);
    assertThat(byName.get("container_cpu_usage_seconds_total" + container).timestampMs())
        .isEqualTo(second.toEpochMilli());
    assertThat(byName.get("container_memory_working_set_bytes" + container).value()).isEqualTo(20.0 * 1024 * 1024);
    assertThat(byName.get("container_start_time_seconds" + container).value())
        .isEqualTo((double) Instant.parse("2026-12-07T20:00:01Z").getEpochSecond());
    assertThat(byName.get("pod_cpu_usage_seconds_total{namespace=default, pod=busy}").value()).isEqualTo(17.0);
    assertThat(byName.get("pod_memory_working_set_bytes{namespace=default, pod=busy}").value())
        .isEqualTo(20.0 * 1024 * 1024);
    assertThat(byName.get("resource_scrape_error{}").value()).isZero();
    assertThat(byName.get("scrape_error{}").value()).isZero();

    Response summary = get(metricsServer, "/stats/summary", "edge-m1." + DOMAIN);
    assertThat(summary.status()).isEqualTo(200);
    JsonNode json = new ObjectMapper().readTree(summary.body());
    assertThat(json.at("/node/nodeName").asText()).isEqualTo("edge-m1");
    assertThat(json.at("/node/cpu/usageCoreNanoSeconds").asLong()).isEqualTo(45_000_000_000L);
    assertThat(json.at("/node/cpu/usageNanoCores").asLong()).isEqualTo(1_000_000_000L); // 15 s over 15 s
    assertThat(Instant.parse(json.at("/node/cpu/time").asText())).isEqualTo(second);
    assertThat(json.at("/node/memory/workingSetBytes").asLong()).isEqualTo(512L << 20);
    assertThat(json.at("/node/fs/capacityBytes").asLong()).isEqualTo(100L << 30);
    assertThat(json.at("/node/network/rxBytes").asLong()).isEqualTo(1_000L);
    JsonNode podStats = json.at("/pods/0");
    assertThat(podStats.at("/podRef/name").asText()).isEqualTo("busy");
    assertThat(podStats.at("/podRef/namespace").asText()).isEqualTo("default");
    assertThat(podStats.at("/podRef/uid").asText()).isEqualTo(uid);
    assertThat(podStats.at("/containers/0/name").asText()).isEqualTo("main");
    assertThat(podStats.at("/containers/0/cpu/usageCoreNanoSeconds").asLong()).isEqualTo(17_000_000_000L);
    assertThat(podStats.at("/containers/0/cpu/usageNanoCores").asLong()).isEqualTo(1_000_000_000L);
    assertThat(podStats.at("/containers/0/memory/workingSetBytes").asLong()).isEqualTo(20L << 20);
    assertThat(Instant.parse(podStats.at("/containers/0/memory/time").asText())).isEqualTo(second);
    assertThat(podStats.at("/cpu/usageCoreNanoSeconds").asLong()).isEqualTo(17_000_000_000L);

    // metrics-server's identity reads usage only; the API server's reads it too; a stranger's CA is refused.
    assertThat(get(metricsServer, "/containerLogs/default/busy/main", "edge-m1." + DOMAIN).status()).isEqualTo(403);
    assertThat(get(new ApiServerClient(h.bridge.kubeletPort(), pki, pki.apiServer), "/stats/summary",
        "edge-m1." + DOMAIN).status()).isEqualTo(200);
    assertThat(get(new ApiServerClient(h.bridge.kubeletPort(), pki, pki.kubelet), "/metrics/resource",
        "edge-m1." + DOMAIN).status()).isEqualTo(403);
    // A host that names no edge node, and endpoints the kubelet has but the edge does not serve.
    assertThat(get(metricsServer, "/metrics/resource", "127.0.0.1").status()).isEqualTo(404);
    assertThat(get(metricsServer, "/metrics/resource", "worker-1." + DOMAIN).status()).isEqualTo(404);
    assertThat(get(metricsServer, "/metrics/cadvisor", "edge-m1." + DOMAIN).status()).isEqualTo(404);
  }

  @Test
  void spoofedMalformedAndForeignPodReportsAreRefusedAndCounted() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-m2");
    h.registeredEdge("edge-m3");
    Pod mine = h.createPod("default", "mine", "edge-m2");
    Pod theirs = h.createPod("default", "theirs", "edge-m3");
    long wrongNode = h.rejected("wrong_node");
    long malformed = h.rejected("malformed");
    long invalid = h.rejected("invalid");
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    // edge-m2 claims to be edge-m3 (its topic says otherwise), then sends broken JSON and a negative figure.
    edge.publish(Topics.Up.STATS, codec.encode(report("edge-m3", now, theirs.getMetadata().getUid(), 1, 1)));
    await("wrong_node counted").atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("wrong_node") == wrongNode + 1);
    edge.publishJson(Topics.Up.STATS, "{\"v\":1,\"node\":\"edge-m2\",");
    await("malformed counted").atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("malformed") == malformed + 1);
    edge.publishJson(Topics.Up.STATS, "{\"v\":1,\"node\":\"edge-m2\",\"sentAt\":\"" + now + "\",\"usage\":{\"time\":\""
        + now + "\",\"cpuCoreNanos\":-1,\"memoryWorkingSetBytes\":1}}");
    await("invalid counted").atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("invalid") == invalid + 1);
    ApiServerClient metricsServer = new ApiServerClient(h.bridge.kubeletPort(), pki,
        pki.client("metrics-server", "metrics-server"));
    assertThat(get(metricsServer, "/metrics/resource", "edge-m3." + DOMAIN).status())
        .as("edge-m3 sent nothing itself").isEqualTo(503);

    // A report naming its own pod and another node's: the other node's pod is left out and counted.
    long ignored = h.metric("outpost_bridge_stats_pods_ignored_total");
    StatsReport both = new StatsReport(1, "edge-m2", now.toString(), new StatsReport.NodeUsage(now.toString(), null,
        9_000_000_000L, 100L << 20), List.of(pod("mine", mine.getMetadata().getUid(), now, 5, 1 << 20),
        pod("theirs", theirs.getMetadata().getUid(), now, 5, 1 << 20)));
    edge.publish(Topics.Up.STATS, codec.encode(both));
    await("foreign pod ignored").atMost(FakeEdge.TIMEOUT)
        .until(() -> h.metric("outpost_bridge_stats_pods_ignored_total") == ignored + 1);
    String text = get(metricsServer, "/metrics/resource", "edge-m2." + DOMAIN).body();
    List<PrometheusText.Sample> samples = PrometheusText.parse(text);
    assertThat(samples).filteredOn(s -> s.name().equals("container_cpu_usage_seconds_total"))
        .extracting(s -> s.labels().get("pod")).containsExactly("mine");
  }

  @Test
  void aCutOffNodesFiguresKeepTheirOwnTimesAndAreMarkedAsAScrapeErrorNeverZero() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-m4");
    Pod pod = h.createPod("default", "quiet", "edge-m4");
    // The node's clock may be skewed: its sample times are served as they are, staleness is the bridge's call.
    Instant sampled = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(600);
    edge.publish(Topics.Up.STATS, codec.encode(report("edge-m4", "quiet", sampled, pod.getMetadata().getUid(),
        7_500_000_000L, 2_500_000_000L)));
    ApiServerClient metricsServer = new ApiServerClient(h.bridge.kubeletPort(), pki,
        pki.client("metrics-server", "metrics-server"));
    // Until the report is in, the node answers without figures: wait for them, fresh (no scrape error).
    await("fresh stats of edge-m4").atMost(FakeEdge.TIMEOUT).ignoreExceptions().until(() -> scrape(metricsServer,
        "edge-m4"), m -> m.containsKey("node_cpu_usage_seconds_total{}")
        && m.get("resource_scrape_error{}").value() == 0.0);
    // No report for longer than the limit (5 s here): the node is cut off.
    Map<String, PrometheusText.Sample> byName = await("edge-m4 stale").atMost(FakeEdge.TIMEOUT)
        .until(() -> scrape(metricsServer, "edge-m4"), m -> m.get("resource_scrape_error{}").value() == 1.0);
    assertThat(byName.get("scrape_error{}").value()).isEqualTo(1.0);
    assertThat(byName.get("node_cpu_usage_seconds_total{}").value()).isEqualTo(7.5);
    assertThat(byName.get("node_cpu_usage_seconds_total{}").timestampMs()).isEqualTo(sampled.toEpochMilli());
    assertThat(byName.get("container_cpu_usage_seconds_total{container=main, namespace=default, pod=quiet}")
        .value()).isEqualTo(2.5);
    assertThat(byName.get("container_cpu_usage_seconds_total{container=main, namespace=default, pod=quiet}")
        .timestampMs()).isEqualTo(sampled.toEpochMilli());
    JsonNode summary = new ObjectMapper().readTree(get(metricsServer, "/stats/summary", "edge-m4." + DOMAIN).body());
    assertThat(Instant.parse(summary.at("/node/cpu/time").asText())).isEqualTo(sampled);
    assertThat(summary.at("/node/cpu/usageCoreNanoSeconds").asLong()).isEqualTo(7_500_000_000L);
    assertThat(summary.at("/node/cpu/usageNanoCores").isMissingNode()).as("no rate from one sample").isTrue();
    // Back: the next report is fresh again.
    Instant back = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    edge.publish(Topics.Up.STATS, codec.encode(report("edge-m4", "quiet", back, pod.getMetadata().getUid(),
        8_000_000_000L, 3_000_000_000L)));
    await("edge-m4 fresh").atMost(FakeEdge.TIMEOUT).until(() -> scrape(metricsServer, "edge-m4"),
        m -> m.get("resource_scrape_error{}").value() == 0.0
            && m.get("node_cpu_usage_seconds_total{}").timestampMs() == back.toEpochMilli());
  }

  private Map<String, PrometheusText.Sample> scrape(ApiServerClient as, String node) throws Exception {
    return PrometheusText.parse(get(as, "/metrics/resource", node + "." + DOMAIN).body()).stream()
        .collect(Collectors.toMap(s -> s.name() + s.labels(), s -> s));
  }

  @Test
  void scrapesWithKeepAliveShareOneConnectionAsMetricsServersDo() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-m5");
    Pod pod = h.createPod("default", "busy", "edge-m5");
    Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    edge.publish(Topics.Up.STATS, codec.encode(report("edge-m5", at, pod.getMetadata().getUid(), 3_000_000_000L,
        1_000_000_000L)));
    ApiServerClient metricsServer = new ApiServerClient(h.bridge.kubeletPort(), pki,
        pki.client("metrics-server", "metrics-server"));
    await("stats of edge-m5").atMost(FakeEdge.TIMEOUT).until(() -> get(metricsServer, "/metrics/resource",
        "edge-m5." + DOMAIN).status() == 200);
    try (SSLSocket socket = (SSLSocket) metricsServer.tls().getSocketFactory().createSocket("127.0.0.1",
        h.bridge.kubeletPort())) {
      socket.setSoTimeout(10_000);
      java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
      for (String path : List.of("/metrics/resource", "/stats/summary", "/metrics/resource")) {
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: edge-m5." + DOMAIN + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("connection: close");
        int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
        byte[] body = in.readNBytes(length);
        assertThat(new String(body, StandardCharsets.UTF_8)).contains(path.startsWith("/stats")
            ? "\"usageCoreNanoSeconds\":3000000000" : "node_cpu_usage_seconds_total 3 " + at.toEpochMilli());
      }
    }
  }

  private static String readHead(java.io.DataInputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int next = in.read();
      if (next < 0) {
        throw new java.io.EOFException("connection closed after: " + head);
      }
      head.append((char) next);
    }
    return head.toString();
  }

  static StatsReport report(String node, Instant at, String uid, long nodeCpu, long containerCpu) {
    return report(node, "busy", at, uid, nodeCpu, containerCpu);
  }

  static StatsReport report(String node, String podName, Instant at, String uid, long nodeCpu, long containerCpu) {
    return new StatsReport(1, node, at.toString(), new StatsReport.NodeUsage(at.toString(), "2026-12-01T00:00:00Z",
        nodeCpu, 512L << 20, 600L << 20, 1L << 30, 10L << 30, 100L << 30, 90L << 30, 1_000L, 2_000L),
        List.of(pod(podName, uid, at, containerCpu, 20L << 20)));
  }

  static StatsReport.PodUsage pod(String name, String uid, Instant at, long cpu, long workingSet) {
    return new StatsReport.PodUsage("default", name, uid, "2026-12-07T20:00:00Z", List.of(
        new StatsReport.ContainerUsage("main", "2026-12-07T20:00:01Z", at.toString(), cpu, workingSet,
            workingSet + 4096)));
  }

  record Response(int status, String headers, String body) {}

  /** One GET as metrics-server makes it: HTTPS with its client certificate, the node named by the Host header. */
  Response get(ApiServerClient as, String path, String host) throws Exception {
    int port = h.bridge.kubeletPort();
    try (SSLSocket socket = (SSLSocket) as.tls().getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: */*\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String response = all.toString(StandardCharsets.UTF_8);
      int split = response.indexOf("\r\n\r\n");
      String head = response.substring(0, split);
      return new Response(Integer.parseInt(head.split(" ")[1]), head, response.substring(split + 4));
    }
  }
}
