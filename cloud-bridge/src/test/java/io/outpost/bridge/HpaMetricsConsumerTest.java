package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.NodeMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.metricsapi.MetricsServer;
import io.outpost.bridge.metricsapi.ReplicaCalculator;
import io.outpost.protocol.Codec;
import io.outpost.protocol.StatsReport;
import io.outpost.protocol.Topics;
import io.outpost.testing.ApiServerClient;
import io.outpost.testing.KubeletPki;
import io.outpost.testing.PrometheusText;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edge usage consumed as Kubernetes consumes it: a model of metrics-server 0.6/0.7 ({@link MetricsServer}: its
 * scraper, decoder and storage) scrapes the bridge's kubelet API, its Metrics API objects are read back with
 * fabric8's {@code client.top()} (the {@code metrics.k8s.io/v1beta1} reads of {@code kubectl top}), and the HPA's
 * replica calculation ({@link ReplicaCalculator}) decides on them. A busy pod (a spinning container on the real
 * Podman, sampled with {@code podman stats}) scales its workload up; a node that is cut off gets no fresh points
 * (its figures keep their old times; a metrics-server that starts meanwhile has none at all), never zeros, so its
 * pods' HPA does not scale down.
 *
 * <p>The mock API server has no API aggregation: what metrics-server's API would answer is written into it at the
 * {@code metrics.k8s.io} paths ({@link MetricsServer#publish()}), and clients read it there as they would.
 */
@EnableKubernetesMockClient(crud = true)
class HpaMetricsConsumerTest {
  static KubernetesClient client;
  private static final String DOMAIN = "kubelet.outpost.test";
  private static final Duration RESOLUTION = Duration.ofSeconds(15);

  @TempDir Path dir;
  private final Codec codec = new Codec();
  private KubeletPki pki;
  private BridgeHarness h;
  private MetricsServer metricsServer;
  private ApiServerClient metricsServerIdentity;

  @BeforeEach
  void start(TestInfo test) throws Exception {
    pki = new KubeletPki(dir.resolve("pki"));
    Map<String, String> settings = new HashMap<>(pki.bridgeEnvironment());
    settings.put("OUTPOST_KUBELET_NODE_DOMAIN", DOMAIN);
    settings.put("OUTPOST_KUBELET_METRICS_USERS", "metrics-server");
    // The cut-off test waits for a node's figures to go stale (the least limit allowed).
    settings.put("OUTPOST_KUBELET_STATS_STALE_SECONDS", test.getDisplayName().contains("CutOff") ? "5" : "60");
    h = BridgeHarness.start(dir, client, settings);
    metricsServerIdentity = new ApiServerClient(h.bridge.kubeletPort(), pki,
        pki.client("metrics-server", "metrics-server"));
    metricsServer = new MetricsServer(client, metricsServerIdentity, RESOLUTION, Clock.systemUTC());
  }

  @AfterEach
  void stop() throws Exception {
    client.resources(PodMetrics.class).inAnyNamespace().delete();
    client.resources(NodeMetrics.class).delete();
    h.close();
  }

  @Test
  void aBusyEdgePodReadThroughMetricsServerScalesItsWorkloadUp() throws Exception {
    FakeEdge edge = edgeNode("edge-h1");
    Pod busy = runningPod("web-busy", "edge-h1", "web", "200m");
    Pod idle = runningPod("web-idle", "edge-h1", "web", "200m");
    try (EngineFigures engine = new EngineFigures()) {
      String spinner = engine.start("sh", "-c", "while :; do :; done");
      String sleeper = engine.start("sleep", "3600");
      Instant spinnerStart = EngineFigures.startedAt(spinner);
      Instant sleeperStart = EngineFigures.startedAt(sleeper);

      EngineFigures.Sample busy1 = EngineFigures.sample(spinner);
      EngineFigures.Sample idle1 = EngineFigures.sample(sleeper);
      StatsReport.NodeUsage node1 = EngineFigures.host(Instant.now().truncatedTo(ChronoUnit.MILLIS));
      send(edge, new StatsReport(1, "edge-h1", node1.time(), node1, List.of(
          pod(busy, spinnerStart, busy1), pod(idle, sleeperStart, idle1))));
      awaitServed("edge-h1", Instant.parse(node1.time()));
      assertThat(metricsServer.scrape()).isEmpty();
      metricsServer.publish();
      assertThat(client.top().pods().inNamespace("default").metrics().getItems())
          .as("one point each: no usage yet").isEmpty();
      assertThat(metricsServer.ready()).isFalse();

      // The spinner spins for a while: its CPU time grows by seconds (polled, not slept).
      EngineFigures.Sample busy2 = await("the spinner's CPU time grows").atMost(FakeEdge.TIMEOUT)
          .pollInterval(Duration.ofMillis(500)).until(() -> EngineFigures.sample(spinner),
              s -> s.cpuNanos() > busy1.cpuNanos() + 2_500_000_000L);
      EngineFigures.Sample idle2 = EngineFigures.sample(sleeper);
      StatsReport.NodeUsage node2 = EngineFigures.host(Instant.now().truncatedTo(ChronoUnit.MILLIS));
      send(edge, new StatsReport(1, "edge-h1", node2.time(), node2, List.of(
          pod(busy, spinnerStart, busy2), pod(idle, sleeperStart, idle2))));
      awaitServed("edge-h1", Instant.parse(node2.time()));
      assertThat(metricsServer.scrape()).isEmpty();
      metricsServer.publish();
      assertThat(metricsServer.ready()).isTrue();

      // kubectl top nodes: the rate between the node's two cumulative counters, the newest working set.
      NodeMetrics nodeMetrics = client.top().nodes().metrics("edge-h1");
      Duration window = Duration.between(Instant.parse(node1.time()), Instant.parse(node2.time()));
      double seconds = window.toNanos() / 1e9;
      assertThat(nanoCores(nodeMetrics.getUsage().get("cpu")))
          .isCloseTo((long) ((node2.cpuCoreNanos() - node1.cpuCoreNanos()) / seconds), within(2L));
      assertThat(nodeMetrics.getUsage().get("memory").getNumericalAmount().longValueExact())
          .isEqualTo(node2.memoryWorkingSetBytes());
      assertThat(Instant.parse(nodeMetrics.getTimestamp())).isEqualTo(Instant.parse(node2.time()));
      assertThat(nodeMetrics.getWindow().getDuration()).isEqualTo(window);

      // kubectl top pods: the spinner at about one core (as podman stats shows it), the sleeper at next to nothing.
      Map<String, PodMetrics> pods = client.top().pods().inNamespace("default").metrics().getItems().stream()
          .collect(Collectors.toMap(m -> m.getMetadata().getName(), m -> m));
      assertThat(pods).containsOnlyKeys("web-busy", "web-idle");
      PodMetrics spinning = pods.get("web-busy");
      assertThat(spinning.getContainers()).singleElement().satisfies(c -> {
        assertThat(c.getName()).isEqualTo("app");
        assertThat(nanoCores(c.getUsage().get("cpu"))).as("a spinning shell, in nanocores")
            .isBetween(300_000_000L, 1_100_000_000L);
        assertThat(c.getUsage().get("memory").getNumericalAmount().longValueExact()).isEqualTo(busy2.memoryBytes());
      });
      assertThat(Instant.parse(spinning.getTimestamp())).isEqualTo(busy2.time());
      assertThat(nanoCores(pods.get("web-idle").getContainers().get(0).getUsage().get("cpu")))
          .as("a sleeping container").isLessThan(50_000_000L);

      // The HPA: 2 replicas at 50 % of 200m each; the spinner alone uses far more than the whole target.
      ReplicaCalculator.Decision decision = new ReplicaCalculator(client, Clock.systemUTC())
          .cpuReplicas(2, 50, "default", Map.of("app", "web"));
      assertThat(decision.missingPods()).isEmpty();
      assertThat(decision.utilization()).as("percent of requests").isBetween(75, 300);
      assertThat(decision.replicas()).as("desired = ceil(2 x utilization / target)")
          .isEqualTo((int) Math.ceil(2 * decision.utilization() / 50.0)).isGreaterThan(2);
    }
  }

  @Test
  void aCutOffNodesPodsGetNoFreshMetricsAndTheirAutoscalerDoesNotScaleDown() throws Exception {
    FakeEdge north = edgeNode("edge-n");
    FakeEdge south = edgeNode("edge-s");
    Pod quiet = runningPod("api-n", "edge-n", "api", "500m");
    Pod busy = runningPod("api-s", "edge-s", "api", "500m");
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(45);
    // Two reports of each node 15 s apart (metrics-server's default resolution): api-n uses 20m, api-s 900m.
    for (int i = 0; i < 2; i++) {
      Instant at = t0.plusSeconds(15L * i);
      send(north, report("edge-n", quiet, at, 100_000_000_000L + i * 15_000_000_000L, 5_000_000_000L
          + i * 300_000_000L));
      send(south, report("edge-s", busy, at, 200_000_000_000L + i * 15_000_000_000L, 60_000_000_000L
          + i * 13_500_000_000L));
      awaitServed("edge-n", at);
      awaitServed("edge-s", at);
      assertThat(metricsServer.scrape()).isEmpty();
    }
    metricsServer.publish();
    Instant t1 = t0.plusSeconds(15);
    assertThat(cpu("api-s")).isEqualTo(900_000_000L);
    assertThat(cpu("api-n")).isEqualTo(20_000_000L);
    ReplicaCalculator hpa = new ReplicaCalculator(client, Clock.systemUTC());
    Map<String, String> api = Map.of("app", "api");
    assertThat(hpa.cpuReplicas(2, 80, "default", api).replicas()).as("92 %% of requests against 80 %%: up")
        .isEqualTo(3);

    // edge-s is cut off (it reports no more); edge-n goes on. The bridge marks edge-s stale, keeping its old figures.
    Instant t2 = t1.plusSeconds(15);
    send(north, report("edge-n", quiet, t2, 130_000_000_000L, 5_600_000_000L));
    awaitServed("edge-n", t2);
    Node southNode = client.nodes().withName("edge-s").get();
    Map<String, PrometheusText.Sample> stale = await("edge-s stale").atMost(FakeEdge.TIMEOUT)
        .until(() -> samples(southNode), m -> m.get("resource_scrape_error{}").value() == 1.0);
    assertThat(stale.get("scrape_error{}").value()).isEqualTo(1.0);
    assertThat(stale.get("container_cpu_usage_seconds_total{container=app, namespace=default, pod=api-s}"))
        .satisfies(s -> assertThat(s.timestampMs()).isEqualTo(t1.toEpochMilli()))
        .satisfies(s -> assertThat(s.value()).isEqualTo(73.5));

    // metrics-server keeps no point twice: edge-s's usage stays the last real rate, with its old time, not zero.
    assertThat(metricsServer.scrape()).isEmpty();
    metricsServer.publish();
    PodMetrics southPod = client.top().pods().metrics("default", "api-s");
    assertThat(Instant.parse(southPod.getTimestamp())).as("no fresh point for api-s").isEqualTo(t1);
    assertThat(cpu("api-s")).isEqualTo(900_000_000L);
    assertThat(Instant.parse(client.top().nodes().metrics("edge-s").getTimestamp())).isEqualTo(t1);
    assertThat(Instant.parse(client.top().pods().metrics("default", "api-n").getTimestamp())).isEqualTo(t2);
    assertThat(cpu("api-n")).isEqualTo(20_000_000L);
    assertThat(hpa.cpuReplicas(2, 80, "default", api).replicas()).as("not down").isGreaterThanOrEqualTo(2);

    // A metrics-server that starts while edge-s is cut off: edge-s's points never advance, so it has no usage for
    // api-s at all (missing, not zero); the HPA then counts api-s at its full request and does not scale down.
    MetricsServer restarted = new MetricsServer(client, metricsServerIdentity, RESOLUTION, Clock.systemUTC());
    assertThat(restarted.scrape()).isEmpty();
    Instant t3 = t2.plusSeconds(15);
    send(north, report("edge-n", quiet, t3, 145_000_000_000L, 5_900_000_000L));
    awaitServed("edge-n", t3);
    assertThat(restarted.scrape()).isEmpty();
    restarted.publish();
    assertThat(client.top().pods().inNamespace("default").metrics().getItems())
        .extracting(m -> m.getMetadata().getName()).containsExactly("api-n");
    assertThat(client.top().nodes().metrics().getItems()).extracting(m -> m.getMetadata().getName())
        .containsExactly("edge-n");
    ReplicaCalculator.Decision decision = hpa.cpuReplicas(2, 80, "default", api);
    assertThat(decision.missingPods()).containsExactly("api-s");
    assertThat(decision.replicas()).as("api-n at 4 %%, api-s missing: kept").isEqualTo(2);
    // What reading api-s as zero would have done: scale down to one.
    assertThat(hpa.cpuReplicasReadingZeroFor(2, 80, "default", api, "api-s").replicas()).isEqualTo(1);

    // No metrics at all for a selector: the HPA's calculation fails (the controller keeps the count).
    client.resources(PodMetrics.class).inAnyNamespace().delete();
    assertThatThrownBy(() -> hpa.cpuReplicas(2, 80, "default", api)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no metrics returned");
  }

  /** A registered edge node, once its Node names it for metrics-server and publishes its kubelet port. */
  private FakeEdge edgeNode(String name) throws Exception {
    FakeEdge edge = h.registeredEdge(name);
    await("the Node of " + name + " names itself").atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName(name)
        .get(), n -> n.getStatus() != null && n.getStatus().getDaemonEndpoints() != null
            && n.getStatus().getAddresses() != null && n.getStatus().getAddresses().stream()
                .anyMatch(a -> "ExternalDNS".equals(a.getType())));
    return edge;
  }

  /** A pod of {@code app}, bound to {@code node}, requesting {@code cpu}, Running and Ready for ten minutes. */
  private Pod runningPod(String name, String node, String app, String cpu) {
    Pod pod = h.createPod("default", name, node, b -> b.editMetadata().addToLabels("app", app).endMetadata()
        .editSpec().editFirstContainer().withNewResources().addToRequests("cpu", new Quantity(cpu)).endResources()
        .endContainer().endSpec());
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(10));
    return client.pods().inNamespace("default").resource(new PodBuilder(pod).withNewStatus().withPhase("Running")
        .withStartTime(started.toString()).addNewCondition().withType("Ready").withStatus("True")
        .withLastTransitionTime(started.plusSeconds(5).toString()).endCondition().endStatus().build())
        .updateStatus();
  }

  private StatsReport.PodUsage pod(Pod pod, Instant started, EngineFigures.Sample sample) {
    return new StatsReport.PodUsage("default", pod.getMetadata().getName(), pod.getMetadata().getUid(),
        started.toString(), List.of(new StatsReport.ContainerUsage("app", started.toString(), sample.time()
            .toString(), sample.cpuNanos(), sample.memoryBytes(), sample.memoryBytes())));
  }

  private static StatsReport report(String node, Pod pod, Instant at, long nodeCpu, long containerCpu) {
    return new StatsReport(1, node, at.toString(), new StatsReport.NodeUsage(at.toString(), "2026-12-01T00:00:00Z",
        nodeCpu, 512L << 20), List.of(new StatsReport.PodUsage("default", pod.getMetadata().getName(),
            pod.getMetadata().getUid(), "2026-12-07T20:00:00Z", List.of(new StatsReport.ContainerUsage("app",
                "2026-12-07T20:00:01Z", at.toString(), containerCpu, 30L << 20, 32L << 20)))));
  }

  private void send(FakeEdge edge, StatsReport report) throws Exception {
    edge.publish(Topics.Up.STATS, codec.encode(report));
  }

  /** Waits until the bridge serves the node's report of {@code at} with every pod (its informer knows them). */
  private void awaitServed(String node, Instant at) {
    Node found = client.nodes().withName(node).get();
    await("the report of " + at + " from " + node + " served").atMost(FakeEdge.TIMEOUT).ignoreExceptions()
        .until(() -> samples(found), m -> m.get("node_cpu_usage_seconds_total{}").timestampMs() == at.toEpochMilli()
            && m.keySet().stream().anyMatch(k -> k.startsWith("container_cpu_usage_seconds_total")));
  }

  private Map<String, PrometheusText.Sample> samples(Node node) throws Exception {
    MetricsServer.Response answer = metricsServer.get(node, "/metrics/resource");
    assertThat(answer.status()).isEqualTo(200);
    return PrometheusText.parse(answer.body()).stream().collect(Collectors.toMap(s -> s.name() + s.labels(),
        s -> s));
  }

  private long cpu(String pod) {
    return nanoCores(client.top().pods().metrics("default", pod).getContainers().get(0).getUsage().get("cpu"));
  }

  private static long nanoCores(Quantity cpu) {
    return cpu.getNumericalAmount().multiply(BigDecimal.valueOf(1_000_000_000L)).longValueExact();
  }
}
