package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusMapperTest {
  private static final ObjectRef REF = new ObjectRef("Pod", "ns", "web", "uid-1", "5");

  private static EngineContainer running() {
    return new EngineContainer("abc", "n", Map.of(), "running", true, 0, false, null, "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z", null, "sha256:img", "10.88.0.5");
  }

  private static EngineContainer exited(int code) {
    return new EngineContainer("abc", "n", Map.of(), "exited", false, code, false, null, "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z", "2026-01-01T00:00:09Z", "sha256:img", null);
  }

  private static ContainerView view(EngineContainer engine, ContainerStateV1 waiting, boolean willRestart) {
    return new ContainerView("app", "img:1", engine, waiting, 0, null, null, willRestart);
  }

  @Test
  void runningContainerMakesARunningReadyPod() {
    PodStatusReport report = StatusMapper.pod("edge", REF, List.of(view(running(), null, true)), false, null);
    assertThat(report.phase()).isEqualTo("Running");
    assertThat(report.podIP()).isEqualTo("10.88.0.5");
    assertThat(report.hostIP()).isNull();
    assertThat(report.startTime()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(report.stopped()).isFalse();
    var container = report.containers().get(0);
    assertThat(container.ready()).isTrue();
    assertThat(container.containerID()).isEqualTo("docker://abc");
    assertThat(container.imageID()).isEqualTo("sha256:img");
    assertThat(container.state()).isEqualTo(ContainerStateV1.running("2026-01-01T00:00:01Z"));
  }

  @Test
  void anErrorBeforeAnyContainerStillHasTheStartTimeTheManagerFirstSawThePodAt() {
    // status_manager.go updateStatusInternal: the first status sets startTime, whatever it says.
    ContainerStateV1 pull = ContainerStateV1.waiting("ErrImagePull", "not found");
    PodStatusReport report = StatusMapper.pod("edge", REF, List.of(view(null, pull, true)), false, null, List.of(),
        "2026-01-01T00:00:00Z", false);
    assertThat(report.startTime()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(report.sandboxReady()).isFalse();
    PodStatusReport adopted = StatusMapper.pod("edge", REF, List.of(view(running(), null, true)), false, null,
        List.of(), "2026-02-01T00:00:00Z", true);
    assertThat(adopted.startTime()).as("an older container (adopted after a restart) wins")
        .isEqualTo("2026-01-01T00:00:00Z");
    assertThat(adopted.sandboxReady()).isTrue();
  }

  @Test
  void durationsArePrintedAsGoPrintsThem() {
    assertThat(Images.goDuration(java.time.Duration.ZERO)).isEqualTo("0s");
    assertThat(Images.goDuration(java.time.Duration.ofMillis(850))).isEqualTo("850ms");
    assertThat(Images.goDuration(java.time.Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(Images.goDuration(java.time.Duration.ofSeconds(60))).isEqualTo("1m0s");
    assertThat(Images.goDuration(java.time.Duration.ofMillis(123_250))).isEqualTo("2m3.25s");
  }

  @Test
  void equalInputsGiveEqualReports() {
    assertThat(StatusMapper.pod("edge", REF, List.of(view(running(), null, true)), false, null))
        .isEqualTo(StatusMapper.pod("edge", REF, List.of(view(running(), null, true)), false, null));
  }

  @Test
  void noContainerYetIsPendingAndWaiting() {
    ContainerStateV1 pull = ContainerStateV1.waiting("ErrImagePull", "not found");
    PodStatusReport report = StatusMapper.pod("edge", REF, List.of(view(null, pull, true)), false, null);
    assertThat(report.phase()).isEqualTo("Pending");
    assertThat(report.startTime()).isNull();
    assertThat(report.containers().get(0).state()).isEqualTo(pull);
    assertThat(report.containers().get(0).ready()).isFalse();
    assertThat(StatusMapper.pod("edge", REF, List.of(view(null, null, true)), false, null).containers().get(0).state()
        .reason()).isEqualTo("ContainerCreating");
  }

  @Test
  void exitedContainersThatStaySoEndThePod() {
    assertThat(StatusMapper.pod("edge", REF, List.of(view(exited(0), null, false)), false, null).phase())
        .isEqualTo("Succeeded");
    PodStatusReport failed = StatusMapper.pod("edge", REF, List.of(view(exited(2), null, false)), false, null);
    assertThat(failed.phase()).isEqualTo("Failed");
    assertThat(failed.containers().get(0).state())
        .isEqualTo(ContainerStateV1.terminated("Error", null, 2, "2026-01-01T00:00:01Z", "2026-01-01T00:00:09Z"));
  }

  @Test
  void crashLoopingContainerKeepsThePodRunning() {
    ContainerStateV1 last = ContainerStateV1.terminated("Error", null, 1, null, null);
    ContainerView crashLoop = new ContainerView("app", "img", exited(1),
        ContainerStateV1.waiting("CrashLoopBackOff", "back-off 10s"), 1, last, last, true);
    PodStatusReport report = StatusMapper.pod("edge", REF, List.of(crashLoop), false, null);
    assertThat(report.phase()).isEqualTo("Running");
    assertThat(report.containers().get(0).restartCount()).isEqualTo(1);
    assertThat(report.containers().get(0).lastState()).isEqualTo(last);
    assertThat(report.containers().get(0).state().reason()).isEqualTo("CrashLoopBackOff");
  }

  @Test
  void stoppedPodReportsTheLastTerminatedState() {
    ContainerStateV1 killed = ContainerStateV1.terminated("Error", null, 137, null, null);
    ContainerView gone = new ContainerView("app", "img", null, null, 0, null, killed, false);
    PodStatusReport report = StatusMapper.pod("edge", REF, List.of(gone), true, null);
    assertThat(report.stopped()).isTrue();
    assertThat(report.phase()).isEqualTo("Failed");
    assertThat(report.containers().get(0).state()).isEqualTo(killed);
  }

  @Test
  void restartPolicies() {
    assertThat(StatusMapper.restarts(null, 0)).isTrue();
    assertThat(StatusMapper.restarts("Always", 0)).isTrue();
    assertThat(StatusMapper.restarts("OnFailure", 0)).isFalse();
    assertThat(StatusMapper.restarts("OnFailure", 1)).isTrue();
    assertThat(StatusMapper.restarts("Never", 1)).isFalse();
  }

  @Test
  void timestampsAreNormalisedToWholeSecondsUtc() {
    assertThat(Timestamps.rfc3339("2026-03-01T10:00:00.123456789Z")).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(Timestamps.rfc3339("2026-03-01T11:00:00.5+01:00")).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(Timestamps.rfc3339("0001-01-01T00:00:00Z")).isNull();
    assertThat(Timestamps.rfc3339("")).isNull();
    assertThat(Timestamps.rfc3339("garbage")).isNull();
  }
}
