package io.outpost.network.services;

import static io.outpost.network.NetLab.in;
import static io.outpost.network.NetLab.who;
import static io.outpost.network.services.Objects.clusterIp;
import static io.outpost.network.services.Objects.port;
import static io.outpost.network.services.Objects.ready;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.containers.PodRuntime;
import io.outpost.network.NetLab;
import io.outpost.network.TestStore;
import io.outpost.network.site.HostCommands;
import io.outpost.network.site.HostCommands.CommandException;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.EndpointSliceV1.EndpointPortV1;
import io.outpost.protocol.EndpointSliceV1.EndpointV1;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.protocol.SiteNetworkV1;
import io.outpost.store.OutboxEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Service ruleset applied for real with nft in a node namespace: three pod namespaces on the node's bridge (two
 * serving HTTP, one client) and a client on the node's LAN. Services come from a real store, the local pods'
 * readiness from the container manager's view, traffic is busybox wget against busybox httpd (whose CGI answers with
 * its name and the client address it sees).
 */
class ServiceForwardingNetnsTest {
  @TempDir Path dir;
  private NetLab lab;
  private TestStore store;
  private ServiceProxyComponent proxy;
  private String node;
  private String lan;
  private String podA;
  private String podB;
  private String client;
  private final AtomicReference<List<PodRuntime>> local = new AtomicReference<>();

  @BeforeEach
  void nodeWithPods() throws Exception {
    lab = new NetLab(dir);
    node = lab.namespace("n");
    lan = lab.namespace("lan");
    podA = lab.namespace("pa");
    podB = lab.namespace("pb");
    client = lab.namespace("pc");
    lab.link(node, "192.168.77.1/24", lan, "192.168.77.2/24");
    in(node).run("ip", "route", "add", "default", "via", "192.168.77.2");
    in(node).run("ip", "link", "add", "outpost0", "type", "bridge");
    in(node).run("ip", "addr", "add", "10.244.1.1/24", "dev", "outpost0");
    in(node).run("ip", "link", "set", "outpost0", "up");
    in(node).run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    lab.attach(node, "outpost0", podA, "10.244.1.10/24", "10.244.1.1");
    lab.attach(node, "outpost0", podB, "10.244.1.11/24", "10.244.1.1");
    lab.attach(node, "outpost0", client, "10.244.1.12/24", "10.244.1.1");
    lab.server(podA, 8080, "A");
    lab.server(podB, 8080, "B");
    local.set(List.of(pod("web-a", "10.244.1.10", true), pod("web-b", "10.244.1.11", true)));

    store = new TestStore(dir);
    store.put("SiteNetwork", null, "edge-1", new SiteNetworkV1("s", List.of("10.244.1.0/24"), "test", List.of()));
    service("web", new ServiceV1("ClusterIP", List.of("10.96.0.10"), List.of(new ServicePortV1("http", "TCP", 80,
        "web", null)), null, null, null, null, false, null), true, true);
    service("web-np", new ServiceV1("NodePort", List.of("10.96.0.11"), List.of(new ServicePortV1("http", "TCP", 80,
        "web", 30080)), null, null, "Cluster", null, false, null), true, true);
    service("web-local", new ServiceV1("NodePort", List.of("10.96.0.12"), List.of(new ServicePortV1("http", "TCP",
        80, "web", 30081)), null, null, "Local", null, false, null), true, false);
    service("sticky", new ServiceV1("ClusterIP", List.of("10.96.0.13"), List.of(new ServicePortV1("http", "TCP", 80,
        "web", null)), "ClientIP", 300, null, null, false, null), true, true);
    service("empty", new ServiceV1("ClusterIP", List.of("10.96.0.14"), List.of(new ServicePortV1("http", "TCP", 80,
        "web", null)), null, null, null, null, false, null), false, false);
    service("hairpin", new ServiceV1("ClusterIP", List.of("10.96.0.15"), List.of(new ServicePortV1("http", "TCP", 80,
        "web", null)), null, null, null, null, false, null), true, false);

    proxy = new ServiceProxyComponent(store.store, store.store.events(), ProxySettings.defaults("edge-1"),
        HostCommands.inNamespace(node), local::get, Set::of, () -> false);
    store.listen(proxy);
    await().atMost(Duration.ofSeconds(20)).until(() -> proxy.applied() != null);
  }

  /** A Service with an EndpointSlice naming the pods web-a and/or web-b (port "http" = 8080) on this node. */
  private void service(String name, ServiceV1 spec, boolean withA, boolean withB) {
    store.put("Service", "default", name, spec);
    List<EndpointV1> endpoints = new java.util.ArrayList<>();
    if (withA) {
      endpoints.add(ready("10.244.1.10", "edge-1", "web-a"));
    }
    if (withB) {
      endpoints.add(ready("10.244.1.11", "edge-1", "web-b"));
    }
    store.put("EndpointSlice", "default", name + "-1", new EndpointSliceV1(name, "IPv4",
        List.of(new EndpointPortV1("http", "TCP", 8080)), endpoints));
  }

