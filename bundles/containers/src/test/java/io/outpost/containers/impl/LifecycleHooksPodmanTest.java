package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.HandlerV1;
import io.outpost.protocol.PodV1.LifecycleV1;
import io.outpost.protocol.ProbeV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Lifecycle hooks and stop signals on real Podman, asserting what Kubernetes would show — container statuses and
 * Events as a kubelet 1.32 writes them (kuberuntime_container.go {@code startContainer}, {@code killContainer},
 * {@code executePreStopHook}; lifecycle/handlers.go) — and, through a hostPath file, the order in which things happened
 * inside the container.
 */
class LifecycleHooksPodmanTest extends PodmanFixture {

  static ContainerV1 app(String command, LifecycleV1 lifecycle, ProbeV1.ProbesV1 probes, boolean withData) {
    return new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", command), null, null, null,
        null, null, null, withData ? List.of(new VolumeMountV1("data", "/data", null, null)) : null, probes, null,
        lifecycle, null, null, null, null, null, null, null);
  }

  static HandlerV1 exec(String script) {
    return new HandlerV1(List.of("sh", "-c", script), null, null, null);
  }

  private PodV1 pod(String restartPolicy, long grace, ContainerV1 container, String deletedAt) {
    return new PodV1(node, restartPolicy, grace, deletedAt, deletedAt == null ? null : grace, List.of(container),
        null, List.of(new VolumeV1("data", null, null, null, new VolumeV1.HostPathV1(allowed.resolve(node)
            .toString(), "DirectoryOrCreate"), null, null)));
  }

  private ObjectRef put(String name, PodV1 pod) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, pod);
    return ref;
  }

  private ContainerStatusV1 awaitApp(ObjectRef ref, Predicate<ContainerStatusV1> condition) {
    return reconcileUntil(ref.uid(), s -> condition.test(s.containers().get(0))).containers().get(0);
  }

  private Path data() {
    return allowed.resolve(node);
  }

  private List<EventReport> events(ObjectRef ref, String reason) {
    return store.events.stream().filter(e -> e.ref().uid().equals(ref.uid()) && reason.equals(e.reason())).toList();
  }

  @Test
  void postStartRunsRightAfterTheStartAndTheContainerIsCreatingUntilItReturns() throws Exception {
    // The hook waits for a file the test writes: while it runs the engine container runs, but Kubernetes must see
    // it as being created (the kubelet's startContainer has not returned), and no probe may run yet.
    ContainerV1 spec = app("echo main >> /data/log && exec sleep 3600", new LifecycleV1(exec(
        "while [ ! -f /tmp/go ]; do sleep 0.1; done; echo poststart >> /data/log"), null, null),
        new ProbeV1.ProbesV1(null, new ProbeV1(List.of("true"), null, null, null, 0, 1, 1, 1, 1), null), true);
    ObjectRef ref = put("hooked", pod("Always", 1, spec, null));

    await().atMost(Duration.ofSeconds(60)).until(() -> {
      reconciler.reconcile();
      return Files.exists(data().resolve("log"));
    });
    reconciler.reconcile();
    PodStatusReport during = store.status(ref.uid());
    assertThat(Podman.cli("inspect", "--format", "{{.State.Running}}", containerId(ref, "app")).trim())
        .isEqualTo("true");
    assertThat(during.containers().get(0).state().kind()).isEqualTo("waiting");
    assertThat(during.containers().get(0).state().reason()).isEqualTo("ContainerCreating");
    assertThat(during.containers().get(0).ready()).isFalse();
    assertThat(during.phase()).isEqualTo("Pending");

    exec(ref, "app", "touch", "/tmp/go");
    ContainerStatusV1 running = awaitApp(ref, c -> "running".equals(c.state().kind()) && c.ready());
    assertThat(running.restartCount()).isZero();
    assertThat(Files.readAllLines(data().resolve("log"))).containsExactly("main", "poststart");
    assertThat(events(ref, "FailedPostStartHook")).isEmpty();
    assertThat(store.recorded.stream().filter(s -> s.ref().uid().equals(ref.uid()))
        .takeWhile(s -> !"running".equals(s.containers().get(0).state().kind())))
        .as("never running before the hook returned").allSatisfy(s ->
            assertThat(s.containers().get(0).state().kind()).isEqualTo("waiting"));
  }

  @Test
  void aFailingPostStartKillsTheContainerWithAWarningAndTheRestartPolicyDecides() {
    ContainerV1 spec = app("exec sleep 3600", new LifecycleV1(exec("echo oops >&2; exit 3"), null, null), null,
        false);
    ObjectRef never = put("poststart-never", pod("Never", 1, spec, null));
    ObjectRef always = put("poststart-always", pod("Always", 1, spec, null));

    PodStatusReport failed = reconcileUntil(never.uid(), s -> "Failed".equals(s.phase()));
    ContainerStatusV1 status = failed.containers().get(0);
    assertThat(status.state().kind()).isEqualTo("terminated");
    // sleep as PID 1 ignores SIGTERM: SIGKILL after the kubelet's minimum grace period of 2 s.
    assertThat(status.state().exitCode()).isEqualTo(137);
    assertThat(status.state().reason()).isEqualTo("Error");
    assertThat(status.restartCount()).isZero();
    EventReport warning = events(never, "FailedPostStartHook").get(0);
    assertThat(warning.type()).isEqualTo(EventReport.WARNING);
    assertThat(warning.message()).isEqualTo("PostStartHook failed");
    assertThat(warning.fieldPath()).isEqualTo("spec.containers{app}");
    assertThat(events(never, "Killing")).singleElement().satisfies(e -> {
      assertThat(e.message()).isEqualTo("FailedPostStartHook");
      assertThat(e.type()).isEqualTo(EventReport.NORMAL);
    });
    assertThat(store.recorded.stream().filter(s -> s.ref().uid().equals(never.uid())))
        .as("never reported running").noneSatisfy(s ->
            assertThat(s.containers().get(0).state().kind()).isEqualTo("running"));

    ContainerStatusV1 restarted = awaitApp(always, c -> c.restartCount() >= 1);
    assertThat(restarted.lastState().kind()).isEqualTo("terminated");
    assertThat(restarted.lastState().exitCode()).isEqualTo(137);
    assertThat(events(always, "FailedPostStartHook")).isNotEmpty();
  }

  @Test
  void preStopRunsBeforeTheStopSignalOnDeletionAndTheContainerStopsWithItsStopSignal() throws Exception {
    // lifecycle.stopSignal SIGUSR1: a container that exits cleanly on USR1 only, and logs what it saw.
    ContainerV1 spec = app("trap 'echo usr1 >> /data/log; exit 0' USR1; trap 'echo term >> /data/log' TERM;"
        + " echo up >> /data/log; while true; do sleep 0.1; done",
        new LifecycleV1(null, exec("echo prestop >> /data/log"), "SIGUSR1"), null, true);
    ObjectRef ref = put("graceful", pod("Always", 30, spec, null));
    awaitApp(ref, c -> "running".equals(c.state().kind()));
    assertThat(Podman.cli("inspect", "--format", "{{.Config.StopSignal}}", containerId(ref, "app")).trim())
        .as("the engine stops it with the pod's stopSignal").isIn("10", "SIGUSR1");

    store.put(ref, pod("Always", 30, spec, "2026-01-01T00:00:00Z"));
    PodStatusReport stopped = reconcileUntil(ref.uid(), PodStatusReport::stopped);

    assertThat(Files.readAllLines(data().resolve("log"))).containsExactly("up", "prestop", "usr1");
    assertThat(stopped.containers().get(0).state().exitCode()).as("stopped by its signal, not killed").isZero();
    assertThat(events(ref, "Killing")).singleElement().satisfies(e ->
        assertThat(e.message()).isEqualTo("Stopping container app"));
    assertThat(events(ref, "FailedPreStopHook")).isEmpty();
  }

  @Test
  void aFailingPreStopIsAWarningAndAnOverrunningOneCountsAgainstTheGracePeriod() {
    ContainerV1 failing = app("exec sleep 3600", new LifecycleV1(null, exec("exit 7"), null), null, false);
    ObjectRef broken = put("prestop-fails", pod("Always", 30, failing, null));
    // A hook that never returns, a grace period of 3 s: the stop goes on after 3 s, SIGKILL 2 s later at least.
    ContainerV1 slow = app("exec sleep 3600", new LifecycleV1(null, exec("exec sleep 3600"), null), null, false);
    ObjectRef stuck = put("prestop-hangs", pod("Always", 3, slow, null));
    awaitApp(broken, c -> "running".equals(c.state().kind()));
    awaitApp(stuck, c -> "running".equals(c.state().kind()));

    store.put(broken, pod("Always", 30, failing, "2026-01-01T00:00:00Z"));
    Instant deleted = Instant.now();
    store.put(stuck, pod("Always", 3, slow, "2026-01-01T00:00:00Z"));
    reconcileUntil(broken.uid(), s -> !events(broken, "FailedPreStopHook").isEmpty());
    EventReport warning = events(broken, "FailedPreStopHook").get(0);
    assertThat(warning.type()).isEqualTo(EventReport.WARNING);
    assertThat(warning.message()).isEqualTo("PreStopHook failed");
    assertThat(warning.fieldPath()).isEqualTo("spec.containers{app}");

    PodStatusReport stopped = reconcileUntil(stuck.uid(), PodStatusReport::stopped);
    assertThat(Duration.between(deleted, Instant.now())).as("the hook's 3 s, then at least 2 s more")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
    assertThat(stopped.containers().get(0).state().exitCode()).isEqualTo(137);
    // sleep as PID 1 ignores SIGTERM: the failed hook's pod still stops, by SIGKILL after its 30 s at the latest —
    // here its container is removed once the test's deletion completes.
    assertThat(events(broken, "Killing")).singleElement().satisfies(e ->
        assertThat(e.message()).isEqualTo("Stopping container app"));
  }

  @Test
  void theImagesStopSignalStopsTheContainer() throws Exception {
    String image = "localhost/outpost-stopsignal-" + UUID.randomUUID().toString().substring(0, 8) + ":test";
    Path build = Files.createDirectories(dir.resolve(node).resolve("build"));
    Files.writeString(build.resolve("Containerfile"), "FROM " + Podman.TEST_IMAGE + "\nSTOPSIGNAL SIGUSR2\n");
    Podman.cli("build", "-q", "-t", image, build.toString());
    try {
      ContainerV1 spec = new ContainerV1("app", image, "IfNotPresent", List.of("sh", "-c",
          "trap 'echo usr2 >> /data/log; exit 0' USR2; while true; do sleep 0.1; done"), null, null, null, null,
          null, null, List.of(new VolumeMountV1("data", "/data", null, null)));
      ObjectRef ref = put("image-signal", pod("Always", 30, spec, null));
      awaitApp(ref, c -> "running".equals(c.state().kind()));
      store.put(ref, pod("Always", 30, spec, "2026-01-01T00:00:00Z"));
      PodStatusReport stopped = reconcileUntil(ref.uid(), PodStatusReport::stopped);
      assertThat(stopped.containers().get(0).state().exitCode()).isZero();
      assertThat(Files.readAllLines(data().resolve("log"))).containsExactly("usr2");
    } finally {
      Podman.removeContainersLabelled(Naming.NODE, node);
      Podman.cli("rmi", "-f", image);
    }
  }

  @Test
  void aLivenessKillRunsPreStopAndUsesTheProbesGracePeriodAndTheStopSignal() throws Exception {
    // The pod's grace period is an hour: only the probe's terminationGracePeriodSeconds (1 s, so the kubelet's 2 s)
    // lets the SIGKILL come in time. The container ignores SIGTERM.
    ProbeV1 liveness = new ProbeV1(List.of("test", "!", "-f", "/tmp/dead"), null, null, null, 0, 1, 1, 1, 1, null,
        1L);
    ContainerV1 spec = app("trap 'echo term >> /data/log' TERM; while true; do sleep 0.1; done",
        new LifecycleV1(null, exec("echo prestop >> /data/log"), null), new ProbeV1.ProbesV1(liveness, null, null),
        true);
    ObjectRef ref = put("probe-grace", pod("Always", 3600, spec, null));
    awaitApp(ref, c -> "running".equals(c.state().kind()));

    exec(ref, "app", "touch", "/tmp/dead");
    ContainerStatusV1 restarted = awaitApp(ref, c -> c.restartCount() == 1);
    assertThat(restarted.lastState().exitCode()).as("SIGKILL after the probe's grace period").isEqualTo(137);
    assertThat(Files.readAllLines(data().resolve("log"))).startsWith("prestop", "term");
    assertThat(events(ref, "Killing")).anySatisfy(e ->
        assertThat(e.message()).isEqualTo("Container app failed liveness probe, will be restarted"));
  }
}
