package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures;
import io.outpost.testing.BundleRevision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

/**
 * Bytes on one edge node's MQTT connection for a gateway rollout of a {@code size}-byte bundle (default 1,000,000 bytes
 * of incompressible content in a new revision of the console bundle): the shipped distribution connected through a
 * byte-counting proxy, a bridge with the signed artifact in its artifact directory. Counts both directions from the
 * moment the Node is assigned the target (as the rollout controller does) until the bridge has recorded the node's
 * {@code installed} report: the Node update carrying the target, the chunk requests, the chunks, the progress reports,
 * and whatever else the link carries meanwhile (heartbeats, their acknowledgements) — all MQTT bytes as TCP carries
 * them, without TCP/IP headers.
 *
 * <p>{@code bench/rollout-bytes.sh [size=1000000]}
 */
public final class RolloutBytes {
  private RolloutBytes() {}

  public static void main(String[] args) throws Exception {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    String name = "bench-rollout";
    Path artifacts = Files.createTempDirectory("outpost-bench-artifacts");
    String[] key = ArtifactSignatures.newKeyPair();
    try (BenchStack stack = new BenchStack(name, Map.of("OUTPOST_ARTIFACT_DIR", artifacts.toString()), Map.of(), 0,
        true)) {
      long configured = stack.edge.logCount("Gateway artifacts: 1 trusted key(s) [bench]");
      stack.edge.editConfig("io.outpost.rollout.cfg", "trusted.keys", "bench=" + key[0]);
      await().atMost(BenchStack.PATIENCE).until(() ->
          stack.edge.logCount("Gateway artifacts: 1 trusted key(s) [bench]") > configured);
      await().atMost(BenchStack.PATIENCE).until(() -> stack.client.nodes().withName(name).get() != null);
      Path jar = revision(stack, artifacts.resolve("sources"), size);
      String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)));
      ArtifactManifest m = ArtifactSignatures.sign(ArtifactManifest.unsigned(ArtifactManifest.BUNDLE,
          "io.outpost.console", "0.1.0.bench", Files.size(jar), digest, "bench"), key[1]);
      String target = GatewayAnnotations.format(new GatewayAnnotations.Target("bench", m.type(), m.name(),
          m.version(), m.size(), m.sha256(), m.keyId(), m.signature(), "file:" + jar.getFileName()));

      DelayProxy link = stack.edgeLink();
      long up = link.up();
      long down = link.down();
      long start = System.nanoTime();
      stack.client.nodes().withName(name).edit(n -> {
        n.getMetadata().getAnnotations().put(GatewayAnnotations.TARGET, target);
        return n;
      });
      await().atMost(BenchStack.PATIENCE).pollInterval(Duration.ofMillis(20)).until(() -> GatewayAnnotations
          .status(stack.client.nodes().withName(name).get()).filter(r -> r.isFinal()).isPresent());
      double seconds = (System.nanoTime() - start) / 1e9;
      String state = GatewayAnnotations.status(stack.client.nodes().withName(name).get()).orElseThrow().state();
      long upBytes = link.up() - up;
      long downBytes = link.down() - down;
      long chunkBytes = stack.bridge.metrics().get("outpost_bridge_artifact_bytes_sent_total");
      long chunks = stack.bridge.metrics().get("outpost_bridge_artifact_chunks_total", "outcome", "sent");
      System.out.printf("artifact: %d bytes (bundle jar with %d bytes of random content), outcome %s in %.2f s%n",
          m.size(), size, state, seconds);
      System.out.printf("chunk payloads sent by the bridge: %d chunks, %d bytes (%.2f %% over the artifact)%n",
          chunks, chunkBytes, 100.0 * (chunkBytes - m.size()) / m.size());
      System.out.printf("down (broker → node): %d bytes; up (node → broker): %d bytes%n", downBytes, upBytes);
      System.out.printf("total on the link: %d bytes = artifact × %.4f%n", upBytes + downBytes,
          (double) (upBytes + downBytes) / m.size());
    } finally {
      try (var files = Files.walk(artifacts)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The distribution's console bundle as a new revision carrying {@code padding} random bytes. */
  private static Path revision(BenchStack stack, Path dir, int padding) {
    byte[] random = new byte[padding];
    new Random(1).nextBytes(random);
    return BundleRevision.write(BundleRevision.console(stack.edge.home()), dir.resolve("outpost-console-bench.jar"),
        "0.1.0.bench", null, random);
  }
}
