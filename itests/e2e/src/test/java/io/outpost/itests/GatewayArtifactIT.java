package io.outpost.itests;

import static io.outpost.itests.OutpostStack.containersOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures;
import io.outpost.testing.BundleRevision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Signed Outpost artifacts on the built distribution, installed from the node's console
 * ({@code outpost:install-artifact}): a new revision of the console bundle, signed with a key the node trusts, is
 * installed while a pod runs, and the pod's container is untouched (same StartedAt, no restart); a revision that does
 * not resolve is rolled back and the node's console works on; a tampered jar and a manifest signed by a key the node
 * does not trust are refused and change nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayArtifactIT extends StackTest {
  private static final Duration PATIENCE = Duration.ofMinutes(2);
  private final String[] key = ArtifactSignatures.newKeyPair();

  /** The distribution's console bundle as a new revision {@code version}, with {@code extraImport} if not null. */
  private Path revision(String version, String extraImport) {
    return BundleRevision.write(BundleRevision.console(stack.edge.home()),
        stack.dir.resolve("outpost-console-" + version + ".jar"), version, extraImport, null);
  }

  private Path manifestFile(Path jar, String version, String keyId, String privateKey) throws Exception {
    String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)));
    ArtifactManifest signed = ArtifactSignatures.sign(ArtifactManifest.unsigned(ArtifactManifest.BUNDLE,
        "io.outpost.console", version, Files.size(jar), digest, keyId), privateKey);
    Path file = stack.dir.resolve("manifest-" + version + "-" + keyId + ".yaml");
    Files.writeString(file, "artifact:\n  type: " + signed.type() + "\n  name: " + signed.name() + "\n  version: \""
        + signed.version() + "\"\n  size: " + signed.size() + "\n  sha256: " + signed.sha256() + "\n  keyId: "
        + signed.keyId() + "\n  signature: " + signed.signature() + "\n");
    return file;
  }

  /** The console bundle's line of {@code bundle:list -s -t 0} (ID, state, level, version, symbolic name). */
  private String consoleVersion() {
    return stack.edge.console("bundle:list -s -t 0").lines().filter(l -> l.trim().endsWith(" io.outpost.console"))
        .findFirst().orElse("no io.outpost.console line");
  }

  @Test
  @Order(1)
  void aSignedRevisionIsInstalledWhileAPodRunsUntouched() throws Exception {
    long configured = stack.edge.logCount("Gateway artifacts: 1 trusted key(s) [e2e]");
    stack.edge.editConfig("io.outpost.rollout.cfg", "trusted.keys", "e2e=" + key[0]);
    await("the node trusts the key").atMost(PATIENCE)
        .until(() -> stack.edge.logCount("Gateway artifacts: 1 trusted key(s) [e2e]") > configured);
    stack.createSleeper("artifact-pod");
    String container = containersOf(stack.awaitRunning("artifact-pod")).get(0);
    String startedAt = OutpostStack.startedAt(container);

    Path jar = revision("0.1.0.e2e1", null);
    String output = stack.edge.console("outpost:install-artifact " + manifestFile(jar, "0.1.0.e2e1", "e2e", key[1])
        + " " + jar);

    assertThat(output).contains("io.outpost.console 0.1.0.e2e1: installed (was 0.1.0."); // bnd stamps SNAPSHOTs
    await("the new console revision answers").atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
        assertThat(consoleVersion()).containsPattern("Active.*0\\.1\\.0\\.e2e1"));
    await("the node's own commands are back").atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
        assertThat(stack.edge.console("outpost:status")).containsPattern("connected\\W+true"));
    assertThat(OutpostStack.startedAt(container)).as("the pod's container was not restarted").isEqualTo(startedAt);
    assertThat(stack.pod("artifact-pod").getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
  }

  @Test
  @Order(2)
  void aRevisionThatDoesNotResolveIsRolledBackAndTheConsoleWorksOn() throws Exception {
    Path jar = revision("0.1.0.e2e2", "io.outpost.nowhere");
    Path manifest = manifestFile(jar, "0.1.0.e2e2", "e2e", key[1]);

    assertThatThrownBy(() -> stack.edge.console("outpost:install-artifact " + manifest + " " + jar))
        .hasMessageContaining("rolled_back").hasMessageContaining("io.outpost.nowhere");

    await("the revision before runs again").atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
        assertThat(consoleVersion()).containsPattern("Active.*0\\.1\\.0\\.e2e1"));
    await("the node's own commands answer").atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
        assertThat(stack.edge.console("outpost:status")).containsPattern("connected\\W+true"));
  }

  @Test
  @Order(3)
  void tamperedAndUntrustedArtifactsAreRefusedAndChangeNothing() throws Exception {
    Path jar = revision("0.1.0.e2e3", null);
    Path manifest = manifestFile(jar, "0.1.0.e2e3", "e2e", key[1]);
    byte[] bytes = Files.readAllBytes(jar);
    bytes[bytes.length / 2] ^= 1;
    Path tampered = Files.write(stack.dir.resolve("tampered.jar"), bytes);
    assertThatThrownBy(() -> stack.edge.console("outpost:install-artifact " + manifest + " " + tampered))
        .hasMessageContaining("refused").hasMessageContaining("tampered");

    Path byStranger = manifestFile(jar, "0.1.0.e2e3", "stranger", ArtifactSignatures.newKeyPair()[1]);
    assertThatThrownBy(() -> stack.edge.console("outpost:install-artifact " + byStranger + " " + jar))
        .hasMessageContaining("refused").hasMessageContaining("does not trust");

    assertThat(consoleVersion()).containsPattern("Active.*0\\.1\\.0\\.e2e1");
    assertThat(edgeMetrics()).as("the node counts what it did")
        .contains("outpost_edge_rollout_installs_total{result=\"installed\"} 1",
            "outpost_edge_rollout_installs_total{result=\"rolled_back\"} 1",
            "outpost_edge_rollout_installs_total{result=\"refused\"} 2", "outpost_edge_rollout_trusted_keys 1");
  }

  private String edgeMetrics() throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
        "http://127.0.0.1:" + stack.edge.metricsPort() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }
}
