package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.ProbeV1;
import io.outpost.testing.Podman;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Init containers and native sidecars on real Podman, and the status a kubelet 1.32 writes for them, field by field
 * (kubelet_pods.go {@code convertToAPIContainerStatuses}: PodInitializing is the default waiting state of a pod with
 * init containers; prober_manager.go {@code UpdatePodStatus}: a completed regular init container is ready, a sidecar
 * is started once running with its startup probe passed and ready as an app container; {@code getPhase}; kuberuntime
 * {@code computeInitContainerActions}: the next init container starts once a sidecar has started, sidecars are
 * restarted whatever the pod's restart policy, and stopped once a Job's app containers are done) — and what
 * {@code kubectl get pods} shows for it ({@link KubectlStatus}).
 */
class InitContainersPodmanTest extends PodmanFixture {
  /** Waits (inside the container) until the test creates /tmp/go. */
  private static final String UNTIL_GO = "until [ -f /tmp/go ]; do sleep 0.1; done";

  private static ContainerV1 plain(String name, String script) {
    return new ContainerV1(name, Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", script), null, null, null);
  }

  private static ContainerV1 sidecar(String name, String script, ProbeV1.ProbesV1 probes) {
    return new ContainerV1(name, Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", script), null, null, null,
        null, null, null, null, probes, null, null, null, null, "Always", null, null, null, null);
  }

  private PodV1 pod(String restartPolicy, List<ContainerV1> init, List<ContainerV1> containers) {
    return new PodV1(node, restartPolicy, 1L, null, null, containers, init);
  }

  private static ObjectRef ref(String name) {
    return new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
  }

  private static ContainerStatusV1 named(List<ContainerStatusV1> statuses, String name) {
    return statuses.stream().filter(s -> name.equals(s.name())).findFirst().orElseThrow();
  }

  private static String kind(ContainerStatusV1 status) {
    return status.state().kind() + "/" + status.state().reason();
  }

  @Test
  void initContainerStatusesAreTheKubeletsWhileInitializingAndOnceDone() {
    ObjectRef ref = ref("initializing");
    PodV1 pod = pod("Always", List.of(plain("first", UNTIL_GO), plain("second", "exit 0")),
        List.of(plain("app", "exec sleep 3600")));
    store.put(ref, pod);

    PodStatusReport running = reconcileUntil(ref.uid(), s -> s.initContainers() != null
        && "running".equals(s.initContainers().get(0).state().kind()));
    assertThat(running.phase()).isEqualTo("Pending");
    ContainerStatusV1 first = running.initContainers().get(0);
    assertThat(first.ready()).as("a running regular init container is not ready").isFalse();
    assertThat(first.started()).as("running, no startup probe: started").isTrue();
    assertThat(kind(running.initContainers().get(1))).isEqualTo("waiting/PodInitializing");
    assertThat(running.initContainers().get(1).started()).isFalse();
    assertThat(kind(running.containers().get(0))).isEqualTo("waiting/PodInitializing");
    assertThat(KubectlStatus.of(pod, running)).isEqualTo("Init:0/2");

    exec(ref, "first", "touch", "/tmp/go");
    PodStatusReport done = reconcileUntil(ref.uid(), s -> "Running".equals(s.phase())
        && "running".equals(s.containers().get(0).state().kind()));
    assertThat(done.initContainers()).allSatisfy(c -> {
      assertThat(kind(c)).isEqualTo("terminated/Completed");
      assertThat(c.ready()).as("a completed init container is ready (prober_manager.go)").isTrue();
      assertThat(c.started()).isFalse();
    });
    assertThat(done.containers().get(0).ready()).isTrue();
    assertThat(done.containers().get(0).started()).isTrue();
    assertThat(KubectlStatus.of(pod, done)).isEqualTo("Running");
  }

  @Test
  void aFailedInitContainerShowsInitErrorWhenThePodNeverRestartsAndInitCrashLoopBackOffOtherwise() {
    ObjectRef never = ref("init-error");
    PodV1 neverPod = pod("Never", List.of(plain("check", "exit 3")), List.of(plain("app", "exec sleep 3600")));
    store.put(never, neverPod);
    ObjectRef onFailure = ref("init-crashloop");
    PodV1 onFailurePod = pod("OnFailure", List.of(plain("check", "exit 1")), List.of(plain("app", "exec sleep 3600")));
    store.put(onFailure, onFailurePod);

    PodStatusReport failed = reconcileUntil(never.uid(), s -> "Failed".equals(s.phase()));
    ContainerStatusV1 check = failed.initContainers().get(0);
    assertThat(kind(check)).isEqualTo("terminated/Error");
    assertThat(check.state().exitCode()).isEqualTo(3);
    assertThat(check.ready()).isFalse();
    assertThat(kind(failed.containers().get(0))).isEqualTo("waiting/PodInitializing");
    assertThat(KubectlStatus.of(neverPod, failed)).isEqualTo("Init:Error");

    PodStatusReport looping = reconcileUntil(onFailure.uid(), s -> s.initContainers() != null
        && "CrashLoopBackOff".equals(s.initContainers().get(0).state().reason()));
    assertThat(looping.phase()).isEqualTo("Pending");
    assertThat(looping.initContainers().get(0).restartCount()).isGreaterThanOrEqualTo(1);
    assertThat(looping.initContainers().get(0).lastState().exitCode()).isEqualTo(1);
    assertThat(KubectlStatus.of(onFailurePod, looping)).isEqualTo("Init:CrashLoopBackOff");
  }

  @Test
  void aSidecarStartsInOrderRunsBesideTheAppIsRestartedWhateverThePolicyAndStopsWhenTheJobIsDone() {
    ObjectRef ref = ref("job-with-sidecar");
    // The sidecar's startup probe passes once /tmp/up exists; until then nothing after it starts.
    ProbeV1 startup = new ProbeV1(List.of("test", "-f", "/tmp/up"), null, null, null, 0, 1, 1, 1, 600);
    PodV1 pod = pod("Never", List.of(plain("setup", "exit 0"),
            sidecar("proxy", "trap 'exit 0' TERM; while true; do sleep 0.1; done",
                new ProbeV1.ProbesV1(null, null, startup))),
        List.of(plain("job", UNTIL_GO)));
    store.put(ref, pod);

    PodStatusReport gated = reconcileUntil(ref.uid(), s -> s.initContainers() != null
        && "running".equals(s.initContainers().get(1).state().kind()));
    ContainerStatusV1 proxy = named(gated.initContainers(), "proxy");
    assertThat(proxy.started()).as("startup probe not passed yet").isFalse();
    assertThat(proxy.ready()).isFalse();
    assertThat(named(gated.initContainers(), "setup").ready()).isTrue();
    assertThat(kind(gated.containers().get(0))).as("waits for the sidecar to start")
        .isEqualTo("waiting/PodInitializing");
    assertThat(gated.phase()).isEqualTo("Pending");
    assertThat(KubectlStatus.of(pod, gated)).isEqualTo("Init:1/2");

    // prober_manager.go: the sidecar's probe Events name it as an init container.
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(store.events).anySatisfy(e -> {
          assertThat(e.reason()).isEqualTo("Unhealthy");
          assertThat(e.message()).startsWith("Startup probe failed");
          assertThat(e.fieldPath()).isEqualTo("spec.initContainers{proxy}");
        }));

    exec(ref, "proxy", "touch", "/tmp/up");
    PodStatusReport running = reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind()));
    proxy = named(running.initContainers(), "proxy");
    assertThat(proxy.started()).isTrue();
    assertThat(proxy.ready()).as("no readiness probe: ready once started").isTrue();
    assertThat(running.phase()).isEqualTo("Running");
    assertThat(KubectlStatus.of(pod, running)).isEqualTo("Running");

    // The sidecar exits: restarted although the pod's restart policy is Never.
    Podman.cli("kill", "--signal", "KILL", containerId(ref, "proxy"));
    PodStatusReport restarted = reconcileUntil(ref.uid(), s -> named(s.initContainers(), "proxy").restartCount() == 1
        && "running".equals(named(s.initContainers(), "proxy").state().kind()));
    assertThat(named(restarted.initContainers(), "proxy").lastState().exitCode()).isEqualTo(137);
    assertThat(restarted.phase()).isEqualTo("Running");

    // The job's container completes: the pod succeeds, its sidecar is stopped and not started again.
    exec(ref, "job", "touch", "/tmp/go");
    PodStatusReport succeeded = reconcileUntil(ref.uid(), s -> "Succeeded".equals(s.phase()));
    assertThat(kind(succeeded.containers().get(0))).isEqualTo("terminated/Completed");
    proxy = named(succeeded.initContainers(), "proxy");
    assertThat(proxy.state().kind()).isEqualTo("terminated");
    assertThat(proxy.state().exitCode()).as("stopped by SIGTERM, which it honours").isZero();
    assertThat(proxy.restartCount()).isEqualTo(1);
    assertThat(KubectlStatus.of(pod, succeeded)).isEqualTo("Completed");
    reconciler.reconcile();
    assertThat(store.status(ref.uid()).phase()).isEqualTo("Succeeded");
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("Killing");
      assertThat(e.fieldPath()).isEqualTo("spec.initContainers{proxy}");
    });
  }

  @Test
  void onDeletionTheAppContainersStopBeforeTheirSidecarsLastOneFirst() {
    ObjectRef ref = ref("mesh");
    String honoursTerm = "trap 'exit 0' TERM; while true; do sleep 0.1; done";
    PodV1 pod = pod("Always", List.of(sidecar("logs", honoursTerm, null), sidecar("proxy", honoursTerm, null)),
        List.of(plain("app", honoursTerm)));
    store.put(ref, pod);
    PodStatusReport running = reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind()));
    assertThat(running.initContainers()).allSatisfy(c -> {
      assertThat(c.started()).isTrue();
      assertThat(c.ready()).isTrue();
    });

    store.put(ref, new PodV1(node, "Always", 30L, java.time.Instant.now().toString(), 30L, pod.containers(),
        pod.initContainers()));
    reconcileUntil(ref.uid(), PodStatusReport::stopped);

    List<String> killed = store.events.stream().filter(e -> "Killing".equals(e.reason()))
        .map(io.outpost.protocol.EventReport::fieldPath).toList();
    assertThat(killed).containsExactly("spec.containers{app}", "spec.initContainers{proxy}",
        "spec.initContainers{logs}");
  }
}
