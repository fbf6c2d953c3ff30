package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The resource usage report: round trip, bounds, names that end up in Prometheus labels, versions, topic. */
class StatsReportTest {
  private final Codec codec = new Codec();

  static StatsReport report(List<StatsReport.PodUsage> pods) {
    return new StatsReport(1, "edge-1", "2026-12-07T21:00:00Z", new StatsReport.NodeUsage("2026-12-07T21:00:00Z",
        "2026-12-01T00:00:00Z", 123_456_789_000L, 512L << 20, 600L << 20, 1L << 30, 10L << 30, 100L << 30, 90L << 30,
        1_000L, 2_000L), pods);
  }

  static StatsReport.PodUsage pod(String name, String uid, StatsReport.ContainerUsage... containers) {
    return new StatsReport.PodUsage("default", name, uid, "2026-12-07T20:00:00Z", List.of(containers));
  }

  static StatsReport.ContainerUsage container(String name, long cpuNanos, long workingSet) {
    return new StatsReport.ContainerUsage(name, "2026-12-07T20:00:01Z", "2026-12-07T21:00:00.123Z", cpuNanos,
        workingSet, workingSet + 4096);
  }

  @Test
  void aReportSurvivesTheCodecAndOptionalFiguresAreLeftOutWhenUnknown() throws Exception {
    StatsReport report = report(List.of(pod("web", "u-1", container("nginx", 5_000_000_000L, 20L << 20),
        container("sidecar", 1, 0))));
    assertThat(codec.decode(codec.encode(report), StatsReport.class)).isEqualTo(report);
    StatsReport bare = new StatsReport(1, "edge-1", "2026-12-07T21:00:00Z",
        new StatsReport.NodeUsage("2026-12-07T21:00:00Z", null, 1, 2), List.of());
    String json = new String(codec.encode(bare), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("fsUsedBytes").doesNotContain("networkRxBytes").doesNotContain("startTime");
    assertThat(codec.decode(json.getBytes(StandardCharsets.UTF_8), StatsReport.class)).isEqualTo(bare);
  }

  @Test
  void theStatsChannelHasItsOwnTopicInTheNodesSubtree() {
    String topic = Topics.up("edge-1", Topics.Up.STATS);
    assertThat(topic).isEqualTo("outpost/v1/edge-1/up/stats");
    assertThat(Topics.parseUp(topic)).contains(new Topics.UpTopic("edge-1", Topics.Up.STATS));
  }

  @Test
  void anUnknownVersionIsRejectedAsUnsupported() {
    String json = "{\"v\":2,\"node\":\"edge-1\",\"sentAt\":\"2026-12-07T21:00:00Z\",\"usage\":{\"time\":"
        + "\"2026-12-07T21:00:00Z\",\"cpuCoreNanos\":1,\"memoryWorkingSetBytes\":1}}";
    assertThatThrownBy(() -> codec.decode(json.getBytes(StandardCharsets.UTF_8), StatsReport.class))
        .isInstanceOfSatisfying(ProtocolException.class, e ->
            assertThat(e.reason()).isEqualTo(ProtocolException.Reason.UNSUPPORTED_VERSION));
  }

  @Test
  void malformedAndOversizedPayloadsAreRejectedWithTheirReason() {
    assertReason("{\"v\":1,\"node\":", ProtocolException.Reason.MALFORMED);
    assertReason("{\"v\":1,\"node\":\"edge-1\",\"sentAt\":\"2026-12-07T21:00:00Z\",\"usage\":{\"time\":"
        + "\"2026-12-07T21:00:00Z\",\"cpuCoreNanos\":\"lots\",\"memoryWorkingSetBytes\":1}}",
        ProtocolException.Reason.MALFORMED);
    assertReason("{\"v\":1,\"node\":\"edge-1\",\"sentAt\":\"2026-12-07T21:00:00Z\",\"usage\":{\"time\":"
        + "\"2026-12-07T21:00:00Z\",\"cpuCoreNanos\":1e400,\"memoryWorkingSetBytes\":1}}",
        ProtocolException.Reason.MALFORMED);
    Codec small = new Codec(1024);
    byte[] big = codec.encode(report(manyPods(20)));
    assertThat(big.length).isGreaterThan(1024);
    assertThatThrownBy(() -> small.decode(big, StatsReport.class)).isInstanceOfSatisfying(ProtocolException.class,
        e -> assertThat(e.reason()).isEqualTo(ProtocolException.Reason.OVERSIZED));
  }

  @Test
  void missingTimesNegativeFiguresAndTooManyPodsOrContainersAreInvalid() {
    assertInvalid(new StatsReport(1, "edge-1", "2026-12-07T21:00:00Z", null, List.of()), "usage");
    assertInvalid(new StatsReport(1, "edge-1", "2026-12-07T21:00:00Z",
        new StatsReport.NodeUsage(null, null, 1, 1), List.of()), "usage.time");
    assertInvalid(new StatsReport(1, "edge-1", "yesterday", new StatsReport.NodeUsage("2026-12-07T21:00:00Z",
        null, 1, 1), List.of()), "sentAt");
    assertInvalid(new StatsReport(1, "edge-1", "2026-12-07T21:00:00Z",
        new StatsReport.NodeUsage("2026-12-07T21:00:00Z", null, -1, 1), List.of()), "negative");
    assertInvalid(report(List.of(pod("web", "u-1", new StatsReport.ContainerUsage("c", null, "2026-12-07T21:00:00Z",
        1, -5, null)))), "negative");
    assertInvalid(report(List.of(pod("web", "u-1", new StatsReport.ContainerUsage("c", null, null, 1, 1, null)))),
        "containers[].time");
    assertInvalid(report(manyPods(StatsReport.MAX_PODS + 1)), "at most " + StatsReport.MAX_PODS);
    assertInvalid(report(List.of(new StatsReport.PodUsage("default", "web", "u-1", null,
        Collections.nCopies(StatsReport.MAX_CONTAINERS + 1, container("c", 1, 1))))), "at most");
  }

  @Test
  void namesThatCouldBreakAPrometheusLineOrRepeatsAreInvalid() {
    assertInvalid(report(List.of(pod("web\"} 1\nnode_cpu", "u-1", container("c", 1, 1)))), "not a valid name");
    assertInvalid(report(List.of(pod("web", "u-1", container("C\"", 1, 1)))), "not a valid name");
    assertInvalid(report(List.of(new StatsReport.PodUsage("Default", "web", "u-1", null, List.of()))),
        "not a valid name");
    assertInvalid(report(List.of(pod("web", "u 1"))), "not a valid name");
    assertInvalid(report(List.of(pod("web", "u-1"), pod("web", "u-2"))), "appears twice");
    assertInvalid(report(List.of(pod("web", "u-1"), pod("api", "u-1"))), "appears twice");
    assertInvalid(report(List.of(pod("web", "u-1", container("c", 1, 1), container("c", 2, 2)))), "appears twice");
  }

  private static List<StatsReport.PodUsage> manyPods(int count) {
    List<StatsReport.PodUsage> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      pods.add(pod("pod-" + i, "uid-" + i, container("c", i, i)));
    }
    return pods;
  }

  private void assertReason(String json, ProtocolException.Reason reason) {
    assertThatThrownBy(() -> codec.decode(json.getBytes(StandardCharsets.UTF_8), StatsReport.class))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  private void assertInvalid(StatsReport report, String why) {
    assertThatThrownBy(report::validate).isInstanceOfSatisfying(ProtocolException.class, e -> {
      assertThat(e.reason()).isEqualTo(ProtocolException.Reason.INVALID);
      assertThat(e.getMessage()).contains(why);
    });
  }
}