  private static PodRuntime pod(String name, String ip, boolean ready) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, "uid-" + name, "1");
    return new PodRuntime(ref, new PodStatusReport(1, "edge-1", ref, "Running", null, null, ip, null, null,
        List.of(new ContainerStatusV1("web", "busybox", null, null, ready, 0,
            ContainerStateV1.running("2026-12-07T00:00:00Z"), null)), false), 0, null);
  }

  @AfterEach
  void cleanUp() {
    if (proxy != null) {
      proxy.deactivate();
    }
    if (store != null) {
      store.close();
    }
    lab.close();
  }

  @Test
  void clusterIpBalancesOverTheReadyPodsAndKeepsThePodSource() {
    Set<String> answers = new HashSet<>();
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
      answers.add(who(client, "10.96.0.10:80"));
      assertThat(answers).containsExactlyInAnyOrder("A 10.244.1.12", "B 10.244.1.12");
    });
  }

  @Test
  void nodePortAnswersOnTheNodesAddressMasqueradedOrWithTheClientSourceForLocalPolicy() throws Exception {
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() ->
        assertThat(who(lan, "192.168.77.1:30080")).matches("[AB] 10\\.244\\.1\\.1"));
    assertThat(who(lan, "192.168.77.1:30081")).isEqualTo("A 192.168.77.2");
  }

  @Test
  void clientIpAffinityKeepsAClientOnOneEndpoint() throws Exception {
    String first = who(client, "10.96.0.13:80");
    for (int i = 0; i < 8; i++) {
      assertThat(who(client, "10.96.0.13:80")).isEqualTo(first);
    }
    assertThat(in(node).run("nft", "list", "table", "ip", "outpost")).contains("10.244.1.12 expires");
  }

  @Test
  void aServiceWithoutEndpointsRejectsAndAPodReachesItselfThroughItsService() throws Exception {
    assertThatThrownBy(() -> who(client, "10.96.0.14:80")).isInstanceOf(CommandException.class)
        .hasMessageContaining("Connection refused");
    assertThat(who(podA, "10.96.0.15:80")).isEqualTo("A 10.244.1.1");
  }

  @Test
  void aPodThatIsNotReadyOnTheNodeLeavesItsServicesThoughTheSliceSaysReady() throws Exception {
    local.set(List.of(pod("web-a", "10.244.1.10", true), pod("web-b", "10.244.1.11", false)));

    await().atMost(Duration.ofSeconds(20)).until(() -> !proxy.applied().contains("dnat to 10.244.1.11:8080"));
    for (int i = 0; i < 8; i++) {
      assertThat(who(client, "10.96.0.10:80")).isEqualTo("A 10.244.1.12");
    }
  }

  @Test
  void aServiceThatCannotBeProgrammedIsRefusedWithAnEventAndTheOthersKeepWorking() throws Exception {
    store.put("Service", "default", "sctp", new ServiceV1("ClusterIP", List.of("10.96.0.20"),
        List.of(new ServicePortV1(null, "SCTP", 9000, null, null)), null, null, null, null, false, null));

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      List<EventReport> events = store.store.events().pending(100).stream().map(OutboxEntry::report).toList();
      assertThat(events).anySatisfy(event -> {
        assertThat(event.ref().kind()).isEqualTo("Service");
        assertThat(event.ref().key()).isEqualTo("Service/default/sctp");
        assertThat(event.type()).isEqualTo(EventReport.WARNING);
        assertThat(event.reason()).isEqualTo(RefusalReporter.REASON);
        assertThat(event.message()).contains("protocol SCTP is not supported");
      });
    });
    assertThat(proxy.metrics()).containsEntry("outpost_edge_network_services_refused", 1.0)
        .containsEntry("outpost_edge_network_service_refusals_total", 1.0);
    assertThat(who(client, "10.96.0.13:80")).matches("[AB] 10\\.244\\.1\\.12");
  }

  @Test
  void aScriptNftRefusesLeavesTheRulesetInForceAndTheProxyRetries() throws Exception {
    String inForce = in(node).run("nft", "list", "table", "ip", "outpost");
    String broken = proxy.applied().replace("jump mark-for-masquerade", "jump no-such-chain");

    assertThatThrownBy(() -> in(node).run(broken, List.of("nft", "-f", "-"))).isInstanceOf(CommandException.class);
    assertThat(in(node).run("nft", "list", "table", "ip", "outpost")).isEqualTo(inForce);

    ServiceProxyComponent failing = new ServiceProxyComponent(store.store, store.store.events(),
        ProxySettings.defaults("edge-1"), HostCommands.inNamespace("outpost-t-missing-namespace"), local::get,
        Set::of, () -> true);
    try {
      await().atMost(Duration.ofSeconds(20)).until(() ->
          failing.metrics().get("outpost_edge_network_service_apply_failures_total") >= 2);
      assertThat(failing.applied()).isNull();
      assertThat(failing.metrics()).containsEntry("outpost_edge_network_service_rules_applied_total", 0.0);
    } finally {
      failing.deactivate();
    }
  }

  @Test
  void theGoldenRulesetsApplyAndDeactivationRemovesTheTable() throws Exception {
    for (String golden : List.of("clusterip-two-endpoints.nft", "nodeport-local-affinity-reject-drop.nft",
        "empty.nft")) {
      in(node).run(NftScriptTest.golden(golden), List.of("nft", "-f", "-"));
      assertThat(in(node).run("nft", "list", "chain", "ip", "outpost", "services")).contains("@service-ips");
    }
    proxy.deactivate();

    assertThat(in(node).run("nft", "list", "tables")).doesNotContain("outpost");
  }

  @Test
  void aNodeWithoutAPodRangeProgramsNoServiceAndItsTableGoesWithTheRange() throws Exception {
    assertThat(in(node).run("nft", "list", "tables")).contains("table ip outpost");

    store.remove("SiteNetwork", null, "edge-1");

    // Nodes without site networking (no range: several may share one namespace, as on a test machine) leave no table.
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(in(node).run("nft", "list", "tables")).doesNotContain("outpost");
      assertThat(proxy.metrics()).containsEntry("outpost_edge_network_services_programmed", 0.0);
    });

    store.put("SiteNetwork", null, "edge-1", new SiteNetworkV1("s", List.of("10.244.1.0/24"), "test", List.of()));
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
        assertThat(who(client, "10.96.0.10:80")).endsWith("10.244.1.12"));
  }
}
