package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.testing.Podman;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The {@code ..data} attack of issue 19 through the whole system: a pod created in Kubernetes, run by the built
 * distribution on real Podman, points its ConfigMap volume's {@code ..data} at the node's identity directory and
 * waits for the ConfigMap to change. Before the fix its mount was writable and the refresh deleted the link's
 * target; now the mount is read-only (the attempt fails inside the container), the update still reaches the pod,
 * and the node's identity and store are as they were.
 */
class VolumeAttacksIT extends StackTest {
  @Test
  void aPodPointingItsConfigMapDataAtTheNodesIdentityCannotMakeTheRefreshDeleteIt() throws Exception {
    Path data = stack.edge.home().resolve("data/outpost");
    Path identity = Files.createDirectories(data.resolve("identity"));
    Path marker = identity.resolve("attack-marker");
    Files.writeString(marker, "the node's own file");
    List<String> identityBefore = listing(identity);
    List<String> storeBefore = listing(data.resolve("store"));
    stack.configMap("settings", Map.of("mode", "v1"));
    String attack = "rm -f /cfg/..data && ln -s ../../../../identity /cfg/..data && echo planted"
        + " || echo refused; exec sleep 3600";
    stack.client.pods().inNamespace("default").resource(new PodBuilder()
        .withNewMetadata().withName("attacker").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(5L)
        .addNewVolume().withName("cfg").withNewConfigMap().withName("settings").endConfigMap().endVolume()
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withImagePullPolicy("IfNotPresent")
        .withCommand("sh", "-c", attack)
        .addNewVolumeMount().withName("cfg").withMountPath("/cfg").endVolumeMount() // readOnly not asked for
        .endContainer().endSpec().build()).create();
    Pod running = stack.awaitRunning("attacker");
    String container = OutpostStack.containersOf(running).get(0);
    await("the attempt's outcome").atMost(PATIENCE).until(() -> Podman.cli("logs", container),
        log -> log.contains("planted") || log.contains("refused"));
    assertThat(Podman.cli("logs", container)).contains("Read-only file system").contains("refused")
        .doesNotContain("planted");

    stack.configMap("settings", Map.of("mode", "v2")); // the refresh the attack waited for
    await("the update reaches the pod").atMost(PATIENCE).until(() ->
        Podman.cli("exec", container, "cat", "/cfg/mode").trim(), "v2"::equals);

    assertThat(Files.readString(marker, StandardCharsets.UTF_8)).isEqualTo("the node's own file");
    assertThat(listing(identity)).isEqualTo(identityBefore);
    assertThat(listing(data.resolve("store"))).containsAll(storeBefore.stream()
        .filter(name -> name.endsWith(".xd")).toList());
    assertThat(stack.edge.isRunning()).isTrue();
  }

  private static List<String> listing(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
