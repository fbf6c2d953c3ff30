package io.outpost.bridge.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.RbacEnforcement;
import io.outpost.bridge.ShippedRbac;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.RolloutReport;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rollout controller against the mock API server (CRUD), with the shipped CRD applied and the shipped RBAC
 * enforced on the controller's client. The test plays the bridge's upstream path and the nodes: a node's progress
 * is written into its {@code outpost.io/gateway-status} annotation, as the bridge does with the node's reports.
 */
@EnableKubernetesMockClient(crud = true)
class GatewayRolloutControllerTest {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  static final String SHA = "a".repeat(64);

  static KubernetesClient client;

  private RbacEnforcement rbac;
  private SharedIndexInformer<Node> nodes;
  private GatewayRolloutController controller;
  private final Metrics metrics = new Metrics();
  private final AtomicBoolean active = new AtomicBoolean(true);

  @BeforeEach
  void start() throws Exception {
    CustomResourceDefinition crd = ShippedRbac.manifests(client).stream()
        .filter(CustomResourceDefinition.class::isInstance).map(CustomResourceDefinition.class::cast)
        .filter(c -> c.getMetadata().getName().equals("gatewayrollouts.outpost.io")).findFirst().orElseThrow();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(c -> c.update());
    rbac = RbacEnforcement.forBridge(client);
    KubernetesClient bridge = rbac.client(client);
    nodes = bridge.nodes().withLabel("outpost.io/edge", "true").inform();
    controller = GatewayRolloutController.start(bridge, true, nodes, GatewayRolloutControllerTest::podsOn,
        "outpost.io/site", Duration.ofMinutes(2), metrics, active::get);
    assertThat(controller).isNotNull();
  }

  @AfterEach
  void stop() {
    if (controller != null) {
      controller.close();
    }
    nodes.stop();
    rbac.assertNothingDenied();
    rbac.close();
    client.genericKubernetesResources(GatewayRollouts.CONTEXT).delete();
    client.v1().events().inAnyNamespace().delete();
    client.pods().inAnyNamespace().delete();
    client.nodes().delete();
  }

  // ---- the cluster, and the nodes as the bridge records them

  static List<Pod> podsOn(String node) {
    return client.pods().inAnyNamespace().list().getItems().stream()
        .filter(p -> node.equals(p.getSpec().getNodeName())).toList();
  }

