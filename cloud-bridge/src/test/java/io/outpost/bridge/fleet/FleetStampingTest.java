package io.outpost.bridge.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.kube.EdgeTaint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stamping: each selected site's copy with its overrides, pinned to its edge nodes and owned by its SiteWorkload; a
 * changed template updates the copies; a copy whose selector is not the stamp's is replaced; DaemonSets per site; a
 * pass over an unchanged SiteWorkload writes nothing.
 *
 * <p>The fixture ({@link FleetControllerFixture}): the mock API server (CRUD) with the shipped CRD, the shipped RBAC
 * enforced on the controller's client.
 */
@EnableKubernetesMockClient(crud = true)
class FleetStampingTest extends FleetControllerFixture {
  static KubernetesClient mock;

  @Override
  KubernetesClient mockClient() {
    return mock;
  }

  @Test
  void eachSelectedSiteGetsACopyWithItsOverridesPinnedToItsEdgeNodes() {
    node("edge-p1", "paris");
    node("edge-l1", "lyon");
    node("edge-m1", "marseille");
    GenericKubernetesResource web = apply(WEB);

    await("a copy per selected site").atMost(TIMEOUT).until(() -> deploymentNames().equals(
        List.of("web-lyon", "web-paris")));
    Deployment paris = deployment("web-paris");
    Deployment lyon = deployment("web-lyon");
    assertThat(paris.getSpec().getReplicas()).isEqualTo(2);
    assertThat(lyon.getSpec().getReplicas()).as("the site's override").isEqualTo(3);
    assertThat(paris.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    var parisApp = paris.getSpec().getTemplate().getSpec().getContainers().get(0);
    var lyonApp = lyon.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(parisApp.getImage()).isEqualTo("registry.example/web:1.0");
    assertThat(parisApp.getResources() == null || parisApp.getResources().getLimits() == null
        || parisApp.getResources().getLimits().isEmpty()).isTrue();
    assertThat(lyonApp.getImage()).isEqualTo("registry.example/web:1.1-lyon");
    assertThat(lyonApp.getEnv()).as("set by name over the template's, new ones added").containsExactly(
        new EnvVar("GREETING", "hello", null), new EnvVar("MODE", "lyon", null), new EnvVar("EXTRA", "1", null));
    assertThat(lyonApp.getResources().getLimits()).containsEntry("cpu", new Quantity("500m"))
        .containsEntry("memory", new Quantity("128Mi"));
    assertThat(lyon.getSpec().getTemplate().getSpec().getContainers().get(1).getImage())
        .as("a container without override stays as written").isEqualTo("registry.example/proxy:3");

    for (Deployment copy : List.of(paris, lyon)) {
      String site = copy == paris ? "paris" : "lyon";
      assertThat(copy.getSpec().getTemplate().getSpec().getNodeSelector()).containsExactlyInAnyOrderEntriesOf(
          Map.of("outpost.io/site", site, "outpost.io/edge", "true"));
      List<Toleration> tolerations = copy.getSpec().getTemplate().getSpec().getTolerations();
      assertThat(EdgeTaint.tolerated(tolerations)).isTrue();
      assertThat(tolerations).anyMatch(t -> "node.kubernetes.io/unreachable".equals(t.getKey())
          && "NoExecute".equals(t.getEffect()) && t.getTolerationSeconds() == null);
      Map<String, String> own = Map.of(SiteWorkloads.OWNER_LABEL, "web", "outpost.io/site", site);
      assertThat(copy.getSpec().getSelector().getMatchLabels()).isEqualTo(own);
      assertThat(copy.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(own)
          .containsEntry("app", "web");
      assertThat(copy.getMetadata().getLabels()).containsAllEntriesOf(own);
      OwnerReference owner = copy.getMetadata().getOwnerReferences().get(0);
      assertThat(copy.getMetadata().getOwnerReferences()).hasSize(1);
      assertThat(owner.getApiVersion()).isEqualTo("outpost.io/v1alpha1");
      assertThat(owner.getKind()).isEqualTo("SiteWorkload");
      assertThat(owner.getName()).isEqualTo("web");
      assertThat(owner.getUid()).isEqualTo(web.getMetadata().getUid());
      assertThat(owner.getController()).isTrue();
      assertThat(owner.getBlockOwnerDeletion()).as("deleting the SiteWorkload in the foreground waits for it")
          .isTrue();
    }

    await("status per site").atMost(TIMEOUT).until(() -> "web-lyon".equals(siteStatus("web", "lyon").get("copy"))
        && "web-paris".equals(siteStatus("web", "paris").get("copy")));
    assertThat(status("web")).containsEntry("selectedSites", 2).containsEntry("readySites", 0);
    assertThat(siteStatus("web", "lyon")).containsEntry("desiredReplicas", 3).containsEntry("readyReplicas", 0)
        .containsEntry("state", "Progressing");
    assertThat(condition("web", "SpecValid")).containsEntry("status", "True");
    assertThat(condition("web", "RolledOut")).containsEntry("status", "False").containsEntry("reason", "Progressing");

    // The Deployment controller's part: paris rolled out.
    client.apps().deployments().inNamespace(NS).withName("web-paris").editStatus(d -> {
      d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration() == null ? 1L
          : d.getMetadata().getGeneration()).withReplicas(2).withReadyReplicas(2).withUpdatedReplicas(2)
          .withAvailableReplicas(2).build());
      return d;
    });
    await("paris reported rolled out").atMost(TIMEOUT).until(() -> "RolledOut".equals(
        siteStatus("web", "paris").get("state")));
    assertThat(siteStatus("web", "paris")).containsEntry("readyReplicas", 2).containsEntry("updatedReplicas", 2)
        .containsKey("observedGeneration");
    assertThat(status("web")).containsEntry("readySites", 1);
    assertThat(client.v1().events().inNamespace(NS).list().getItems()).filteredOn(e -> "CopyCreated".equals(
        e.getReason())).hasSize(2);
    assertThat(metric("outpost_bridge_fleet_reconciles_total", "outcome", "error")).isZero();
  }

