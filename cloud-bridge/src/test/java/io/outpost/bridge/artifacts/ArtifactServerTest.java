package io.outpost.bridge.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.ArtifactChunk;
import io.outpost.protocol.ArtifactRequest;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Topics;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge's side of the artifact transfer: a node gets only its assigned artifact, in chunks that put together are
 * the artifact; a source whose bytes are not the signed ones is never served; a source outside the artifact directory
 * is refused; requests that are malformed or name another node are refused and counted.
 */
class ArtifactServerTest {
  private static final String NODE = "edge-1";
  @TempDir
  Path dir;
  private final Codec codec = new Codec();
  private final Metrics metrics = new Metrics();
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final List<byte[]> published = new ArrayList<>();
  private ArtifactStore store;
  private ArtifactServer server;
  private HttpServer http;
  private byte[] artifact;

  @BeforeEach
  void start() throws Exception {
    artifact = new byte[300_000];
    new Random(7).nextBytes(artifact);
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/a.jar", exchange -> {
      exchange.sendResponseHeaders(200, artifact.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(artifact);
      }
    });
    http.start();
    store = new ArtifactStore(dir, Executors.newSingleThreadExecutor(), metrics, Clock.systemUTC());
    server = new ArtifactServer(codec, store, nodes::get, (topic, payload) -> {
      assertThat(topic).isEqualTo(Topics.artifact(NODE));
      synchronized (published) {
        published.add(payload);
      }
      return true;
    }, metrics);
  }

  @AfterEach
  void stop() {
    server.close();
    store.close();
    http.stop(0);
  }

  private String sha(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private void assign(String source, long size, String sha) {
    GatewayAnnotations.Target target = new GatewayAnnotations.Target("r1", "bundle", "io.outpost.console", "0.2.0",
        size, sha, "ops", "c2lnbmF0dXJl", source);
    nodes.put(NODE, new NodeBuilder().withNewMetadata().withName(NODE)
        .withAnnotations(Map.of(GatewayAnnotations.TARGET, GatewayAnnotations.format(target))).endMetadata().build());
  }

  private void ask(String sha, List<Integer> indices) {
    server.handle(new Topics.UpTopic(NODE, Topics.Up.ARTIFACT), codec.encode(ArtifactRequest.of(NODE, sha, 65536,
        indices)));
  }

  private List<ArtifactChunk> answers() throws Exception {
    List<ArtifactChunk> chunks = new ArrayList<>();
    synchronized (published) {
      for (byte[] payload : published) {
        chunks.add(ArtifactChunk.decode(payload));
      }
      published.clear();
    }
    return chunks;
  }

  @Test
  void aNodeGetsItsArtifactOnceTheBridgeHasAVerifiedCopyAndTheChunksAreTheArtifact() throws Exception {
    String sha = sha(artifact);
    assign("http://127.0.0.1:" + http.getAddress().getPort() + "/a.jar", artifact.length, sha);
    List<Integer> all = IntStream.range(0, 5).boxed().toList();
    ask(sha, all);
    assertThat(answers()).singleElement().satisfies(c ->
        assertThat(c.status()).isEqualTo(ArtifactChunk.Status.UNAVAILABLE));
    await().until(() -> store.artifact(nodeTarget()).isPresent());
    ask(sha, all);
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    for (ArtifactChunk chunk : answers()) {
      assertThat(chunk.status()).isEqualTo(ArtifactChunk.Status.OK);
      whole.write(chunk.data());
    }
    assertThat(whole.toByteArray()).isEqualTo(artifact);
    assertThat(metrics.get("outpost_bridge_artifact_fetches_total", "result", "ok")).isEqualTo(1);
    assertThat(metrics.get("outpost_bridge_artifact_bytes_sent_total"))
        .isEqualTo(artifact.length + 5L * ArtifactChunk.HEADER);
  }

  private GatewayAnnotations.Target nodeTarget() {
    return GatewayAnnotations.targetOrEmpty(nodes.get(NODE)).orElseThrow();
  }

  @Test
  void anArtifactThatIsNotTheNodesTargetIsNotServed() throws Exception {
    assign("http://127.0.0.1:" + http.getAddress().getPort() + "/a.jar", artifact.length, sha(artifact));
    ask("cd".repeat(32), List.of(0));
    assertThat(answers()).singleElement().satisfies(c ->
        assertThat(c.status()).isEqualTo(ArtifactChunk.Status.NOT_ASSIGNED));
    nodes.put(NODE, new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build());
    ask(sha(artifact), List.of(0));
    assertThat(answers()).singleElement().satisfies(c ->
        assertThat(c.status()).isEqualTo(ArtifactChunk.Status.NOT_ASSIGNED));
  }

  @Test
  void aSourceWhoseBytesAreNotTheSignedOnesIsNeverServed() throws Exception {
    byte[] other = artifact.clone();
    other[100] ^= 1;
    assign("http://127.0.0.1:" + http.getAddress().getPort() + "/a.jar", artifact.length, sha(other));
    ask(sha(other), List.of(0));
    await().until(() -> metrics.get("outpost_bridge_artifact_fetches_total", "result", "failed") == 1);
    assertThat(store.failure(sha(other))).hasValueSatisfying(why -> assertThat(why).contains("SHA-256"));
    assertThat(Files.exists(dir.resolve(sha(other)))).isFalse();
    ask(sha(other), List.of(0));
    assertThat(answers()).allSatisfy(c -> assertThat(c.status()).isEqualTo(ArtifactChunk.Status.UNAVAILABLE));
  }

  @Test
  void aFileSourceIsReadOnlyFromTheArtifactDirectory() throws Exception {
    Files.write(dir.resolve("sources").resolve("a.jar"), artifact);
    Files.write(dir.resolve("secret"), artifact);
    String sha = sha(artifact);
    assign("file:../secret", artifact.length, sha);
    ask(sha, List.of(0));
    await().until(() -> store.failure(sha).isPresent());
    assertThat(store.failure(sha).get()).contains("names a file in");
    assign("file:a.jar", artifact.length, sha);
    GatewayAnnotations.Target target = nodeTarget();
    await().ignoreExceptions().until(() -> store.artifact(target).isPresent()); // after the failed fetch's back-off
  }

  @Test
  void malformedAndSpoofedRequestsAreRefusedAndCounted() throws Exception {
    assign("file:a.jar", artifact.length, sha(artifact));
    server.handle(new Topics.UpTopic(NODE, Topics.Up.ARTIFACT), "{\"v\":1".getBytes());
    server.handle(new Topics.UpTopic(NODE, Topics.Up.ARTIFACT), codec.encode(ArtifactRequest.of("edge-2",
        sha(artifact), 65536, List.of(0))));
    server.handle(new Topics.UpTopic("edge-9", Topics.Up.ARTIFACT), codec.encode(ArtifactRequest.of("edge-9",
        sha(artifact), 65536, List.of(0))));
    server.handle(new Topics.UpTopic(NODE, Topics.Up.ARTIFACT), codec.encode(ArtifactRequest.of(NODE,
        sha(artifact), 65536, List.of(100))));
    assertThat(metrics.get("outpost_bridge_rejected_total", "reason", "malformed")).isEqualTo(1);
    assertThat(metrics.get("outpost_bridge_rejected_total", "reason", "wrong_node")).isEqualTo(1);
    assertThat(metrics.get("outpost_bridge_rejected_total", "reason", "not_edge_node")).isEqualTo(1);
    assertThat(metrics.get("outpost_bridge_rejected_total", "reason", "invalid")).isEqualTo(1);
    assertThat(answers()).isEmpty();
  }
}
