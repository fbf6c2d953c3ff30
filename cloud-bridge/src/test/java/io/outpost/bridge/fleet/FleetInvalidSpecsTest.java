package io.outpost.bridge.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Specs that cannot be stamped and objects that are not the controller's: a condition, a Warning Event and a count
 * (once per generation), never a crash loop; running copies left as they were; an object of a copy's name that the
 * SiteWorkload does not control is never overwritten.
 *
 * <p>The fixture ({@link FleetControllerFixture}): the mock API server (CRUD) with the shipped CRD, the shipped RBAC
 * enforced on the controller's client.
 */
@EnableKubernetesMockClient(crud = true)
class FleetInvalidSpecsTest extends FleetControllerFixture {
  static KubernetesClient mock;

  @Override
  KubernetesClient mockClient() {
    return mock;
  }

  @Test
  void invalidSpecsBecomeAConditionAWarningEventAndACountNeverACrashLoop() {
    node("edge-p1", "paris");
    record Case(String name, String yaml, String reason) {}
    String base = WEB.replace("name: web,", "name: NAME,");
    List<Case> cases = List.of(
        new Case("kind", base.replace("  replicas: 2\n", "  kind: StatefulSet\n  replicas: 2\n"), "UnknownKind"),
        new Case("container", base.replace("- name: app\n          image: registry.example/web:1.1-lyon",
            "- name: worker\n          image: registry.example/web:1.1-lyon"), "UnknownContainer"),
        new Case("site", base.replace("names: [paris, lyon]", "names: [paris, \"lyon!\"]"), "InvalidSiteName"));
    for (Case bad : cases) {
      assertThat(bad.yaml()).isNotEqualTo(base);
      apply(bad.yaml().replace("NAME", bad.name()));
    }
    for (Case bad : cases) {
      await("condition for " + bad.name()).atMost(TIMEOUT).until(() -> bad.reason().equals(
          condition(bad.name(), "SpecValid").get("reason")));
      assertThat(condition(bad.name(), "SpecValid")).containsEntry("status", "False");
      await("Warning Event for " + bad.name()).atMost(TIMEOUT).until(() -> client.v1().events().inNamespace(NS)
          .list().getItems().stream().anyMatch(e -> isWarning(e, bad.name(), bad.reason())));
      assertThat(metric("outpost_bridge_fleet_invalid_specs_total", "reason", bad.reason())).isEqualTo(1);
    }
    assertThat(deploymentNames()).as("nothing stamped from an invalid spec").isEmpty();

    reconcileAgain();
    for (Case bad : cases) {
      assertThat(metric("outpost_bridge_fleet_invalid_specs_total", "reason", bad.reason()))
          .as("reported once per generation, not per pass").isEqualTo(1);
      assertThat(client.v1().events().inNamespace(NS).list().getItems()).filteredOn(e -> isWarning(e, bad.name(),
          bad.reason())).hasSize(1);
    }
    assertThat(metric("outpost_bridge_fleet_reconciles_total", "outcome", "error")).isZero();

    apply(base.replace("NAME", "kind")); // fixed
    await("a fixed spec is stamped").atMost(TIMEOUT).until(() -> deploymentNames().contains("kind-paris"));
    await().atMost(TIMEOUT).until(() -> "True".equals(condition("kind", "SpecValid").get("status")));
  }

  @Test
  void aSpecMadeInvalidLeavesTheRunningCopiesAsTheyWere() {
    node("edge-p1", "paris");
    node("edge-l1", "lyon");
    apply(WEB);
    await().atMost(TIMEOUT).until(() -> deploymentNames().size() == 2
        && "True".equals(condition("web", "SpecValid").get("status")));
    String paris = deployment("web-paris").getMetadata().getResourceVersion();
    apply(WEB.replace("names: [paris, lyon]", "names: [paris, \"lyon!\"]")
        .replace("registry.example/web:1.0", "registry.example/web:2.0"));
    await().atMost(TIMEOUT).until(() -> "InvalidSiteName".equals(condition("web", "SpecValid").get("reason")));
    assertThat(deploymentNames()).as("a typo never deletes a site's workload").containsExactly("web-lyon",
        "web-paris");
    assertThat(deployment("web-paris").getMetadata().getResourceVersion()).isEqualTo(paris);
    assertThat(siteStatus("web", "lyon")).containsEntry("copy", "web-lyon");
    assertThat(siteStatus("web", "paris")).containsEntry("copy", "web-paris");
  }

  @Test
  void anObjectOfTheCopysNameThatIsNotOursIsNeverOverwritten() {
    node("edge-p1", "paris");
    node("edge-l1", "lyon");
    Deployment mine = client.apps().deployments().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.apps
        .DeploymentBuilder().withNewMetadata().withName("web-paris").withNamespace(NS).endMetadata().withNewSpec()
        .withNewSelector().addToMatchLabels("app", "mine").endSelector().withNewTemplate().withNewMetadata()
        .addToLabels("app", "mine").endMetadata().withNewSpec().addNewContainer().withName("c").withImage("mine:1")
        .endContainer().endSpec().endTemplate().endSpec().build()).create();
    apply(WEB);
    await().atMost(TIMEOUT).until(() -> "Conflict".equals(siteStatus("web", "paris").get("state")));
    assertThat(condition("web", "RolledOut")).containsEntry("reason", "Conflict");
    assertThat(deployment("web-paris").getMetadata().getResourceVersion()).isEqualTo(
        mine.getMetadata().getResourceVersion());
    assertThat(deploymentNames()).contains("web-lyon");
    assertThat(metric("outpost_bridge_fleet_conflicts_total")).isPositive();
  }

  private static boolean isWarning(Event event, String name, String reason) {
    return "Warning".equals(event.getType()) && reason.equals(event.getReason())
        && name.equals(event.getInvolvedObject().getName())
        && "SiteWorkload".equals(event.getInvolvedObject().getKind());
  }
}