  @Test
  void aChangedTemplateUpdatesEveryCopyAndAnUnselectedSiteLosesItsCopy() {
    node("edge-p1", "paris");
    node("edge-l1", "lyon");
    apply(WEB);
    await().atMost(TIMEOUT).until(() -> deploymentNames().equals(List.of("web-lyon", "web-paris")));
    String parisBefore = deployment("web-paris").getMetadata().getResourceVersion();
    client.apps().deployments().inNamespace(NS).withName("web-paris").edit(d -> {
      d.getMetadata().getAnnotations().put("deployment.kubernetes.io/revision", "1"); // as the controller writes
      return d;
    });

    apply(WEB.replace("registry.example/web:1.0", "registry.example/web:2.0")
        .replace("registry.example/proxy:3", "registry.example/proxy:4"));
    await("the template's image in every copy, the site's override kept").atMost(TIMEOUT).until(() ->
        deployment("web-paris").getSpec().getTemplate().getSpec().getContainers().get(0).getImage()
            .equals("registry.example/web:2.0")
        && deployment("web-lyon").getSpec().getTemplate().getSpec().getContainers().get(1).getImage()
            .equals("registry.example/proxy:4"));
    assertThat(deployment("web-lyon").getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo("registry.example/web:1.1-lyon");
    assertThat(deployment("web-paris").getMetadata().getResourceVersion()).isNotEqualTo(parisBefore);
    long generation = workload("web").getMetadata().getGeneration();
    await("the status has seen the new generation").atMost(TIMEOUT).until(() -> Long.valueOf(generation).equals(
        ((Number) status("web").getOrDefault("observedGeneration", 0)).longValue()));
    assertThat(generation).as("the spec changed once").isEqualTo(2);
    assertThat(deployment("web-paris").getMetadata().getAnnotations())
        .as("what others wrote on the copy stays").containsEntry("deployment.kubernetes.io/revision", "1");

    apply(WEB.replace("names: [paris, lyon]", "names: [paris]"));
    await("lyon no longer selected: its copy deleted").atMost(TIMEOUT).until(() -> deploymentNames().equals(
        List.of("web-paris")));
    await().atMost(TIMEOUT).until(() -> siteStatus("web", "lyon").isEmpty()
        && ((Number) status("web").getOrDefault("selectedSites", 0)).intValue() == 1);
    assertThat(client.v1().events().inNamespace(NS).list().getItems()).anyMatch(e -> "CopyDeleted".equals(
        e.getReason()) && e.getMessage().contains("web-lyon"));
  }

  @Test
  void aCopyWhoseSelectorIsNotTheStampsIsReplaced() {
    node("edge-p1", "paris");
    apply(WEB);
    await().atMost(TIMEOUT).until(() -> deploymentNames().equals(List.of("web-paris")));
    String uid = deployment("web-paris").getMetadata().getUid();
    // As after a change of OUTPOST_SITE_LABEL: a selector the API server would refuse to change.
    client.apps().deployments().inNamespace(NS).withName("web-paris").edit(d -> {
      d.getSpec().getSelector().getMatchLabels().put("old-site-label", "paris");
      return d;
    });
    await("replaced").atMost(TIMEOUT).until(() -> deployment("web-paris") != null
        && !uid.equals(deployment("web-paris").getMetadata().getUid()));
    assertThat(deployment("web-paris").getSpec().getSelector().getMatchLabels()).doesNotContainKey("old-site-label");
  }

  @Test
  void aDaemonSetPerSite() {
    node("edge-p1", "paris");
    node("edge-p2", "paris");
    apply("""
        apiVersion: outpost.io/v1alpha1
        kind: SiteWorkload
        metadata: {name: agent, namespace: shop}
        spec:
          kind: DaemonSet
          sites: {nodeSelector: {}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
          template:
            spec:
              containers: [{name: agent, image: agent:1}]
          overrides:
            - site: paris
              containers: [{name: agent, image: agent:1-paris}]
        """);
    await().atMost(TIMEOUT).until(() -> client.apps().daemonSets().inNamespace(NS).withName("agent-paris")
        .get() != null);
    DaemonSet paris = client.apps().daemonSets().inNamespace(NS).withName("agent-paris").get();
    assertThat(paris.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("agent:1-paris");
    assertThat(paris.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(paris.getSpec().getTemplate().getSpec().getNodeSelector()).containsEntry("outpost.io/site", "paris");
    assertThat(deploymentNames()).isEmpty();
    client.apps().daemonSets().inNamespace(NS).withName("agent-paris").editStatus(d -> {
      d.setStatus(new DaemonSetStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration() == null ? 1L
          : d.getMetadata().getGeneration()).withDesiredNumberScheduled(2).withNumberReady(2)
          .withUpdatedNumberScheduled(2).withCurrentNumberScheduled(2).withNumberMisscheduled(0).build());
      return d;
    });
    await().atMost(TIMEOUT).until(() -> "RolledOut".equals(siteStatus("agent", "paris").get("state")));
    assertThat(siteStatus("agent", "paris")).containsEntry("desiredReplicas", 2).containsEntry("readyReplicas", 2);
    assertThat(condition("agent", "RolledOut")).containsEntry("status", "True");
  }

  @Test
  void aSecondReconcileWritesNothing() {
    node("edge-p1", "paris");
    node("edge-l1", "lyon");
    apply(WEB);
    await("converged").atMost(TIMEOUT).until(() -> deploymentNames().size() == 2
        && "web-lyon".equals(siteStatus("web", "lyon").get("copy"))
        && "web-paris".equals(siteStatus("web", "paris").get("copy"))
        && metric("outpost_bridge_fleet_queue_depth") == 0);
    reconcileAgain(); // lets the passes that the copies' and the status's own events started finish
    String workload = workload("web").getMetadata().getResourceVersion();
    String paris = deployment("web-paris").getMetadata().getResourceVersion();
    String lyon = deployment("web-lyon").getMetadata().getResourceVersion();
    long copyWrites = metric("outpost_bridge_fleet_copy_writes_total", "verb", "update")
        + metric("outpost_bridge_fleet_copy_writes_total", "verb", "create")
        + metric("outpost_bridge_fleet_copy_writes_total", "verb", "delete");
    long statusWrites = metric("outpost_bridge_kube_writes_total", "resource", "siteworkloads/status");
    long events = client.v1().events().inNamespace(NS).list().getItems().size();
    int requests = rbac.requests().size();

    reconcileAgain();
    reconcileAgain();

    assertThat(rbac.requests().subList(requests, rbac.requests().size()))
        .as("no request but reads and watches: the passes ran from the caches and found nothing to change")
        .allMatch(r -> List.of("get", "list", "watch").contains(r.verb()));

    assertThat(workload("web").getMetadata().getResourceVersion()).isEqualTo(workload);
    assertThat(deployment("web-paris").getMetadata().getResourceVersion()).isEqualTo(paris);
    assertThat(deployment("web-lyon").getMetadata().getResourceVersion()).isEqualTo(lyon);
    assertThat(metric("outpost_bridge_fleet_copy_writes_total", "verb", "update")
        + metric("outpost_bridge_fleet_copy_writes_total", "verb", "create")
        + metric("outpost_bridge_fleet_copy_writes_total", "verb", "delete")).isEqualTo(copyWrites);
    assertThat(metric("outpost_bridge_kube_writes_total", "resource", "siteworkloads/status"))
        .isEqualTo(statusWrites);
    assertThat(client.v1().events().inNamespace(NS).list().getItems()).hasSize((int) events);
  }
}
