package io.outpost.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.testing.Podman;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, minus the build: the bridge with its embedded broker (no Mosquitto), the built
 * distribution as the edge node, Podman, and the demo pod — Running in Kubernetes with its container in Podman; and
 * everything gone again after stop.
 */
class QuickstartIT {
  private Path work;
  private Quickstart quickstart;

  @AfterEach
  void cleanUp() {
    if (quickstart != null) {
      quickstart.stop();
    }
    if (work != null) {
      Trees.deleteTree(work);
    }
  }

  @Test
  void theDemoPodRunsInPodmanAndIsRunningInKubernetesThroughTheEmbeddedBroker() throws Exception {
    work = Files.createTempDirectory("outpost-quickstart");
    quickstart = new Quickstart(work);

    Pod pod = quickstart.run();

    String uid = pod.getMetadata().getUid();
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getContainerStatuses()).singleElement()
        .satisfies(c -> assertThat(c.getState().getRunning()).isNotNull());
    assertThat(Podman.appContainersOf(uid)).singleElement()
        .satisfies(id -> assertThat(Podman.cli("inspect", "--format", "{{.State.Running}}", id).trim())
            .isEqualTo("true"));
    assertThat(quickstart.client().nodes().withName("edge-quickstart").get().getStatus().getConditions())
        .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));

    quickstart.stop();
    quickstart = null;
    assertThat(Podman.containersLabelled("io.outpost.pod.uid", uid)).as("app and infra containers removed").isEmpty();
  }
}
