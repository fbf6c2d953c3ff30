package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A pod that floods its emptyDir, through the whole system (issue 19): its {@code sizeLimit} crosses the bridge, the
 * built edge distribution on real Podman evicts it, and Kubernetes shows what a kubelet writes — phase Failed,
 * reason Evicted, the kubelet's message and Warning Event — while the node's own files stay as they were and the
 * node goes on running pods.
 */
class EphemeralStorageIT extends StackTest {
  @Test
  void aPodFloodingItsEmptyDirIsEvictedAndTheNodeKeepsItsFilesAndServes() throws Exception {
    Path data = stack.edge.home().resolve("data/outpost");
    List<String> storeBefore = listing(data.resolve("store"));
    assertThat(storeBefore).isNotEmpty();
    Pod created = stack.client.pods().inNamespace("default").resource(new PodBuilder()
        .withNewMetadata().withName("flood").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(30L)
        .addNewVolume().withName("scratch").withNewEmptyDir().withSizeLimit(new Quantity("1Mi")).endEmptyDir()
        .endVolume()
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withImagePullPolicy("IfNotPresent")
        .withCommand("sh", "-c", "dd if=/dev/zero of=/scratch/fill bs=1024 count=4096; exec sleep 3600")
        .addNewVolumeMount().withName("scratch").withMountPath("/scratch").endVolumeMount()
        .endContainer().endSpec().build()).create();
    String uid = created.getMetadata().getUid();
    String message = "Usage of EmptyDir volume \"scratch\" exceeds the limit \"1Mi\". ";

    Pod evicted = await("evicted").atMost(PATIENCE).until(() -> stack.pod("flood"),
        p -> p.getStatus() != null && "Failed".equals(p.getStatus().getPhase()));
    assertThat(evicted.getStatus().getReason()).isEqualTo("Evicted");
    assertThat(evicted.getStatus().getMessage()).isEqualTo(message);
    await("the Evicted event").atMost(PATIENCE).untilAsserted(() -> assertThat(
        stack.client.v1().events().inNamespace("default").list().getItems().stream()
            .filter(e -> uid.equals(e.getInvolvedObject().getUid()) && "Evicted".equals(e.getReason())))
        .singleElement().satisfies(e -> {
          assertThat(e.getType()).isEqualTo("Warning");
          assertThat(e.getMessage()).isEqualTo(message);
          assertThat(e.getSource().getComponent()).isEqualTo("kubelet");
        }));
    await("its containers and files gone").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(Podman.containersLabelled(OutpostStack.UID_LABEL, uid)).isEmpty();
      assertThat(data.resolve("volumes").resolve(uid)).doesNotExist();
    });

    // The node's store is still there, it is still Ready and runs the next pod.
    assertThat(listing(data.resolve("store"))).containsAll(storeBefore.stream()
        .filter(name -> name.endsWith(".xd")).limit(1).toList());
    assertThat(stack.edge.isRunning()).isTrue();
    stack.createSleeper("after");
    stack.awaitRunning("after");
    assertThat(stack.pod("flood").getStatus().getReason()).isEqualTo("Evicted");
  }

  private static List<String> listing(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
