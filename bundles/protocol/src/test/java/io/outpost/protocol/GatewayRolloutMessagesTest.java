package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The gateway rollout's wire: the target in the node's Node, chunk requests, binary chunks, progress reports. */
class GatewayRolloutMessagesTest {
  private static final String SHA = "ab".repeat(32);
  private final Codec codec = new Codec();

  static GatewayTargetV1 target() {
    return new GatewayTargetV1("console-0-2", "bundle", "io.outpost.console", "0.2.0", 1_000_000, SHA, "ops-2026",
        "c2lnbmF0dXJl");
  }

  @Test
  void aNodeCarriesItsGatewayTargetThroughTheCodecAndAnOlderNodeBodyHasNone() throws Exception {
    Downstream message = new Downstream(1, 1, 1, Downstream.Op.UPSERT, new ObjectRef("Node", null, "edge-1", "u",
        "1", null), null, null, null, new NodeV1(Map.of("a", "b"), List.of(), false, target()), null, null);
    Downstream decoded = codec.decode(codec.encode(message), Downstream.class);
    assertThat(decoded.node().gatewayTarget()).isEqualTo(target());
    String old = "{\"v\":1,\"epoch\":1,\"seq\":1,\"op\":\"UPSERT\",\"ref\":{\"kind\":\"Node\",\"name\":\"edge-1\","
        + "\"uid\":\"u\",\"resourceVersion\":\"1\"},\"node\":{\"labels\":{},\"unschedulable\":false}}";
    assertThat(codec.decode(old.getBytes(StandardCharsets.UTF_8), Downstream.class).node().gatewayTarget()).isNull();
  }

