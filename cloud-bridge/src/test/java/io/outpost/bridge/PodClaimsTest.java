package io.outpost.bridge;

import static io.outpost.bridge.BridgeHarness.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node claims only itself in pod status: an edge node (a real MQTT client, {@link FakeEdge}) sends spoofed
 * statuses for its own pods; the Pod in the API server (fabric8 CRUD mock) shows only what the node may claim, and
 * every refusal is counted by reason. Pod address ranges: {@code claims-a} has its own (10.42.1.0/24 and
 * fd00:42:1::/64), nodes of site {@code site-17} the site's (10.17.0.0/16), others none (no default here).
 */
@EnableKubernetesMockClient(crud = true)
class PodClaimsTest {
  static KubernetesClient client;
  static KubernetesMockServer server;

  private static final String NODE = "claims-a";
  private static final String GATE = "example.com/lb-ready";

  @TempDir Path dir;
  private BridgeHarness h;

  @BeforeEach
  void start() throws Exception {
    h = BridgeHarness.start(dir, client, Map.of("OUTPOST_POD_CIDRS", "",
        "OUTPOST_NODE_POD_CIDRS", NODE + "=10.42.1.0/24,fd00:42:1::/64",
        "OUTPOST_SITE_POD_CIDRS", "site-17=10.17.0.0/16"));
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private static ContainerStatusV1 container(String name, boolean ready, int restarts) {
    return new ContainerStatusV1(name, "docker.io/library/nginx:1.27", "sha256:9a1e", "docker://" + name, ready,
        restarts, ContainerStateV1.running("2026-12-07T01:00:00Z"), null);
  }

  private static PodStatusReport report(String node, ObjectRef ref, String podIP, String hostIP,
      List<ContainerStatusV1> containers) {
    return new PodStatusReport(Codec.VERSION, node, ref, "Running", null, null, podIP, hostIP,
        "2026-12-07T01:00:00Z", containers, false, null, true);
  }

  private PodStatus awaitStatus(String name, Predicate<PodStatus> condition) {
    return await().atMost(FakeEdge.TIMEOUT).until(() -> h.pod("shop", name).getStatus(),
        s -> s != null && condition.test(s));
  }

  private static int restarts(PodStatus status) {
    return status.getContainerStatuses() == null || status.getContainerStatuses().isEmpty() ? -1
        : status.getContainerStatuses().get(0).getRestartCount();
  }

  @Test
  void aPodIpOutsideTheNodesRangeIsRefusedAndThePodKeepsItsAddress() throws Exception {
    FakeEdge edge = h.registeredEdge(NODE);
    Pod pod = h.createPod("shop", "web", NODE);
    edge.awaitUpsert("web");

    edge.report(report(NODE, ref(pod), "10.42.1.5", null, List.of(container("app", true, 0))));
    PodStatus first = awaitStatus("web", s -> "10.42.1.5".equals(s.getPodIP()));
    assertThat(first.getPodIPs()).extracting(PodIP::getIp).containsExactly("10.42.1.5");

    // kube-dns's ClusterIP, an IP of the other family outside the range, and no IP at all: each refused on its
    // own, the rest of the report written (the restart count moves), the address the pod had kept.
    int restarts = 0;
    for (String spoof : List.of("10.96.0.10", "fd00:43::5", "10.42.1.5.nip.io", "::ffff:10.42.1.6")) {
      restarts++;
      edge.report(report(NODE, ref(pod), spoof, null, List.of(container("app", true, restarts))));
      int expected = restarts;
      PodStatus after = awaitStatus("web", s -> restarts(s) == expected);
      assertThat(after.getPodIP()).as("after a report claiming %s", spoof).isEqualTo("10.42.1.5");
      assertThat(after.getPodIPs()).extracting(PodIP::getIp).containsExactly("10.42.1.5");
      assertThat(after.getPhase()).isEqualTo("Running");
    }
    assertThat(h.rejected("pod_ip_out_of_range")).isEqualTo(2);
    assertThat(h.rejected("pod_ip_invalid")).isEqualTo(2);

    // A new sandbox gets a new address in the range: written (IPv6 too).
    edge.report(report(NODE, ref(pod), "fd00:42:1::7", null, List.of(container("app", true, 5))));
    assertThat(awaitStatus("web", s -> restarts(s) == 5).getPodIP()).isEqualTo("fd00:42:1::7");
    assertThat(h.rejected("pod_ip_out_of_range")).isEqualTo(2);
  }

  @Test
  void siteRangesClusterAssignedRangesAndNodesWithoutARange() throws Exception {
    FakeEdge site = h.registeredEdge("claims-site");
    FakeEdge assigned = h.registeredEdge("claims-cidr");
    FakeEdge bare = h.registeredEdge("claims-bare");
    client.nodes().withName("claims-site").edit(n -> new NodeBuilder(n).editMetadata()
        .addToLabels("outpost.io/site", "site-17").endMetadata().build());
    client.nodes().withName("claims-cidr").edit(n -> new NodeBuilder(n).editOrNewSpec().withPodCIDR("10.244.3.0/24")
        .withPodCIDRs("10.244.3.0/24").endSpec().build());
    Pod onSite = h.createPod("shop", "on-site", "claims-site");
    Pod onCidr = h.createPod("shop", "on-cidr", "claims-cidr");
    Pod onBare = h.createPod("shop", "on-bare", "claims-bare");
    site.awaitUpsert("on-site");
    assigned.awaitUpsert("on-cidr");
    bare.awaitUpsert("on-bare");
    // The bridge's node cache holds the label and the podCIDR once the Node objects sent to the nodes carry them.
    site.awaitMessage("Node with the site label", m -> m.node() != null && m.node().labels() != null
        && "site-17".equals(m.node().labels().get("outpost.io/site")));
    await().atMost(FakeEdge.TIMEOUT).untilAsserted(() -> {
      assigned.report(report("claims-cidr", ref(onCidr), "10.244.3.9", null, List.of(container("app", true, 0))));
      assertThat(h.pod("shop", "on-cidr").getStatus()).isNotNull()
          .extracting(PodStatus::getPodIP).isEqualTo("10.244.3.9");
    });

    site.report(report("claims-site", ref(onSite), "10.17.4.2", null, List.of(container("app", true, 0))));
    assertThat(awaitStatus("on-site", s -> "Running".equals(s.getPhase())).getPodIP()).isEqualTo("10.17.4.2");
    site.report(report("claims-site", ref(onSite), "10.244.3.10", null, List.of(container("app", true, 1))));
    assertThat(awaitStatus("on-site", s -> restarts(s) == 1).getPodIP()).as("another node's range")
        .isEqualTo("10.17.4.2");

    long outOfRange = h.rejected("pod_ip_out_of_range");
    assertThat(outOfRange).isGreaterThanOrEqualTo(1);
    assigned.report(report("claims-cidr", ref(onCidr), "10.17.4.3", null, List.of(container("app", true, 1))));
    assertThat(awaitStatus("on-cidr", s -> restarts(s) == 1).getPodIP()).isEqualTo("10.244.3.9");
    assertThat(h.rejected("pod_ip_out_of_range")).isEqualTo(outOfRange + 1);

    // No range for the node, none assigned, no default: the address cannot be vouched for and is not written.
    long noRange = h.rejected("pod_ip_no_range"); // the two nodes above, while the cache lacked label and podCIDR
    bare.report(report("claims-bare", ref(onBare), "10.88.0.5", null, List.of(container("app", true, 0))));
    PodStatus unchecked = awaitStatus("on-bare", s -> "Running".equals(s.getPhase()));
    assertThat(unchecked.getPodIP()).isNull();
    assertThat(unchecked.getPodIPs()).isEmpty();
    assertThat(h.rejected("pod_ip_no_range")).isEqualTo(noRange + 1);
  }

  @Test
  void aHostIpThatIsNotTheNodesIsNeverWritten() throws Exception {
    FakeEdge edge = h.registeredEdge(NODE); // InternalIP 192.0.2.17
    Pod pod = h.createPod("shop", "web", NODE);
    edge.awaitUpsert("web");
    edge.report(report(NODE, ref(pod), "10.42.1.5", "203.0.113.66", List.of(container("app", true, 0))));
    PodStatus status = awaitStatus("web", s -> "Running".equals(s.getPhase()));
    assertThat(status.getHostIP()).isEqualTo("192.0.2.17");
    assertThat(status.getHostIPs()).extracting(HostIP::getIp).containsExactly("192.0.2.17");
    assertThat(h.rejected("host_ip_not_node_address")).isEqualTo(1);

    // A heartbeat without an InternalIP: the bridge knows no address of the node, so it cannot check one, and the
    // pod keeps the one it shows.
    NodeReport beat = FakeEdge.nodeReport(NODE);
    edge.heartbeat(new NodeReport(beat.v(), NODE, beat.sentAt(), true, beat.message(), beat.capacity(),
        List.of(new NodeReport.Address("Hostname", NODE)), beat.info()));
    await().atMost(FakeEdge.TIMEOUT).untilAsserted(() -> {
      edge.report(report(NODE, ref(pod), "10.42.1.5", "203.0.113.66", List.of(container("app", true, 1))));
      assertThat(restarts(h.pod("shop", "web").getStatus())).isEqualTo(1);
    });
    PodStatus kept = h.pod("shop", "web").getStatus();
    assertThat(kept.getHostIP()).isEqualTo("192.0.2.17");
    assertThat(kept.getHostIPs()).extracting(HostIP::getIp).containsExactly("192.0.2.17");
    assertThat(h.rejected("host_ip_not_node_address")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aHostNetworkPodsIpMustBeTheNodesOwn() throws Exception {
    FakeEdge edge = h.registeredEdge(NODE);
    Pod pod = h.createPod("shop", "cdn", NODE, b -> b.editSpec().withHostNetwork(true).endSpec());
    edge.awaitUpsert("cdn");
    edge.report(report(NODE, ref(pod), "192.0.2.17", null, List.of(container("app", true, 0))));
    assertThat(awaitStatus("cdn", s -> "Running".equals(s.getPhase())).getPodIP()).isEqualTo("192.0.2.17");
    edge.report(report(NODE, ref(pod), "10.42.1.5", null, List.of(container("app", true, 1))));
    assertThat(awaitStatus("cdn", s -> restarts(s) == 1).getPodIP()).as("in the pod range, but not the node's")
        .isEqualTo("192.0.2.17");
    assertThat(h.rejected("pod_ip_not_node_address")).isEqualTo(1);
  }

  @Test
  void onlyStatusesOfContainersInTheSpecAreWrittenAndAMissingOneKeepsThePodUnready() throws Exception {
    FakeEdge edge = h.registeredEdge(NODE);
    Pod pod = h.createPod("shop", "web", NODE, b -> b.editSpec().addNewContainer().withName("log")
        .withImage("docker.io/library/busybox:1.36").endContainer()
        .withInitContainers(new ContainerBuilder().withName("setup").withImage("busybox").build()).endSpec());
    edge.awaitUpsert("web");

    ContainerStatusV1 setup = new ContainerStatusV1("setup", "busybox", "sha256:1", "docker://setup", false, 0,
        ContainerStateV1.terminated("Completed", null, 0, "t", "t"), null);
    edge.report(new PodStatusReport(Codec.VERSION, NODE, ref(pod), "Running", null, null, "10.42.1.5", null,
        "2026-12-07T01:00:00Z", List.of(container("app", true, 0), container("miner", true, 0),
            container("app", false, 9), container("setup", true, 0)), false,
        List.of(setup, container("app", true, 0)), true));
    PodStatus status = awaitStatus("web", s -> "Running".equals(s.getPhase()));
    assertThat(status.getContainerStatuses()).extracting(ContainerStatus::getName).containsExactly("app");
    assertThat(status.getContainerStatuses().get(0).getRestartCount()).as("the first status of app").isZero();
    assertThat(status.getInitContainerStatuses()).extracting(ContainerStatus::getName).containsExactly("setup");
    assertThat(h.rejected("container_not_in_spec")).as("miner, setup among containers, app among init")
        .isEqualTo(3);
    assertThat(h.rejected("duplicate_container_status")).isEqualTo(1);
    assertThat(conditions(status)).contains(
        "Ready=False ContainersNotReady containers with unknown status: [log]",
        "ContainersReady=False ContainersNotReady containers with unknown status: [log]");
  }

  @Test
  void conditionsOfOtherControllersAndReadinessGatesAreKeptAndReadyWaitsForTheGate() throws Exception {
    FakeEdge edge = h.registeredEdge(NODE);
    Pod pod = h.createPod("shop", "web", NODE, b -> b.editSpec().withReadinessGates(new PodReadinessGate(GATE))
        .endSpec());
    edge.awaitUpsert("web");

    // Containers ready, but no controller has written the gate's condition yet.
    edge.report(report(NODE, ref(pod), "10.42.1.5", null, List.of(container("app", true, 0))));
    PodStatus first = awaitStatus("web", s -> "Running".equals(s.getPhase()));
    assertThat(conditions(first)).containsExactly(
        "PodReadyToStartContainers=True null null",
        "Initialized=True null null",
        "Ready=False ReadinessGatesNotReady corresponding condition of pod readiness gate \"" + GATE + "\" does not"
            + " exist.",
        "ContainersReady=True null null",
        "PodScheduled=True null null");

    // Another controller (a load balancer's, a chaos tool's) writes its conditions; Ready follows at once, without
    // a report from the node, as a kubelet recomputes it on every pod update.
    controller(p -> new PodBuilder(p).editStatus().addToConditions(
        new PodConditionBuilder().withType(GATE).withStatus("False").withReason("Registering")
            .withLastTransitionTime("2026-12-07T00:59:00Z").build(),
        new PodConditionBuilder().withType("example.com/canary").withStatus("True")
            .withLastTransitionTime("2026-12-07T00:58:00Z").build()).endStatus().build());
    String notTrue = "Ready=False ReadinessGatesNotReady the status of pod readiness gate \"" + GATE + "\" is not"
        + " \"True\", but False";
    await().atMost(FakeEdge.TIMEOUT).until(() -> conditions(h.pod("shop", "web").getStatus()).contains(notTrue));

    // The node's next report replaces only the kubelet's conditions; the others come first, as the kubelet lists them.
    edge.report(report(NODE, ref(pod), "10.42.1.5", null, List.of(container("app", true, 1))));
    PodStatus merged = awaitStatus("web", s -> restarts(s) == 1);
    assertThat(conditions(merged)).containsExactly(
        GATE + "=False Registering null",
        "example.com/canary=True null null",
        "PodReadyToStartContainers=True null null",
        "Initialized=True null null",
        notTrue,
        "ContainersReady=True null null",
        "PodScheduled=True null null");

    // The controller sets its gate: Ready becomes True with one write, and the node's next report keeps it so.
    long writes = h.kubeWrites("pods/status");
    controller(p -> new PodBuilder(p).editStatus().withConditions(p.getStatus().getConditions().stream()
        .map(c -> GATE.equals(c.getType()) ? new PodConditionBuilder(c).withStatus("True").withReason("Registered")
            .build() : c).toList()).endStatus().build());
    await().atMost(FakeEdge.TIMEOUT).until(() -> conditions(h.pod("shop", "web").getStatus())
        .contains("Ready=True null null"));
    assertThat(h.kubeWrites("pods/status")).isEqualTo(writes + 1);
    edge.report(report(NODE, ref(pod), "10.42.1.5", null, List.of(container("app", true, 2))));
    PodStatus after = awaitStatus("web", s -> restarts(s) == 2);
    assertThat(conditions(after)).startsWith(GATE + "=True Registered null", "example.com/canary=True null null")
        .contains("Ready=True null null");
    assertThat(after.getConditions()).filteredOn(c -> "example.com/canary".equals(c.getType()))
        .extracting(PodCondition::getLastTransitionTime).containsExactly("2026-12-07T00:58:00Z");
  }

  @Test
  void aStatusWriteRefusedAsStaleIsComputedAgainOverThePodReadAfresh() throws Exception {
    FakeEdge edge = h.registeredEdge(NODE);
    Pod pod = h.createPod("shop", "web", NODE);
    edge.awaitUpsert("web");
    controller(p -> new PodBuilder(p).withNewStatus().withConditions(new PodConditionBuilder()
        .withType("example.com/canary").withStatus("True").withLastTransitionTime("2026-12-07T00:58:00Z").build())
        .endStatus().build());
    // What a real API server answers a status PUT whose resourceVersion is not the pod's (the mock never does).
    server.expect().put().withPath("/api/v1/namespaces/shop/pods/web/status").andReturn(409, new StatusBuilder()
        .withStatus("Failure").withReason("Conflict").withCode(409).withMessage("Operation cannot be fulfilled on"
            + " pods \"web\": the object has been modified; please apply your changes to the latest version and try"
            + " again").build()).once();

    edge.report(report(NODE, ref(pod), "10.42.1.5", null, List.of(container("app", true, 0))));
    PodStatus status = awaitStatus("web", s -> "Running".equals(s.getPhase()));
    assertThat(conditions(status)).first().isEqualTo("example.com/canary=True null null");
    assertThat(conditions(status)).contains("Ready=True null null");
    assertThat(h.kubeWrites("pods/status")).isEqualTo(1);
    assertThat(h.metric("outpost_bridge_kube_errors_total", "code", "409")).isZero();
    assertThat(h.rbac.requests()).as("refused, read afresh, written")
        .filteredOn(r -> "pods".equals(r.resource()) && "web".equals(r.name()))
        .extracting(r -> r.verb() + (r.subresource() == null ? "" : "/" + r.subresource()))
        .containsSubsequence("update/status", "get", "update/status");
  }

  /** Another controller changes the pod's status (read, change, write: as client-go's status updates). */
  private void controller(java.util.function.UnaryOperator<Pod> change) {
    client.pods().inNamespace("shop").withName("web").editStatus(change);
  }

  private static List<String> conditions(PodStatus status) {
    return status.getConditions().stream().map(c -> c.getType() + "=" + c.getStatus() + " " + c.getReason() + " "
        + c.getMessage()).toList();
  }
}
