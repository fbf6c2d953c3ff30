package io.outpost.metrics.impl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.outpost.metrics.MetricSource;
import io.outpost.metrics.MetricSources;
import io.outpost.protocol.MetricSeries;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} in Prometheus text format 0.0.4 on {@code metrics.bind:metrics.port} (loopback:9464 by
 * default; 0 = off): every {@link MetricSource} of the node. One thread ("outpost-metrics"); a source that fails is
 * left out of that scrape and logged, the others are served.
 *
 * <p>Configured by {@code io.outpost.metrics} and the node-wide {@code io.outpost.node} (which wins). A changed port
 * or address applies live ({@link #modified}): the endpoint moves; other components' keys leave it alone.
 */
@Component(immediate = true, configurationPid = {MetricsServer.PID, "io.outpost.node"},
    configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class MetricsServer {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
  volatile List<MetricSource> sources;

  /** The endpoint's own configuration PID; the node-wide {@code io.outpost.node} is read after it and wins. */
  static final String PID = "io.outpost.metrics";

  /** Where it listens: port 0 off. */
  private record Endpoint(String bind, int port) {
    static Endpoint of(MetricsConfig config) {
      if (config.metrics_port() < 0 || config.metrics_port() > 65535) {
        throw new IllegalArgumentException("metrics.port must be between 0 and 65535, was " + config.metrics_port());
      }
      return new Endpoint(config.metrics_bind(), config.metrics_port());
    }
  }

  private Endpoint endpoint;
  private HttpServer server;
  private ExecutorService executor;

  @Activate
  public MetricsServer(MetricsConfig config) throws IOException {
    this.endpoint = Endpoint.of(config);
    open(endpoint);
  }

  private void open(Endpoint at) throws IOException {
    if (at.port() == 0) {
      server = null;
      executor = null;
      LOG.info("Metrics endpoint off (metrics.port = 0)");
      return;
    }
    executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "outpost-metrics"));
    try {
      server = HttpServer.create(new InetSocketAddress(at.bind(), at.port()), 8);
    } catch (IOException e) {
      executor.shutdownNow();
      executor = null;
      throw e;
    }
    server.createContext("/metrics", this::serve);
    server.setExecutor(executor);
    server.start();
    LOG.info("Metrics on http://{}:{}/metrics", at.bind(), server.getAddress().getPort());
  }

  /**
   * A changed configuration: if {@code metrics.port} or {@code metrics.bind} changed, the endpoint closes and opens
   * at the new address; otherwise nothing happens. A refused value (out of range, address in use) is logged and the
   * endpoint stays off until the next change.
   */
  @Modified
  synchronized void modified(MetricsConfig config) {
    Endpoint next;
    try {
      next = Endpoint.of(config);
    } catch (IllegalArgumentException e) {
      LOG.error("Configuration change refused, the metrics endpoint stays as it is: {}", e.getMessage());
      return;
    }
    if (next.equals(endpoint)) {
      return;
    }
    deactivate();
    endpoint = next;
    try {
      open(next);
    } catch (IOException e) {
      server = null;
      LOG.error("Metrics endpoint cannot listen on {}:{}: {}", next.bind(), next.port(), e.getMessage());
    }
  }

  @Deactivate
  synchronized void deactivate() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
      server = null;
      executor = null;
    }
  }

  /** The port served on (the configured one, or the one chosen for port 0 in tests), -1 when off. */
  synchronized int port() {
    return server == null ? -1 : server.getAddress().getPort();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = MetricSeries.render(MetricSources.collect(sources)).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
