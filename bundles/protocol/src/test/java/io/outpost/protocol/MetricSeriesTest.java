package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Metric series names a node may send in its heartbeat, and what the bridge makes of them. */
class MetricSeriesTest {
  @Test
  void acceptsPrometheusNamesWithFewPlainLabelsOnly() {
    assertThat(MetricSeries.valid("outpost_edge_connected")).isTrue();
    assertThat(MetricSeries.valid("outpost_edge_pods{phase=\"Running\"}")).isTrue();
    assertThat(MetricSeries.valid("outpost_edge_x{a=\"1\",b=\"unix:/run/x.sock\"}")).isTrue();
    for (String bad : List.of("outpost_bridge_edge_nodes", "edge_connected", "outpost_edge_", "outpost_edge_X",
        "outpost_edge_x{node=\"other\"}", "outpost_edge_x{a=\"1\",node=\"other\"}", "outpost_edge_x 1\nfoo 2",
        "outpost_edge_x{a=\"q\\\"\"}", "outpost_edge_x{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\"}",
        "outpost_edge_x{a=\"1\"", "outpost_edge_x{}",
        // Prometheus refuses a whole scrape with a repeated label name or a "__" name.
        "outpost_edge_x{a=\"1\",a=\"2\"}", "outpost_edge_x{__name__=\"y\"}", "outpost_edge_x{_a=\"1\"}")) {
      assertThat(MetricSeries.valid(bad)).as(bad).isFalse();
    }
    assertThat(MetricSeries.valid(null)).isFalse();
  }

  @Test
  void buildsSeriesAndAddsTheNodeLabel() {
    String series = MetricSeries.of("outpost_edge_pods", "phase", "Running");
    assertThat(series).isEqualTo("outpost_edge_pods{phase=\"Running\"}");
    assertThat(MetricSeries.of("outpost_edge_x", "reason", "bad \"one\"\n")).isEqualTo(
        "outpost_edge_x{reason=\"bad__one__\"}");
    assertThat(MetricSeries.withNode(series, "edge-1")).isEqualTo(
        "outpost_edge_pods{node=\"edge-1\",phase=\"Running\"}");
    assertThat(MetricSeries.withNode("outpost_edge_connected", "edge-1")).isEqualTo(
        "outpost_edge_connected{node=\"edge-1\"}");
  }

  @Test
  void rendersOneTypeLinePerNameWhateverTheOrder() {
    java.util.Map<String, Double> series = new java.util.TreeMap<>(Map.of("outpost_edge_x", 1.0,
        "outpost_edge_x_total", 2.0, "outpost_edge_x{a=\"1\"}", 3.0, "outpost_edge_y", 0.5));
    // Sorted, "outpost_edge_x_total" falls between the two series of outpost_edge_x.
    assertThat(MetricSeries.render(series)).isEqualTo("""
        # TYPE outpost_edge_x gauge
        outpost_edge_x 1
        outpost_edge_x{a="1"} 3
        # TYPE outpost_edge_x_total counter
        outpost_edge_x_total 2
        # TYPE outpost_edge_y gauge
        outpost_edge_y 0.5
        """);
  }

  @Test
  void aHeartbeatWithABadSeriesIsInvalid() throws Exception {
    Codec codec = new Codec();
    NodeReport good = new NodeReport(1, "edge-1", "2026-12-02T10:00:00Z", true, "ok", null, null, null,
        Map.of("outpost_edge_connected", 1.0));
    assertThat(codec.decode(codec.encode(good), NodeReport.class)).isEqualTo(good);
    NodeReport spoofing = new NodeReport(1, "edge-1", "2026-12-02T10:00:00Z", true, "ok", null, null, null,
        Map.of("outpost_edge_connected{node=\"edge-2\"}", 1.0));
    assertThatThrownBy(() -> codec.decode(codec.encode(spoofing), NodeReport.class))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("invalid metric series");
  }
}
