package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.testing.EdgeNode;
import io.outpost.testing.ManagedProcess;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An upgrade of a node installed as a service, with pods running: the service is stopped (SIGTERM, as
 * {@code systemctl stop}), the next version is installed over it with {@code bin/outpost-install}, the service is
 * started again. The pods' containers are never restarted, the node keeps its identity and store, and it runs new
 * pods afterwards.
 */
class UpgradeIT extends StackTest {

  @Test
  void upgradingAnInstalledNodeKeepsItsPodsRunning() throws Exception {
    String node = stack.node + "-svc";
    Path dir = Files.createDirectories(stack.dir.resolve("upgrade"));
    Path v1 = dir.resolve("v1");
    EdgeNode.install(v1, node, stack.broker.url(), stack.podman.host());
    assertThat(OutpostInstallIT.installService(v1, dir)).contains("install done");
    OutpostInstallIT.ServiceUnit service = OutpostInstallIT.ServiceUnit.read(dir.resolve("units/outpost.service"));
    Path data = dir.resolve("var/lib/outpost");
    try {
      ManagedProcess first = ManagedProcess.start("outpost-service-v1", service.command(), service.environment(),
          data, dir.resolve("run-1.log"));
      String containerId;
      String startedAt;
      try {
        awaitReady(node);
        stack.client.pods().inNamespace("default").resource(sleeper("kept", node)).create();
        stack.awaitRunning("kept");
        containerId = OutpostStack.containersOf(stack.pod("kept")).get(0);
        startedAt = OutpostStack.startedAt(containerId);
      } finally {
        first.close(); // systemctl stop
      }

      Path v2 = dir.resolve("v2");
      EdgeNode.install(v2, "ignored-name", "tcp://127.0.0.1:1", "unix:///nowhere");
      Files.writeString(v2.resolve("lib/NEW-VERSION"), "2");
      assertThat(OutpostInstallIT.installService(v2, dir)).contains("upgrade done");
      assertThat(dir.resolve("opt/outpost/lib/NEW-VERSION")).exists();
      assertThat(OutpostStack.running(containerId)).as("the pod ran on while the node was down").isTrue();

      try (ManagedProcess second = ManagedProcess.start("outpost-service-v2", service.command(),
          service.environment(), data, dir.resolve("run-2.log"))) {
        stack.client.pods().inNamespace("default").resource(sleeper("after-upgrade", node)).create();
        stack.awaitRunning("after-upgrade");
        assertThat(OutpostStack.startedAt(containerId)).as("never restarted by the upgrade").isEqualTo(startedAt);
        assertThat(OutpostStack.containersOf(stack.pod("kept"))).containsExactly(containerId);
        Pod kept = stack.pod("kept");
        assertThat(kept.getStatus().getPhase()).isEqualTo("Running");
        assertThat(kept.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
        assertThat(Files.readString(data.resolve("log/karaf.log"))).as("same store, reopened")
            .contains("Edge store open at " + data.resolve("outpost/store"));
        assertThat(second.isAlive()).isTrue();
      }
    } finally {
      Podman.removeContainersLabelled(OutpostStack.NODE_LABEL, node);
    }
  }

  private void awaitReady(String node) {
    await("node " + node + " Ready").atMost(PATIENCE).untilAsserted(() -> {
      Node registered = stack.client.nodes().withName(node).get();
      assertThat(registered).isNotNull();
      assertThat(registered.getStatus()).isNotNull();
      assertThat(registered.getStatus().getConditions())
          .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));
    });
  }

  private static Pod sleeper(String name, String node) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(5L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer()
        .endSpec().build();
  }
}
