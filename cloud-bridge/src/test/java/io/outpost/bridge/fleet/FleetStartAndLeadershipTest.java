package io.outpost.bridge.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.RbacEnforcement;
import io.outpost.bridge.ShippedRbac;
import io.outpost.bridge.metrics.Metrics;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Starting and leadership: a standby replica writes nothing until it is active; without the CRD, switched off, or
 * without the RBAC for copies, the controller stays idle and the bridge runs on.
 *
 * <p>The fixture ({@link FleetControllerFixture}): the mock API server (CRUD) with the shipped CRD, the shipped RBAC
 * enforced on the controller's client.
 */
@EnableKubernetesMockClient(crud = true)
class FleetStartAndLeadershipTest extends FleetControllerFixture {
  static KubernetesClient mock;

  @Override
  KubernetesClient mockClient() {
    return mock;
  }

  @Test
  void aStandbyReplicaWritesNothingUntilItIsActive() {
    active.set(false);
    node("edge-p1", "paris");
    apply(WEB);
    reconcileAgain();
    assertThat(deploymentNames()).isEmpty();
    assertThat(status("web")).isEmpty();
    active.set(true);
    controller.activate();
    await().atMost(TIMEOUT).until(() -> deploymentNames().equals(List.of("web-paris")));
  }

  @Test
  void withoutTheCrdTheControllerStaysIdle() throws Exception {
    try (RbacEnforcement api = RbacEnforcement.forBridge(client)) {
      api.notServed(request -> request.group().equals(SiteWorkloads.GROUP));
      assertThat(FleetController.start(api.client(client), true, nodes, PLACEMENT, new Metrics(), () -> true))
          .isNull();
      api.assertNothingDenied();
    }
    assertThat(FleetController.start(client, false, nodes, PLACEMENT, new Metrics(), () -> true))
        .as("switched off").isNull();
  }

  @Test
  void withTheCrdButWithoutTheRbacForCopiesTheControllerStaysIdle() throws Exception {
    List<HasMetadata> manifests = ShippedRbac.manifests(client);
    for (HasMetadata object : manifests) {
      if (object instanceof io.fabric8.kubernetes.api.model.rbac.ClusterRole role) {
        role.getRules().removeIf(rule -> rule.getApiGroups().contains("apps")); // an older 10-rbac.yaml
      }
    }
    try (RbacEnforcement api = new RbacEnforcement(ShippedRbac.of(manifests, ShippedRbac.BRIDGE_NAMESPACE,
        ShippedRbac.BRIDGE_ACCOUNT))) {
      assertThat(FleetController.start(api.client(client), true, nodes, PLACEMENT, new Metrics(), () -> true))
          .as("not started, and no exception: the bridge runs on").isNull();
      assertThat(api.denials()).isNotEmpty().allMatch(d -> d.contains("/apis/apps/v1/"));
    }
  }
}
