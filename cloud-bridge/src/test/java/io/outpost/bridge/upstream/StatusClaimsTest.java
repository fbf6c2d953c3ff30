package io.outpost.bridge.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.bridge.config.PodNetworks;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which pod IP is written when a report's is refused, and the reasons, without a bridge around it. */
class StatusClaimsTest {
  private static final StatusClaims CLAIMS = new StatusClaims(new PodAddressRanges(
      PodNetworks.from(Map.of("OUTPOST_NODE_POD_CIDRS", "edge=10.42.1.0/24")), name -> null));

  private static Pod pod(String shownPodIP) {
    return new PodBuilder().withNewMetadata().withNamespace("ns").withName("web").withUid("uid-1").endMetadata()
        .withNewSpec().withNodeName("edge").addNewContainer().withName("app").endContainer().endSpec()
        .withNewStatus().withPodIP(shownPodIP).endStatus().build();
  }

  private static PodStatusReport report(String podIP, String hostIP) {
    return new PodStatusReport(1, "edge", new ObjectRef("Pod", "ns", "web", "uid-1", "5"), "Running", null, null,
        podIP, hostIP, null, List.of(new ContainerStatusV1("app", "img", null, null, true, 0,
            ContainerStateV1.running("t"), null)), false);
  }

  @Test
  void aRefusedPodIpKeepsTheShownOneOnlyWhileThatIsStillInTheRange() {
    StatusClaims.Checked kept = CLAIMS.check(report("10.96.0.10", null), pod("10.42.1.5"), List.of("192.0.2.17"));
    assertThat(kept.podIP()).isEqualTo("10.42.1.5");
    assertThat(kept.refusals()).extracting(StatusClaims.Refusal::reason).containsExactly("pod_ip_out_of_range");
    assertThat(kept.refusals().get(0).message()).contains("10.96.0.10", "10.42.1.0/24", "OUTPOST_NODE_POD_CIDRS");

    // Shown before the range was configured (or by an older bridge): no longer vouched for, so not kept.
    StatusClaims.Checked cleared = CLAIMS.check(report("10.96.0.10", null), pod("10.88.0.5"), List.of());
    assertThat(cleared.podIP()).isNull();

    StatusClaims.Checked accepted = CLAIMS.check(report("10.42.1.77", "192.0.2.17"), pod("10.42.1.5"),
        List.of("192.0.2.17"));
    assertThat(accepted.podIP()).isEqualTo("10.42.1.77");
    assertThat(accepted.refusals()).isEmpty();
    assertThat(accepted.containers()).extracting(ContainerStatusV1::name).containsExactly("app");
  }

  @Test
  void aNodesTextIsCutAndControlCharactersReplacedInTheLogMessage() {
    StatusClaims.Checked checked = CLAIMS.check(report("10.42.1.5\n2026-12-07 INFO forged line" + "x".repeat(100),
        null), pod(null), List.of());
    assertThat(checked.podIP()).isNull();
    assertThat(checked.refusals()).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo("pod_ip_invalid");
      assertThat(r.message()).doesNotContain("\n").contains("10.42.1.5?2026").hasSizeLessThan(120);
    });
  }

  @Test
  void ephemeralContainerStatusesAreWrittenOnlyForTheSpecsEphemeralContainers() {
    Pod debugged = new PodBuilder(pod("10.42.1.5")).editSpec().addNewEphemeralContainer().withName("debugger")
        .withTargetContainerName("app").endEphemeralContainer().endSpec().build();
    ContainerStatusV1 debugger = new ContainerStatusV1("debugger", "busybox", null, "docker://1", false, 0,
        ContainerStateV1.terminated("Error", null, 3, "t0", "t1"), null);
    ContainerStatusV1 forged = new ContainerStatusV1("app", "busybox", null, "docker://2", false, 0,
        ContainerStateV1.running("t"), null);
    PodStatusReport base = report("10.42.1.5", null);
    PodStatusReport report = new PodStatusReport(1, "edge", base.ref(), "Running", null, null, "10.42.1.5", null,
        null, base.containers(), false, null, null, List.of(debugger, forged));
    StatusClaims.Checked checked = CLAIMS.check(report, debugged, List.of());
    assertThat(checked.ephemeralContainers()).containsExactly(debugger);
    assertThat(checked.refusals()).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo("container_not_in_spec");
      assertThat(r.message()).contains("spec.ephemeralContainers");
    });
    io.fabric8.kubernetes.api.model.PodStatus status = PodStatusWriter.toStatus(report, debugged, List.of(), checked);
    assertThat(status.getEphemeralContainerStatuses()).singleElement().satisfies(s -> {
      assertThat(s.getName()).isEqualTo("debugger");
      assertThat(s.getReady()).isFalse();
      assertThat(s.getState().getTerminated().getExitCode()).isEqualTo(3);
    });
    assertThat(CLAIMS.check(base, debugged, List.of()).ephemeralContainers()).as("an edge that reports none")
        .isNull();
  }
}
