package io.outpost.bridge.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kubelet's conditions (pkg/kubelet/status/generate.go, 1.32) over the pod's spec and readiness gates, its merge
 * with other controllers' conditions, and host addresses, from a node's reports.
 */
class PodConditionsTest {
  private static final ObjectRef REF = new ObjectRef("Pod", "ns", "web", "uid-1", "5");

  private static ContainerStatusV1 container(String name, ContainerStateV1 state, boolean ready) {
    return new ContainerStatusV1(name, "img", null, null, ready, 0, state, null);
  }

  private static PodStatusReport report(String phase, List<ContainerStatusV1> containers,
      List<ContainerStatusV1> init) {
    return new PodStatusReport(1, "edge", REF, phase, null, null, null, null, null, containers, false, init, null);
  }

  private static PodSpec spec(List<String> containers, List<String> init, String... gates) {
    return new PodSpecBuilder().withNodeName("edge")
        .withContainers(containers.stream().map(n -> new ContainerBuilder().withName(n).build()).toList())
        .withInitContainers(init.stream().map(n -> new ContainerBuilder().withName(n).build()).toList())
        .withReadinessGates(java.util.Arrays.stream(gates).map(PodReadinessGate::new).toList()).build();
  }

  private static Pod pod(PodSpec spec, PodStatus status) {
    return new PodBuilder().withNewMetadata().withNamespace("ns").withName("web").withUid("uid-1").endMetadata()
        .withSpec(spec).withStatus(status).build();
  }

  private static PodConditions.Outcome containersReady(PodSpec spec, PodStatusReport report) {
    return PodConditions.containersReady(spec, report.phase(), report.containers(), report.initContainers());
  }

  private static PodConditions.Outcome initialized(PodSpec spec, PodStatusReport report) {
    return PodConditions.initialized(spec, report.phase(), report.containers(), report.initContainers());
  }

  /** {@link PodStatusWriter#toStatus} as the writer calls it, with every claim accepted. */
  private static PodStatus toStatus(PodStatusReport report, Pod pod, List<String> hostIPs) {
    return PodStatusWriter.toStatus(report, pod, hostIPs, new StatusClaims.Checked(report.podIP(),
        report.containers(), report.initContainers(), List.of()));
  }

  @Test
  void unreadyContainersAreNamedAsTheKubeletNamesThem() {
    PodStatusReport report = report("Running", List.of(container("web", ContainerStateV1.running("t"), true),
        container("log", ContainerStateV1.waiting("CrashLoopBackOff", null), false),
        container("db", ContainerStateV1.waiting("ContainerCreating", null), false)), null);
    PodSpec spec = spec(List.of("web", "log", "db"), List.of());
    assertThat(containersReady(spec, report)).isEqualTo(new PodConditions.Outcome(false,
        "ContainersNotReady", "containers with unready status: [log db]"));
    assertThat(initialized(spec, report)).isEqualTo(PodConditions.Outcome.TRUE);
  }

  @Test
  void containersOfTheSpecWithoutAStatusAreUnknownAndKeepThePodUnready() {
    // A node that leaves out a container it cannot start must not make the pod Ready (generate.go: unknown first).
    PodStatusReport report = report("Running", List.of(container("web", ContainerStateV1.running("t"), true)),
        null);
    assertThat(containersReady(spec(List.of("web", "sidecar", "log"), List.of()), report)).isEqualTo(
        new PodConditions.Outcome(false, "ContainersNotReady", "containers with unknown status: [sidecar log]"));
    PodStatusReport mixed = report("Running", List.of(container("web", ContainerStateV1.running("t"), false)), null);
    assertThat(containersReady(spec(List.of("web", "log"), List.of()), mixed)).isEqualTo(new PodConditions.Outcome(
        false, "ContainersNotReady", "containers with unknown status: [log], containers with unready status: [web]"));
    PodStatusReport failed = report("Failed", List.of(container("web",
        ContainerStateV1.terminated("Error", null, 1, "t", "t"), false)), null);
    assertThat(containersReady(spec(List.of("web"), List.of()), failed)).isEqualTo(
        new PodConditions.Outcome(false, "PodFailed", null));
    PodStatusReport waiting = report("Pending", List.of(container("web",
        ContainerStateV1.waiting("PodInitializing", null), false)), null);
    assertThat(initialized(spec(List.of("web"), List.of("setup")), waiting)).isEqualTo(new PodConditions.Outcome(
        false, "ContainersNotInitialized", "containers with unknown status: [setup]"));
  }

