package io.outpost.bridge.admission;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.bridge.config.FairShares;
import io.outpost.bridge.downstream.UnsupportedFields;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Refusals;
import io.outpost.bridge.net.BindAddress;
import io.outpost.bridge.net.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mutating admission webhook (HTTPS, {@code POST /mutate-pods}, AdmissionReview v1): pods that can only run on
 * edge nodes get the no-eviction tolerations and the toleration of the edge taint ({@link Tolerations},
 * {@link EdgeTaint}). Everything else is allowed unchanged. A body
 * that is not an AdmissionReview is answered 400 with the reason (the API server then applies the configuration's
 * failurePolicy); it never stops the server. The serving certificate is re-read when its files change, so
 * cert-manager can rotate it.
 *
 * <p>Reviews are served by {@link FairShares#webhookThreads} workers behind a queue of
 * {@link FairShares#webhookQueue}. A review that finds the queue full is answered 503 {@code overloaded} at once
 * (on the accepting thread, without reading its body), one that waited longer than
 * {@link FairShares#webhookTimeout} 503 {@code timeout} — fast answers, so that the API server applies the
 * configuration's failurePolicy instead of waiting out its own timeout; both counted in
 * {@code outpost_bridge_webhook_requests_total{result}}.
 */
public final class AdmissionWebhook implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AdmissionWebhook.class);
  static final int MAX_BODY = 3 * 1024 * 1024;

  private final HttpsServer server;
  private final ThreadPoolExecutor executor;
  private final Metrics metrics;
  private final long timeoutNanos;
  private final LongSupplier nanos;
  /** Why the current request is answered 503 without being looked at ({@code overloaded}, {@code timeout}), or null. */
  private final ThreadLocal<String> shed = new ThreadLocal<>();
  private final Refusals refusals;
  private final Predicate<String> isEdgeNode;
  private final String labelKey;
  private final String labelValue;
  private final ObjectMapper json = mapper();
  private final Path certificate;
  private final Path key;
  private volatile FileTime loaded;

  public AdmissionWebhook(BindAddress bind, int port, Path certificate, Path key, Metrics metrics,
      Predicate<String> isEdgeNode, String labelKey, String labelValue, FairShares shares)
      throws IOException, GeneralSecurityException {
    this(bind, port, certificate, key, metrics, isEdgeNode, labelKey, labelValue, shares, System::nanoTime);
  }

  /** As above, with the clock that times the queue (a test's own counter in tests). */
  AdmissionWebhook(BindAddress bind, int port, Path certificate, Path key, Metrics metrics,
      Predicate<String> isEdgeNode, String labelKey, String labelValue, FairShares shares, LongSupplier nanos)
      throws IOException, GeneralSecurityException {
    this.metrics = metrics;
    this.nanos = nanos;
    this.timeoutNanos = shares.webhookTimeout().toNanos();
    this.refusals = new Refusals(metrics, LOG, nanos);
    this.isEdgeNode = isEdgeNode;
    this.labelKey = labelKey;
    this.labelValue = labelValue;
    this.certificate = certificate;
    this.key = key;
    try {
      server = HttpsServer.create(bind.at(port), 64);
    } catch (IOException e) {
      throw bind.bindFailed(port, "OUTPOST_WEBHOOK_PORT", e);
    }
    server.setHttpsConfigurator(new HttpsConfigurator(sslContext()));
    java.util.concurrent.atomic.AtomicInteger threads = new java.util.concurrent.atomic.AtomicInteger();
    executor = new ThreadPoolExecutor(shares.webhookThreads(), shares.webhookThreads(), 0, TimeUnit.MILLISECONDS,
        shares.webhookQueue() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(shares.webhookQueue()),
        r -> new Thread(r, "outpost-bridge-webhook-" + threads.getAndIncrement()));
    metrics.gauge("outpost_bridge_webhook_queue", () -> executor.getQueue().size());
    server.setExecutor(this::dispatch);
    server.createContext("/mutate-pods", this::handle);
    server.start();
    LOG.info("Admission webhook on {} (certificate {})", bind.describe(port()), certificate);
  }

  int port() {
    return server.getAddress().getPort();
  }

  private SSLContext sslContext() throws IOException, GeneralSecurityException {
    char[] password = new char[0];
    KeyStore store = Pem.keyStore(certificate, key, password);
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    loaded = newest();
    return context;
  }

  private FileTime newest() throws IOException {
    FileTime a = Files.getLastModifiedTime(certificate);
    FileTime b = Files.getLastModifiedTime(key);
    return a.compareTo(b) > 0 ? a : b;
  }

  /** Picks up a rotated certificate for the next connections; a broken pair keeps the previous one. */
  private void reloadIfChanged() {
    try {
      if (!newest().equals(loaded)) {
        server.setHttpsConfigurator(new HttpsConfigurator(sslContext()));
        LOG.info("Admission webhook certificate reloaded from {}", certificate);
      }
    } catch (IOException | GeneralSecurityException e) {
      LOG.warn("Admission webhook certificate not reloaded, keeping the previous one: {}", e.getMessage());
    }
  }

  /** Queues a request for a worker, or has it answered 503 at once when the queue is full. */
  private void dispatch(Runnable request) {
    long queued = nanos.getAsLong();
    try {
      executor.execute(() -> runShedding(request, nanos.getAsLong() - queued > timeoutNanos ? "timeout" : null));
    } catch (RejectedExecutionException e) {
      runShedding(request, executor.isShutdown() ? "closing" : "overloaded");
    }
  }

  private void runShedding(Runnable request, String reason) {
    shed.set(reason);
    try {
      request.run();
    } finally {
      shed.remove();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    String shedReason = shed.get();
    if (shedReason != null) {
      try (exchange) {
        reply(exchange, 503, error("the webhook is " + (shedReason.equals("timeout") ? "behind: the review waited"
            + " longer than " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms for a worker" : "busy: "
            + executor.getMaximumPoolSize() + " workers and " + executor.getQueue().size() + " reviews waiting")
            + "; the API server applies the failurePolicy"), shedReason);
      }
      return;
    }
    reloadIfChanged();
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, error("only POST is accepted"), "method");
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_BODY + 1);
      }
      if (body.length > MAX_BODY) {
        reply(exchange, 413, error("AdmissionReview larger than " + MAX_BODY + " bytes"), "oversized");
        return;
      }
      ObjectNode answer;
      try {
        answer = review(body);
      } catch (IllegalArgumentException | IOException e) {
        reply(exchange, 400, error("not an AdmissionReview v1 of a Pod: " + e.getMessage()), "malformed");
        return;
      }
      reply(exchange, 200, json.writeValueAsBytes(answer), answer.path("response").has("patch") ? "patched"
          : "unchanged");
    } catch (RuntimeException e) {
      LOG.warn("Admission webhook failed on a request: {}", e.toString());
      metrics.increment("outpost_bridge_webhook_requests_total", "result", "error");
    }
  }

  static ObjectMapper mapper() {
    return JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .serializationInclusion(JsonInclude.Include.NON_NULL).build();
  }

  /** The AdmissionReview response for a request body. */
  ObjectNode review(byte[] body) throws IOException {
    return review(json, body, isEdgeNode, labelKey, labelValue);
  }

  /**
   * The AdmissionReview response for a request body; anything that is not an AdmissionReview of a Pod throws
   * {@link IllegalArgumentException} or {@link IOException} (answered 400 and counted).
   */
  static ObjectNode review(ObjectMapper json, byte[] body, Predicate<String> isEdgeNode, String labelKey,
      String labelValue) throws IOException {
    JsonNode review = json.readTree(body);
    if (review == null || !review.isObject() || !"AdmissionReview".equals(review.path("kind").asText())
        || !review.path("apiVersion").asText().startsWith("admission.k8s.io/")) {
      throw new IllegalArgumentException("kind must be AdmissionReview (admission.k8s.io/v1)");
    }
    JsonNode request = review.path("request");
    String uid = request.path("uid").asText("");
    if (uid.isEmpty()) {
      throw new IllegalArgumentException("request.uid is missing");
    }
    ObjectNode response = json.createObjectNode().put("uid", uid).put("allowed", true);
    ObjectNode answer = json.createObjectNode().put("apiVersion", "admission.k8s.io/v1")
        .put("kind", "AdmissionReview");
    answer.set("response", response);
    JsonNode object = request.path("object");
    if (!"Pod".equals(object.path("kind").asText("Pod")) || !object.isObject()) {
      return answer; // not a pod (a misconfigured rule): allowed unchanged
    }
    Pod pod = json.treeToValue(object, Pod.class);
    if (Tolerations.targetsEdge(pod, isEdgeNode, labelKey, labelValue)) {
      Tolerations.Fix fix = Tolerations.fix(pod, true, object.path("spec").path("tolerations").isArray());
      if (!fix.none()) {
        response.put("patchType", "JSONPatch");
        response.put("patch", Base64.getEncoder().encodeToString(json.writeValueAsBytes(fix.operations())));
      }
      // What edge nodes would refuse is said at once (kubectl prints admission warnings), not only in the pod's
      // status once it is bound: the pod is still admitted, a node is the judge (docs/operations.md).
      List<String> unsupported = UnsupportedFields.of(pod);
      if (!unsupported.isEmpty()) {
        ArrayNode warnings = response.putArray("warnings");
        unsupported.forEach(field -> warnings.add("edge nodes will not start this pod: " + field));
      }
    }
    return answer;
  }

  private byte[] error(String message) {
    return json.createObjectNode().put("error", message).toString().getBytes(StandardCharsets.UTF_8);
  }

  private void reply(HttpExchange exchange, int status, byte[] body, String result) throws IOException {
    if (status >= 400) {
      refusals.refuse(result, "Admission webhook answered " + status + ": " + new String(body,
          StandardCharsets.UTF_8), "outpost_bridge_webhook_requests_total", "result", result);
    } else {
      metrics.increment("outpost_bridge_webhook_requests_total", "result", result);
    }
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
