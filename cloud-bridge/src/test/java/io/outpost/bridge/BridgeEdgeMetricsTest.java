package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.protocol.NodeReport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every node's health, as its heartbeats summarise it, on the bridge's own /metrics — without scraping the sites. */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(BridgeHarnessExtension.class)
class BridgeEdgeMetricsTest {
  static KubernetesClient client;

  /** Started before each test and closed after it ({@link BridgeHarnessExtension}). */
  private BridgeHarness h;

  private String scrape() throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + h.bridge.httpPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static NodeReport withMetrics(String node, Map<String, Double> metrics) {
    NodeReport base = FakeEdge.nodeReport(node);
    return new NodeReport(base.v(), base.node(), base.sentAt(), base.ready(), base.message(), base.capacity(),
        base.addresses(), base.info(), metrics);
  }

  @Test
  void eachNodesSummaryIsShownWithItsNodeLabelAndABadOneIsRejected() throws Exception {
    FakeEdge a = h.registeredEdge("edge-m-a");
    FakeEdge b = h.registeredEdge("edge-m-b");
    a.heartbeat(withMetrics("edge-m-a", Map.of("outpost_edge_connected", 1.0,
        "outpost_edge_pods{phase=\"Running\"}", 4.0, "outpost_edge_outbox_depth{kind=\"status\"}", 0.0)));
    b.heartbeat(withMetrics("edge-m-b", Map.of("outpost_edge_connected", 1.0,
        "outpost_edge_pods{phase=\"Running\"}", 2.0, "outpost_edge_store_bytes", 1048576.0)));
    await("both summaries on /metrics").atMost(FakeEdge.TIMEOUT).untilAsserted(() -> assertThat(scrape()).contains(
        "outpost_edge_pods{node=\"edge-m-a\",phase=\"Running\"} 4\n",
        "outpost_edge_pods{node=\"edge-m-b\",phase=\"Running\"} 2\n",
        "outpost_edge_connected{node=\"edge-m-a\"} 1\n", "outpost_edge_store_bytes{node=\"edge-m-b\"} 1048576\n",
        "outpost_edge_heartbeat_timestamp_seconds{node=\"edge-m-a\"} "));
    assertThat(scrape().lines().filter(line -> line.equals("# TYPE outpost_edge_pods gauge"))).hasSize(1);

    // A node cannot speak for another: a series with its own node label is rejected, nothing of it is shown.
    long invalid = h.rejected("invalid");
    a.heartbeat(withMetrics("edge-m-a", Map.of("outpost_edge_connected{node=\"edge-m-b\"}", 0.0)));
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("invalid") == invalid + 1);
    assertThat(h.bridge.metrics().edgeValue("edge-m-b", "outpost_edge_connected")).isEqualTo(1.0);

    // The newest heartbeat replaces the summary.
    a.heartbeat(withMetrics("edge-m-a", Map.of("outpost_edge_connected", 1.0,
        "outpost_edge_pods{phase=\"Running\"}", 5.0)));
    await().atMost(FakeEdge.TIMEOUT).until(() -> Double.valueOf(5.0).equals(h.bridge.metrics().edgeValue("edge-m-a",
        "outpost_edge_pods{phase=\"Running\"}")));
    assertThat(scrape()).doesNotContain("outpost_edge_outbox_depth{node=\"edge-m-a\"");

    // A decommissioned node (its Node deleted) leaves /metrics instead of looking silent forever.
    h.client.nodes().withName("edge-m-b").delete();
    await("the deleted node's series gone").atMost(FakeEdge.TIMEOUT).untilAsserted(() ->
        assertThat(scrape()).doesNotContain("node=\"edge-m-b\"").contains("node=\"edge-m-a\""));
  }
}
