package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.testing.ManagedProcess;
import io.outpost.testing.NetNamespaces;
import io.outpost.testing.Podman;
import io.outpost.testing.SiteNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The site harness itself ({@link SiteStack}): three edge nodes, each in its own network namespace with its own
 * Podman service, join the bridge over the simulated LAN (the broker is reachable only there) and run pods; the cloud
 * link can be cut and restored without touching the LAN. Site networking itself is {@code SiteNetworkingIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SiteLanIT {
  private static final Duration SHORT = Duration.ofSeconds(20);
  private SiteStack stack;

  @BeforeAll
  void start() throws Exception {
    LinkedHashMap<String, String> nodes = new LinkedHashMap<>();
    nodes.put("n1", null);
    nodes.put("n2", null);
    nodes.put("n3", null);
    stack = new SiteStack(nodes, Map.of());
  }

  @AfterAll
  void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void eachNodeJoinsFromItsOwnNamespaceWithItsLanAddress() {
    for (SiteNode node : stack.nodes) {
      // NodeFacts reports the first address of the node's first interface: eth0 of its namespace (published as
      // ExternalIP: the InternalIP of an edge Node is the bridge's kubelet address).
      await(node.name() + " reports its LAN address").atMost(SiteStack.PATIENCE)
          .untilAsserted(() -> assertThat(stack.addresses(node)).contains("ExternalIP=" + node.address()));
      assertThat(NetNamespaces.pids(node.namespace())).as("processes in %s", node.namespace())
          .contains(node.edge().pid());
    }
  }

  @Test
  @Order(2)
  void eachNodeRunsAPodOnItsOwnEngineInItsNamespace() {
    for (SiteNode node : stack.nodes) {
      stack.create(new PodBuilder().withNewMetadata().withName("smoke-" + node.index())
          .endMetadata().withNewSpec().withNodeName(node.name()).withTerminationGracePeriodSeconds(2L)
          .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600")
          .endContainer().endSpec().build());
    }
    for (SiteNode node : stack.nodes) {
      Pod pod = stack.awaitRunning("smoke-" + node.index());
      String podIp = pod.getStatus().getPodIP();
      assertThat(podIp).as("pod IP of %s", pod.getMetadata().getName()).isNotBlank();
      // The pod's network hangs off the node's namespace: the node reaches it, the LAN (no route) does not.
      assertThat(node.inNamespace(SHORT, "busybox", "ping", "-c", "1", "-W", "2", podIp).ok())
          .as("%s pings its pod %s", node.name(), podIp).isTrue();
      assertThat(node.inNamespace(SHORT, "ip", "route", "get", podIp).output())
          .as("route to the pod inside %s", node.namespace()).doesNotContain("eth0");
    }
  }

  @Test
  @Order(3)
  void cuttingTheCloudLinkLeavesTheLanUp() {
    SiteNode first = stack.nodes.get(0);
    SiteNode second = stack.nodes.get(1);
    String broker = Integer.toString(stack.broker.port());
    String cloud = stack.lan.cloudAddress();
    assertThat(reaches(first, cloud, broker)).as("broker over the LAN before the cut").isTrue();
    stack.lan.cut();
    try {
      assertThat(reaches(first, cloud, broker)).as("broker after the cut").isFalse();
      assertThat(first.inNamespace(SHORT, "busybox", "ping", "-c", "1", "-W", "2", second.address()).ok())
          .as("%s reaches %s over the LAN while cut off", first.name(), second.name()).isTrue();
    } finally {
      stack.lan.restore();
    }
    await("broker reachable again").atMost(SHORT).until(() -> reaches(first, cloud, broker));
  }

  private static boolean reaches(SiteNode node, String address, String port) {
    // A TCP connect with bash's /dev/tcp, given up after 3 s: a cut link drops the SYN rather than refusing it.
    ManagedProcess.Outcome outcome = node.inNamespace(SHORT, "timeout", "3", "bash", "-c",
        "exec 3<>/dev/tcp/" + address + "/" + port);
    return outcome.ok();
  }
}
