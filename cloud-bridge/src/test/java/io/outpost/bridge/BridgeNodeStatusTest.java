package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.upstream.UpstreamNames;
import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.Topics;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Capacity, allocatable and the pressure conditions of an edge Node as a kubelet writes them, from the heartbeat;
 * implausible figures are not written but counted; an old node's heartbeat still works as before.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(BridgeHarnessExtension.class)
class BridgeNodeStatusTest {
  static KubernetesClient client;

  /** Started before each test and closed after it ({@link BridgeHarnessExtension}). */
  private BridgeHarness h;

  private static final Map<String, String> CAPACITY = Map.of("cpu", "4", "memory", "8167056Ki", "pods", "110",
      "ephemeral-storage", "263183712Ki");
  private static final Map<String, String> ALLOCATABLE = Map.of("cpu", "4", "memory", "8064656Ki", "pods", "110",
      "ephemeral-storage", "242550141338");

  private static NodeReport.Condition memory(boolean pressure) {
    return pressure
        ? new NodeReport.Condition("MemoryPressure", "True", "KubeletHasInsufficientMemory",
            "kubelet has insufficient memory available")
        : new NodeReport.Condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available");
  }

  private static NodeReport.Condition disk(boolean pressure) {
    return pressure
        ? new NodeReport.Condition("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure")
        : new NodeReport.Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure");
  }

  private static final NodeReport.Condition PID = new NodeReport.Condition("PIDPressure", "False",
      "KubeletHasSufficientPID", "kubelet has sufficient PID available");

