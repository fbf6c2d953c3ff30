package io.outpost.bridge.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sites that come and go: an edge Node of a new matching site (joining, or relabelled into it) gets its site a copy;
 * a deleted SiteWorkload takes its copies with it (the controller deletes them: the mock server has no garbage
 * collector).
 *
 * <p>The fixture ({@link FleetControllerFixture}): the mock API server (CRUD) with the shipped CRD, the shipped RBAC
 * enforced on the controller's client.
 */
@EnableKubernetesMockClient(crud = true)
class FleetSiteSelectionTest extends FleetControllerFixture {
  static KubernetesClient mock;

  @Override
  KubernetesClient mockClient() {
    return mock;
  }

  @Test
  void anEdgeNodeOfANewMatchingSiteGetsItsSiteACopy() {
    node("edge-p1", "paris");
    node("edge-x", null);
    node("edge-g1", "ghent");
    client.nodes().withName("edge-g1").edit(n -> new NodeBuilder(n).editMetadata().addToLabels("region", "be")
        .endMetadata().build());
    apply("""
        apiVersion: outpost.io/v1alpha1
        kind: SiteWorkload
        metadata: {name: cache, namespace: shop}
        spec:
          sites:
            nodeSelector:
              matchExpressions:
                - {key: region, operator: NotIn, values: [be]}
          template:
            spec:
              containers: [{name: redis, image: redis:7}]
        """);
    await().atMost(TIMEOUT).until(() -> deploymentNames().equals(List.of("cache-paris")));
    assertThat(deployment("cache-paris").getSpec().getReplicas()).as("no replicas given: left to the copy")
        .isNull();

    node("edge-b1", "berlin");
    await("a new site's copy").atMost(TIMEOUT).until(() -> deploymentNames().equals(
        List.of("cache-berlin", "cache-paris")));

    client.nodes().withName("edge-x").edit(n -> new NodeBuilder(n).editMetadata()
        .addToLabels("outpost.io/site", "Rome_1").endMetadata().build());
    String rome = CopyNames.copyName("cache", "Rome_1");
    assertThat(rome).as("a DNS label with a digest").matches("cache-rome-1-[0-9a-f]{8}");
    await("a node moved into a new site").atMost(TIMEOUT).until(() -> deploymentNames().contains(rome));
    assertThat(deployment(rome).getSpec().getTemplate().getSpec().getNodeSelector())
        .containsEntry("outpost.io/site", "Rome_1");
    await().atMost(TIMEOUT).until(() -> ((Number) status("cache").getOrDefault("selectedSites", 0)).intValue() == 3);
  }

  @Test
  void aDeletedSiteWorkloadTakesItsCopiesWithIt() {
    node("edge-p1", "paris");
    node("edge-l1", "lyon");
    apply(WEB);
    await().atMost(TIMEOUT).until(() -> deploymentNames().size() == 2);
    client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(NS).withName("web").delete();
    await("copies deleted (the mock server has no garbage collector)").atMost(TIMEOUT)
        .until(() -> deploymentNames().isEmpty());
  }
}
