package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.zjsonpatch.JsonPatch;
import io.outpost.bridge.admission.AdmissionReviews;
import io.outpost.bridge.upstream.UpstreamNames;
import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Edge nodes are opt-in for workloads: the Node is registered with the edge taint, keeps it through status writes,
 * gets it back when someone removes it (their own taints untouched); only pods that select edge nodes are given the
 * toleration, so by the scheduler's taint rule a Deployment's pod or a DaemonSet's pod without one never lands
 * there; a node advertising capacity it cannot have is refused and counted.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(BridgeHarnessExtension.class)
class BridgeEdgeTaintTest {
  static KubernetesClient client;
  private static final ObjectMapper JSON = AdmissionReviews.mapper();

  /** Started before each test and closed after it ({@link BridgeHarnessExtension}). */
  private BridgeHarness h;

  private static final Map<String, String> CAPACITY = Map.of("cpu", "4", "memory", "8Gi", "pods", "110",
      "ephemeral-storage", "100Gi");

  private static NodeReport report(String node, Map<String, String> capacity, Map<String, String> allocatable) {
    NodeReport base = FakeEdge.nodeReport(node);
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), true, base.message(), capacity,
        base.addresses(), base.info(), null, allocatable, null);
  }

  private Node awaitNode(String name, Predicate<Node> until) {
    return await().atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName(name).get(),
        n -> n != null && until.test(n));
  }

  private static List<Taint> taints(Node node) {
    return node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
  }

  private static final Taint EDGE = new TaintBuilder().withKey("node.outpost.io/edge").withValue("true")
      .withEffect("NoSchedule").build();

  @Test
  void aNodeIsRegisteredWithTheEdgeTaintAndKeepsItThroughStatusWrites() throws Exception {
    FakeEdge edge = h.edge("edge-t1");
    edge.heartbeat(report("edge-t1", CAPACITY, null));
    Node node = awaitNode("edge-t1", n -> n.getStatus() != null && n.getStatus().getCapacity() != null);
    assertThat(taints(node)).containsExactly(EDGE);

    Map<String, String> more = new LinkedHashMap<>(CAPACITY);
    more.put("cpu", "8");
    edge.heartbeat(report("edge-t1", more, null));
    node = awaitNode("edge-t1", n -> new Quantity("8").equals(n.getStatus().getCapacity().get("cpu")));
    assertThat(taints(node)).as("a status write keeps the taint").containsExactly(EDGE);
    assertThat(h.metric("outpost_bridge_edge_taint_restored_total")).isZero();
  }

  /** An operator replaces the Node's taints, retrying as kubectl would when a status write got in between (409). */
  private static void operatorSets(String name, Taint... taints) {
    await().atMost(FakeEdge.TIMEOUT).ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
      Node current = client.nodes().withName(name).get();
      client.nodes().resource(new NodeBuilder(current).editSpec().withTaints(taints).endSpec().build()).update();
      return true;
    });
  }

  @Test
  void aRemovedTaintIsPutBackAndTaintsOthersAddedAreLeftAsTheyAre() throws Exception {
    FakeEdge edge = h.edge("edge-t2");
    edge.heartbeat(report("edge-t2", CAPACITY, null));
    awaitNode("edge-t2", n -> !taints(n).isEmpty());
    Taint operators = new TaintBuilder().withKey("example.com/maintenance").withValue("soon")
        .withEffect("PreferNoSchedule").build();
    operatorSets("edge-t2", operators);
    // The bridge's cache must have seen the edit before the next heartbeat can act on it.
    await().atMost(FakeEdge.TIMEOUT).until(() -> {
      edge.heartbeat(report("edge-t2", CAPACITY, null));
      return taints(client.nodes().withName("edge-t2").get()).contains(EDGE);
    });
    Node node = client.nodes().withName("edge-t2").get();
    assertThat(taints(node)).containsExactlyInAnyOrder(operators, EDGE);
    assertThat(h.metric("outpost_bridge_edge_taint_restored_total")).isGreaterThanOrEqualTo(1);
    assertThat(h.kubeWrites("nodes/taints")).isGreaterThanOrEqualTo(1);

    // A changed value is put right too (the key and effect identify the taint, as for kubectl taint).
    operatorSets("edge-t2", operators, new TaintBuilder(EDGE).withValue("false").build());
    await().atMost(FakeEdge.TIMEOUT).until(() -> {
      edge.heartbeat(report("edge-t2", CAPACITY, null));
      return taints(client.nodes().withName("edge-t2").get()).contains(EDGE);
    });
    assertThat(taints(client.nodes().withName("edge-t2").get())).containsExactly(operators, EDGE);
  }

  @Test
  void aNodeRegisteredByAnOlderBridgeGetsTheTaintOnItsFirstHeartbeat() throws Exception {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName("edge-old")
        .addToLabels("outpost.io/edge", "true").endMetadata().build()).create();
    FakeEdge edge = h.edge("edge-old");
    await().atMost(FakeEdge.TIMEOUT).until(() -> {
      edge.heartbeat(report("edge-old", CAPACITY, null));
      return taints(client.nodes().withName("edge-old").get()).contains(EDGE);
    });
    assertThat(taints(client.nodes().withName("edge-old").get())).containsExactly(EDGE);
    assertThat(h.metric("outpost_bridge_edge_taint_restored_total")).isEqualTo(1);
  }

  @Test
  void capacityANodeCannotHaveIsRefusedAndCounted() throws Exception {
    FakeEdge edge = h.edge("edge-big");
    edge.heartbeat(report("edge-big", CAPACITY, CAPACITY));
    awaitNode("edge-big", n -> n.getStatus() != null && n.getStatus().getCapacity() != null);

    Map<String, String> huge = new LinkedHashMap<>(CAPACITY);
    huge.put("cpu", "100000");
    huge.put("memory", "1Ei");
    huge.put("pods", "1000000");
    huge.put("nvidia.com/gpu", "64");
    huge.put("hugepages-2Mi", "16Gi"); // hugepages beyond a plausible memory capacity
    huge.put("ephemeral-storage", "200Gi"); // plausible: written, which shows the heartbeat was applied
    edge.heartbeat(report("edge-big", huge, Map.of("cpu", "100000")));

    await().atMost(FakeEdge.TIMEOUT).until(() -> h.rejected(UpstreamNames.FIGURES_REJECTED) >= 6);
    Node node = awaitNode("edge-big", n -> new Quantity("200Gi").equals(n.getStatus().getCapacity()
        .get("ephemeral-storage")));
    Map<String, String> capacity = new LinkedHashMap<>();
    node.getStatus().getCapacity().forEach((k, v) -> capacity.put(k, v.toString()));
    assertThat(capacity).as("refused figures keep the Node's plausible values; no made-up resource appears")
        .isEqualTo(Map.of("cpu", "4", "memory", "8Gi", "pods", "110", "ephemeral-storage", "200Gi"));
    assertThat(node.getStatus().getAllocatable().get("cpu")).isEqualTo(new Quantity("4"));
  }

  /** The scheduler's TaintToleration rule, written from Kubernetes' documentation, independent of the bridge. */
  private static boolean schedulable(Node node, List<Toleration> tolerations) {
    for (Taint taint : taints(node)) {
      if (!"NoSchedule".equals(taint.getEffect()) && !"NoExecute".equals(taint.getEffect())) {
        continue;
      }
      boolean tolerated = tolerations != null && tolerations.stream().anyMatch(t ->
          (t.getEffect() == null || t.getEffect().isEmpty() || t.getEffect().equals(taint.getEffect()))
          && ((t.getKey() == null || t.getKey().isEmpty()) ? "Exists".equals(t.getOperator())
              : t.getKey().equals(taint.getKey()) && ("Exists".equals(t.getOperator())
                  || java.util.Objects.equals(t.getValue(), taint.getValue()))));
      if (!tolerated) {
        return false;
      }
    }
    return true;
  }

  /** The pod as the API server stores it after the webhook's answer (its JSON Patch applied). */
  private static Pod admitted(Pod pod) throws Exception {
    byte[] review = JSON.writeValueAsBytes(Map.of("apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
        "request", Map.of("uid", "r", "object", pod)));
    JsonNode response = AdmissionReviews.review(JSON, review, "edge-s"::equals, "outpost.io/edge", "true")
        .path("response");
    JsonNode object = JSON.valueToTree(pod);
    if (response.has("patch")) {
      object = JsonPatch.apply(JSON.readTree(java.util.Base64.getDecoder().decode(response.path("patch")
          .asText())), object);
    }
    return new KubernetesSerialization().unmarshal(object.toString(), Pod.class);
  }

  @Test
  void onlyPodsThatSelectEdgeNodesMayBeScheduledThere() throws Exception {
    FakeEdge edge = h.edge("edge-s");
    edge.heartbeat(report("edge-s", CAPACITY, null));
    Node node = awaitNode("edge-s", n -> !taints(n).isEmpty());

    Pod deployment = new PodBuilder().withNewMetadata().withName("api-7d9f").withNamespace("shop")
        .addNewOwnerReference().withKind("ReplicaSet").withName("api-7d9f").withApiVersion("apps/v1").withUid("u")
        .endOwnerReference().endMetadata().withNewSpec().addNewContainer().withName("app").withImage("api")
        .endContainer().endSpec().build();
    assertThat(schedulable(node, admitted(deployment).getSpec().getTolerations()))
        .as("a Deployment's pod without a toleration never gets the edge node").isFalse();

    Pod daemon = new PodBuilder().withNewMetadata().withName("log-agent-x").withNamespace("logging")
        .addNewOwnerReference().withKind("DaemonSet").withName("log-agent").withApiVersion("apps/v1")
        .withUid("d").endOwnerReference().endMetadata().withNewSpec().withNewAffinity().withNewNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution().addNewNodeSelectorTerm().addNewMatchField()
        .withKey("metadata.name").withOperator("In").withValues("edge-s").endMatchField().endNodeSelectorTerm()
        .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity()
        .addNewContainer().withName("agent").withImage("fluent-bit").endContainer().endSpec().build();
    Pod daemonAdmitted = admitted(daemon);
    assertThat(daemonAdmitted.getSpec().getTolerations()).as("the webhook gives a DaemonSet's pod nothing")
        .isNullOrEmpty();
    assertThat(schedulable(node, daemonAdmitted.getSpec().getTolerations())).isFalse();

    Pod edgeWorkload = new PodBuilder().withNewMetadata().withName("cache-1").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeSelector(Map.of("outpost.io/edge", "true", "outpost.io/site", "site-17"))
        .addNewContainer().withName("app").withImage("varnish").endContainer().endSpec().build();
    assertThat(schedulable(node, admitted(edgeWorkload).getSpec().getTolerations()))
        .as("a pod selecting edge nodes is given the toleration").isTrue();
  }
}
