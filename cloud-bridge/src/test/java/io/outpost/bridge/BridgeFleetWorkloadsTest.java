package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.fleet.SiteWorkloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bridge runs the fleet controller (docs/operations.md, "Multi-site workloads") with its own caches, site label
 * and edge label, under the shipped RBAC: an edge node that registered and was given a site gets the SiteWorkload's
 * copy; without the CRD the bridge starts as before and the controller stays idle.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeFleetWorkloadsTest {
  static KubernetesClient client;

  private static final String WORKLOAD = """
      apiVersion: outpost.io/v1alpha1
      kind: SiteWorkload
      metadata: {name: shop, namespace: default}
      spec:
        sites: {nodeSelector: {}}
        replicas: 1
        template:
          spec:
            containers: [{name: app, image: registry.example/shop:1}]
      """;

  @Test
  void aRegisteredEdgeNodeGivenASiteGetsTheCopy() throws Exception {
    CustomResourceDefinition crd = ShippedRbac.manifests(client).stream()
        .filter(CustomResourceDefinition.class::isInstance).map(CustomResourceDefinition.class::cast)
        .filter(c -> c.getMetadata().getName().equals("siteworkloads.outpost.io")).findFirst().orElseThrow();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(c -> c.update());
    Path dir = Files.createTempDirectory("outpost-bridge-fleet");
    try (BridgeHarness h = BridgeHarness.start(dir, client)) {
      h.registeredEdge("edge-f1");
      client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace("default").resource(
          client.getKubernetesSerialization().unmarshal(WORKLOAD, GenericKubernetesResource.class)).create();
      assertThat(h.metric("outpost_bridge_fleet_site_workloads")).isLessThanOrEqualTo(1);
      client.nodes().withName("edge-f1").edit(n -> new NodeBuilder(n).editMetadata()
          .addToLabels("outpost.io/site", "north").endMetadata().build());
      Deployment copy = await("the site's copy").atMost(FakeEdge.TIMEOUT).until(() -> client.apps().deployments()
          .inNamespace("default").withName("shop-north").get(), d -> d != null);
      assertThat(copy.getSpec().getTemplate().getSpec().getNodeSelector())
          .isEqualTo(Map.of("outpost.io/site", "north", "outpost.io/edge", "true"));
      assertThat(h.metric("outpost_bridge_fleet_site_workloads")).isEqualTo(1);

      client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace("default").withName("shop").delete();
      await("the copy goes with it").atMost(FakeEdge.TIMEOUT).until(() -> client.apps().deployments()
          .inNamespace("default").list().getItems().isEmpty());
    } finally {
      io.outpost.testing.Trees.deleteTree(dir);
      client.apiextensions().v1().customResourceDefinitions().withName("siteworkloads.outpost.io").delete();
      client.v1().events().inAnyNamespace().delete();
    }
  }

  @Test
  void withoutTheCrdTheBridgeStartsAndTheControllerIsIdle() throws Exception {
    try (RbacEnforcement api = RbacEnforcement.forBridge(client)) {
      api.notServed(request -> request.group().equals(SiteWorkloads.GROUP));
      try (Bridge bridge = new Bridge(BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", "tcp://127.0.0.1:1",
          "OUTPOST_HTTP_PORT", "0", "OUTPOST_INSECURE_PLAINTEXT", "true")), api.client(client))) {
        bridge.start(); // returns once every informer has synced
        assertThat(api.requests()).anyMatch(r -> r.group().equals(SiteWorkloads.GROUP) && r.verb().equals("list"));
        assertThat(api.requests()).noneMatch(r -> r.group().equals("apps"));
        assertThat(bridge.metrics().render()).doesNotContain("outpost_bridge_fleet_site_workloads");
      }
      api.assertNothingDenied();
    }
  }
}
