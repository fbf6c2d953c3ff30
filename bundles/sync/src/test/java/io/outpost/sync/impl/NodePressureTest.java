package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.NodeReport;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Allocatable and the pressure conditions from injected measurements, as a kubelet with the same settings. */
class NodePressureTest {
  private static final long GI = 1024L * 1024 * 1024;
  private static final long MI = 1024L * 1024;

  /** A clock the test moves. */
  private static final class Now extends Clock {
    Instant instant = Instant.parse("2026-12-07T01:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return instant;
    }
  }

  private final Now clock = new Now();

  private static HostMeasurements host(long memAvailable, long nodefsAvailable, long imagefsAvailable, long pids) {
    return new HostMeasurements(4, 8 * GI, memAvailable, 100 * GI, nodefsAvailable, 200 * GI, imagefsAvailable, pids,
        32768);
  }

  private static HostMeasurements healthy() {
    return host(4 * GI, 50 * GI, 150 * GI, 300);
  }

  private NodePressure pressure(String evictionHard, String systemReserved) {
    return new NodePressure(NodeStatusSettings.from(evictionHard, systemReserved, "", 300, Path.of("/var/lib/x"),
        ""), clock);
  }

  private NodePressure defaults() {
    return pressure(NodeStatusSettings.DEFAULT_EVICTION_HARD, "");
  }

  private static NodeReport.Condition condition(NodePressure.Evaluation evaluation, String type) {
    return evaluation.conditions().stream().filter(c -> c.type().equals(type)).findFirst().orElseThrow();
  }

  @Test
  void allocatableIsCapacityLessReservedLessTheHardEvictionThresholdAsTheKubeletComputesIt() {
    NodePressure.Evaluation e = pressure(NodeStatusSettings.DEFAULT_EVICTION_HARD,
        "cpu=500m,memory=256Mi,ephemeral-storage=1Gi").evaluate(healthy(), 110);
    assertThat(e.capacity()).isEqualTo(Map.of("cpu", "4", "memory", "8388608Ki", "pods", "110",
        "ephemeral-storage", "104857600Ki"));
    // memory: 8Gi − 256Mi − 100Mi; ephemeral-storage: 100Gi − 1Gi − 10% of 100Gi; cpu 4 − 500m.
    assertThat(e.allocatable()).isEqualTo(Map.of("cpu", "3500m",
        "memory", Quantities.formatBytes(8 * GI - 256 * MI - 100 * MI), "pods", "110",
        "ephemeral-storage", Quantities.formatBytes(100 * GI - GI - (long) (100 * GI * 0.10))));
    assertThat(defaults().evaluate(healthy(), 110).allocatable())
        .containsEntry("cpu", "4").containsEntry("memory", "8286208Ki");
  }

  @Test
  void aHealthyHostReportsTheThreeConditionsFalseWithTheKubeletsReasonsInItsOrder() {
    assertThat(defaults().evaluate(healthy(), 110).conditions()).containsExactly(
        new NodeReport.Condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"),
        new NodeReport.Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        new NodeReport.Condition("PIDPressure", "False", "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"));
  }

  @Test
  void memoryBelowItsThresholdIsPressureThatEndsOnlyAfterTheTransitionPeriod() {
    NodePressure pressure = defaults();
    assertThat(condition(pressure.evaluate(host(100 * MI, 50 * GI, 150 * GI, 300), 110), "MemoryPressure"))
        .as("exactly at the threshold is not below it").extracting(NodeReport.Condition::status).isEqualTo("False");
    NodeReport.Condition low = condition(pressure.evaluate(host(100 * MI - 1, 50 * GI, 150 * GI, 300), 110),
        "MemoryPressure");
    assertThat(low).isEqualTo(new NodeReport.Condition("MemoryPressure", "True", "KubeletHasInsufficientMemory",
        "kubelet has insufficient memory available"));

    clock.instant = clock.instant.plus(Duration.ofSeconds(300));
    assertThat(condition(pressure.evaluate(healthy(), 110), "MemoryPressure").status())
        .as("recovered, but not for longer than the transition period").isEqualTo("True");
    clock.instant = clock.instant.plusSeconds(1);
    assertThat(condition(pressure.evaluate(healthy(), 110), "MemoryPressure").reason())
        .isEqualTo("KubeletHasSufficientMemory");
  }

  @Test
  void eitherFilesystemBelowItsThresholdIsDiskPressure() {
    NodePressure.Evaluation nodefs = defaults().evaluate(host(4 * GI, 10 * GI - 1, 150 * GI, 300), 110);
    assertThat(condition(nodefs, "DiskPressure")).isEqualTo(new NodeReport.Condition("DiskPressure", "True",
        "KubeletHasDiskPressure", "kubelet has disk pressure"));
    assertThat(condition(nodefs, "MemoryPressure").status()).isEqualTo("False");
    NodePressure.Evaluation imagefs = defaults().evaluate(host(4 * GI, 50 * GI, 30 * GI - 1, 300), 110);
    assertThat(condition(imagefs, "DiskPressure").status()).as("15% of 200Gi").isEqualTo("True");
    assertThat(condition(defaults().evaluate(host(4 * GI, 50 * GI, 30 * GI, 300), 110), "DiskPressure").status())
        .isEqualTo("False");
  }

  @Test
  void pidPressureNeedsAPidThresholdAsOnAKubeletAndThenFollowsTasksInUse() {
    assertThat(condition(defaults().evaluate(host(4 * GI, 50 * GI, 150 * GI, 32760), 110), "PIDPressure")
        .status()).as("the kubelet's defaults have no pid.available threshold").isEqualTo("False");
    NodePressure withPid = pressure(NodeStatusSettings.DEFAULT_EVICTION_HARD + ",pid.available<10%", "");
    assertThat(condition(withPid.evaluate(host(4 * GI, 50 * GI, 150 * GI, 29492), 110), "PIDPressure").status())
        .as("3276 of 32768 left, the threshold is 3276").isEqualTo("False");
    assertThat(condition(withPid.evaluate(host(4 * GI, 50 * GI, 150 * GI, 29493), 110), "PIDPressure"))
        .isEqualTo(new NodeReport.Condition("PIDPressure", "True", "KubeletHasInsufficientPID",
            "kubelet has insufficient PID available"));
  }

  @Test
  void whatCannotBeMeasuredIsUnknownAndOffersNoEphemeralStorage() {
    HostMeasurements blind = new HostMeasurements(2, -1, -1, -1, -1, -1, -1, -1, -1);
    NodePressure.Evaluation e = defaults().evaluate(blind, 110);
    assertThat(e.capacity()).doesNotContainKey("ephemeral-storage").containsEntry("memory", "0");
    assertThat(e.conditions()).extracting(NodeReport.Condition::status).containsExactly("Unknown", "Unknown",
        "False");
    assertThat(condition(e, "DiskPressure").message()).contains("nodefs.available", "imagefs.available");
  }

  @Test
  void allocatableNeverGoesBelowZero() {
    NodePressure greedy = pressure(NodeStatusSettings.DEFAULT_EVICTION_HARD,
        "cpu=8,memory=16Gi,ephemeral-storage=1Ti");
    assertThat(greedy.evaluate(healthy(), 110).allocatable()).containsEntry("cpu", "0").containsEntry("memory", "0Ki")
        .containsEntry("ephemeral-storage", "0Ki");
    assertThat(List.of(greedy.evaluate(healthy(), 7).allocatable().get("pods"))).containsExactly("7");
  }
}