  @Test
  void aSucceededPodIsCompletedAndIncompleteInitContainersAreNamed() {
    PodStatusReport done = report("Succeeded", List.of(container("web",
        ContainerStateV1.terminated("Completed", null, 0, "t", "t"), false)), null);
    PodSpec spec = spec(List.of("web"), List.of());
    assertThat(containersReady(spec, done)).isEqualTo(new PodConditions.Outcome(false, "PodCompleted", null));
    assertThat(initialized(spec, done)).isEqualTo(new PodConditions.Outcome(true, "PodCompleted", null));

    PodStatusReport initializing = report("Pending", List.of(container("web",
        ContainerStateV1.waiting("PodInitializing", null), false)), List.of(
            container("init", ContainerStateV1.running("t"), false)));
    assertThat(initialized(spec(List.of("web"), List.of("init")), initializing)).isEqualTo(
        new PodConditions.Outcome(false, "ContainersNotInitialized", "containers with incomplete status: [init]"));
  }

  @Test
  void readyIsComputedOverTheReadinessGatesInTheKubeletsWords() {
    PodSpec spec = spec(List.of("web"), List.of(), "example.com/lb-ready", "example.com/warm");
    List<PodCondition> none = List.of();
    assertThat(PodConditions.ready(spec, PodConditions.Outcome.TRUE, none)).isEqualTo(new PodConditions.Outcome(
        false, "ReadinessGatesNotReady", "corresponding condition of pod readiness gate \"example.com/lb-ready\" does"
            + " not exist., corresponding condition of pod readiness gate \"example.com/warm\" does not exist."));
    List<PodCondition> one = List.of(new PodConditionBuilder().withType("example.com/lb-ready").withStatus("False")
        .build(), new PodConditionBuilder().withType("example.com/warm").withStatus("True").build());
    assertThat(PodConditions.ready(spec, PodConditions.Outcome.TRUE, one)).isEqualTo(new PodConditions.Outcome(
        false, "ReadinessGatesNotReady",
        "the status of pod readiness gate \"example.com/lb-ready\" is not \"True\", but False"));
    List<PodCondition> both = List.of(new PodConditionBuilder().withType("example.com/lb-ready").withStatus("True")
        .build(), new PodConditionBuilder().withType("example.com/warm").withStatus("True").build());
    assertThat(PodConditions.ready(spec, PodConditions.Outcome.TRUE, both)).isEqualTo(PodConditions.Outcome.TRUE);
    PodConditions.Outcome unready = new PodConditions.Outcome(false, "ContainersNotReady",
        "containers with unready status: [web]");
    assertThat(PodConditions.ready(spec, unready, both)).as("ContainersReady's outcome first").isEqualTo(unready);
  }

