package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.bridge.fleet.SiteWorkloads;
import io.outpost.bridge.fleet.sites.SiteObjects;
import io.outpost.testing.Podman;
import io.outpost.testing.Project;
import io.outpost.testing.SiteNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One workload, many sites, end to end (issue 23, first acceptance criterion): three nodes of the built distribution
 * in two sites — {@code north} (n1, n2) and {@code south} (s1), each named in the node's own configuration
 * ({@code site = …} in {@code etc/io.outpost.node.cfg}), which the node reports and the bridge turns into its Node's
 * site labels ({@link SiteStack}: one network namespace and Podman service per node, Mosquitto, the mock API in CRUD
 * mode with the shipped SiteWorkload and Site CRDs, the bridge in this JVM with its fleet controller on). One
 * SiteWorkload selecting every site becomes one Deployment per site, with south's override (replicas, env), owned by
 * the SiteWorkload and pinned to its site; the copies' pods run on their sites' nodes with the override in their
 * environment; n2 changing its configuration to the new site {@code east} — the node joining a site, as a node does
 * in this codebase (its site is a Node label kept from the token or the configuration; a node "joins" a site by
 * naming it) — gets east its copy; and the SiteWorkload deleted takes its copies with it.
 *
 * <p>What the mock API server does not do, the test does as the cluster would: it creates the pods a copy's
 * ReplicaSet would (from the copy's template, bound to a node of the copy's site, as the scheduler would pick one)
 * and writes each copy's status as the Deployment controller does (its ready replicas counted from those pods as the
 * API shows them), and after the SiteWorkload is deleted removes those pods as the garbage collector would. The
 * copies themselves are removed by the fleet controller: the mock server has no garbage collector.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SiteWorkloadIT {
  private static final Duration CONVERGE = Duration.ofMinutes(1);
  private static final Duration EXEC = Duration.ofSeconds(20);
  private static final String NODE_CONFIG = "io.outpost.node.cfg";
  private static final String WORKLOAD = "web";
  private static final String SITE_WORKLOAD = """
      apiVersion: outpost.io/v1alpha1
      kind: SiteWorkload
      metadata: {name: web, namespace: NAMESPACE}
      spec:
        sites: {nodeSelector: {}}
        replicas: 1
        template:
          metadata:
            labels: {app: web}
          spec:
            terminationGracePeriodSeconds: 1
            containers:
              - name: app
                image: IMAGE
                command: [sleep, "3600"]
                env:
                  - {name: MODE, value: edge}
        overrides:
          - site: south
            replicas: 2
            containers:
              - name: app
                env:
                  - {name: MODE, value: south}
      """;

  private SiteStack stack;
  private SiteNode n1;
  private SiteNode n2;
  private SiteNode s1;
  private GenericKubernetesResource web;
  /** The pods this test created as the copies' ReplicaSets would. */
  private final List<String> pods = new ArrayList<>();

  @BeforeAll
  void startSites() throws Exception {
    LinkedHashMap<String, String> nodes = new LinkedHashMap<>();
    nodes.put("n1", null); // no operator label: each node names its site in its configuration
    nodes.put("n2", null);
    nodes.put("s1", null);
    stack = new SiteStack(nodes, Map.of(), node -> configureSite(node, node.name().endsWith("-s1") ? "south"
        : "north"), SiteWorkloadIT::applyCrds);
    n1 = stack.node("n1");
    n2 = stack.node("n2");
    s1 = stack.node("s1");
  }

  @AfterAll
  void stopSites() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  /** The CRDs as shipped, applied before the bridge starts: its fleet controller starts only if they are served. */
  private static void applyCrds(KubernetesClient client) {
    for (String file : List.of("06-fleet-crds.yaml", "07-site-crds.yaml")) {
      try (InputStream in = Files.newInputStream(Project.root().resolve("deploy/kubernetes").resolve(file))) {
        for (HasMetadata object : client.load(in).items()) {
          if (object instanceof CustomResourceDefinition crd) {
            client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static void configureSite(SiteNode node, String site) {
    try {
      node.edge().editConfig(NODE_CONFIG, "site", site);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  @Order(1)
  void eachNodeIsLabelledWithTheSiteItsConfigurationNames() {
    for (SiteNode node : List.of(n1, n2, s1)) {
      String site = node == s1 ? "south" : "north";
      awaitSite(node, site);
      Node registered = stack.client.nodes().withName(node.name()).get();
      assertThat(registered.getMetadata().getLabels()).as("%s's labels", node.name())
          .containsEntry("topology.kubernetes.io/zone", site);
      assertThat(registered.getMetadata().getAnnotations()).containsEntry("outpost.io/site-source", "config:" + site);
    }
  }

  @Test
  @Order(2)
  void theSiteWorkloadBecomesOneCopyPerSiteWithItsOverridesPinnedToItsSite() {
    web = stack.client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(stack.namespace).resource(
        stack.client.getKubernetesSerialization().unmarshal(SITE_WORKLOAD.replace("NAMESPACE", stack.namespace)
            .replace("IMAGE", Podman.TEST_IMAGE), GenericKubernetesResource.class)).create();

    await("a copy per site").atMost(CONVERGE).until(this::copyNames, names -> names.equals(
        List.of("web-north", "web-south")));
    Deployment north = copy("north");
    Deployment south = copy("south");
    assertThat(north.getSpec().getReplicas()).isEqualTo(1);
    assertThat(south.getSpec().getReplicas()).as("south's override").isEqualTo(2);
    assertThat(north.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .containsExactly(new EnvVar("MODE", "edge", null));
    assertThat(south.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()).as("south's override")
        .containsExactly(new EnvVar("MODE", "south", null));
    for (String site : List.of("north", "south")) {
      assertPinnedAndOwned(copy(site), site);
    }

    await("the status per site").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(siteStatus("north")).containsEntry("copy", "web-north").containsEntry("desiredReplicas", 1)
          .containsEntry("state", "Progressing");
      assertThat(siteStatus("south")).containsEntry("copy", "web-south").containsEntry("desiredReplicas", 2)
          .containsEntry("state", "Progressing");
      assertThat(status()).containsEntry("selectedSites", 2).containsEntry("readySites", 0);
      assertThat(condition("SpecValid")).containsEntry("status", "True");
      assertThat(condition("RolledOut")).containsEntry("status", "False").containsEntry("reason", "Progressing");
    });
    assertThat(events("CopyCreated")).hasSize(2);
  }

  @Test
  @Order(3)
  void theCopiesPodsRunOnTheirSitesNodesAndEachSiteIsReportedRolledOut() {
    runPodsOf("north", n1);
    runPodsOf("south", s1);
    assertThat(env(stack.pod("web-north-0"))).isEqualTo("edge");
    assertThat(env(stack.pod("web-south-0"))).as("south's override, in the container").isEqualTo("south");
    assertThat(env(stack.pod("web-south-1"))).isEqualTo("south");

    playDeploymentController("north");
    playDeploymentController("south");
    await("every site rolled out").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(siteStatus("north")).containsEntry("state", "RolledOut").containsEntry("readyReplicas", 1)
          .containsEntry("updatedReplicas", 1).containsKey("observedGeneration");
      assertThat(siteStatus("south")).containsEntry("state", "RolledOut").containsEntry("readyReplicas", 2)
          .containsEntry("updatedReplicas", 2);
      assertThat(status()).containsEntry("readySites", 2);
      assertThat(condition("RolledOut")).containsEntry("status", "True").containsEntry("reason",
          "AllSitesRolledOut");
    });
  }

  @Test
  @Order(4)
  void aNodeJoiningANewSiteGetsThatSiteItsCopy() throws Exception {
    long edited = System.nanoTime();
    n2.edge().editConfig(NODE_CONFIG, "site", "east"); // applied live: the node reports it, the bridge relabels
    awaitSite(n2, "east");
    long relabelled = System.nanoTime();

    await("east's copy").atMost(CONVERGE).until(this::copyNames, names -> names.equals(
        List.of("web-east", "web-north", "web-south")));
    System.out.printf("SiteWorkloadIT: n2 relabelled east %d ms after its configuration changed; east's copy seen"
        + " %d ms after the relabel (both as polled)%n", (relabelled - edited) / 1_000_000,
        (System.nanoTime() - relabelled) / 1_000_000);
    Deployment east = copy("east");
    assertThat(east.getSpec().getReplicas()).as("no override for east: the template's").isEqualTo(1);
    assertThat(east.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .containsExactly(new EnvVar("MODE", "edge", null));
    assertPinnedAndOwned(east, "east");
    assertThat(copy("north")).as("north keeps its copy: n1 is still there").isNotNull();
    await("east in the status").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(status()).containsEntry("selectedSites", 3).containsEntry("readySites", 2);
      assertThat(siteStatus("east")).containsEntry("copy", "web-east").containsEntry("state", "Progressing");
    });

    runPodsOf("east", n2);
    assertThat(env(stack.pod("web-east-0"))).isEqualTo("edge");
    playDeploymentController("east");
    await("east rolled out").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(siteStatus("east")).containsEntry("state", "RolledOut").containsEntry("readyReplicas", 1);
      assertThat(status()).containsEntry("readySites", 3);
    });
    assertThat(events("CopyCreated")).hasSize(3);
    await("the Site objects count the move").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(siteNodes("north")).isEqualTo(1);
      assertThat(siteNodes("east")).isEqualTo(1);
      assertThat(siteNodes("south")).isEqualTo(1);
    });
  }

  @Test
  @Order(5)
  void aDeletedSiteWorkloadTakesItsCopiesWithIt() {
    assertThat(copyNames()).hasSize(3);
    stack.client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(stack.namespace).withName(WORKLOAD)
        .delete();
    await("every copy deleted by the controller (the mock server has no garbage collector)").atMost(CONVERGE)
        .until(this::copyNames, List::isEmpty);
    assertThat(stack.client.apps().deployments().inNamespace(stack.namespace).list().getItems()).isEmpty();

    // The garbage collector's part, on a cluster: the copies' ReplicaSets' pods go; the nodes remove them.
    for (String name : pods) {
      Pod pod = stack.pod(name);
      stack.client.pods().inNamespace(stack.namespace).withName(name).delete();
      SiteNode node = stack.nodeOf(pod);
      await(name + "'s container removed from " + node.name()).atMost(SiteStack.PATIENCE).untilAsserted(() ->
          assertThat(node.appContainersOf(pod.getMetadata().getUid())).isEmpty());
    }
  }

  // ---- what the cluster's other controllers would do

  /**
   * As the copy's ReplicaSet and the scheduler would: one pod per desired replica from the copy's template, bound
   * to {@code node} (a node of the copy's site); waits until each runs on it.
   */
  private void runPodsOf(String site, SiteNode node) {
    Deployment copy = copy(site);
    assertThat(copy.getSpec().getTemplate().getSpec().getNodeSelector()).as("the copy may run on %s", node.name())
        .containsEntry(SiteStack.SITE_LABEL, site);
    assertThat(stack.client.nodes().withName(node.name()).get().getMetadata().getLabels())
        .containsEntry(SiteStack.SITE_LABEL, site);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < copy.getSpec().getReplicas(); i++) {
      String name = copy.getMetadata().getName() + "-" + i;
      Pod pod = new PodBuilder().withNewMetadata().withName(name)
          .withLabels(copy.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
          .withSpec(stack.client.getKubernetesSerialization().clone(copy.getSpec().getTemplate().getSpec()))
          .build();
      pod.getSpec().setNodeName(node.name());
      stack.create(pod);
      pods.add(name);
      names.add(name);
    }
    for (String name : names) {
      Pod running = stack.awaitRunning(name);
      assertThat(running.getMetadata().getLabels()).containsEntry(SiteStack.SITE_LABEL, site)
          .containsEntry(SiteWorkloads.OWNER_LABEL, WORKLOAD);
    }
  }

  /** As the Deployment controller: the copy's status, its ready replicas being its pods that the API shows ready. */
  private void playDeploymentController(String site) {
    Deployment copy = copy(site);
    int ready = (int) stack.client.pods().inNamespace(stack.namespace)
        .withLabels(copy.getSpec().getSelector().getMatchLabels()).list().getItems().stream()
        .filter(p -> p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions()
            .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
        .count();
    assertThat(ready).as("ready pods of %s", copy.getMetadata().getName()).isEqualTo(copy.getSpec().getReplicas());
    stack.client.apps().deployments().inNamespace(stack.namespace).withName(copy.getMetadata().getName())
        .editStatus(d -> {
          d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration() == null
              ? 1L : d.getMetadata().getGeneration()).withReplicas(ready).withReadyReplicas(ready)
              .withUpdatedReplicas(ready).withAvailableReplicas(ready).build());
          return d;
        });
  }

  // ---- reading the cluster

  private void awaitSite(SiteNode node, String site) {
    await(node.name() + " labelled with site " + site).atMost(SiteStack.PATIENCE).untilAsserted(() -> {
      assertThat(node.edge().isRunning()).as("edge process of %s", node.name()).isTrue();
      assertThat(stack.client.nodes().withName(node.name()).get().getMetadata().getLabels())
          .containsEntry(SiteStack.SITE_LABEL, site);
    });
  }

  private void assertPinnedAndOwned(Deployment copy, String site) {
    Map<String, String> own = Map.of(SiteWorkloads.OWNER_LABEL, WORKLOAD, SiteStack.SITE_LABEL, site);
    assertThat(copy.getMetadata().getLabels()).containsAllEntriesOf(own);
    assertThat(copy.getSpec().getSelector().getMatchLabels()).isEqualTo(own);
    assertThat(copy.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(own)
        .containsEntry("app", "web");
    assertThat(copy.getSpec().getTemplate().getSpec().getNodeSelector()).as("%s pinned to its site", site)
        .isEqualTo(Map.of(SiteStack.SITE_LABEL, site, "outpost.io/edge", "true"));
    List<Toleration> tolerations = copy.getSpec().getTemplate().getSpec().getTolerations();
    assertThat(tolerations).as("the edge taint tolerated").anyMatch(t -> "node.outpost.io/edge".equals(t.getKey())
        && "NoSchedule".equals(t.getEffect()));
    for (String taint : List.of("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")) {
      assertThat(tolerations).as("a cut-off site keeps its pods").anyMatch(t -> taint.equals(t.getKey())
          && "NoExecute".equals(t.getEffect()) && t.getTolerationSeconds() == null);
    }
    assertThat(copy.getMetadata().getOwnerReferences()).hasSize(1);
    OwnerReference owner = copy.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getApiVersion()).isEqualTo("outpost.io/v1alpha1");
    assertThat(owner.getKind()).isEqualTo("SiteWorkload");
    assertThat(owner.getName()).isEqualTo(WORKLOAD);
    assertThat(owner.getUid()).isEqualTo(web.getMetadata().getUid());
    assertThat(owner.getController()).isTrue();
    assertThat(owner.getBlockOwnerDeletion()).isTrue();
  }

  private List<String> copyNames() {
    return stack.client.apps().deployments().inNamespace(stack.namespace).withLabel(SiteWorkloads.OWNER_LABEL,
        WORKLOAD).list().getItems().stream().map(d -> d.getMetadata().getName()).sorted().toList();
  }

  private Deployment copy(String site) {
    return stack.client.apps().deployments().inNamespace(stack.namespace).withName(WORKLOAD + "-" + site).get();
  }

  /** The container's {@code MODE}, as the process in it sees its environment. */
  private String env(Pod pod) {
    var outcome = stack.nodeOf(pod).exec(stack.containerOf(pod), EXEC, "sh", "-c", "echo \"$MODE\"");
    assertThat(outcome.exitCode()).as("echo $MODE in %s: %s", pod.getMetadata().getName(), outcome.output())
        .isZero();
    return outcome.output().strip();
  }

  private List<io.fabric8.kubernetes.api.model.Event> events(String reason) {
    return stack.client.v1().events().inNamespace(stack.namespace).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()) && WORKLOAD.equals(e.getInvolvedObject().getName())
            && "SiteWorkload".equals(e.getInvolvedObject().getKind())).toList();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> status() {
    GenericKubernetesResource current = stack.client.genericKubernetesResources(SiteWorkloads.CONTEXT)
        .inNamespace(stack.namespace).withName(WORKLOAD).get();
    Object status = current == null ? null : current.getAdditionalProperties().get("status");
    return status == null ? Map.of() : (Map<String, Object>) status;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> siteStatus(String site) {
    if (!(status().get("sites") instanceof List<?> sites)) {
      return Map.of();
    }
    return sites.stream().map(s -> (Map<String, Object>) s).filter(s -> site.equals(s.get("site"))).findFirst()
        .orElse(Map.of());
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> condition(String type) {
    if (!(status().get("conditions") instanceof List<?> conditions)) {
      return Map.of();
    }
    return conditions.stream().map(c -> (Map<String, Object>) c).filter(c -> type.equals(c.get("type")))
        .findFirst().orElse(Map.of());
  }

  /** {@code status.nodesTotal} of the site's {@code Site} object (-1 if it has none yet). */
  @SuppressWarnings("unchecked")
  private int siteNodes(String site) {
    GenericKubernetesResource object = stack.client.genericKubernetesResources(SiteObjects.SITES).withName(site)
        .get();
    Object status = object == null ? null : object.getAdditionalProperties().get("status");
    if (!(status instanceof Map<?, ?> map) || !(map.get("nodesTotal") instanceof Number total)) {
      return -1;
    }
    return total.intValue();
  }
}
