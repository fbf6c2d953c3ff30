package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.testing.ApiServerClient;
import io.outpost.testing.Podman;
import io.outpost.testing.PrometheusText;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * metrics-server's scrape path for an edge node, end to end: the built distribution samples a busy container on real
 * Podman and sends its usage over the real Mosquitto; this test plays metrics-server (its own client certificate,
 * the node named by the host {@code <node>.<domain>} the Node publishes) against the bridge's kubelet API and reads
 * {@code /metrics/resource} as metrics-server's decoder does, and {@code /stats/summary}: the CPU counter grows at
 * about one core for a container that spins, and the figures are those {@code podman stats} shows.
 */
class EdgeMetricsIT extends StackTest {

  @Test
  void aBusyEdgeContainerIsScrapedAsMetricsServerScrapesAKubeletWithTheEnginesFigures() throws Exception {
    await("the Node names itself for metrics-server").atMost(PATIENCE).untilAsserted(() ->
        assertThat(stack.client.nodes().withName(stack.node).get().getStatus().getAddresses())
            .anySatisfy(a -> assertThat(a.getType() + "=" + a.getAddress())
                .isEqualTo("ExternalDNS=" + stack.node + "." + OutpostStack.KUBELET_NODE_DOMAIN)));
    stack.createPod("spinner", Podman.TEST_IMAGE, List.of("sh", "-c", "while :; do :; done"), List.of());
    stack.awaitRunning("spinner");
    ApiServerClient metricsServer = new ApiServerClient(stack.bridge.kubeletPort(), stack.kubeletPki,
        stack.kubeletPki.client("metrics-server", "metrics-server"));
    String series = "container_cpu_usage_seconds_total{container=app, namespace=default, pod=spinner}";

    // Two samples of the node (one interval, 15 s, apart): the counter and its timestamp advance.
    // Until the node's first report arrives the bridge answers 503 (no figures yet), as it should.
    Map<String, PrometheusText.Sample> first = await("a sample of the spinner").atMost(PATIENCE)
        .pollInterval(Duration.ofSeconds(1)).ignoreExceptionsMatching(e -> e.getMessage() != null
            && e.getMessage().contains(" 503 ")).until(() -> scrape(metricsServer), m -> m.containsKey(series));
    Map<String, PrometheusText.Sample> second = await("the next sample").atMost(PATIENCE)
        .pollInterval(Duration.ofSeconds(1)).until(() -> scrape(metricsServer),
            m -> m.get(series).timestampMs() > first.get(series).timestampMs());
    double seconds = (second.get(series).timestampMs() - first.get(series).timestampMs()) / 1000.0;
    double cores = (second.get(series).value() - first.get(series).value()) / seconds;
    assertThat(cores).as("a spinning shell uses about one core (%s s apart)", seconds).isBetween(0.3, 1.1);
    assertThat(second.get("resource_scrape_error{}").value()).isZero();
    assertThat(second.get("node_cpu_usage_seconds_total{}").value())
        .isGreaterThan(first.get("node_cpu_usage_seconds_total{}").value());
    assertThat(second.get("node_memory_working_set_bytes{}").value()).isPositive();

    // The figures are the engine's: CPU no more than podman stats says now (the sample is older), memory as it shows.
    String id = OutpostStack.containersOf(stack.pod("spinner")).get(0);
    JsonNode podman = new ObjectMapper().readTree(Podman.cli("stats", "--no-stream", "--format", "json", id)).get(0);
    double podmanCpu = goDuration(podman.get("cpu_time").asText());
    assertThat(second.get(series).value()).isBetween(podmanCpu - 30 * 1.1, podmanCpu + 0.01);
    double memory = second.get("container_memory_working_set_bytes{container=app, namespace=default, pod=spinner}")
        .value();
    assertThat(memory).isPositive().isLessThanOrEqualTo(siBytes(podman.get("mem_usage").asText().split("/")[0])
        * 1.2 + 65536);

    JsonNode summary = new ObjectMapper().readTree(get(metricsServer, "/stats/summary"));
    JsonNode pod = null;
    for (JsonNode candidate : summary.get("pods")) {
      if ("spinner".equals(candidate.at("/podRef/name").asText())) {
        pod = candidate;
      }
    }
    assertThat(pod).isNotNull();
    assertThat(pod.at("/podRef/uid").asText()).isEqualTo(stack.pod("spinner").getMetadata().getUid());
    assertThat(pod.at("/containers/0/cpu/usageNanoCores").asLong()).isBetween(300_000_000L, 1_100_000_000L);
    assertThat(summary.at("/node/nodeName").asText()).isEqualTo(stack.node);
  }

  private Map<String, PrometheusText.Sample> scrape(ApiServerClient as) throws Exception {
    return PrometheusText.parse(get(as, "/metrics/resource")).stream()
        .collect(Collectors.toMap(s -> s.name() + s.labels(), s -> s, (a, b) -> b));
  }

  /** One GET as metrics-server makes it; the body of a 200 answer. */
  private String get(ApiServerClient as, String path) throws Exception {
    try (SSLSocket socket = (SSLSocket) as.tls().getSocketFactory().createSocket("127.0.0.1",
        stack.bridge.kubeletPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + stack.node + "." + OutpostStack.KUBELET_NODE_DOMAIN + ":"
          + stack.bridge.kubeletPort() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String response = all.toString(StandardCharsets.UTF_8);
      int split = response.indexOf("\r\n\r\n");
      if (!response.startsWith("HTTP/1.1 200")) {
        throw new IllegalStateException(path + ": " + response);
      }
      return response.substring(split + 4);
    }
  }

  /** A Go duration as podman prints it ({@code 1m2.5s}, {@code 850ms}), in seconds. */
  static double goDuration(String text) {
    java.util.regex.Matcher part = java.util.regex.Pattern.compile("([\\d.]+)(h|ms|µs|us|ns|m|s)").matcher(text);
    double seconds = 0;
    while (part.find()) {
      double value = Double.parseDouble(part.group(1));
      seconds += switch (part.group(2)) {
        case "h" -> value * 3600;
        case "m" -> value * 60;
        case "s" -> value;
        case "ms" -> value / 1e3;
        case "µs", "us" -> value / 1e6;
        default -> value / 1e9;
      };
    }
    return seconds;
  }

  /** {@code 1.085MB} (SI units, as podman prints memory) in bytes. */
  static double siBytes(String text) {
    java.util.regex.Matcher size = java.util.regex.Pattern.compile("([\\d.]+)\\s*([kMG]?B)").matcher(text.trim());
    if (!size.matches()) {
      throw new IllegalArgumentException("not a size: " + text);
    }
    double factor = switch (size.group(2)) {
      case "kB" -> 1e3;
      case "MB" -> 1e6;
      case "GB" -> 1e9;
      default -> 1;
    };
    return Double.parseDouble(size.group(1)) * factor;
  }
}
