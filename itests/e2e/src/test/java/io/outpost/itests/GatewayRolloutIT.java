package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.protocol.RolloutReport;
import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures;
import io.outpost.testing.BundleRevision;
import io.outpost.testing.SiteNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Gateway rollouts end to end, on the built distribution: three nodes of site {@code north}, a signed new revision of
 * the console bundle in the bridge's artifact directory, and a {@code GatewayRollout} with one canary and one node
 * unavailable at a time. The revision reaches the canary first, then the rest of the site, over the MQTT link in
 * chunks; a node that is down meanwhile converges when it returns; the pods on the nodes keep running untouched (same
 * StartedAt, restart count 0). A revision that does not resolve is rolled back on the canary and stops its rollout;
 * one signed by a key the nodes do not trust is refused; bytes that are not the signed ones never leave the bridge.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayRolloutIT {
  private static final Duration PATIENCE = Duration.ofMinutes(4);
  private static final String API_VERSION = "outpost.io/v1alpha1";
  private static final String KIND = "GatewayRollout";
  private final String[] key = ArtifactSignatures.newKeyPair();
  private SiteStack stack;
  private Path artifactDir;
  private final Map<String, String> startedAt = new ConcurrentHashMap<>();

  @BeforeAll
  void start() throws Exception {
    artifactDir = Files.createTempDirectory("outpost-rollout-it");
    LinkedHashMap<String, String> sites = new LinkedHashMap<>();
    sites.put("n1", "north");
    sites.put("n2", "north");
    sites.put("n3", "north");
    stack = new SiteStack(sites, Map.of("OUTPOST_ARTIFACT_DIR", artifactDir.toString(),
        "OUTPOST_GATEWAY_ROLLOUTS", "true"), node -> {
          try {
            node.edge().writeConfig("io.outpost.rollout.cfg", Map.of("trusted.keys", "e2e=" + key[0],
                "health.timeout.seconds", "30"));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }, api -> { // the bridge starts its rollout controller only where the API serves GatewayRollouts
          try (InputStream crd = Files.newInputStream(Path.of("../../deploy/kubernetes/08-rollout-crds.yaml"))) {
            api.load(crd).createOrReplace();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    for (SiteNode node : stack.nodes) {
      stack.create(SiteWorkloads.client("sleeper-" + node.name().substring(node.name().lastIndexOf('-') + 1), node));
    }
    for (SiteNode node : stack.nodes) {
      Pod pod = stack.awaitRunning("sleeper-" + node.name().substring(node.name().lastIndexOf('-') + 1));
      startedAt.put(pod.getMetadata().getName(), inspect(node, stack.containerOf(pod)));
    }
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (stack != null) {
        stack.close();
      }
    } finally {
      try (var files = Files.walk(artifactDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  @Order(1)
  void aRevisionReachesTheCanaryThenTheRestOfTheSiteAndANodeThatWasDownWhenItReturns() throws Exception {
    SiteNode n1 = stack.node("n1");
    SiteNode n2 = stack.node("n2");
    SiteNode n3 = stack.node("n3");
    n3.kill(); // down before the rollout starts; its pod's container keeps running in its engine
    Path jar = revision("0.1.0.r1", null);
    ArtifactManifest manifest = sign(jar, "0.1.0.r1", "e2e", key[1]);
    rollout("console-r1", manifest, "file:" + jar.getFileName());

    // The canary first: while it installs, no other node of the site is assigned.
    await("the canary is assigned").atMost(PATIENCE).until(() -> target(n1).isPresent());
    assertThat(target(n2)).as("n2 waits for the canary").isEmpty();
    await("n2 is assigned next").atMost(PATIENCE).until(() -> target(n2).isPresent());
    // Read after n2's assignment was seen: the canary had installed the revision before n2 was assigned.
    assertThat(report(n1)).as("the canary had finished when n2 was assigned")
        .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("installed"));
    await("then the rest of the site").atMost(PATIENCE).untilAsserted(() ->
        assertThat(report(n2)).hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("installed")));
    assertThat(consoleVersion(n1)).containsPattern("Active.*0\\.1\\.0\\.r1");
    assertThat(consoleVersion(n2)).containsPattern("Active.*0\\.1\\.0\\.r1");
    assertThat(phase("console-r1")).as("n3 has not been updated").isNotEqualTo("Succeeded");

    n3.start();
    await("the node that was down converges when it returns").atMost(PATIENCE).untilAsserted(() ->
        assertThat(report(n3)).hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("installed")));
    assertThat(consoleVersion(n3)).containsPattern("Active.*0\\.1\\.0\\.r1");
    await("the rollout succeeded").atMost(PATIENCE).until(() -> "Succeeded".equals(phase("console-r1")));
    assertPodsUntouched();
    assertThat(stack.bridge.metrics().get("outpost_bridge_artifact_fetches_total", "result", "ok"))
        .as("the bridge fetched the artifact once for all nodes").isEqualTo(1);
  }

  @Test
  @Order(2)
  void aRevisionThatFailsItsHealthGateIsRolledBackOnTheCanaryAndStopsTheRollout() throws Exception {
    Path jar = revision("0.1.0.r2", "io.outpost.nowhere");
    ArtifactManifest manifest = sign(jar, "0.1.0.r2", "e2e", key[1]);
    rollout("console-r2", manifest, "file:" + jar.getFileName());

    await("the rollout stops").atMost(PATIENCE).until(() -> "Failed".equals(phase("console-r2")));
    List<String> assigned = stack.nodes.stream().filter(n -> target(n).map(t -> t.sha256())
        .filter(manifest.sha256()::equals).isPresent()).map(SiteNode::name).toList();
    assertThat(assigned).as("only the canary got the failing revision").hasSize(1);
    SiteNode canary = stack.nodes.stream().filter(n -> n.name().equals(assigned.get(0))).findFirst().orElseThrow();
    assertThat(report(canary)).hasValueSatisfying(r -> {
      assertThat(r.state()).isEqualTo("rolled_back");
      assertThat(r.reason()).contains("io.outpost.nowhere");
    });
    await("the canary runs the revision before").atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
        assertThat(consoleVersion(canary)).containsPattern("Active.*0\\.1\\.0\\.r1"));
    assertPodsUntouched();
  }

  @Test
  @Order(3)
  void anUntrustedSignatureIsRefusedAndBytesThatAreNotTheSignedOnesNeverLeaveTheBridge() throws Exception {
    Path jar = revision("0.1.0.r3", null);
    ArtifactManifest stranger = sign(jar, "0.1.0.r3", "stranger", ArtifactSignatures.newKeyPair()[1]);
    rollout("console-r3", stranger, "file:" + jar.getFileName());
    await("the canary refuses the untrusted manifest").atMost(PATIENCE).until(() -> "Failed".equals(
        phase("console-r3")));
    SiteNode refusing = stack.nodes.stream().filter(n -> report(n).map(RolloutReport::rollout)
        .filter("console-r3"::equals).isPresent()).findFirst().orElseThrow();
    assertThat(report(refusing)).hasValueSatisfying(r -> {
      assertThat(r.state()).isEqualTo("refused");
      assertThat(r.reason()).contains("does not trust");
    });

    Path other = revision("0.1.0.r4", null);
    ArtifactManifest signed = sign(other, "0.1.0.r4", "e2e", key[1]);
    byte[] bytes = Files.readAllBytes(other);
    bytes[bytes.length / 2] ^= 1;
    Files.write(other, bytes); // the source now holds bytes that are not the signed ones
    long before = stack.bridge.metrics().get("outpost_bridge_artifact_fetches_total", "result", "failed");
    long chunksBefore = stack.bridge.metrics().get("outpost_bridge_artifact_chunks_total", "outcome", "sent");
    long unavailableBefore = stack.bridge.metrics().get("outpost_bridge_artifact_requests_total", "outcome",
        "unavailable");
    rollout("console-r4", signed, "file:" + other.getFileName());
    await("the bridge refuses the tampered source").atMost(PATIENCE).until(() ->
        stack.bridge.metrics().get("outpost_bridge_artifact_fetches_total", "result", "failed") > before);
    for (SiteNode node : stack.nodes) {
      assertThat(consoleVersion(node)).as(node.name()).containsPattern("Active.*0\\.1\\.0\\.r1");
    }
    await("the canary is told the artifact is unavailable").atMost(PATIENCE).until(() -> stack.bridge.metrics()
        .get("outpost_bridge_artifact_requests_total", "outcome", "unavailable") > unavailableBefore);
    assertThat(stack.bridge.metrics().get("outpost_bridge_artifact_chunks_total", "outcome", "sent"))
        .as("not one chunk of the tampered source was sent").isEqualTo(chunksBefore);
    assertPodsUntouched();
  }

  private void assertPodsUntouched() {
    for (SiteNode node : stack.nodes) {
      String name = "sleeper-" + node.name().substring(node.name().lastIndexOf('-') + 1);
      Pod pod = stack.pod(name);
      assertThat(inspect(node, stack.containerOf(pod))).as("container of %s not restarted", name)
          .isEqualTo(startedAt.get(name));
      assertThat(pod.getStatus().getContainerStatuses().get(0).getRestartCount()).as(name).isZero();
    }
  }

  private static String inspect(SiteNode node, String container) {
    return node.podman().remote("inspect", "--format", "{{.State.StartedAt}}|{{.RestartCount}}", container).trim();
  }

  private void rollout(String name, ArtifactManifest manifest, String source) {
    Map<String, Object> artifact = new LinkedHashMap<>();
    artifact.put("type", manifest.type());
    artifact.put("name", manifest.name());
    artifact.put("version", manifest.version());
    artifact.put("size", manifest.size());
    artifact.put("sha256", manifest.sha256());
    artifact.put("keyId", manifest.keyId());
    artifact.put("signature", manifest.signature());
    artifact.put("source", source);
    GenericKubernetesResource rollout = new GenericKubernetesResource();
    rollout.setApiVersion(API_VERSION);
    rollout.setKind(KIND);
    rollout.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
    rollout.setAdditionalProperty("spec", Map.of("artifact", artifact, "target", Map.of("sites", List.of("north")),
        "strategy", Map.of("canary", 1, "maxUnavailable", 1)));
    stack.client.genericKubernetesResources(API_VERSION, KIND).resource(rollout).create();
  }

  private String phase(String rollout) {
    GenericKubernetesResource current = stack.client.genericKubernetesResources(API_VERSION, KIND).withName(rollout)
        .get();
    Object status = current == null ? null : current.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> map && map.get("phase") != null ? map.get("phase").toString() : null;
  }

  private Optional<GatewayAnnotations.Target> target(SiteNode node) {
    Node current = stack.client.nodes().withName(node.name()).get();
    return current == null ? Optional.empty() : GatewayAnnotations.targetOrEmpty(current);
  }

  private Optional<RolloutReport> report(SiteNode node) {
    Node current = stack.client.nodes().withName(node.name()).get();
    return current == null ? Optional.empty() : GatewayAnnotations.status(current);
  }

  /** The console bundle's line of {@code bundle:list -s -t 0} on the node. */
  private static String consoleVersion(SiteNode node) {
    return node.edge().console("bundle:list -s -t 0").lines().filter(l -> l.trim().endsWith(" io.outpost.console"))
        .findFirst().orElse("no io.outpost.console line");
  }

  /** The distribution's console bundle as revision {@code version} (with {@code extraImport} if not null). */
  private Path revision(String version, String extraImport) {
    return BundleRevision.write(BundleRevision.console(stack.nodes.get(0).edge().home()),
        artifactDir.resolve("sources").resolve("outpost-console-" + version + ".jar"), version, extraImport, null);
  }

  private static ArtifactManifest sign(Path jar, String version, String keyId, String privateKey) throws Exception {
    String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)));
    return ArtifactSignatures.sign(ArtifactManifest.unsigned(ArtifactManifest.BUNDLE, "io.outpost.console", version,
        Files.size(jar), digest, keyId), privateKey);
  }
}
