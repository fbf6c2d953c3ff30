package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.containers.impl.PodAdmission.Verdict;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.ResourcesV1;
import io.outpost.store.StoredPod;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The kubelet's resource admission of new pods: fit and unfit, with the kubelet's reasons and messages. */
class PodAdmissionTest {
  private final FakeStore store = new FakeStore();
  private final AtomicReference<Map<String, String>> allocatable = new AtomicReference<>(
      Map.of("cpu", "2", "memory", "1Gi", "pods", "3", "ephemeral-storage", "10Gi"));
  private final Map<String, PodStatusReport> recorded = new HashMap<>();
  private final List<StoredPod> pods = new ArrayList<>();
  private final PodAdmission admission = new PodAdmission("edge-1", allocatable::get,
      new EventSink(store.events(), "edge-1", Clock.systemUTC()),
      Clock.fixed(Instant.parse("2026-12-07T03:00:00Z"), ZoneOffset.UTC));

  private static ContainerV1 container(String name, Long cpuMillis, Long memory) {
    return new ContainerV1(name, "busybox", "IfNotPresent", null, null, null, null, null,
        new ResourcesV1(cpuMillis, null, memory, null), null, null, null);
  }

  private StoredPod pod(String name, List<ContainerV1> containers, List<ContainerV1> init) {
    StoredPod pod = new StoredPod(new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1"),
        new PodV1("edge-1", null, 1L, null, null, containers, init, null, null));
    pods.add(pod);
    return pod;
  }

  private StoredPod pod(String name, long cpuMillis, long memory) {
    return pod(name, List.of(container("app", cpuMillis, memory)), null);
  }

  private Verdict decide(StoredPod pod) {
    return admission.decide(pod, recorded.get(pod.ref().uid()), false, pods, recorded::get);
  }