  private static NodeReport report(String node, Map<String, String> capacity, Map<String, String> allocatable,
      List<NodeReport.Condition> conditions) {
    NodeReport base = FakeEdge.nodeReport(node);
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), true, base.message(), capacity,
        base.addresses(), base.info(), null, allocatable, conditions);
  }

  private Node awaitNode(String name, Predicate<Node> until) {
    return await().atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName(name).get(),
        n -> n != null && n.getStatus() != null && until.test(n));
  }

  private static NodeCondition condition(Node node, String type) {
    return node.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst()
        .orElseThrow();
  }

  private static Map<String, String> text(Map<String, Quantity> quantities) {
    Map<String, String> result = new LinkedHashMap<>();
    quantities.forEach((k, v) -> result.put(k, v.toString()));
    return result;
  }

  @Test
  void theNodeShowsEphemeralStorageAndTheThreePressureConditionsWithTheKubeletsReasons() throws Exception {
    FakeEdge edge = h.edge("edge-st");
    edge.heartbeat(report("edge-st", CAPACITY, ALLOCATABLE, List.of(memory(false), disk(false), PID)));

    Node node = awaitNode("edge-st", n -> n.getStatus().getConditions().size() == 4);
    assertThat(text(node.getStatus().getCapacity())).isEqualTo(CAPACITY);
    assertThat(text(node.getStatus().getAllocatable())).isEqualTo(ALLOCATABLE);
    assertThat(node.getStatus().getConditions()).extracting(c -> String.join("|", c.getType(), c.getStatus(),
        c.getReason(), c.getMessage())).containsExactly(
            "MemoryPressure|False|KubeletHasSufficientMemory|kubelet has sufficient memory available",
            "DiskPressure|False|KubeletHasNoDiskPressure|kubelet has no disk pressure",
            "PIDPressure|False|KubeletHasSufficientPID|kubelet has sufficient PID available",
            "Ready|True|OutpostEdgeReady|Outpost edge ready");
    assertThat(node.getStatus().getConditions()).allSatisfy(c -> {
      assertThat(c.getLastHeartbeatTime()).isNotNull();
      assertThat(c.getLastTransitionTime()).isNotNull();
    });
    assertThat(h.rejected(UpstreamNames.FIGURES_REJECTED)).isZero();
  }

  @Test
  void aConditionsTransitionTimeMovesOnlyWhenItsStatusChanges() throws Exception {
    String long_ago = "2020-01-01T00:00:00Z";
    Node existing = client.nodes().resource(new NodeBuilder().withNewMetadata().withName("edge-tr")
        .withLabels(Map.of("outpost.io/edge", "true")).endMetadata().build()).create();
    client.nodes().resource(new NodeBuilder(existing).withNewStatus().withConditions(
        new NodeConditionBuilder().withType("DiskPressure").withStatus("False").withReason("KubeletHasNoDiskPressure")
            .withLastHeartbeatTime(long_ago).withLastTransitionTime(long_ago).build(),
        new NodeConditionBuilder().withType("MemoryPressure").withStatus("False")
            .withReason("KubeletHasSufficientMemory").withLastHeartbeatTime(long_ago)
            .withLastTransitionTime(long_ago).build()).endStatus().build()).updateStatus();
    FakeEdge edge = h.edge("edge-tr");

    edge.heartbeat(report("edge-tr", CAPACITY, ALLOCATABLE, List.of(memory(false), disk(false), PID)));
    Node same = awaitNode("edge-tr", n -> n.getStatus().getConditions().size() == 4);
    assertThat(condition(same, "DiskPressure").getLastTransitionTime()).isEqualTo(long_ago);
    assertThat(condition(same, "MemoryPressure").getLastTransitionTime()).isEqualTo(long_ago);
    assertThat(condition(same, "DiskPressure").getLastHeartbeatTime()).as("the heartbeat time moves")
        .isNotEqualTo(long_ago);
    assertThat(condition(same, "PIDPressure").getLastTransitionTime()).as("new: now").isNotEqualTo(long_ago);

    edge.heartbeat(report("edge-tr", CAPACITY, ALLOCATABLE, List.of(memory(false), disk(true), PID)));
    Node pressed = awaitNode("edge-tr", n -> "True".equals(condition(n, "DiskPressure").getStatus()));
    NodeCondition diskPressure = condition(pressed, "DiskPressure");
    assertThat(diskPressure.getReason()).isEqualTo("KubeletHasDiskPressure");
    assertThat(diskPressure.getMessage()).isEqualTo("kubelet has disk pressure");
    assertThat(Instant.parse(diskPressure.getLastTransitionTime())).isAfter(Instant.parse(long_ago));
    assertThat(condition(pressed, "MemoryPressure").getLastTransitionTime()).as("unchanged status")
        .isEqualTo(long_ago);
    assertThat(pressed.getStatus().getConditions()).extracting(NodeCondition::getType).last().isEqualTo("Ready");
  }

  @Test
  void aHeartbeatInTheOldFormatIsAcceptedAsBefore() throws Exception {
    FakeEdge edge = h.edge("edge-old");
    edge.publishJson(Topics.Up.NODE, """
        {"v":1,"node":"edge-old","sentAt":"%s","ready":true,"message":"Outpost edge ready",
         "capacity":{"cpu":"2","memory":"4038436Ki","pods":"110"},
         "addresses":[{"type":"Hostname","address":"edge-old"}]}""".formatted(Instant.now()));
    Node node = awaitNode("edge-old", n -> n.getStatus().getConditions() != null);
    assertThat(text(node.getStatus().getCapacity())).isEqualTo(Map.of("cpu", "2", "memory", "4038436Ki",
        "pods", "110"));
    assertThat(node.getStatus().getAllocatable()).isEqualTo(node.getStatus().getCapacity());
    assertThat(node.getStatus().getConditions()).extracting(NodeCondition::getType).containsExactly("Ready");
    assertThat(h.metric("outpost_bridge_heartbeats_total")).isEqualTo(1);
    assertThat(h.rejected(UpstreamNames.FIGURES_REJECTED)).isZero();
    assertThat(h.rejected("malformed") + h.rejected("invalid")).isZero();
  }

  @Test
  void implausibleFiguresAreNotWrittenButCountedAndTheRestOfTheHeartbeatIsApplied() throws Exception {
    FakeEdge edge = h.edge("edge-bad");
    edge.heartbeat(report("edge-bad", CAPACITY, ALLOCATABLE, List.of(memory(false), disk(false), PID)));
    awaitNode("edge-bad", n -> n.getStatus().getConditions().size() == 4);

    Map<String, String> capacity = new LinkedHashMap<>(CAPACITY);
    capacity.put("memory", "-5Ki");
    capacity.put("cpu", "lots");
    capacity.put("pods", "120");
    Map<String, String> allocatable = new LinkedHashMap<>(ALLOCATABLE);
    allocatable.put("ephemeral-storage", "263183712Mi"); // more than the capacity
    allocatable.put("nvidia.com/gpu", "1"); // no capacity for it
    allocatable.put("pods", "120");
    edge.heartbeat(report("edge-bad", capacity, allocatable, List.of(memory(true), disk(false), PID,
        new NodeReport.Condition("Haunted", "True", "Ghosts", "boo"))));

    await().atMost(FakeEdge.TIMEOUT).until(() -> h.rejected(UpstreamNames.FIGURES_REJECTED) == 5);
    Node node = awaitNode("edge-bad", n -> "True".equals(condition(n, "MemoryPressure").getStatus()));
    assertThat(text(node.getStatus().getCapacity())).as("bad figures keep the Node's values; good ones apply")
        .isEqualTo(Map.of("cpu", "4", "memory", "8167056Ki", "pods", "120", "ephemeral-storage", "263183712Ki"));
    assertThat(text(node.getStatus().getAllocatable())).isEqualTo(Map.of("cpu", "4", "memory", "8064656Ki",
        "pods", "120", "ephemeral-storage", "242550141338"));
    assertThat(node.getStatus().getConditions()).extracting(NodeCondition::getType)
        .containsExactly("MemoryPressure", "DiskPressure", "PIDPressure", "Ready");
    assertThat(condition(node, "Ready").getStatus()).isEqualTo("True");
    assertThat(h.metric("outpost_bridge_heartbeats_total")).isEqualTo(2);
  }
}