  static void node(String name, String site, Instant heartbeat) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).addToLabels("outpost.io/edge", "true")
        .addToLabels("outpost.io/site", site).endMetadata()
        .withNewStatus().addNewCondition().withType("Ready").withStatus("True")
        .withLastHeartbeatTime(heartbeat.toString()).endCondition().endStatus().build()).create();
  }

  static void heartbeat(String name) {
    client.nodes().withName(name).edit(n -> new NodeBuilder(n).editStatus().editFirstCondition()
        .withLastHeartbeatTime(Instant.now().toString()).endCondition().endStatus().build());
  }

  /** The node's report, as the bridge writes it into the Node. */
  static void reports(String node, String rollout, String state) {
    reports(node, rollout, SHA, state);
  }

  static void reports(String node, String rollout, String sha, String state) {
    String report = GatewayAnnotations.format(new RolloutReport(1, node, Instant.now().toString(), rollout,
        "io.outpost.sync", "0.1.1", sha, state, state.equals("rolled_back") ? "bundle did not resolve" : null, 0,
        0));
    client.nodes().withName(node).edit(n -> new NodeBuilder(n).editMetadata()
        .addToAnnotations(GatewayAnnotations.STATUS, report).endMetadata().build());
  }

  static Optional<GatewayAnnotations.Target> target(String node) {
    return GatewayAnnotations.target(client.nodes().withName(node).get());
  }

  static List<String> assigned(String rollout) {
    return client.nodes().list().getItems().stream().filter(n -> GatewayAnnotations.target(n)
        .map(t -> t.rollout().equals(rollout)).orElse(false)).map(n -> n.getMetadata().getName()).sorted().toList();
  }

  static GenericKubernetesResource apply(String name, String more) {
    return apply(name, SHA, more);
  }

  static GenericKubernetesResource apply(String name, String sha, String more) {
    String yaml = """
        apiVersion: outpost.io/v1alpha1
        kind: GatewayRollout
        metadata: {name: %s}
        spec:
          artifact:
            type: bundle
            name: io.outpost.sync
            version: "0.1.1"
            size: 48213
            sha256: %s
            keyId: ops-2026
            signature: c2lnbmF0dXJl
            source: https://repo.example.com/outpost-sync-0.1.1.jar
        """.formatted(name, sha) + more;
    return client.genericKubernetesResources(GatewayRollouts.CONTEXT).resource(client.getKubernetesSerialization()
        .unmarshal(yaml, GenericKubernetesResource.class)).createOr(existing -> existing.update());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> status(String name) {
    GenericKubernetesResource rollout = client.genericKubernetesResources(GatewayRollouts.CONTEXT).withName(name)
        .get();
    Object status = rollout == null ? null : rollout.getAdditionalProperties().get("status");
    return status == null ? Map.of() : (Map<String, Object>) status;
  }

  static Map<String, Object> condition(String name, String type) {
    return RolloutStatus.condition(status(name), type);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> nodeEntry(String rollout, String node) {
    return ((List<Map<String, Object>>) status(rollout).getOrDefault("nodes", List.of())).stream()
        .filter(e -> node.equals(e.get("name"))).findFirst().orElse(Map.of());
  }

  static List<String> events(String reason) {
    return client.v1().events().inNamespace(RolloutEvents.NAMESPACE).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason())).map(Event::getMessage).toList();
  }

  /** Reconciles every rollout once more and waits until that pass is done. */
  private void reconcileAgain() {
    long before = metrics.get("outpost_bridge_rollout_reconciles_total", "outcome", "done");
    controller.activate();
    await("another reconcile").atMost(TIMEOUT).until(() -> metrics.get("outpost_bridge_rollout_reconciles_total",
        "outcome", "done") > before && metrics.get("outpost_bridge_rollout_queue_depth") == 0);
  }

  // ---- the behaviour

  @Test
  void theCanaryFirstThenTheRestAtMostMaxUnavailableAtATimeUntilSucceeded() {
    for (int i = 1; i <= 5; i++) {
      node("edge-" + i, "north", Instant.now());
    }
    node("edge-9", "south", Instant.now());
    apply("sync-011", """
          target: {sites: [north]}
          strategy: {canary: 1, maxUnavailable: 2}
        """);

    await("the canary assigned").atMost(TIMEOUT).until(() -> assigned("sync-011").equals(List.of("edge-1")));
    assertThat(target("edge-1").orElseThrow().source()).isEqualTo("https://repo.example.com/outpost-sync-0.1.1.jar");
    await("status: Canary").atMost(TIMEOUT).until(() -> "Canary".equals(status("sync-011").get("phase")));
    assertThat(status("sync-011")).containsEntry("canaries", List.of("edge-1")).containsEntry("targets", 5)
        .containsEntry("inProgress", 1);
    reports("edge-1", "sync-011", "transferring");
    await("progress shown").atMost(TIMEOUT).until(() -> "transferring, 0/0 chunks".equals(
        nodeEntry("sync-011", "edge-1").get("message")));
    assertThat(assigned("sync-011")).as("the rest waits for the canary").containsExactly("edge-1");

    reports("edge-1", "sync-011", "installed");
    await("two more assigned").atMost(TIMEOUT).until(() -> assigned("sync-011").size() == 3);
    reconcileAgain();
    assertThat(assigned("sync-011")).as("maxUnavailable 2").containsExactly("edge-1", "edge-2", "edge-3");
    assertThat(status("sync-011")).containsEntry("phase", "Progressing").containsEntry("updated", 1);

    reports("edge-2", "sync-011", "installed");
    await("one more").atMost(TIMEOUT).until(() -> assigned("sync-011").size() == 4);
    reports("edge-3", "sync-011", "unchanged");
    await("all north").atMost(TIMEOUT).until(() -> assigned("sync-011").size() == 5);
    reports("edge-4", "sync-011", "installed");
    reports("edge-5", "sync-011", "installed");

    await("Succeeded").atMost(TIMEOUT).until(() -> "Succeeded".equals(status("sync-011").get("phase")));
    assertThat(status("sync-011")).containsEntry("updated", 5).containsEntry("targets", 5)
        .containsEntry("nodes", List.of());
    assertThat(condition("sync-011", "Complete")).containsEntry("status", "True");
    assertThat(target("edge-9")).as("another site").isEmpty();
    await("events").atMost(TIMEOUT).until(() -> events("NodeUpdated").size() == 5);
    assertThat(events("CanaryAssigned")).containsExactly("Canary edge-1 assigned io.outpost.sync 0.1.1");
    assertThat(events("NodeAssigned")).hasSize(4);
    assertThat(events("RolloutSucceeded")).hasSize(1);

    reconcileAgain();
    assertThat(events("RolloutSucceeded")).as("once per transition").hasSize(1);
    assertThat(events("NodeUpdated")).hasSize(5);
    assertThat(metrics.get("outpost_bridge_rollout_nodes", "rollout", "sync-011", "state", "Updated")).isEqualTo(5);
    assertThat(metrics.get("outpost_bridge_rollout_assignments_total", "kind", "canary")).isEqualTo(1);
  }

  @Test
  void aRolledBackCanaryStopsTheRolloutWithAWarning() {
    node("edge-1", "north", Instant.now());
    node("edge-2", "north", Instant.now());
    apply("bad", "  strategy: {canary: 1, maxUnavailable: 1}\n");
    await("the canary assigned").atMost(TIMEOUT).until(() -> assigned("bad").equals(List.of("edge-1")));

    reports("edge-1", "bad", "rolled_back");
    await("Failed").atMost(TIMEOUT).until(() -> "Failed".equals(status("bad").get("phase")));
    assertThat(status("bad")).containsEntry("failed", 1).containsEntry("updated", 0);
    assertThat(condition("bad", "Failed")).containsEntry("status", "True").containsEntry("reason", "NodeFailed");
    assertThat((String) condition("bad", "Failed").get("message")).contains("edge-1").contains("bundle did not"
        + " resolve");
    assertThat(nodeEntry("bad", "edge-1")).containsEntry("state", "Failed");
    await("Warning events").atMost(TIMEOUT).until(() -> events("RolloutFailed").size() == 1
        && events("NodeFailed").size() == 1);

    reports("edge-1", "bad", "idle"); // the node restarted: still failed until the spec changes
    reconcileAgain();
    assertThat(assigned("bad")).as("nobody else").containsExactly("edge-1");
    assertThat(status("bad")).containsEntry("phase", "Failed");
    assertThat(events("RolloutFailed")).as("once").hasSize(1);
    assertThat(metrics.get("outpost_bridge_rollout_outcomes_total", "outcome", "failed")).isEqualTo(1);
  }

  @Test
  void anInvalidSpecAssignsNothingAndSaysWhyOnce() {
    node("edge-1", "north", Instant.now());
    apply("broken", "  strategy: {maxUnavailable: 0}\n");
    await("Failed: InvalidSpec").atMost(TIMEOUT).until(() -> "InvalidSpec".equals(condition("broken", "Failed")
        .get("reason")));
    assertThat((String) status("broken").get("message")).contains("spec.strategy.maxUnavailable");
    reconcileAgain();
    assertThat(events("InvalidSpec")).hasSize(1);
    assertThat(metrics.get("outpost_bridge_rollout_invalid_specs_total", "reason", "invalid_strategy")).isEqualTo(1);
    assertThat(target("edge-1")).isEmpty();

    apply("broken", "  strategy: {maxUnavailable: 1}\n");
    await("fixed: assigned").atMost(TIMEOUT).until(() -> assigned("broken").equals(List.of("edge-1")));
  }

  @Test
  void anOfflineNodeWaitsAndIsAssignedWhenItIsHeardFromAgain() {
    node("edge-1", "north", Instant.now());
    node("edge-2", "north", Instant.now().minus(Duration.ofMinutes(10)));
    apply("sync-011", "  strategy: {canary: 0, maxUnavailable: 5}\n");
    await("the online node assigned").atMost(TIMEOUT).until(() -> assigned("sync-011").equals(List.of("edge-1")));
    await("one waiting").atMost(TIMEOUT).until(() -> Integer.valueOf(1).equals(status("sync-011").get("waiting")));
    assertThat(nodeEntry("sync-011", "edge-2")).containsEntry("state", "Waiting").containsEntry("message", "offline");

    heartbeat("edge-2");
    await("assigned on its return").atMost(TIMEOUT).until(() -> assigned("sync-011").size() == 2);
  }

  @Test
  void aNodeWhosePodsRestartedDuringTheUpdateFailsTheRollout() {
    node("edge-1", "north", Instant.now());
    node("edge-2", "north", Instant.now());
    client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("web-1")
        .withNamespace("shop").endMetadata().withNewSpec().withNodeName("edge-1").addNewContainer().withName("app")
        .withImage("web:1").endContainer().endSpec().withNewStatus().withContainerStatuses(running(0)).endStatus()
        .build()).create();
    apply("sync-011", "  strategy: {canary: 1, maxUnavailable: 1}\n");
    await("fingerprint recorded").atMost(TIMEOUT).until(() -> nodeEntry("sync-011", "edge-1").get("pods") != null);

    client.pods().inNamespace("shop").withName("web-1").edit(p -> new PodBuilder(p).editStatus()
        .withContainerStatuses(running(1)).endStatus().build());
    reports("edge-1", "sync-011", "installed");
    await("Failed").atMost(TIMEOUT).until(() -> "Failed".equals(status("sync-011").get("phase")));
    assertThat((String) nodeEntry("sync-011", "edge-1").get("message"))
        .isEqualTo("pods were restarted during the update: shop/web-1/app");
    assertThat(assigned("sync-011")).containsExactly("edge-1");
  }

  private static io.fabric8.kubernetes.api.model.ContainerStatus running(int restarts) {
    return new ContainerStatusBuilder().withName("app").withRestartCount(restarts).withNewState().withNewRunning()
        .withStartedAt(restarts == 0 ? "2026-12-08T00:00:00Z" : "2026-12-08T00:05:00Z").endRunning().endState()
        .build();
  }

  @Test
  void onlyTheActiveReplicaWrites() {
    active.set(false);
    node("edge-1", "north", Instant.now());
    apply("sync-011", "");
    reconcileAgain();
    assertThat(target("edge-1")).isEmpty();
    assertThat(status("sync-011")).isEmpty();
    assertThat(rbac.requests()).noneMatch(r -> !r.verb().equals("list") && !r.verb().equals("watch")
        && !r.verb().equals("get"));

    active.set(true);
    controller.activate();
    await("assigned once active").atMost(TIMEOUT).until(() -> assigned("sync-011").equals(List.of("edge-1")));
  }

  @Test
  void aSucceededRolloutIsDoneAndLeavesItsNodesToTheNextOne() {
    node("edge-1", "north", Instant.now());
    apply("r1", "");
    await("r1 assigned").atMost(TIMEOUT).until(() -> assigned("r1").equals(List.of("edge-1")));
    reports("edge-1", "r1", "installed");
    await("r1 Succeeded").atMost(TIMEOUT).until(() -> "Succeeded".equals(status("r1").get("phase")));

    String next = "b".repeat(64);
    apply("r2", next, "");
    await("r2 takes edge-1 over").atMost(TIMEOUT).until(() -> assigned("r2").equals(List.of("edge-1")));
    reports("edge-1", "r2", next, "rolled_back");
    await("r2 Failed").atMost(TIMEOUT).until(() -> "Failed".equals(status("r2").get("phase")));
    reconcileAgain();
    assertThat(status("r1")).as("r1 stays done").containsEntry("phase", "Succeeded").containsEntry("updated", 1);
    assertThat(target("edge-1").orElseThrow().rollout()).as("r1 does not take its node back").isEqualTo("r2");
  }

  @Test
  void aNodeInAnotherUnfinishedRolloutIsAConflict() {
    node("edge-1", "north", Instant.now());
    node("edge-2", "north", Instant.now());
    apply("first", "  target: {nodes: [edge-1]}\n");
    await("first assigned").atMost(TIMEOUT).until(() -> assigned("first").equals(List.of("edge-1")));
    apply("second", "  strategy: {canary: 0, maxUnavailable: 2}\n");
    await("edge-2 assigned by second").atMost(TIMEOUT).until(() -> assigned("second").equals(List.of("edge-2")));
    await("conflict shown").atMost(TIMEOUT).until(() -> "Conflict".equals(nodeEntry("second", "edge-1")
        .get("state")));

    reports("edge-1", "first", "installed"); // first succeeds; second counts edge-1 updated (same artifact)
    await("first Succeeded; second counts edge-1").atMost(TIMEOUT).until(() -> "Succeeded".equals(status("first").get("phase"))
        && Integer.valueOf(1).equals(status("second").get("updated")));
    assertThat(target("edge-1").orElseThrow().rollout()).as("left to the first").isEqualTo("first");
  }
}
