package io.outpost.bridge.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.outpost.bridge.RbacEnforcement;
import io.outpost.bridge.ShippedRbac;
import io.outpost.bridge.metrics.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the fleet controller's tests share: the controller against the mock API server (CRUD), with the shipped CRD
 * applied and the shipped RBAC enforced on the controller's client (nothing denied, checked after each test), the
 * edge Node informer, and helpers to set up the cluster and read it. The mock server has no garbage collector and no
 * Deployment controller: the tests play the latter (writing a copy's status), and the controller must remove copies
 * itself. Each test class carries {@code @EnableKubernetesMockClient(crud = true)} and a static client field of its
 * own (the extension sets only the test class's declared fields), handed in by {@link #mockClient()}.
 */
abstract class FleetControllerFixture {
  static final String NS = "shop";
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  static final Placement PLACEMENT = new Placement("outpost.io/site", "outpost.io/edge", "true");

  /** The mock API server's client, as the test class's {@code @EnableKubernetesMockClient} field holds it. */
  protected KubernetesClient client;
  protected RbacEnforcement rbac;
  protected SharedIndexInformer<Node> nodes;
  protected FleetController controller;
  protected final Metrics metrics = new Metrics();
  protected final AtomicBoolean active = new AtomicBoolean(true);

  /** The test class's static client field, set by its {@code @EnableKubernetesMockClient(crud = true)}. */
  abstract KubernetesClient mockClient();

  @BeforeEach
  void start() throws Exception {
    client = mockClient();
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

  void node(String name, String site) {
    NodeBuilder node = new NodeBuilder().withNewMetadata().withName(name).addToLabels("outpost.io/edge", "true")
        .endMetadata();
    if (site != null) {
      node.editMetadata().addToLabels("outpost.io/site", site).endMetadata();
    }
    client.nodes().resource(node.build()).create();
  }

  GenericKubernetesResource apply(String yaml) {
    GenericKubernetesResource workload = client.getKubernetesSerialization().unmarshal(yaml,
        GenericKubernetesResource.class);
    return client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(NS).resource(workload)
        .createOr(existing -> existing.update());
  }

  GenericKubernetesResource workload(String name) {
    return client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(NS).withName(name).get();
  }

  Deployment deployment(String name) {
    return client.apps().deployments().inNamespace(NS).withName(name).get();
  }

  List<String> deploymentNames() {
    return client.apps().deployments().inNamespace(NS).list().getItems().stream()
        .map(d -> d.getMetadata().getName()).sorted().toList();
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> status(String name) {
    GenericKubernetesResource workload = workload(name);
    Object status = workload == null ? null : workload.getAdditionalProperties().get("status");
    return status == null ? Map.of() : (Map<String, Object>) status;
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> siteStatus(String name, String site) {
    Object sites = status(name).get("sites");
    if (!(sites instanceof List<?> list)) {
      return Map.of();
    }
    return list.stream().map(s -> (Map<String, Object>) s).filter(s -> site.equals(s.get("site"))).findFirst()
        .orElse(Map.of());
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> condition(String name, String type) {
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

  long metric(String name, String... labels) {
    return metrics.get(name, labels);
  }

  /** Reconciles every SiteWorkload once more and waits until that pass is done. */
  void reconcileAgain() {
    long before = metric("outpost_bridge_fleet_reconciles_total", "outcome", "done");
    controller.activate();
    await("another reconcile").atMost(TIMEOUT).until(() -> metric("outpost_bridge_fleet_reconciles_total",
        "outcome", "done") > before && metric("outpost_bridge_fleet_queue_depth") == 0);
  }
}
