package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pod phase with init containers and sidecars, against the kubelet's {@code getPhase} (kubelet_pods.go, 1.32),
 * and the init containers' {@code ready}/{@code started} (prober_manager.go {@code UpdatePodStatus}).
 */
class InitPhaseTest {
  private static final ObjectRef REF = new ObjectRef("Pod", "ns", "job", "uid-1", "5");

  private static EngineContainer running(String name) {
    return new EngineContainer(name + "-id", name, Map.of(), "running", true, 0, false, null, "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z", null, "sha256:img", "10.88.0.5");
  }

  private static EngineContainer exited(String name, int code) {
    return new EngineContainer(name + "-id", name, Map.of(), "exited", false, code, false, null,
        "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:09Z", "sha256:img", null);
  }

  private static ContainerView view(String name, EngineContainer engine, boolean willRestart, boolean notStarted,
      ContainerView.Role role) {
    return new ContainerView(name, "img", engine, null, 0, null, null, willRestart, notStarted, notStarted, role);
  }

  private static PodStatusReport pod(List<ContainerView> apps, List<ContainerView> init) {
    return StatusMapper.pod("edge", REF, apps, false, "10.88.0.5", init, "2026-01-01T00:00:00Z", true);
  }

  @Test
  void aSidecarThatHasNotStartedKeepsThePodPendingAndAStartedOneIsReady() {
    ContainerView setup = view("setup", exited("setup", 0), true, false, ContainerView.Role.INIT);
    ContainerView waiting = new ContainerView("job", "img", null,
        ContainerStateV1.waiting(InitContainers.POD_INITIALIZING, null), 0, null, null, false);
    PodStatusReport starting = pod(List.of(waiting), List.of(setup,
        view("proxy", running("proxy"), true, true, ContainerView.Role.SIDECAR)));
    assertThat(starting.phase()).isEqualTo("Pending");
    assertThat(starting.initContainers().get(0).ready()).as("completed: ready").isTrue();
    assertThat(starting.initContainers().get(0).started()).isFalse();
    assertThat(starting.initContainers().get(1).started()).isFalse();
    assertThat(starting.initContainers().get(1).ready()).isFalse();

    PodStatusReport started = pod(List.of(view("job", running("job"), false, false, ContainerView.Role.APP)),
        List.of(setup, view("proxy", running("proxy"), true, false, ContainerView.Role.SIDECAR)));
    assertThat(started.phase()).isEqualTo("Running");
    assertThat(started.initContainers().get(1).started()).isTrue();
    assertThat(started.initContainers().get(1).ready()).isTrue();
  }

  @Test
  void aJobsPodIsRunningWhileItsSidecarStillRunsThenDecidedByItsAppContainersAlone() {
    ContainerView done = view("job", exited("job", 0), false, false, ContainerView.Role.APP);
    assertThat(pod(List.of(done), List.of(view("proxy", running("proxy"), true, false, ContainerView.Role.SIDECAR)))
        .phase()).isEqualTo("Running");
    assertThat(pod(List.of(done), List.of(view("proxy", exited("proxy", 137), false, false,
        ContainerView.Role.SIDECAR))).phase()).as("a terminated sidecar counts for nothing").isEqualTo("Succeeded");
    ContainerView failed = view("job", exited("job", 2), false, false, ContainerView.Role.APP);
    assertThat(pod(List.of(failed), List.of(view("proxy", exited("proxy", 0), false, false,
        ContainerView.Role.SIDECAR))).phase()).isEqualTo("Failed");
  }

  @Test
  void aRegularInitContainerThatFailedForGoodFailsThePodAndOneToBeRestartedKeepsItPending() {
    ContainerView waiting = new ContainerView("app", "img", null,
        ContainerStateV1.waiting(InitContainers.POD_INITIALIZING, null), 0, null, null, true);
    assertThat(pod(List.of(waiting), List.of(view("check", exited("check", 3), false, false,
        ContainerView.Role.INIT))).phase()).isEqualTo("Failed");
    assertThat(pod(List.of(waiting), List.of(view("check", exited("check", 3), true, false,
        ContainerView.Role.INIT))).phase()).isEqualTo("Pending");
    PodStatusReport running = pod(List.of(waiting), List.of(view("check", running("check"), true, false,
        ContainerView.Role.INIT)));
    assertThat(running.phase()).isEqualTo("Pending");
    assertThat(running.initContainers().get(0).ready()).as("a running regular init container is not ready").isFalse();
    assertThat(running.initContainers().get(0).started()).isTrue();
  }
}