  @Test
  void aMalformedTargetIsRefusedWithTheField() {
    GatewayTargetV1 bad = new GatewayTargetV1("r", "bundle", "io.outpost.console", "0.2.0", 10, "AB".repeat(32),
        "ops", "c2ln");
    Downstream message = new Downstream(1, 1, 1, Downstream.Op.UPSERT, new ObjectRef("Node", null, "edge-1", "u",
        "1", null), null, null, null, new NodeV1(Map.of(), List.of(), false, bad), null, null);
    assertThatThrownBy(() -> codec.decode(codec.encode(message), Downstream.class))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.reason())
            .isEqualTo(ProtocolException.Reason.INVALID))
        .hasMessageContaining("gatewayTarget.sha256");
    GatewayTargetV1 huge = new GatewayTargetV1("r", "bundle", "n", "1", GatewayTargetV1.MAX_SIZE + 1, SHA, "k", "c2ln");
    Downstream tooBig = new Downstream(1, 1, 1, Downstream.Op.UPSERT, new ObjectRef("Node", null, "edge-1", "u",
        "1", null), null, null, null, new NodeV1(Map.of(), List.of(), false, huge), null, null);
    assertThatThrownBy(() -> codec.decode(codec.encode(tooBig), Downstream.class))
        .hasMessageContaining("gatewayTarget.size");
  }

  @Test
  void requestsAreBoundedDistinctAndWithinTheLargestArtifact() throws Exception {
    ArtifactRequest ok = ArtifactRequest.of("edge-1", SHA, 65536, List.of(0, 1, 5));
    assertThat(codec.decode(codec.encode(ok), ArtifactRequest.class)).isEqualTo(ok);
    List<ArtifactRequest> bad = List.of(
        ArtifactRequest.of("edge-1", SHA, 1024, List.of(0)),
        ArtifactRequest.of("edge-1", SHA, 65536, List.of()),
        ArtifactRequest.of("edge-1", SHA, 65536, List.of(1, 1)),
        ArtifactRequest.of("edge-1", SHA, 65536, List.of(-1)),
        ArtifactRequest.of("edge-1", SHA, 65536, List.of(1024)),
        ArtifactRequest.of("edge-1", "xyz", 65536, List.of(0)),
        ArtifactRequest.of("edge-1", SHA, 65536, IntStream.range(0, 65).boxed().toList()));
    for (ArtifactRequest request : bad) {
      assertThatThrownBy(() -> codec.decode(codec.encode(request), ArtifactRequest.class))
          .as(request.toString()).isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void aChunkCostsItsBytesPlusAFixedHeaderAndEveryFieldIsChecked() throws Exception {
    byte[] data = new byte[5000];
    Arrays.fill(data, (byte) 7);
    byte[] wire = ArtifactChunk.ok(SHA, 8192, 3, data).encode();
    assertThat(wire).hasSize(ArtifactChunk.HEADER + data.length);
    ArtifactChunk back = ArtifactChunk.decode(wire);
    assertThat(back.sha256()).isEqualTo(SHA);
    assertThat(back.index()).isEqualTo(3);
    assertThat(back.chunkSize()).isEqualTo(8192);
    assertThat(back.status()).isEqualTo(ArtifactChunk.Status.OK);
    assertThat(back.data()).isEqualTo(data);
    ArtifactChunk refusal = ArtifactChunk.decode(ArtifactChunk.refusal(SHA, 8192, 3,
        ArtifactChunk.Status.NOT_ASSIGNED).encode());
    assertThat(refusal.status()).isEqualTo(ArtifactChunk.Status.NOT_ASSIGNED);
    assertThat(refusal.data()).isEmpty();

    assertThatThrownBy(() -> ArtifactChunk.decode(Arrays.copyOf(wire, 10))).hasMessageContaining("header");
    byte[] noMagic = wire.clone();
    noMagic[0] = 'X';
    assertThatThrownBy(() -> ArtifactChunk.decode(noMagic)).hasMessageContaining("magic");
    byte[] version = wire.clone();
    version[4] = 2;
    assertThatThrownBy(() -> ArtifactChunk.decode(version)).isInstanceOfSatisfying(ProtocolException.class,
        e -> assertThat(e.reason()).isEqualTo(ProtocolException.Reason.UNSUPPORTED_VERSION));
    byte[] status = wire.clone();
    status[5] = 9;
    assertThatThrownBy(() -> ArtifactChunk.decode(status)).hasMessageContaining("status");
    byte[] longer = ArtifactChunk.ok(SHA, 4096, 0, new byte[4097]).encode();
    assertThatThrownBy(() -> ArtifactChunk.decode(longer)).hasMessageContaining("4097");
    byte[] refusalWithData = ArtifactChunk.ok(SHA, 4096, 0, new byte[1]).encode();
    refusalWithData[5] = 2;
    assertThatThrownBy(() -> ArtifactChunk.decode(refusalWithData)).isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> ArtifactChunk.decode(new byte[ArtifactChunk.HEADER + ArtifactRequest.MAX_CHUNK + 1]))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.reason())
            .isEqualTo(ProtocolException.Reason.OVERSIZED));
  }

  @Test
  void reportsNameTheirTargetUnlessIdleAndCountChunksSanely() throws Exception {
    RolloutReport installed = new RolloutReport(1, "edge-1", "2026-12-08T01:00:00Z", "r", "io.outpost.console",
        "0.2.0", SHA, "installed", null, 0, 0);
    assertThat(codec.decode(codec.encode(installed), RolloutReport.class)).isEqualTo(installed);
    assertThat(installed.isFinal()).isTrue();
    assertThat(installed.succeeded()).isTrue();
    RolloutReport idle = new RolloutReport(1, "edge-1", "2026-12-08T01:00:00Z", null, null, null, null, "idle", null,
        0, 0);
    assertThat(codec.decode(codec.encode(idle), RolloutReport.class).isFinal()).isFalse();
    List<RolloutReport> bad = List.of(
        new RolloutReport(1, "edge-1", "2026-12-08T01:00:00Z", "r", "n", "1", SHA, "exploded", null, 0, 0),
        new RolloutReport(1, "edge-1", "2026-12-08T01:00:00Z", null, "n", "1", SHA, "installed", null, 0, 0),
        new RolloutReport(1, "edge-1", "yesterday", "r", "n", "1", SHA, "installed", null, 0, 0),
        new RolloutReport(1, "edge-1", "2026-12-08T01:00:00Z", "r", "n", "1", SHA, "transferring", null, 5, 4),
        new RolloutReport(1, "edge-1", "2026-12-08T01:00:00Z", "r", "n", "1", SHA, "refused", "x".repeat(1025), 0,
            0));
    for (RolloutReport report : bad) {
      assertThatThrownBy(() -> codec.decode(codec.encode(report), RolloutReport.class)).as(report.toString())
          .isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void topicsOfTheNewChannels() {
    assertThat(Topics.artifact("edge-1")).isEqualTo("outpost/v1/edge-1/artifact");
    assertThat(Topics.parseUp("outpost/v1/edge-1/up/artifact")).contains(new Topics.UpTopic("edge-1",
        Topics.Up.ARTIFACT));
    assertThat(Topics.parseUp("outpost/v1/edge-1/up/rollout")).contains(new Topics.UpTopic("edge-1",
        Topics.Up.ROLLOUT));
  }
}
