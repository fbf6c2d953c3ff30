package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.testing.Podman;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A pod's securityContext from the Kubernetes API through the bridge and the built edge distribution to the
 * container, and the node's refusals as Kubernetes then shows them (status reason and message, Events).
 */
class SecurityContextIT extends StackTest {

  private static PodBuilder sleeper(String name, String node) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(1L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withImagePullPolicy("IfNotPresent")
        .withCommand("sleep", "3600").endContainer().endSpec();
  }

  private static String field(String procStatus, String name) {
    return procStatus.lines().filter(l -> l.startsWith(name + ":")).map(l -> l.substring(name.length() + 1).trim())
        .findFirst().orElseThrow();
  }

  @Test
  void theSecurityContextOfAPodReachesItsContainer() {
    stack.client.pods().inNamespace("default").resource(sleeper("restricted", stack.node).editSpec()
        .withNewSecurityContext().withRunAsUser(1000L).withRunAsGroup(3000L).withFsGroup(2000L)
        .withRunAsNonRoot(true).endSecurityContext()
        .editFirstContainer().withNewSecurityContext().withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true).withNewCapabilities().withDrop("ALL").endCapabilities()
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
        .endContainer().endSpec().build()).create();

    Pod running = stack.awaitRunning("restricted");

    String id = OutpostStack.containersOf(running).get(0);
    assertThat(Podman.cli("exec", id, "id", "-u").trim()).isEqualTo("1000");
    assertThat(Podman.cli("exec", id, "id", "-G").trim().split(" ")).contains("3000", "2000");
    String status = Podman.cli("exec", id, "cat", "/proc/1/status");
    assertThat(field(status, "CapBnd")).isEqualTo("0000000000000000");
    assertThat(field(status, "NoNewPrivs")).isEqualTo("1");
    assertThat(field(status, "Seccomp")).isEqualTo("2");
    assertThat(Podman.cli("exec", id, "sh", "-c", "touch /x 2>&1; echo rc=$?").trim()).endsWith("rc=1");
  }

  @Test
  void aHostNetworkPodIsRejectedByANodeThatDoesNotAllowIt() {
    Pod created = stack.client.pods().inNamespace("default").resource(sleeper("host-net", stack.node).editSpec()
        .withHostNetwork(true).endSpec().build()).create();
    String uid = created.getMetadata().getUid();
    String message = "pod with UID \"" + uid + "\" specified host networking, but is disallowed";

    Pod failed = await("rejected").atMost(PATIENCE).until(() -> stack.pod("host-net"),
        p -> p.getStatus() != null && "Failed".equals(p.getStatus().getPhase()));

    assertThat(failed.getStatus().getReason()).isEqualTo("CapabilitiesForbidden");
    assertThat(failed.getStatus().getMessage()).isEqualTo("Pod was rejected: " + message);
    await("the Warning Event").atMost(PATIENCE).untilAsserted(() -> assertThat(events(uid))
        .contains("Warning CapabilitiesForbidden " + message));
    assertThat(Podman.appContainersOf(uid)).isEmpty();
  }

  @Test
  void runAsNonRootWithAnImageThatRunsAsRootWaitsWithTheKubeletsReason() {
    Pod created = stack.client.pods().inNamespace("default").resource(sleeper("as-root", stack.node).editSpec()
        .withNewSecurityContext().withRunAsNonRoot(true).endSecurityContext().endSpec().build()).create();
    String uid = created.getMetadata().getUid();
    String message = "container has runAsNonRoot and image will run as root (pod: \"as-root_default(" + uid
        + ")\", container: app)";

    Pod waiting = await("CreateContainerConfigError").atMost(PATIENCE).until(() -> stack.pod("as-root"),
        p -> p.getStatus() != null && p.getStatus().getContainerStatuses() != null
            && p.getStatus().getContainerStatuses().stream().anyMatch(c -> c.getState().getWaiting() != null
            && "CreateContainerConfigError".equals(c.getState().getWaiting().getReason())));

    ContainerStatus app = waiting.getStatus().getContainerStatuses().get(0);
    assertThat(app.getState().getWaiting().getMessage()).isEqualTo(message);
    assertThat(waiting.getStatus().getPhase()).isEqualTo("Pending");
    await("the Failed Event").atMost(PATIENCE).untilAsserted(() -> assertThat(events(uid))
        .contains("Warning Failed Error: " + message));
    assertThat(Podman.appContainersOf(uid)).isEmpty();
  }

  private List<String> events(String uid) {
    return stack.client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> uid.equals(e.getInvolvedObject().getUid()))
        .map(e -> e.getType() + " " + e.getReason() + " " + e.getMessage()).toList();
  }
}
