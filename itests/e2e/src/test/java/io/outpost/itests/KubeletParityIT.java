package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.outpost.testing.Podman;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One pod life through the real edge (Karaf distribution, Podman) and the bridge into the API server — created with
 * its image present, started, crash-looped with back-off, killed on deletion — and what Kubernetes then shows,
 * compared with what a kubelet 1.32 writes for the same life (expected values from the kubelet's source: see
 * {@code KubeletParityPodmanTest} and {@code KubeletParityBridgeTest}, which check the same field by field on each
 * side with exact timestamps).
 */
class KubeletParityIT extends StackTest {
  private static final String CRASH_TWICE_THEN_RUN =
      "n=$(cat /runs 2>/dev/null || echo 0); echo $((n+1)) > /runs; [ $n -ge 2 ] && exec sleep 3600; exit 1";

  @Test
  void aPodLifeShowsTheStatusAndEventsAKubeletWrites() {
    Pod created = stack.client.pods().inNamespace("default").resource(new PodBuilder()
        .withNewMetadata().withName("web").withNamespace("default").withFinalizers("outpost.io/test").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(2L)
        .addNewContainer().withName("web").withImage(Podman.TEST_IMAGE).withImagePullPolicy("IfNotPresent")
        .withCommand("sh", "-c", CRASH_TWICE_THEN_RUN).endContainer().endSpec().build()).create();
    String uid = created.getMetadata().getUid();

    // Exits, restarted at once, exits, backs off 10 s, restarted: runs.
    Pod running = await("running after two restarts").atMost(PATIENCE).until(() -> stack.pod("web"), p ->
        p.getStatus() != null && p.getStatus().getContainerStatuses() != null
            && !p.getStatus().getContainerStatuses().isEmpty()
            && p.getStatus().getContainerStatuses().get(0).getRestartCount() == 2
            && p.getStatus().getContainerStatuses().get(0).getState().getRunning() != null
            && conditionTrue(p, "Ready"));
    ContainerStatus web = running.getStatus().getContainerStatuses().get(0);
    assertThat(web.getLastState().getTerminated().getExitCode()).isEqualTo(1);
    assertThat(web.getLastState().getTerminated().getReason()).isEqualTo("Error");
    assertThat(running.getStatus().getConditions()).extracting(c -> c.getType() + "=" + c.getStatus())
        .containsExactly("PodReadyToStartContainers=True", "Initialized=True", "Ready=True", "ContainersReady=True",
            "PodScheduled=True");
    assertThat(Instant.parse(running.getStatus().getStartTime()))
        .isBeforeOrEqualTo(Instant.parse(web.getState().getRunning().getStartedAt()));
    // hostIP: the node's own address (published as ExternalIP, as the bridge is the Node's InternalIP for the
    // kubelet API), never the bridge's.
    Node node = stack.client.nodes().withName(stack.node).get();
    String bridge = node.getStatus().getAddresses().get(0).getAddress();
    String own = node.getStatus().getAddresses().stream().filter(a -> "ExternalIP".equals(a.getType()))
        .map(NodeAddress::getAddress).findFirst().orElseThrow();
    assertThat(running.getStatus().getHostIP()).isEqualTo(own).isNotEqualTo(bridge);
    assertThat(running.getStatus().getHostIPs()).extracting(HostIP::getIp).startsWith(own);

    String backOff = "Back-off restarting failed container web in pod web_default(" + uid + ")";
    await("the life's events, aggregated").atMost(PATIENCE).untilAsserted(() -> assertThat(events(uid)).contains(
        "Normal Pulled x3 spec.containers{web} Container image \"" + Podman.TEST_IMAGE
            + "\" already present on machine",
        "Normal Created x3 spec.containers{web} Created container: web",
        "Normal Started x3 spec.containers{web} Started container web",
        "Warning BackOff x1 spec.containers{web} " + backOff,
        // The node of this stack has no pod range, so no cluster DNS: a kubelet without --cluster-dns says so once
        // per sandbox for a ClusterFirst pod and falls back to the node's resolvers (dns.go, MissingClusterDNS).
        "Warning MissingClusterDNS x1 null pod: \"web_default(" + uid + ")\". kubelet does not have ClusterDNS IP"
            + " configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy."));

    // Deleted with a grace period (a finalizer keeps the pod as a real API server keeps it while the node stops it).
    stack.client.pods().inNamespace("default").withName("web").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"deletionTimestamp\":\"" + Instant.now() + "\",\"deletionGracePeriodSeconds\":2}}");
    await("killed on deletion").atMost(PATIENCE).untilAsserted(() -> assertThat(events(uid))
        .contains("Normal Killing x1 spec.containers{web} Stopping container web"));
    assertThat(events(uid)).as("one Event per distinct event").hasSize(6);
    for (Event event : stack.client.v1().events().inNamespace("default").list().getItems()) {
      if (uid.equals(event.getInvolvedObject().getUid())) {
        assertThat(event.getSource().getComponent()).isEqualTo("kubelet");
        assertThat(event.getSource().getHost()).isEqualTo(stack.node);
        assertThat(event.getReportingComponent()).isEqualTo("outpost-edge");
        assertThat(event.getReportingInstance()).isEqualTo(stack.node);
        assertThat(event.getInvolvedObject().getKind()).isEqualTo("Pod");
        assertThat(event.getInvolvedObject().getName()).isEqualTo("web");
      }
    }
    stack.client.pods().inNamespace("default").withName("web").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"finalizers\":null}}");
  }

  private List<String> events(String uid) {
    return stack.client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> uid.equals(e.getInvolvedObject().getUid()))
        .map(e -> e.getType() + " " + e.getReason() + " x" + e.getCount() + " " + e.getInvolvedObject().getFieldPath()
            + " " + e.getMessage()).toList();
  }

  private static boolean conditionTrue(Pod pod, String type) {
    return pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
        .anyMatch((PodCondition c) -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
