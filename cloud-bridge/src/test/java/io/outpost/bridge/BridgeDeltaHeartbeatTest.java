package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeSystemInfoBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.kube.EdgeTaint;
import io.outpost.bridge.upstream.UpstreamNames;
import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Protocol §5.5: a heartbeat leaves out what did not change. The Node keeps its capacity, allocatable, addresses,
 * system info and pressure conditions, its Lease is renewed, and a bridge without the node's facts (restarted) keeps
 * what the Node shows.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(BridgeHarnessExtension.class)
class BridgeDeltaHeartbeatTest {
  static KubernetesClient client;

  /** Started before each test and closed after it ({@link BridgeHarnessExtension}). */
  private BridgeHarness h;

  private static final Map<String, String> CAPACITY = Map.of("cpu", "4", "memory", "8167056Ki", "pods", "110",
      "ephemeral-storage", "263183712Ki");
  private static final Map<String, String> ALLOCATABLE = Map.of("cpu", "4", "memory", "8064656Ki", "pods", "110",
      "ephemeral-storage", "242550141338");
  private static final List<NodeReport.Condition> CONDITIONS = List.of(
      new NodeReport.Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "sufficient"),
      new NodeReport.Condition("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure"),
      new NodeReport.Condition("PIDPressure", "False", "KubeletHasSufficientPID", "sufficient"));

  private static NodeReport full(String node) {
    NodeReport base = FakeEdge.nodeReport(node);
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), true, base.message(), CAPACITY,
        base.addresses(), base.info(), Map.of("outpost_edge_pods", 3.0), ALLOCATABLE, CONDITIONS);
  }

  /** What an idle node sends between changes: its name, the time and its readiness. */
  private static NodeReport delta(String node, boolean ready) {
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), ready, ready ? "Outpost edge ready"
        : "not ready", null, null, null, null, null, null);
  }

  private Node node(String name) {
    return client.nodes().withName(name).get();
  }

  private Lease lease(String name) {
    return client.leases().inNamespace("kube-node-lease").withName(name).get();
  }

  private static String ready(Node node) {
    return node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
        .map(NodeCondition::getStatus).findFirst().orElse("");
  }

  private static Map<String, String> text(Map<String, Quantity> quantities) {
    Map<String, String> result = new LinkedHashMap<>();
    quantities.forEach((k, v) -> result.put(k, v.toString()));
    return result;
  }

  private static void assertFactsKept(Node node, String name) {
    assertThat(text(node.getStatus().getCapacity())).isEqualTo(CAPACITY);
    assertThat(text(node.getStatus().getAllocatable())).isEqualTo(ALLOCATABLE);
    assertThat(node.getStatus().getAddresses()).extracting(a -> a.getType() + "=" + a.getAddress())
        .containsExactly("InternalIP=192.0.2.17", "Hostname=" + name);
    assertThat(node.getStatus().getNodeInfo().getMachineID()).isEqualTo("machine-" + name);
    assertThat(node.getStatus().getNodeInfo().getKernelVersion()).isEqualTo("6.1.0-26-amd64");
    assertThat(node.getStatus().getConditions()).extracting(c -> c.getType() + "=" + c.getStatus())
        .containsExactly("MemoryPressure=False", "DiskPressure=True", "PIDPressure=False", "Ready=" + ready(node));
  }

  @Test
  void aDeltaHeartbeatKeepsTheNodesFactsAndRenewsItsLease() throws Exception {
    FakeEdge edge = h.edge("edge-delta");
    edge.heartbeat(full("edge-delta"));
    await().atMost(FakeEdge.TIMEOUT).until(() -> node("edge-delta"),
        n -> n != null && n.getStatus() != null && n.getStatus().getConditions().size() == 4);
    Lease first = await().atMost(FakeEdge.TIMEOUT).until(() -> lease("edge-delta"), l -> l != null);
    ZonedDateTime firstRenewal = first.getSpec().getRenewTime();
    long leaseWrites = h.kubeWrites("leases");

    edge.heartbeat(delta("edge-delta", false)); // a change of readiness: the status is written
    Node notReady = await().atMost(FakeEdge.TIMEOUT).until(() -> node("edge-delta"),
        n -> "False".equals(ready(n)));
    assertFactsKept(notReady, "edge-delta");

    edge.heartbeat(delta("edge-delta", true));
    Node readyAgain = await().atMost(FakeEdge.TIMEOUT).until(() -> node("edge-delta"), n -> "True".equals(ready(n)));
    assertFactsKept(readyAgain, "edge-delta");
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.kubeWrites("leases") > leaseWrites);
    assertThat(lease("edge-delta").getSpec().getRenewTime()).isAfterOrEqualTo(firstRenewal);
    assertThat(h.metric("outpost_bridge_heartbeats_total")).isEqualTo(3);
    assertThat(h.bridge.metrics().edgeValue("edge-delta", "outpost_edge_pods")).as("the last samples stand")
        .isEqualTo(3.0);
    assertThat(h.rejected(UpstreamNames.FIGURES_REJECTED)).isZero();
  }

  @Test
  void aBridgeWithoutTheNodesFactsKeepsWhatTheNodeShows() throws Exception {
    // Written by this bridge before it restarted: the new one has no facts of the node.
    Node existing = client.nodes().resource(new NodeBuilder().withNewMetadata().withName("edge-known")
        .withLabels(Map.of("outpost.io/edge", "true")).endMetadata().withNewSpec().withTaints(EdgeTaint.taint())
        .endSpec().build()).create();
    Map<String, Quantity> capacity = new LinkedHashMap<>();
    CAPACITY.forEach((k, v) -> capacity.put(k, new Quantity(v)));
    Map<String, Quantity> allocatable = new LinkedHashMap<>();
    ALLOCATABLE.forEach((k, v) -> allocatable.put(k, new Quantity(v)));
    String before = "2026-01-01T00:00:00Z";
    client.nodes().resource(new NodeBuilder(existing).withNewStatus().withCapacity(capacity)
        .withAllocatable(allocatable)
        .addNewAddress().withType("InternalIP").withAddress("192.0.2.17").endAddress()
        .addNewAddress().withType("Hostname").withAddress("edge-known").endAddress()
        .withNodeInfo(new NodeSystemInfoBuilder().withMachineID("machine-edge-known").withBootID("boot-1")
            .withKernelVersion("6.1.0-26-amd64").build())
        .withConditions(CONDITIONS.stream().map(c -> new NodeConditionBuilder().withType(c.type())
                .withStatus(c.status()).withReason(c.reason()).withMessage(c.message())
                .withLastHeartbeatTime(before).withLastTransitionTime(before).build()).toList())
        .endStatus().build()).updateStatus();

    FakeEdge edge = h.edge("edge-known");
    edge.heartbeat(delta("edge-known", true));
    Node node = await().atMost(FakeEdge.TIMEOUT).until(() -> node("edge-known"), n -> "True".equals(ready(n)));
    assertFactsKept(node, "edge-known");
    NodeCondition disk = node.getStatus().getConditions().stream().filter(c -> "DiskPressure".equals(c.getType()))
        .findFirst().orElseThrow();
    assertThat(disk.getLastTransitionTime()).as("unchanged").isEqualTo(before);
    assertThat(disk.getLastHeartbeatTime()).as("as fresh as the heartbeat").isNotEqualTo(before);
    await().atMost(FakeEdge.TIMEOUT).until(() -> lease("edge-known") != null);
  }
}
