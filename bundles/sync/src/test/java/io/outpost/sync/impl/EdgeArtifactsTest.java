package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ArtifactChunk;
import io.outpost.protocol.ArtifactRequest;
import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import io.outpost.protocol.RolloutReport;
import io.outpost.protocol.Topics;
import io.outpost.sync.ArtifactChannel;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway rollout channel of the link, through a real Mosquitto: chunk requests and progress reports reach the
 * bridge's topics with the node's name, chunks on the node's artifact topic reach the listener decoded, a malformed
 * one is refused and counted, and the newest report is sent again when a bridge announces a new session.
 */
class EdgeArtifactsTest {
  private static final String NODE = "edge-artifacts-test";
  private static final String SHA = "ab".repeat(32);
  private final Codec codec = new Codec();
  @TempDir Path dir;
  private SyncHarness h;
  private final EdgeArtifacts artifacts = new EdgeArtifacts(Clock.systemUTC());
  private final BlockingQueue<ArtifactRequest> requests = new LinkedBlockingQueue<>();
  private final BlockingQueue<RolloutReport> reports = new LinkedBlockingQueue<>();
  private final BlockingQueue<ArtifactChunk> chunks = new LinkedBlockingQueue<>();
  private final AtomicInteger linkUps = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    h = SyncHarness.start(dir, codec, 1L,
        SyncHarness.on(Topics.up(NODE, Topics.Up.ARTIFACT), (t, m) ->
            requests.add(codec.decode(m.getPayload(), ArtifactRequest.class))),
        SyncHarness.on(Topics.up(NODE, Topics.Up.ROLLOUT), (t, m) ->
            reports.add(codec.decode(m.getPayload(), RolloutReport.class))));
    artifacts.listen(new ArtifactChannel.Listener() {
      @Override
      public void chunk(ArtifactChunk chunk) {
        chunks.add(chunk);
      }

      @Override
      public void linkUp() {
        linkUps.incrementAndGet();
      }
    });
    Settings settings = Settings.from(JoinConfigurationTest.config(Map.of("node_name", NODE, "broker_url",
        h.broker.url(), "insecure_plaintext", true, "heartbeat_interval_seconds", 1,
        "identity_dir", dir.resolve("identity").toString())));
    h.run(() -> new EdgeSync(settings, TestStores.sync(h.store), h.executor, "test", Map::of, () -> null,
        io.outpost.identity.NodeCredentials.of(settings.enrollment(), Clock.systemUTC()), () -> null, artifacts));
    await().until(() -> linkUps.get() > 0);
  }

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      h.close();
    }
  }

  @Test
  void requestsAndReportsGoUpWithTheNodesNameAndChunksComeDownDecoded() throws Exception {
    assertThat(artifacts.request(SHA, 65536, List.of(0, 1))).isTrue();
    ArtifactRequest request = requests.poll(10, TimeUnit.SECONDS);
    assertThat(request).isNotNull();
    assertThat(request.node()).isEqualTo(NODE);
    assertThat(request.indices()).containsExactly(0, 1);

    artifacts.report(new ArtifactChannel.Progress("r1", "io.outpost.console", "0.2.0", SHA, "transferring", null, 1,
        16));
    RolloutReport report = reports.poll(10, TimeUnit.SECONDS);
    assertThat(report).isNotNull();
    assertThat(report.node()).isEqualTo(NODE);
    assertThat(report.state()).isEqualTo("transferring");
    assertThat(report.received()).isEqualTo(1);

    h.bridge.publish(Topics.artifact(NODE), ArtifactChunk.ok(SHA, 65536, 0, new byte[] {1, 2, 3}).encode(), 1,
        false);
    ArtifactChunk chunk = chunks.poll(10, TimeUnit.SECONDS);
    assertThat(chunk).isNotNull();
    assertThat(chunk.data()).containsExactly(1, 2, 3);

    h.bridge.publish(Topics.artifact(NODE), "not a chunk at all, just text".getBytes(), 1, false);
    await().until(() -> artifacts.refused() == 1);
    assertThat(chunks).isEmpty();
  }

  @Test
  void theNewestReportIsSentAgainWhenABridgeAnnouncesANewSession() throws Exception {
    artifacts.report(new ArtifactChannel.Progress("r1", "io.outpost.console", "0.2.0", SHA, "rolled_back",
        "did not resolve", 0, 0));
    assertThat(reports.poll(10, TimeUnit.SECONDS)).isNotNull();
    int before = linkUps.get();
    h.bridge.publish(Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, 2L, "session-1", "now")), 1, true);
    RolloutReport again = reports.poll(10, TimeUnit.SECONDS);
    assertThat(again).isNotNull();
    assertThat(again.state()).isEqualTo("rolled_back");
    assertThat(again.reason()).isEqualTo("did not resolve");
    await().until(() -> linkUps.get() > before);
  }
}
