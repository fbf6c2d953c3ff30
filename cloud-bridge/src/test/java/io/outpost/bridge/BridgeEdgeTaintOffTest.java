package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code OUTPOST_EDGE_TAINT=false}, for a conformance run only: Nodes are registered without the edge taint and the
 * bridge does not put it back; a taint someone else sets stays.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeEdgeTaintOffTest {
  static KubernetesClient client;

  @Test
  void withTheTaintSwitchedOffNodesAreRegisteredWithoutItAndItIsNotRestored(@TempDir Path dir) throws Exception {
    try (BridgeHarness h = BridgeHarness.start(dir, client, Map.of("OUTPOST_EDGE_TAINT", "false"))) {
      FakeEdge edge = h.edge("edge-off");
      edge.heartbeat();
      Node node = await().atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName("edge-off").get(),
          n -> n != null && n.getStatus() != null && n.getStatus().getConditions() != null);
      assertThat(node.getSpec().getTaints()).as("no edge taint").isNullOrEmpty();

      client.nodes().withName("edge-off").edit(n -> {
        n.getSpec().setTaints(List.of(new TaintBuilder().withKey("maintenance").withValue("yes")
            .withEffect("NoSchedule").build()));
        return n;
      });
      long heartbeatsBefore = h.bridge.metrics().get("outpost_bridge_heartbeats_total");
      edge.heartbeat();
      await().atMost(FakeEdge.TIMEOUT).until(() -> h.bridge.metrics().get("outpost_bridge_heartbeats_total")
          > heartbeatsBefore);
      assertThat(client.nodes().withName("edge-off").get().getSpec().getTaints())
          .extracting(t -> t.getKey()).containsExactly("maintenance");
      assertThat(h.bridge.metrics().get("outpost_bridge_edge_taint_restored_total")).isZero();
    }
  }
}
