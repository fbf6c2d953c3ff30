package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A real edge (the Karaf distribution with its shipped settings) publishes, through the bridge, a Node whose
 * ephemeral-storage is the filesystem of its volumes.dir, whose allocatable is what a kubelet with the same
 * settings would offer, and which carries the kubelet's pressure conditions, true to the host's figures.
 */
class NodeStatusIT extends StackTest {
  private static final Map<String, String> FINE = Map.of("MemoryPressure", "KubeletHasSufficientMemory",
      "DiskPressure", "KubeletHasNoDiskPressure", "PIDPressure", "KubeletHasSufficientPID");
  private static final Map<String, String> PRESSURE = Map.of("MemoryPressure", "KubeletHasInsufficientMemory",
      "DiskPressure", "KubeletHasDiskPressure", "PIDPressure", "KubeletHasInsufficientPID");

  @Test
  void theEdgeNodeShowsEphemeralStorageAndTheKubeletsPressureConditionsTrueToTheHost() throws Exception {
    Node node = await("pressure conditions on the Node").atMost(PATIENCE).until(
        () -> stack.client.nodes().withName(stack.node).get(),
        n -> n.getStatus().getConditions().size() == 4);
    // volumes.dir is <karaf.data>/outpost/volumes under the edge's home: that filesystem is its nodefs.
    FileStore nodefs = Files.getFileStore(stack.edge.home());
    long total = nodefs.getTotalSpace();
    Map<String, Quantity> capacity = node.getStatus().getCapacity();
    Map<String, Quantity> allocatable = node.getStatus().getAllocatable();
    assertThat(amount(capacity.get("ephemeral-storage"))).isEqualByComparingTo(BigDecimal.valueOf(total));
    assertThat(amount(allocatable.get("ephemeral-storage")))
        .as("capacity less nodefs.available<10%%, nothing reserved")
        .isEqualByComparingTo(BigDecimal.valueOf(total - (long) (total * 0.10)));
    assertThat(amount(capacity.get("memory")).subtract(amount(allocatable.get("memory"))))
        .as("memory.available<100Mi").isEqualByComparingTo(BigDecimal.valueOf(100L * 1024 * 1024));
    assertThat(allocatable.get("pods")).isEqualTo(capacity.get("pods"));

    assertThat(node.getStatus().getConditions()).extracting(NodeCondition::getType)
        .containsExactly("MemoryPressure", "DiskPressure", "PIDPressure", "Ready");
    for (NodeCondition condition : node.getStatus().getConditions().subList(0, 3)) {
      assertThat(condition.getReason()).as(condition.getType())
          .isEqualTo(("True".equals(condition.getStatus()) ? PRESSURE : FINE).get(condition.getType()));
    }
    boolean imagefsLow = false;
    Path imagefs = Path.of("/var/lib/containers/storage"); // the shipped imagefs.dir
    if (Files.exists(imagefs)) {
      FileStore store = Files.getFileStore(imagefs);
      imagefsLow = store.getUsableSpace() < (long) (store.getTotalSpace() * 0.15);
    }
    boolean nodefsLow = nodefs.getUsableSpace() < (long) (total * 0.10);
    assertThat(condition(node, "DiskPressure").getStatus()).as("what the host's filesystems really have")
        .isEqualTo(nodefsLow || imagefsLow ? "True" : "False");
    assertThat(condition(node, "PIDPressure").getStatus()).as("no pid.available threshold by default")
        .isEqualTo("False");
  }

  private static BigDecimal amount(Quantity quantity) {
    return quantity.getNumericalAmount();
  }

  private static NodeCondition condition(Node node, String type) {
    return node.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst()
        .orElseThrow();
  }
}
