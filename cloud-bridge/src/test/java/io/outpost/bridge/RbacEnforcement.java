package io.outpost.bridge;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * RBAC for the fabric8 mock API server, which has none: an interceptor on the bridge's own client checks every
 * request it sends (HTTP calls and watch upgrades alike) against {@link ShippedRbac}; a request the shipped roles do
 * not grant is sent instead to a local endpoint that answers as kube-apiserver does — {@code 403 Forbidden} with a
 * {@code Status} naming user, verb, resource and namespace — so the bridge sees exactly what a real cluster would
 * answer. Every refusal is recorded; {@link #assertNothingDenied()} fails a test that needed a permission the
 * manifests do not ship. The test's own client (the "admin" that creates pods and Nodes) is not affected.
 */
public final class RbacEnforcement implements Interceptor, AutoCloseable {
  private static final String REASON = "X-Outpost-Rbac-Denied";

  private final ShippedRbac rbac;
  private final HttpServer forbidden;
  private final List<String> denials = new CopyOnWriteArrayList<>();
  private final List<ApiRequest> seen = new CopyOnWriteArrayList<>();
  private final List<KubernetesClient> clients = new ArrayList<>();
  /** Requests to answer 404, as an API server that does not serve the resource (a CRD not applied). */
  private volatile Predicate<ApiRequest> notServed = request -> false;

  public RbacEnforcement(ShippedRbac rbac) throws IOException {
    this.rbac = rbac;
    forbidden = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    forbidden.createContext("/", exchange -> {
      String reason = Optional.ofNullable(exchange.getRequestHeaders().getFirst(REASON)).orElse("forbidden");
      boolean missing = reason.startsWith("404 ");
      String message = missing ? reason.substring(4) : reason;
      int code = missing ? 404 : 403;
      byte[] body = ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
          + json(message) + ",\"reason\":\"" + (missing ? "NotFound" : "Forbidden") + "\",\"code\":" + code + "}")
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(code, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    forbidden.start();
  }

  /** Enforces the shipped manifests for the bridge's ServiceAccount. */
  public static RbacEnforcement forBridge(KubernetesClient parser) throws IOException {
    return new RbacEnforcement(ShippedRbac.bridge(parser));
  }

  /** A client with {@code admin}'s connection whose every request the RBAC checks; closed with this. */
  public KubernetesClient client(KubernetesClient admin) {
    KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(admin.getConfiguration()).build())
        .withHttpClientBuilderConsumer(builder -> builder.addOrReplaceInterceptor("outpost-rbac", this))
        .build();
    synchronized (clients) {
      clients.add(client);
    }
    return client;
  }

  /** From now on, requests matching {@code which} are answered 404 (the resource is not served). */
  public void notServed(Predicate<ApiRequest> which) {
    this.notServed = which;
  }

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    URI uri = request.uri();
    Optional<ApiRequest> resource = ApiRequest.of(request.method(), uri);
    resource.ifPresent(seen::add);
    Optional<String> denial = rbac.deny(request.method(), uri);
    if (denial.isPresent()) {
      denials.add(request.method() + " " + uri.getRawPath() + ": " + denial.get());
      redirect(builder, uri, denial.get());
    } else if (resource.isPresent() && notServed.test(resource.get())) {
      redirect(builder, uri, "404 the server could not find the requested resource");
    }
  }

  private void redirect(BasicBuilder builder, URI uri, String reason) {
    builder.uri(URI.create("http://127.0.0.1:" + forbidden.getAddress().getPort() + uri.getRawPath()));
    builder.setHeader(REASON, reason);
  }

  /** The requests refused so far, each with the API server's message. */
  public List<String> denials() {
    return List.copyOf(denials);
  }

  /** Every resource request the checked clients sent, in order. */
  public List<ApiRequest> requests() {
    return Collections.unmodifiableList(new ArrayList<>(seen));
  }

  public void assertNothingDenied() {
    if (!denials.isEmpty()) {
      throw new AssertionError("the bridge needed permissions the shipped RBAC (deploy/kubernetes) does not grant "
          + rbac.user() + ":\n  " + String.join("\n  ", denials));
    }
  }

  private static String json(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Override
  public void close() {
    synchronized (clients) {
      clients.forEach(KubernetesClient::close);
      clients.clear();
    }
    forbidden.stop(0);
  }
}
