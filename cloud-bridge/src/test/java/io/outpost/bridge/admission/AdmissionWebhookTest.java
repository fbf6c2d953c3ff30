package io.outpost.bridge.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.outpost.bridge.config.FairShares;
import io.outpost.bridge.kube.EdgeTaint;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.net.BindAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admission webhook over real HTTPS, with a certificate made by openssl as cert-manager would provide one. */
class AdmissionWebhookTest {
  private static final ObjectMapper JSON = new ObjectMapper()
      .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL);
  @TempDir static Path dir;
  static AdmissionWebhook webhook;
  static HttpClient http;
  static final Metrics metrics = new Metrics();

  @BeforeAll
  static void start() throws Exception {
    WebhookTls tls = WebhookTls.selfSigned(dir);
    webhook = new AdmissionWebhook(new BindAddress(null, "OUTPOST_WEBHOOK_BIND"), 0, tls.cert, tls.key, metrics,
        "edge-1"::equals, "outpost.io/edge", "true", FairShares.DEFAULTS);
    http = tls.client();
  }

  @AfterAll
  static void stop() {
    webhook.close();
  }

  private static HttpResponse<String> post(String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + webhook.port() + "/mutate-pods"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String review(Pod pod) throws Exception {
    return JSON.writeValueAsString(Map.of("apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
        "request", Map.of("uid", "req-1", "kind", Map.of("group", "", "version", "v1", "kind", "Pod"),
            "operation", "CREATE", "object", pod)));
  }

  /** As DefaultTolerationSeconds leaves every pod before webhooks run. */
  private static List<Toleration> defaulted() {
    return List.of(new Toleration("NoExecute", "node.kubernetes.io/not-ready", "Exists", 300L, null),
        new Toleration("NoExecute", "node.kubernetes.io/unreachable", "Exists", 300L, null));
  }

  private static JsonNode patchOf(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode answer = JSON.readTree(response.body()).path("response");
    assertThat(answer.path("uid").asText()).isEqualTo("req-1");
    assertThat(answer.path("allowed").asBoolean()).isTrue();
    if (!answer.has("patch")) {
      return null;
    }
    assertThat(answer.path("patchType").asText()).isEqualTo("JSONPatch");
    return JSON.readTree(Base64.getDecoder().decode(answer.path("patch").asText()));
  }

  @Test
  void aPodSelectingEdgeNodesLosesItsTolerationSecondsForUnreachableAndNotReady() throws Exception {
    Pod pod = new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").endMetadata().withNewSpec()
        .withNodeSelector(Map.of("outpost.io/edge", "true")).withTolerations(defaulted())
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();
    JsonNode patch = patchOf(post(review(pod)));
    assertThat(patch).isNotNull();
    assertThat(patch).hasSize(3);
    assertThat(patch).extracting(op -> op.path("op").asText() + " " + op.path("path").asText())
        .containsExactlyInAnyOrder("remove /spec/tolerations/0/tolerationSeconds",
            "remove /spec/tolerations/1/tolerationSeconds", "add /spec/tolerations/-");
    assertThat(patch.get(2).path("op").asText()).isEqualTo("add"); // additions after removals: indices stay valid
    assertThat(patch.get(2).path("value").toString()).as("and it may go onto the tainted edge nodes").isEqualTo(
        "{\"key\":\"node.outpost.io/edge\",\"operator\":\"Equal\",\"value\":\"true\",\"effect\":\"NoSchedule\"}");
  }

  @Test
  void aPodRequiringEdgeNodesByAffinityGetsTheEdgeTolerationUnlessItHasOne() throws Exception {
    Pod pod = new PodBuilder().withNewMetadata().withName("web").endMetadata().withNewSpec().withNewAffinity()
        .withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution().addNewNodeSelectorTerm()
        .addNewMatchExpression().withKey("outpost.io/edge").withOperator("In").withValues("true").endMatchExpression()
        .endNodeSelectorTerm().endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity()
        .withTolerations(defaulted()).addNewContainer().withName("app").withImage("nginx").endContainer().endSpec()
        .build();
    JsonNode patch = patchOf(post(review(pod)));
    assertThat(patch.toString()).contains("node.outpost.io/edge");
    for (Toleration own : List.of(new Toleration("NoSchedule", "node.outpost.io/edge", "Exists", null, null),
        new Toleration(null, "node.outpost.io/edge", "Equal", null, "true"),
        new Toleration(null, null, "Exists", null, null))) {
      List<Toleration> tolerations = new java.util.ArrayList<>(defaulted());
      tolerations.add(own);
      Pod tolerating = new PodBuilder(pod).editSpec().withTolerations(tolerations).endSpec().build();
      assertThat(patchOf(post(review(tolerating))).toString()).as("%s", own).doesNotContain("node.outpost.io/edge");
    }
    List<Toleration> wrong = new java.util.ArrayList<>(defaulted());
    wrong.add(new Toleration("NoSchedule", "node.outpost.io/edge", "Equal", null, "false"));
    Pod other = new PodBuilder(pod).editSpec().withTolerations(wrong).endSpec().build();
    assertThat(patchOf(post(review(other))).toString()).as("a toleration of another value does not count")
        .contains("\"value\":\"true\"");
  }

  @Test
  void aDaemonSetsPodForAnEdgeNodeIsNotGivenTheEdgeToleration() throws Exception {
    Pod daemon = new PodBuilder().withNewMetadata().withName("kube-proxy-x").endMetadata().withNewSpec()
        .withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .addNewNodeSelectorTerm().addNewMatchField().withKey("metadata.name").withOperator("In").withValues("edge-1")
        .endMatchField().endNodeSelectorTerm().endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity()
        .endAffinity().withTolerations(defaulted()).addNewContainer().withName("proxy").withImage("kube-proxy")
        .endContainer().endSpec().build();
    assertThat(patchOf(post(review(daemon)))).isNull();
  }

  @Test
  void aPodBoundToAnEdgeNodeWithoutTolerationsGetsBoth() throws Exception {
    Pod pod = new PodBuilder().withNewMetadata().withName("web").endMetadata().withNewSpec().withNodeName("edge-1")
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();
    JsonNode patch = patchOf(post(review(pod)));
    assertThat(patch).hasSize(1);
    assertThat(patch.get(0).path("path").asText()).isEqualTo("/spec/tolerations");
    assertThat(patch.get(0).path("value")).extracting(JsonNode::toString).asString()
        .contains("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready", "node.outpost.io/edge")
        .doesNotContain("Seconds");
  }

  @Test
  void aPodForEdgeNodesWithFieldsTheyDoNotProvideIsAdmittedWithAWarningPerField() throws Exception {
    Pod pod = new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").endMetadata().withNewSpec()
        .withNodeSelector(Map.of("outpost.io/edge", "true")).withRuntimeClassName("kata")
        .addNewContainer().withName("app").withImage("nginx").withNewLivenessProbe().withNewTcpSocket()
        .withHost("10.0.0.9").withNewPort(80).endTcpSocket().endLivenessProbe().endContainer().endSpec().build();
    JsonNode answer = JSON.readTree(post(review(pod)).body()).path("response");
    assertThat(answer.path("allowed").asBoolean()).isTrue();
    assertThat(answer.path("warnings")).extracting(JsonNode::asText).containsExactly(
        "edge nodes will not start this pod: spec.containers[app].livenessProbe.tcpSocket.host: probing another host"
            + " than the pod is not supported on edge nodes",
        "edge nodes will not start this pod: spec.runtimeClassName: runtime classes are not available on edge nodes");

    Pod cloud = new PodBuilder(pod).editSpec().withNodeSelector(Map.of()).endSpec().build();
    assertThat(JSON.readTree(post(review(cloud)).body()).path("response").has("warnings"))
        .as("a pod that may run on cloud nodes is none of the edge's business").isFalse();
    Pod plain = new PodBuilder(pod).editSpec().withRuntimeClassName(null).editFirstContainer()
        .withLivenessProbe(null).withNewLifecycle().withNewPreStop().withNewExec().withCommand("true").endExec()
        .endPreStop().endLifecycle().endContainer().withActiveDeadlineSeconds(60L).endSpec().build();
    assertThat(JSON.readTree(post(review(plain)).body()).path("response").has("warnings"))
        .as("hooks and deadlines are honoured on edge nodes").isFalse();
  }

  @Test
  void podsThatMayRunOnCloudNodesAreLeftAlone() throws Exception {
    Pod cloud = new PodBuilder().withNewMetadata().withName("api").endMetadata().withNewSpec()
        .withTolerations(defaulted()).addNewContainer().withName("app").withImage("nginx").endContainer().endSpec()
        .build();
    assertThat(patchOf(post(review(cloud)))).isNull();
    Pod otherNode = new PodBuilder(cloud).editSpec().withNodeName("worker-1").endSpec().build();
    assertThat(patchOf(post(review(otherNode)))).isNull();
  }

  @Test
  void badInputGetsAClearErrorAndTheServerKeepsServing() throws Exception {
    HttpResponse<String> garbage = post("{not json");
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(garbage.body()).path("error").asText()).startsWith("not an AdmissionReview");
    HttpResponse<String> wrongKind = post("{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}");
    assertThat(wrongKind.statusCode()).isEqualTo(400);
    HttpResponse<String> noUid = post("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
        + "\"request\":{}}");
    assertThat(noUid.statusCode()).isEqualTo(400);
    assertThat(noUid.body()).contains("request.uid");
    HttpResponse<String> huge = post("{\"x\":\"" + "a".repeat(AdmissionWebhook.MAX_BODY) + "\"}");
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(metrics.get("outpost_bridge_webhook_requests_total", "result", "malformed")).isGreaterThanOrEqualTo(3);
    Pod pod = new PodBuilder().withNewMetadata().withName("web").endMetadata().withNewSpec().withNodeName("edge-1")
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();
    assertThat(patchOf(post(review(pod)))).isNotNull();
    assertThat(new String(Files.readAllBytes(dir.resolve("tls.crt")), StandardCharsets.US_ASCII))
        .startsWith("-----BEGIN CERTIFICATE-----");
  }

  @Test
  void anExistingPodCanOnlyGainTolerations() {
    Pod bounded = new PodBuilder().withNewMetadata().withName("web").endMetadata().withNewSpec()
        .withNodeName("edge-1").withTolerations(defaulted()).endSpec().build();
    Tolerations.Fix fix = Tolerations.fix(bounded, false);
    assertThat(fix.needsRemoval()).isTrue();
    assertThat(fix.none()).as("adding an unbounded one next to the bounded one would not help").isTrue();
    Pod bare = new PodBuilder().withNewMetadata().withName("web").endMetadata().withNewSpec().withNodeName("edge-1")
        .withTolerations(new Toleration("NoSchedule", "dedicated", "Equal", null, "edge")).endSpec().build();
    Tolerations.Fix add = Tolerations.fix(bare, false);
    assertThat(add.needsRemoval()).isFalse();
    assertThat(add.additions()).as("a bound pod needs no edge toleration: the backstop adds only these two")
        .hasSize(2).noneSatisfy(a -> assertThat(a.get("key")).isEqualTo(EdgeTaint.KEY));
    assertThat(add.operations()).hasSize(2).allSatisfy(op -> {
      assertThat(op.get("op")).isEqualTo("add");
      assertThat(op.get("path")).isEqualTo("/spec/tolerations/-");
    });
  }
}
