package io.outpost.bridge.metricsapi;

import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.ContainerMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.NodeMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.outpost.bridge.metricsapi.ResourceDecoder.Batch;
import io.outpost.bridge.metricsapi.ResourceDecoder.PodRef;
import io.outpost.bridge.metricsapi.ResourceDecoder.Point;
import io.outpost.testing.ApiServerClient;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLSocket;

/**
 * A small metrics-server for tests: one {@link #scrape()} is one scrape cycle of metrics-server 0.6/0.7
 * ({@code pkg/scraper/scraper.go}), one {@link #publish()} what its aggregated API would answer at that moment
 * ({@code pkg/api/node.go}, {@code pod.go}), written into the (mock) API server so that Kubernetes clients read it
 * at the {@code metrics.k8s.io/v1beta1} paths they always use ({@code kubectl top}, an HPA's metrics client).
 *
 * <p>A cycle, as metrics-server's: list the Nodes; for each, connect to its preferred address
 * ({@code --kubelet-preferred-address-types=ExternalDNS,...}, the set-up docs/operations.md prescribes: the name
 * {@code <node>.<domain>}, resolved here to the loopback where the bridge listens) on the port the Node publishes
 * ({@code --kubelet-use-node-status-port}), {@code GET /metrics/resource} with metrics-server's client certificate;
 * an answer other than 200 fails that node's scrape (it is left out of the batch, so its points are forgotten);
 * decode it ({@link ResourceDecoder}); drop pods the pod cache does not show on that node; then store the whole
 * batch ({@link MetricsStorage}). The API serves NodeMetrics for nodes with usage and PodMetrics for Running pods with
 * usage (with the pod's labels, which a selector matches), CPU as nanocores and memory in bytes.
 *
 * <p>Sources read for this model (kubernetes-sigs/metrics-server, 0.7 line): {@code pkg/scraper/scraper.go}
 * ({@code Scrape}, {@code collectNode}), {@code pkg/scraper/client/resource/decode.go} ({@code decodeBatch}),
 * {@code pkg/storage/node.go}, {@code pod.go} and {@code types.go} ({@code Store}, {@code GetMetrics},
 * {@code resourceUsage}), {@code pkg/api/pod.go} ({@code getPodMetrics}: Running pods only); for the consumer,
 * kubernetes/kubernetes {@code pkg/controller/podautoscaler/replica_calculator.go} ({@link ReplicaCalculator}).
 *
 * <p>Not modelled: the random stagger before each node's scrape, scrape timeouts, the {@code /stats/summary} client
 * of metrics-server before 0.6, swap in the API, {@code kubectl top}'s table formatting.
 */
public final class MetricsServer {
  private final KubernetesClient client;
  private final ApiServerClient identity;
  private final MetricsStorage storage;
  private final Clock clock;

  /**
   * @param client the API server: Nodes and Pods are read from it, the Metrics API objects written to it
   * @param identity metrics-server's client certificate towards kubelets
   * @param metricResolution {@code --metric-resolution}
   */
  public MetricsServer(KubernetesClient client, ApiServerClient identity, Duration metricResolution, Clock clock) {
    this.client = client;
    this.identity = identity;
    this.storage = new MetricsStorage(metricResolution);
    this.clock = clock;
  }

  /** One scrape cycle over every Node; returns the nodes whose scrape failed (answer other than 200). */
  public Set<String> scrape() throws Exception {
    Map<String, Point> nodes = new HashMap<>();
    Map<PodRef, Map<String, Point>> pods = new HashMap<>();
    Set<String> failed = new HashSet<>();
    for (Node node : client.nodes().list().getItems()) {
      String name = node.getMetadata().getName();
      Response answer = get(node, "/metrics/resource");
      if (answer == null || answer.status() != 200) {
        failed.add(name);
        continue;
      }
      Batch batch = ResourceDecoder.decode(answer.body(), clock.instant(), name);
      nodes.putAll(batch.nodes());
      batch.pods().forEach((ref, containers) -> {
        Pod pod = client.pods().inNamespace(ref.namespace()).withName(ref.name()).get();
        if (pod != null && pod.getSpec() != null && name.equals(pod.getSpec().getNodeName())) {
          pods.putIfAbsent(ref, containers); // "Dropping pod metric from unauthorized node" otherwise
        }
      });
    }
    storage.store(new Batch(nodes, pods));
    return failed;
  }