  @Test
  void podsThatFitAreAdmittedUntilTheCpuIsTakenThenRejectedAsTheKubeletDoes() {
    assertThat(decide(pod("a", 1500, 0))).isEqualTo(Verdict.ADMITTED);
    StoredPod b = pod("b", 600, 0);
    assertThat(decide(b)).isEqualTo(Verdict.REJECTED);

    PodStatusReport status = admission.rejection(b.ref().uid(), false);
    assertThat(status.phase()).isEqualTo("Failed");
    assertThat(status.reason()).isEqualTo("OutOfcpu");
    assertThat(status.message()).isEqualTo(
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 600, used: 1500, capacity: 2000");
    assertThat(status.containers()).isEmpty();
    assertThat(status.startTime()).isEqualTo("2026-12-07T03:00:00Z");
    assertThat(status.stopped()).isFalse();
    assertThat(admission.rejection(b.ref().uid(), true).stopped()).as("deleted: stopped at once").isTrue();
    EventReport event = store.events.get(0);
    assertThat(event.type()).isEqualTo(EventReport.WARNING);
    assertThat(event.reason()).isEqualTo("OutOfcpu");
    assertThat(event.message()).isEqualTo(
        "Node didn't have enough resource: cpu, requested: 600, used: 1500, capacity: 2000");
    assertThat(decide(pod("c", 500, 0))).as("what is left still fits").isEqualTo(Verdict.ADMITTED);
  }

  @Test
  void memoryAndThePodCountAreCheckedAndThePodCountFirst() {
    assertThat(decide(pod("a", 0, 768L << 20))).isEqualTo(Verdict.ADMITTED);
    StoredPod big = pod("big", 0, 512L << 20);
    assertThat(decide(big)).isEqualTo(Verdict.REJECTED);
    assertThat(admission.rejection(big.ref().uid(), false).message()).isEqualTo("Pod was rejected: Node didn't"
        + " have enough resource: memory, requested: 536870912, used: 805306368, capacity: 1073741824");
    assertThat(decide(pod("b", 0, 0))).isEqualTo(Verdict.ADMITTED);
    assertThat(decide(pod("c", 0, 0))).isEqualTo(Verdict.ADMITTED);
    StoredPod fourth = pod("d", 5000, 0); // over on cpu too: the pod count is reported, as the scheduler checks it first
    assertThat(decide(fourth)).isEqualTo(Verdict.REJECTED);
    assertThat(admission.rejection(fourth.ref().uid(), false).reason()).isEqualTo("OutOfpods");
    assertThat(admission.rejection(fourth.ref().uid(), false).message()).endsWith(
        "pods, requested: 1, used: 3, capacity: 3");
  }

  @Test
  void finishedPodsFreeTheirShareAndInitContainersCountByTheLargest() {
    StoredPod done = pod("done", 2000, 0);
    assertThat(decide(done)).isEqualTo(Verdict.ADMITTED);
    recorded.put(done.ref().uid(), new PodStatusReport(1, "edge-1", done.ref(), "Succeeded", null, null, null,
        null, null, List.of(), false));
    StoredPod init = pod("init", List.of(container("app", 500L, null), container("side", 500L, null)),
        List.of(container("setup", 1800L, null)));
    assertThat(PodAdmission.request(init.pod(), ResourcesV1::cpuRequestMillis)).isEqualTo(1800);
    assertThat(decide(init)).isEqualTo(Verdict.ADMITTED);
    StoredPod more = pod("more", 300, 0);
    assertThat(decide(more)).isEqualTo(Verdict.REJECTED);
    assertThat(admission.rejection(more.ref().uid(), false).message()).contains("requested: 300, used: 1800");
  }

  @Test
  void aPodThatRunsAlreadyIsNeverRejectedAndARejectionSurvivesARestart() {
    allocatable.set(Map.of("cpu", "100m", "memory", "1Gi", "pods", "110"));
    StoredPod running = pod("running", 4000, 0);
    PodStatusReport runningStatus = new PodStatusReport(1, "edge-1", running.ref(), "Running", null, null, null,
        null, null, List.of(), false);
    recorded.put(running.ref().uid(), runningStatus);
    assertThat(decide(running)).as("recorded before: admitted when it first came").isEqualTo(Verdict.ADMITTED);
    StoredPod withContainers = pod("adopted", 4000, 0);
    assertThat(admission.decide(withContainers, null, true, pods, recorded::get)).isEqualTo(Verdict.ADMITTED);

    StoredPod refused = pod("refused", 500, 0);
    assertThat(decide(refused)).isEqualTo(Verdict.REJECTED);
    PodStatusReport rejection = admission.rejection(refused.ref().uid(), false);
    PodAdmission restarted = new PodAdmission("edge-1", () -> Map.of("cpu", "64"),
        new EventSink(store.events(), "edge-1", Clock.systemUTC()), Clock.systemUTC());
    assertThat(restarted.decide(refused, rejection, false, pods, recorded::get))
        .as("refused by the node's previous run: refused it stays, however much room there is now")
        .isEqualTo(Verdict.REJECTED);
    assertThat(restarted.rejection(refused.ref().uid(), false)).isEqualTo(rejection);
    assertThat(store.events).hasSize(1);
  }

  @Test
  void withoutKnownAllocatableOrResourcesOnlyWhatIsKnownIsChecked() {
    allocatable.set(null);
    assertThat(decide(pod("blind", 99_000, 0))).isEqualTo(Verdict.ADMITTED);
    allocatable.set(Map.of("pods", "110")); // no cpu figure: cpu is not checked, the pod count is
    assertThat(decide(pod("nocpu", 99_000, 0))).isEqualTo(Verdict.ADMITTED);
    assertThat(PodAdmission.amount("3500m", 3)).isEqualTo(3500);
    assertThat(PodAdmission.amount("8167056Ki", 0)).isEqualTo(8167056L * 1024);
    assertThat(PodAdmission.amount("1.5", 3)).isEqualTo(1500);
    assertThat(PodAdmission.amount("lots", 0)).isNull();
  }
}
