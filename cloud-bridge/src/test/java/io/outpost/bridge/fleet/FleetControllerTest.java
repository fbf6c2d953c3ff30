package io.outpost.bridge.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.RbacEnforcement;
import io.outpost.bridge.ShippedRbac;
import io.outpost.bridge.kube.EdgeTaint;
import io.outpost.bridge.metrics.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fleet controller against the mock API server (CRUD), with the shipped CRD applied and the shipped RBAC
 * enforced on the controller's client: copies per site with overrides, sites that appear and disappear, template
 * changes, deletion, invalid specs and idempotence. The mock server has no garbage collector and no Deployment
 * controller: the test plays the latter (writing a copy's status), and the controller must remove copies itself.
 */
@EnableKubernetesMockClient(crud = true)
class FleetControllerTest {
  static final String NS = "shop";
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  static final Placement PLACEMENT = new Placement("outpost.io/site", "outpost.io/edge", "true");

  static KubernetesClient client;

  private RbacEnforcement rbac;
  private SharedIndexInformer<Node> nodes;
  private FleetController controller;
  private final Metrics metrics = new Metrics();
  private final AtomicBoolean active = new AtomicBoolean(true);

  @BeforeEach
  void start() throws Exception {
    List<HasMetadata> shipped = ShippedRbac.manifests(client);
    CustomResourceDefinition crd = shipped.stream().filter(CustomResourceDefinition.class::isInstance)
        .map(CustomResourceDefinition.class::cast)
        .filter(c -> c.getMetadata().getName().equals("siteworkloads.outpost.io")).findFirst().orElseThrow();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(c -> c.update());
    rbac = RbacEnforcement.forBridge(client);
    KubernetesClient bridge = rbac.client(client);
    nodes = bridge.nodes().withLabel("outpost.io/edge", "true").inform();
    controller = FleetController.start(bridge, true, nodes, PLACEMENT, metrics, active::get);
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
    client.genericKubernetesResources(SiteWorkloads.CONTEXT).inAnyNamespace().delete();
    client.apps().deployments().inAnyNamespace().delete();
    client.apps().daemonSets().inAnyNamespace().delete();
    client.v1().events().inAnyNamespace().delete();
    client.nodes().delete();
  }

  // ---- the cluster

  static void node(String name, String site) {
    NodeBuilder node = new NodeBuilder().withNewMetadata().withName(name).addToLabels("outpost.io/edge", "true")
        .endMetadata();
    if (site != null) {
      node.editMetadata().addToLabels("outpost.io/site", site).endMetadata();
    }
    client.nodes().resource(node.build()).create();
  }

  static GenericKubernetesResource apply(String yaml) {
    GenericKubernetesResource workload = client.getKubernetesSerialization().unmarshal(yaml,
        GenericKubernetesResource.class);
    return client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(NS).resource(workload)
        .createOr(existing -> existing.update());
  }

  static GenericKubernetesResource workload(String name) {
    return client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(NS).withName(name).get();
  }

  static Deployment deployment(String name) {
    return client.apps().deployments().inNamespace(NS).withName(name).get();
  }

  static List<String> deploymentNames() {
    return client.apps().deployments().inNamespace(NS).list().getItems().stream()
        .map(d -> d.getMetadata().getName()).sorted().toList();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> status(String name) {
    GenericKubernetesResource workload = workload(name);
    Object status = workload == null ? null : workload.getAdditionalProperties().get("status");
    return status == null ? Map.of() : (Map<String, Object>) status;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> siteStatus(String name, String site) {
    Object sites = status(name).get("sites");
    if (!(sites instanceof List<?> list)) {
      return Map.of();
    }
    return list.stream().map(s -> (Map<String, Object>) s).filter(s -> site.equals(s.get("site"))).findFirst()
        .orElse(Map.of());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> condition(String name, String type) {
    Object conditions = status(name).get("conditions");
    if (!(conditions instanceof List<?> list)) {
      return Map.of();
    }
    return list.stream().map(c -> (Map<String, Object>) c).filter(c -> type.equals(c.get("type"))).findFirst()
        .orElse(Map.of());
  }

  static final String WEB = """
      apiVersion: outpost.io/v1alpha1
      kind: SiteWorkload
      metadata: {name: web, namespace: shop}
      spec:
        sites:
          names: [paris, lyon]
        replicas: 2
        strategy: {type: Recreate}
        template:
          metadata:
            labels: {app: web}
          spec:
            containers:
              - name: app
                image: registry.example/web:1.0
                env:
                  - {name: GREETING, value: hello}
                  - {name: MODE, value: edge}
              - name: sidecar
                image: registry.example/proxy:3
        overrides:
          - site: lyon
            replicas: 3
            containers:
              - name: app
                image: registry.example/web:1.1-lyon
                env:
                  - {name: MODE, value: lyon}
                  - {name: EXTRA, value: "1"}
                resources:
                  limits: {cpu: 500m, memory: 128Mi}
      """;

  private long metric(String name, String... labels) {
    return metrics.get(name, labels);
  }

  /** Reconciles every SiteWorkload once more and waits until that pass is done. */
  private void reconcileAgain() {
    long before = metric("outpost_bridge_fleet_reconciles_total", "outcome", "done");
    controller.activate();
    await("another reconcile").atMost(TIMEOUT).until(() -> metric("outpost_bridge_fleet_reconciles_total",
        "outcome", "done") > before && metric("outpost_bridge_fleet_queue_depth") == 0);
  }

  // ---- the behaviour

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
  void aDeletedSiteWorkloadTakesItsCopiesWithIt() {
    node("edge-p1", "paris");
    node("edge-l1", "lyon");
    apply(WEB);
    await().atMost(TIMEOUT).until(() -> deploymentNames().size() == 2);
    client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(NS).withName("web").delete();
    await("copies deleted (the mock server has no garbage collector)").atMost(TIMEOUT)
        .until(() -> deploymentNames().isEmpty());
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