  /** The raw answer of a node's kubelet endpoint as this metrics-server reaches it (null: the Node names none). */
  public Response get(Node node, String path) throws Exception {
    String host = preferredAddress(node);
    if (host == null || node.getStatus().getDaemonEndpoints() == null) {
      return null;
    }
    int port = node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort();
    try (SSLSocket socket = (SSLSocket) identity.tls().getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nAccept: */*\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(all);
      String response = all.toString(StandardCharsets.UTF_8);
      int split = response.indexOf("\r\n\r\n");
      String head = response.substring(0, split);
      return new Response(Integer.parseInt(head.split(" ")[1]), response.substring(split + 4));
    }
  }

  /** One HTTP answer. */
  public record Response(int status, String body) {}

  /** The first address of the preferred types, in their order (only the name types lead to the bridge's edge view). */
  private static String preferredAddress(Node node) {
    if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
      return null;
    }
    for (String type : List.of("ExternalDNS", "InternalIP", "Hostname", "ExternalIP")) {
      for (NodeAddress address : node.getStatus().getAddresses()) {
        if (type.equals(address.getType())) {
          return address.getAddress();
        }
      }
    }
    return null;
  }

  /** {@code storage.Ready()}: what metrics-server's readiness probe reports. */
  public boolean ready() {
    return storage.ready();
  }

  /**
   * Writes what the Metrics API serves now into the API server (and removes what it no longer serves): one
   * NodeMetrics per node with usage, one PodMetrics per Running pod with usage.
   */
  public void publish() {
    Set<String> nodes = new HashSet<>();
    for (Node node : client.nodes().list().getItems()) {
      String name = node.getMetadata().getName();
      MetricsStorage.Usage usage = storage.node(name);
      if (usage == null) {
        continue;
      }
      nodes.add(name);
      NodeMetrics metrics = new NodeMetrics();
      metrics.setMetadata(new ObjectMetaBuilder().withName(name).withLabels(node.getMetadata().getLabels()).build());
      metrics.setTimestamp(usage.timestamp().toString());
      metrics.setWindow(new io.fabric8.kubernetes.api.model.Duration(usage.window()));
      metrics.setUsage(usage(usage));
      client.resources(NodeMetrics.class).resource(metrics).createOr(NonDeletingOperation::update);
    }
    client.resources(NodeMetrics.class).list().getItems().stream()
        .filter(m -> !nodes.contains(m.getMetadata().getName()))
        .forEach(m -> client.resources(NodeMetrics.class).withName(m.getMetadata().getName()).delete());

    Set<PodRef> pods = new HashSet<>();
    for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
      PodRef ref = new PodRef(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
      MetricsStorage.PodUsage usage = storage.pod(ref);
      if (usage == null || pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
        continue;
      }
      pods.add(ref);
      PodMetrics metrics = new PodMetrics();
      metrics.setMetadata(new ObjectMetaBuilder().withName(ref.name()).withNamespace(ref.namespace())
          .withLabels(pod.getMetadata().getLabels()).build());
      metrics.setTimestamp(usage.timestamp() == null ? null : usage.timestamp().toString());
      metrics.setWindow(usage.window() == null ? null
          : new io.fabric8.kubernetes.api.model.Duration(usage.window()));
      List<ContainerMetrics> containers = new ArrayList<>();
      usage.containers().forEach((name, container) -> containers.add(new ContainerMetrics(name, usage(container))));
      containers.sort(java.util.Comparator.comparing(ContainerMetrics::getName));
      metrics.setContainers(containers);
      client.resources(PodMetrics.class).inNamespace(ref.namespace()).resource(metrics)
          .createOr(NonDeletingOperation::update);
    }
    client.resources(PodMetrics.class).inAnyNamespace().list().getItems().stream()
        .filter(m -> !pods.contains(new PodRef(m.getMetadata().getNamespace(), m.getMetadata().getName())))
        .forEach(m -> client.resources(PodMetrics.class).inNamespace(m.getMetadata().getNamespace())
            .withName(m.getMetadata().getName()).delete());
  }

  /** CPU as nanocores ({@code resource.DecimalSI}, scale -9), memory in bytes ({@code BinarySI}). */
  private static Map<String, Quantity> usage(MetricsStorage.Usage usage) {
    return Map.of("cpu", new Quantity(Long.toString(usage.cpuNanoCores()), "n"),
        "memory", new Quantity(Long.toString(usage.memoryBytes())));
  }

}
