package io.outpost.bridge.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.outpost.bridge.net.BindAddress;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/** {@code /healthz} (alive), {@code /readyz} (informers synced and MQTT connected) and {@code /metrics}. */
public final class HttpEndpoints implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  /** {@code notReady} returns the reason the bridge is not ready, or empty when it is. */
  public HttpEndpoints(BindAddress bind, int port, Metrics metrics, Supplier<Optional<String>> notReady)
      throws IOException {
    try {
      server = HttpServer.create(bind.at(port), 16);
    } catch (IOException e) {
      throw bind.bindFailed(port, "OUTPOST_HTTP_PORT", e);
    }
    executor = Executors.newFixedThreadPool(2, r -> new Thread(r, "outpost-bridge-http"));
    server.setExecutor(executor);
    server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n", "text/plain"));
    server.createContext("/readyz", exchange -> {
      Optional<String> reason = notReady.get();
      respond(exchange, reason.isPresent() ? 503 : 200, reason.map(r -> r + "\n").orElse("ready\n"), "text/plain");
    });
    server.createContext("/metrics", exchange -> respond(exchange, 200, metrics.render(),
        "text/plain; version=0.0.4"));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Where the endpoints listen (for tests and the start-up log). */
  java.net.InetSocketAddress address() {
    return server.getAddress();
  }

  private static void respond(HttpExchange exchange, int status, String body, String type) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
