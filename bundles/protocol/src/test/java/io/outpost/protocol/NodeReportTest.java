package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Allocatable and pressure conditions in the heartbeat: optional, so that old and new nodes both decode. */
class NodeReportTest {
  private final Codec codec = new Codec();

  private static NodeReport withConditions(List<NodeReport.Condition> conditions) {
    return new NodeReport(1, "edge-1", "2026-12-07T01:00:00Z", true, "ok",
        Map.of("cpu", "4", "memory", "8167056Ki", "pods", "110", "ephemeral-storage", "102400Ki"), null, null, null,
        Map.of("cpu", "4", "memory", "8064656Ki", "pods", "110", "ephemeral-storage", "94371840"), conditions);
  }

  @Test
  void aHeartbeatWithoutTheNewFieldsAsAnOldNodeSendsItDecodesWithThemAbsent() throws Exception {
    String old = """
        {"v":1,"node":"edge-1","sentAt":"2026-12-07T01:00:00Z","ready":true,"message":"Outpost edge ready",
         "capacity":{"cpu":"4","memory":"8167056Ki","pods":"110"},
         "addresses":[{"type":"Hostname","address":"edge-1"}]}""";
    NodeReport report = codec.decode(old.getBytes(StandardCharsets.UTF_8), NodeReport.class);
    assertThat(report.capacity()).containsEntry("memory", "8167056Ki").doesNotContainKey("ephemeral-storage");
    assertThat(report.allocatable()).isNull();
    assertThat(report.conditions()).isNull();
  }

  @Test
  void allocatableAndConditionsSurviveTheCodecAndNullsAreNotWritten() throws Exception {
    NodeReport report = withConditions(List.of(
        new NodeReport.Condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"),
        new NodeReport.Condition("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure")));
    assertThat(codec.decode(codec.encode(report), NodeReport.class)).isEqualTo(report);
    NodeReport bare = new NodeReport(1, "edge-1", "2026-12-07T01:00:00Z", true, "ok", null, null, null);
    String json = new String(codec.encode(bare), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("allocatable").doesNotContain("conditions");
  }

  @Test
  void aConditionWithAnotherStatusATypeTwiceOrAnOddTypeIsInvalid() {
    assertInvalid(withConditions(List.of(new NodeReport.Condition("DiskPressure", "Yes", "r", "m"))),
        "has status 'Yes'");
    assertInvalid(withConditions(List.of(new NodeReport.Condition("DiskPressure", "True", "r", "m"),
        new NodeReport.Condition("DiskPressure", "False", "r", "m"))), "appears twice");
    assertInvalid(withConditions(List.of(new NodeReport.Condition("disk pressure", "True", "r", "m"))),
        "invalid condition type");
    assertInvalid(withConditions(List.of(new NodeReport.Condition("DiskPressure", "True", "r",
        "x".repeat(NodeReport.MAX_CONDITION_TEXT + 1)))), "longer than");
    assertInvalid(withConditions(Collections.nCopies(NodeReport.MAX_CONDITIONS + 1,
        new NodeReport.Condition("A", "True", "r", "m"))), "at most");
  }

  private void assertInvalid(NodeReport report, String why) {
    assertThatThrownBy(() -> codec.decode(codec.encode(report), NodeReport.class))
        .isInstanceOf(ProtocolException.class).hasMessageStartingWith("invalid").hasMessageContaining(why);
  }
}
