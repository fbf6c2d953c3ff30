package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.rollout.GatewayRollouts;
import io.outpost.protocol.RolloutReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bridge runs the gateway rollout controller (docs/operations.md, "Gateway rollouts") with its own Node and pod
 * caches and site label, under the shipped RBAC: an edge node that registered (online, Ready) is assigned the
 * GatewayRollout's artifact and, once its report says installed, the rollout succeeds; without the CRD the bridge
 * starts as before and the controller stays idle.
 */
@EnableKubernetesMockClient(crud = true)
class GatewayRolloutBridgeTest {
  static KubernetesClient client;
  static final String SHA = "7e".repeat(32);

  private static final String ROLLOUT = """
      apiVersion: outpost.io/v1alpha1
      kind: GatewayRollout
      metadata: {name: sync-011}
      spec:
        artifact:
          type: bundle
          name: io.outpost.sync
          version: "0.1.1"
          size: 4096
          sha256: %s
          keyId: ops-2026
          signature: c2lnbmF0dXJl
          source: file:outpost-sync-0.1.1.jar
        target: {sites: [north]}
      """.formatted(SHA);

  @Test
  void aRegisteredEdgeNodeOfTheSiteIsAssignedAndTheRolloutSucceeds() throws Exception {
    CustomResourceDefinition crd = ShippedRbac.manifests(client).stream()
        .filter(CustomResourceDefinition.class::isInstance).map(CustomResourceDefinition.class::cast)
        .filter(c -> c.getMetadata().getName().equals("gatewayrollouts.outpost.io")).findFirst().orElseThrow();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(c -> c.update());
    Path dir = Files.createTempDirectory("outpost-bridge-rollout");
    try (BridgeHarness h = BridgeHarness.start(dir, client)) {
      h.registeredEdge("edge-r1");
      client.nodes().withName("edge-r1").edit(n -> new NodeBuilder(n).editMetadata()
          .addToLabels("outpost.io/site", "north").endMetadata().build());
      client.genericKubernetesResources(GatewayRollouts.CONTEXT).resource(client.getKubernetesSerialization()
          .unmarshal(ROLLOUT, GenericKubernetesResource.class)).create();

      GatewayAnnotations.Target target = await("the node assigned").atMost(FakeEdge.TIMEOUT).until(() ->
          GatewayAnnotations.targetOrEmpty(client.nodes().withName("edge-r1").get()).orElse(null), t -> t != null);
      assertThat(target.rollout()).isEqualTo("sync-011");
      assertThat(target.sha256()).isEqualTo(SHA);
      assertThat(target.source()).isEqualTo("file:outpost-sync-0.1.1.jar");

      // The node's report, as the bridge's upstream path records it.
      String report = GatewayAnnotations.format(new RolloutReport(1, "edge-r1", Instant.now().toString(), "sync-011",
          "io.outpost.sync", "0.1.1", SHA, "installed", null, 0, 0));
      client.nodes().withName("edge-r1").edit(n -> new NodeBuilder(n).editMetadata()
          .addToAnnotations(GatewayAnnotations.STATUS, report).endMetadata().build());
      await("Succeeded").atMost(FakeEdge.TIMEOUT).until(() -> {
        GenericKubernetesResource rollout = client.genericKubernetesResources(GatewayRollouts.CONTEXT)
            .withName("sync-011").get();
        return rollout.getAdditionalProperties().get("status") instanceof Map<?, ?> status
            && "Succeeded".equals(status.get("phase"));
      });
      assertThat(h.metric("outpost_bridge_rollout_nodes", "rollout", "sync-011", "state", "Updated")).isEqualTo(1);
    } finally {
      io.outpost.testing.Trees.deleteTree(dir);
      client.genericKubernetesResources(GatewayRollouts.CONTEXT).delete();
      client.apiextensions().v1().customResourceDefinitions().withName("gatewayrollouts.outpost.io").delete();
      client.v1().events().inAnyNamespace().delete();
      client.nodes().delete();
    }
  }

  @Test
  void withoutTheCrdTheBridgeStartsAndTheControllerIsIdle() throws Exception {
    try (RbacEnforcement api = RbacEnforcement.forBridge(client)) {
      api.notServed(request -> request.resource() != null && request.resource().equals(GatewayRollouts.PLURAL));
      try (Bridge bridge = new Bridge(BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", "tcp://127.0.0.1:1",
          "OUTPOST_HTTP_PORT", "0", "OUTPOST_INSECURE_PLAINTEXT", "true")), api.client(client))) {
        bridge.start(); // returns once every informer has synced
        assertThat(api.requests()).anyMatch(r -> GatewayRollouts.PLURAL.equals(r.resource())
            && r.verb().equals("list"));
        assertThat(api.requests()).noneMatch(r -> GatewayRollouts.PLURAL.equals(r.resource())
            && r.verb().equals("watch"));
        assertThat(bridge.metrics().render()).doesNotContain("outpost_bridge_rollouts");
      }
      api.assertNothingDenied();
    }
  }
}
