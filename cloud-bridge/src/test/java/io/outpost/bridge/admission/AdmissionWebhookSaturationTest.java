package io.outpost.bridge.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.bridge.config.FairShares;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.net.BindAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admission webhook saturated: one worker, a queue of one. A review beyond the queue is answered 503
 * ({@code overloaded}) while the worker is busy; one that waited longer than the queue timeout is answered 503
 * ({@code timeout}) without being looked at; both counted; the webhook serves normally afterwards. The queue's
 * clock is a counter the test moves.
 */
class AdmissionWebhookSaturationTest {
  private static final ObjectMapper JSON = new ObjectMapper()
      .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL);
  @TempDir Path dir;
  private final Metrics metrics = new Metrics();
  private final AtomicLong now = new AtomicLong();
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private AdmissionWebhook webhook;

  @AfterEach
  void stop() {
    release.countDown();
    if (webhook != null) {
      webhook.close();
    }
  }

  /** Looking up node "slow-edge" blocks until the test releases it: the one worker is busy meanwhile. */
  private boolean isEdgeNode(String node) {
    if (node.equals("slow-edge")) {
      entered.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return false;
  }

  @Test
  void reviewsBeyondTheQueueOrPastItsTimeoutAreAnsweredAtOnceAndCounted() throws Exception {
    HttpClient http = start(FairShares.from(Map.of("OUTPOST_WEBHOOK_THREADS", "1", "OUTPOST_WEBHOOK_QUEUE", "1",
        "OUTPOST_WEBHOOK_QUEUE_TIMEOUT_MS", "100")));

    CompletableFuture<HttpResponse<String>> busy = send(http, pod("busy", "slow-edge"));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<HttpResponse<String>> queued = send(http, pod("queued", null));
    await().atMost(Duration.ofSeconds(30)).until(() -> metrics.get("outpost_bridge_webhook_queue") == 1);

    HttpResponse<String> overflow = send(http, pod("overflow", null)).get(30, TimeUnit.SECONDS);
    assertThat(overflow.statusCode()).isEqualTo(503);
    assertThat(overflow.body()).contains("busy").contains("failurePolicy");

    now.addAndGet(TimeUnit.SECONDS.toNanos(1)); // the queued review has now waited past its timeout
    release.countDown();
    assertThat(busy.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    HttpResponse<String> late = queued.get(30, TimeUnit.SECONDS);
    assertThat(late.statusCode()).isEqualTo(503);
    assertThat(late.body()).contains("waited longer than 100 ms");

    assertThat(send(http, pod("after", null)).get(30, TimeUnit.SECONDS).statusCode()).as("serves again")
        .isEqualTo(200);
    assertThat(metrics.get("outpost_bridge_webhook_requests_total", "result", "overloaded")).isEqualTo(1);
    assertThat(metrics.get("outpost_bridge_webhook_requests_total", "result", "timeout")).isEqualTo(1);
    assertThat(metrics.get("outpost_bridge_webhook_requests_total", "result", "unchanged")).isEqualTo(2);
  }

  private HttpClient start(FairShares shares) throws Exception {
    WebhookTls tls = WebhookTls.selfSigned(dir);
    webhook = new AdmissionWebhook(new BindAddress(null, "OUTPOST_WEBHOOK_BIND"), 0, tls.cert, tls.key, metrics,
        this::isEdgeNode, "outpost.io/edge", "true", shares, now::get);
    return tls.client();
  }

  private CompletableFuture<HttpResponse<String>> send(HttpClient http, Pod pod) throws Exception {
    String body = JSON.writeValueAsString(Map.of("apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
        "request", Map.of("uid", "req-" + pod.getMetadata().getName(), "kind", Map.of("group", "", "version", "v1",
            "kind", "Pod"), "operation", "CREATE", "object", pod)));
    return http.sendAsync(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + webhook.port() + "/mutate-pods"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static Pod pod(String name, String node) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace("shop").endMetadata().withNewSpec()
        .withNodeName(node).addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();
  }
}