  @Test
  void conditionsOfOtherControllersAreKeptFirstInTheirOrderAndOnlyTheKubeletsAreReplaced() {
    PodSpec spec = spec(List.of("web"), List.of(), "example.com/lb-ready");
    PodStatus previous = new PodStatusBuilder().withConditions(
        new PodConditionBuilder().withType("PodScheduled").withStatus("True").build(),
        new PodConditionBuilder().withType("example.com/lb-ready").withStatus("True").withReason("Registered")
            .withLastTransitionTime("2026-12-01T00:00:00Z").build(),
        new PodConditionBuilder().withType("Ready").withStatus("False").withReason("Stale").build(),
        new PodConditionBuilder().withType("DisruptionTarget").withStatus("True").withReason("EvictionByEvictionAPI")
            .build()).build();
    PodStatusReport report = report("Running", List.of(container("web", ContainerStateV1.running("t"), true)),
        null);
    PodStatus status = toStatus(report, pod(spec, previous), List.of());
    assertThat(status.getConditions()).extracting(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
        .containsExactly("example.com/lb-ready=True/Registered", "DisruptionTarget=True/EvictionByEvictionAPI",
            "Initialized=True/null", "Ready=True/null", "ContainersReady=True/null", "PodScheduled=True/null");
    assertThat(status.getConditions().get(0).getLastTransitionTime()).isEqualTo("2026-12-01T00:00:00Z");
  }

  @Test
  void hostIPsAreTheNodesOwnInternalAddressesOnePerFamily() {
    NodeHostIPs ips = new NodeHostIPs();
    ips.heartbeat(new NodeReport(1, "edge", "t", true, null, null, List.of(
        new NodeReport.Address("Hostname", "edge"), new NodeReport.Address("InternalIP", "192.0.2.17"),
        new NodeReport.Address("InternalIP", "192.0.2.18"), new NodeReport.Address("ExternalIP", "203.0.113.5"),
        new NodeReport.Address("InternalIP", "2001:db8::17")), null));
    assertThat(ips.of("edge")).containsExactly("192.0.2.17", "2001:db8::17");
    assertThat(ips.of("other")).isEmpty();

    PodStatusReport report = report("Running", List.of(container("web", ContainerStateV1.running("t"), true)),
        null);
    PodSpec spec = spec(List.of("web"), List.of());
    PodStatus status = toStatus(report, pod(spec, null), ips.of("edge"));
    assertThat(status.getHostIP()).isEqualTo("192.0.2.17");
    assertThat(status.getHostIPs()).extracting(HostIP::getIp).containsExactly("192.0.2.17", "2001:db8::17");
    assertThat(status.getConditions()).extracting(c -> c.getType())
        .as("no PodReadyToStartContainers from a node that does not report its sandbox")
        .containsExactly("Initialized", "Ready", "ContainersReady", "PodScheduled");

    // Before the node's first heartbeat after a bridge restart: what the pod shows is kept.
    PodStatus previous = new PodStatusBuilder().withHostIP("192.0.2.17").withHostIPs(new HostIP("192.0.2.17"))
        .withStartTime("2026-01-01T00:00:00Z").build();
    PodStatus kept = toStatus(report, pod(spec, previous), List.of());
    assertThat(kept.getHostIP()).isEqualTo("192.0.2.17");
    assertThat(kept.getHostIPs()).extracting(HostIP::getIp).containsExactly("192.0.2.17");
    assertThat(kept.getStartTime()).isEqualTo("2026-01-01T00:00:00Z");
  }

  @Test
  void nativeSidecarsInitializeOnceStartedCountTowardReadinessAndReportTheirStartupVerdict() {
    // A Job-like pod: init container "setup" done, sidecar "proxy" running but its startup probe not passed yet.
    PodSpec spec = new PodSpecBuilder().withNodeName("edge").withRestartPolicy("Never")
        .withContainers(new ContainerBuilder().withName("job").build())
        .withInitContainers(new ContainerBuilder().withName("setup").build(),
            new ContainerBuilder().withName("proxy").withRestartPolicy("Always").build()).build();
    ContainerStatusV1 setup = new ContainerStatusV1("setup", "img", null, null, true, 0,
        ContainerStateV1.terminated("Completed", null, 0, "t", "t"), null, false);
    ContainerStatusV1 starting = new ContainerStatusV1("proxy", "img", null, null, false, 0,
        ContainerStateV1.running("t"), null, false);
    ContainerStatusV1 initializing = new ContainerStatusV1("job", "img", null, null, false, 0,
        ContainerStateV1.waiting("PodInitializing", null), null, false);
    PodStatusReport pending = report("Pending", List.of(initializing), List.of(setup, starting));
    assertThat(initialized(spec, pending)).as("generate.go isInitContainerInitialized: a sidecar once started")
        .isEqualTo(new PodConditions.Outcome(false, "ContainersNotInitialized",
            "containers with incomplete status: [proxy]"));
    assertThat(containersReady(spec, pending)).isEqualTo(new PodConditions.Outcome(false, "ContainersNotReady",
        "containers with unready status: [proxy job]"));

    ContainerStatusV1 started = new ContainerStatusV1("proxy", "img", null, null, true, 0,
        ContainerStateV1.running("t"), null, true);
    ContainerStatusV1 job = new ContainerStatusV1("job", "img", null, null, true, 0, ContainerStateV1.running("t"),
        null, true);
    PodStatusReport running = report("Running", List.of(job), List.of(setup, started));
    assertThat(initialized(spec, running)).isEqualTo(PodConditions.Outcome.TRUE);
    assertThat(containersReady(spec, running)).isEqualTo(PodConditions.Outcome.TRUE);

    // The sidecar restarts later: the pod stays initialized (an app container has started), not ready.
    ContainerStatusV1 restarting = new ContainerStatusV1("proxy", "img", null, null, false, 1,
        ContainerStateV1.waiting("CrashLoopBackOff", "back-off"), ContainerStateV1.terminated("Error", null, 137,
            "t", "t"), false);
    PodStatusReport degraded = report("Running", List.of(job), List.of(setup, restarting));
    assertThat(initialized(spec, degraded)).isEqualTo(PodConditions.Outcome.TRUE);
    assertThat(containersReady(spec, degraded)).isEqualTo(new PodConditions.Outcome(false, "ContainersNotReady",
        "containers with unready status: [proxy]"));

    PodStatus status = toStatus(pending, pod(spec, null), List.of("192.0.2.17"));
    assertThat(status.getInitContainerStatuses()).extracting(c -> c.getName() + " started=" + c.getStarted()
        + " ready=" + c.getReady()).containsExactly("setup started=false ready=true",
            "proxy started=false ready=false");
    assertThat(status.getConditions()).filteredOn(c -> "Initialized".equals(c.getType())).singleElement()
        .satisfies(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("ContainersNotInitialized");
          assertThat(c.getMessage()).isEqualTo("containers with incomplete status: [proxy]");
        });
    assertThat(toStatus(running, pod(spec, null), List.of("192.0.2.17")).getInitContainerStatuses())
        .extracting(c -> c.getName() + " started=" + c.getStarted()).containsExactly("setup started=false",
            "proxy started=true");
  }

