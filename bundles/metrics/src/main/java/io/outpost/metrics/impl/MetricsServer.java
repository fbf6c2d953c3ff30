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
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} in Prometheus text format 0.0.4 on {@code metrics.bind:metrics.port} (loopback:9464 by
 * default; 0 = off): every {@link MetricSource} of the node. One thread ("outpost-metrics"); a source that fails is
 * left out of that scrape and logged, the others are served.
 */
@Component(immediate = true, configurationPid = "io.outpost.node", configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = MetricsConfig.class)
public final class MetricsServer {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
  volatile List<MetricSource> sources;

  private final HttpServer server;
  private final ExecutorService executor;

  @Activate
  public MetricsServer(MetricsConfig config) throws IOException {
    if (config.metrics_port() < 0 || config.metrics_port() > 65535) {
      throw new IllegalArgumentException("metrics.port must be between 0 and 65535, was " + config.metrics_port());
    }
    if (config.metrics_port() == 0) {
      server = null;
      executor = null;
      LOG.info("Metrics endpoint off (metrics.port = 0)");
      return;
    }
    executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "outpost-metrics"));
    server = HttpServer.create(new InetSocketAddress(config.metrics_bind(), config.metrics_port()), 8);
    server.createContext("/metrics", this::serve);
    server.setExecutor(executor);
    server.start();
    LOG.info("Metrics on http://{}:{}/metrics", config.metrics_bind(), server.getAddress().getPort());
  }

  @Deactivate
  void deactivate() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
    }
  }

  /** The port served on (the configured one, or the one chosen for port 0 in tests), -1 when off. */
  int port() {
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
