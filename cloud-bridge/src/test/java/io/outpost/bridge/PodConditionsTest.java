package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kubelet's conditions (pkg/kubelet/status/generate.go, 1.32) and host addresses, from a node's reports. */
class PodConditionsTest {
  private static final ObjectRef REF = new ObjectRef("Pod", "ns", "web", "uid-1", "5");

  private static ContainerStatusV1 container(String name, ContainerStateV1 state, boolean ready) {
    return new ContainerStatusV1(name, "img", null, null, ready, 0, state, null);
  }

  private static PodStatusReport report(String phase, List<ContainerStatusV1> containers,
      List<ContainerStatusV1> init) {
    return new PodStatusReport(1, "edge", REF, phase, null, null, null, null, null, containers, false, init, null);
  }

  @Test
  void unreadyContainersAreNamedAsTheKubeletNamesThem() {
    PodStatusReport report = report("Running", List.of(container("web", ContainerStateV1.running("t"), true),
        container("log", ContainerStateV1.waiting("CrashLoopBackOff", null), false),
        container("db", ContainerStateV1.waiting("ContainerCreating", null), false)), null);
    assertThat(PodConditions.containersReady(report)).isEqualTo(new PodConditions.Outcome(false,
        "ContainersNotReady", "containers with unready status: [log db]"));
    assertThat(PodConditions.initialized(report)).isEqualTo(PodConditions.Outcome.TRUE);
  }

  @Test
  void aSucceededPodIsCompletedAndIncompleteInitContainersAreNamed() {
    PodStatusReport done = report("Succeeded", List.of(container("web",
        ContainerStateV1.terminated("Completed", null, 0, "t", "t"), false)), null);
    assertThat(PodConditions.containersReady(done)).isEqualTo(new PodConditions.Outcome(false, "PodCompleted", null));
    assertThat(PodConditions.initialized(done)).isEqualTo(new PodConditions.Outcome(true, "PodCompleted", null));

    PodStatusReport initializing = report("Pending", List.of(container("web",
        ContainerStateV1.waiting("PodInitializing", null), false)), List.of(
            container("init", ContainerStateV1.running("t"), false)));
    assertThat(PodConditions.initialized(initializing)).isEqualTo(new PodConditions.Outcome(false,
        "ContainersNotInitialized", "containers with incomplete status: [init]"));
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
    PodStatus status = PodStatusWriter.toStatus(report, null, ips.of("edge"));
    assertThat(status.getHostIP()).isEqualTo("192.0.2.17");
    assertThat(status.getHostIPs()).extracting(HostIP::getIp).containsExactly("192.0.2.17", "2001:db8::17");
    assertThat(status.getConditions()).extracting(c -> c.getType())
        .as("no PodReadyToStartContainers from a node that does not report its sandbox")
        .containsExactly("Initialized", "Ready", "ContainersReady", "PodScheduled");

    // Before the node's first heartbeat after a bridge restart: what the pod shows is kept.
    PodStatus previous = new PodStatusBuilder().withHostIP("192.0.2.17").withHostIPs(new HostIP("192.0.2.17"))
        .withStartTime("2026-01-01T00:00:00Z").build();
    PodStatus kept = PodStatusWriter.toStatus(report, previous, List.of());
    assertThat(kept.getHostIP()).isEqualTo("192.0.2.17");
    assertThat(kept.getHostIPs()).extracting(HostIP::getIp).containsExactly("192.0.2.17");
    assertThat(kept.getStartTime()).isEqualTo("2026-01-01T00:00:00Z");
  }
}