  @Test
  void aPodPastItsDeadlineShowsTheKubeletsReasonAndMessage() {
    PodStatusReport report = new PodStatusReport(1, "edge", REF, "Failed", "DeadlineExceeded",
        "Pod was active on the node longer than the specified deadline", "10.88.0.5", null, "2026-01-01T00:00:00Z",
        List.of(new ContainerStatusV1("web", "img", null, null, false, 0, ContainerStateV1.terminated("Error", null,
            137, "t", "t"), null, false)), false, null, false);
    PodSpec spec = spec(List.of("web"), List.of());
    PodStatus status = toStatus(report, pod(spec, null), List.of("192.0.2.17"));
    assertThat(status.getPhase()).isEqualTo("Failed");
    assertThat(status.getReason()).isEqualTo("DeadlineExceeded");
    assertThat(status.getMessage()).isEqualTo("Pod was active on the node longer than the specified deadline");
    assertThat(status.getHostIP()).isEqualTo("192.0.2.17");
    assertThat(status.getConditions()).filteredOn(c -> "ContainersReady".equals(c.getType())).singleElement()
        .satisfies(c -> assertThat(c.getReason()).isEqualTo("PodFailed"));
    assertThat(status.getConditions()).filteredOn(c -> "PodReadyToStartContainers".equals(c.getType()))
        .singleElement().satisfies(c -> assertThat(c.getStatus()).isEqualTo("False"));
  }
}
