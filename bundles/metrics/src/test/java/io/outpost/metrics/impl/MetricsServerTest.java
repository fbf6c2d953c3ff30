package io.outpost.metrics.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.metrics.MetricSource;
import io.outpost.metrics.MetricSources;
import io.outpost.protocol.MetricSeries;
import java.lang.annotation.Annotation;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The endpoint over real HTTP, with a good, a failing and a misbehaving source. */
class MetricsServerTest {
  private MetricsServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.deactivate();
    }
  }

  private static MetricsConfig config(int port) {
    return new MetricsConfig() {
      @Override
      public Class<? extends Annotation> annotationType() {
        return MetricsConfig.class;
      }

      @Override
      public int metrics_port() {
        return port;
      }

      @Override
      public String metrics_bind() {
        return "127.0.0.1";
      }
    };
  }

  private static int freePort() throws Exception {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void servesEveryValidSeriesOfEverySourceAndLeavesOutTheRest() throws Exception {
    server = new MetricsServer(config(freePort()));
    Map<String, Double> good = new LinkedHashMap<>();
    good.put(MetricSeries.of("outpost_edge_pods", "phase", "Running"), 3.0);
    good.put(MetricSeries.of("outpost_edge_pods", "phase", "Pending"), 1.0);
    good.put("outpost_edge_events_dropped_total", 7.0);
    good.put("outpost_edge_test_seconds", 12.5);
    Map<String, Double> bad = new LinkedHashMap<>();
    bad.put("outpost_edge_x 1\noutpost_edge_injected", 1.0);
    bad.put("outpost_edge_y{node=\"other-node\"}", 1.0);
    bad.put("outpost_edge_nan", Double.NaN);
    bad.put("outpost_edge_ok", 2.0);
    server.sources = List.of(() -> good, () -> {
      throw new IllegalStateException("broken source");
    }, () -> bad, new JvmMetrics());

    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
        assertThat(type).startsWith("text/plain; version=0.0.4"));
    assertThat(response.body()).contains("# TYPE outpost_edge_pods gauge\n",
        "outpost_edge_pods{phase=\"Pending\"} 1\n", "outpost_edge_pods{phase=\"Running\"} 3\n",
        "# TYPE outpost_edge_events_dropped_total counter\n", "outpost_edge_events_dropped_total 7\n",
        "outpost_edge_test_seconds 12.5\n", "outpost_edge_ok 2\n",
        "outpost_edge_jvm_memory_used_bytes{area=\"heap\"} ", "outpost_edge_process_resident_memory_bytes ");
    assertThat(response.body()).doesNotContain("injected", "other-node", "outpost_edge_nan");
    assertThat(response.body().lines().filter(line -> line.startsWith("# TYPE outpost_edge_pods "))).hasSize(1);

    HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.port() + "/metrics")).POST(HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
  }

  @Test
  void theHeartbeatSummaryIsBounded() {
    Map<String, Double> many = new LinkedHashMap<>();
    for (int i = 0; i < 300; i++) {
      many.put(MetricSeries.of("outpost_edge_rejected_total", "reason", "r" + i), (double) i);
    }
    assertThat(MetricSources.summary(List.of(() -> many))).hasSize(MetricSeries.MAX);
    assertThat(MetricSources.collect(List.of(() -> many))).hasSize(300);
  }

  @Test
  void portZeroIsOff() throws Exception {
    server = new MetricsServer(config(0));
    assertThat(server.port()).isEqualTo(-1);
  }

  /** A new port applies live: the endpoint moves; the same settings (another component's key changed) keep it. */
  @Test
  void aChangedPortMovesTheEndpointAndAnUnchangedOneKeepsIt() throws Exception {
    int first = freePort();
    server = new MetricsServer(config(first));
    server.modified(config(first));
    assertThat(server.port()).isEqualTo(first);
    int second = freePort();
    server.modified(config(second));
    assertThat(server.port()).isEqualTo(second);
    java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + second + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", first).close()).as("the old port is closed")
        .isInstanceOf(java.net.ConnectException.class);
    server.modified(config(0));
    assertThat(server.port()).isEqualTo(-1);
  }
}
