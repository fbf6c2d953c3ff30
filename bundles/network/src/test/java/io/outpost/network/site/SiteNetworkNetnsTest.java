package io.outpost.network.site;

import static io.outpost.network.NetLab.in;
import static io.outpost.network.NetLab.who;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.containers.PodNetwork;
import io.outpost.network.NetLab;
import io.outpost.network.TestStore;
import io.outpost.protocol.SiteNetworkV1;
import io.outpost.protocol.SiteNetworkV1.PeerV1;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes of one site, each a network namespace with its own store and pod network component, joined by a LAN
 * (veth); a "pod" namespace on each node's bridge; each node masquerades its pod range as the engine's CNI bridge
 * network does (an iptables-nft MASQUERADE rule). Checks the bridge and the offer, the routes with their protocol
 * number, that pod traffic within the site keeps its source address while traffic leaving the pod ranges is still
 * masqueraded, that routes of others are never touched, and what deactivation removes and leaves.
 */
class SiteNetworkNetnsTest {
  private static final int PROTO = SiteSettings.DEFAULT_ROUTE_PROTOCOL;
  @TempDir Path dir;
  private NetLab lab;
  private TestStore storeA;
  private PodNetworkComponent nodeA;
  private String a;
  private String b;
  private String podA;
  private String podB;
  private final AtomicReference<PodNetwork> offeredA = new AtomicReference<>();

  static SiteNetworkV1 site(String own, String peer, String peerAddress, String peerRange) {
    return new SiteNetworkV1("site-1", List.of(own), "test", List.of(new PeerV1(peer, List.of(peerAddress),
        List.of(peerRange))));
  }

  @BeforeEach
  void twoNodesOfOneSite() throws Exception {
    lab = new NetLab(dir);
    a = lab.namespace("a");
    b = lab.namespace("b");
    podA = lab.namespace("pa");
    podB = lab.namespace("pb");
    lab.link(a, "192.168.50.1/24", b, "192.168.50.2/24");
    storeA = new TestStore(dir.resolve("a"));
    storeA.put("SiteNetwork", null, "edge-a", site("10.244.1.0/24", "edge-b", "192.168.50.2", "10.244.2.0/24"));
    // Node B is configured by hand the way its own component would do it (its test is node A's).
    in(b).run("ip", "link", "add", "outpost0", "type", "bridge");
    in(b).run("ip", "addr", "add", "10.244.2.1/24", "dev", "outpost0");
    in(b).run("ip", "link", "set", "outpost0", "up");
    in(b).run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    in(b).run("ip", "route", "add", "10.244.1.0/24", "via", "192.168.50.1");
    for (String[] node : new String[][] {{a, "10.244.1.0/24"}, {b, "10.244.2.0/24"}}) {
      in(node[0]).run("iptables", "-t", "nat", "-A", "POSTROUTING", "-s", node[1], "!", "-d", node[1], "-j",
          "MASQUERADE");
    }
    nodeA = new PodNetworkComponent(storeA.store, new SiteSettings("edge-a", "outpost0", "outpost", true, PROTO),
        HostCommands.inNamespace(a), network -> {
          offeredA.set(network);
          return () -> offeredA.compareAndSet(network, null);
        }, () -> false);
    storeA.listen(nodeA);
    await().atMost(Duration.ofSeconds(20)).until(() -> offeredA.get() != null);
    lab.attach(a, "outpost0", podA, "10.244.1.10/24", "10.244.1.1");
    lab.attach(b, "outpost0", podB, "10.244.2.10/24", "10.244.2.1");
    lab.server(podB, 8080, "podB");
    lab.server(b, 8080, "nodeB");
  }

  @AfterEach
  void cleanUp() {
    if (nodeA != null) {
      nodeA.deactivate();
    }
    if (storeA != null) {
      storeA.close();
    }
    lab.close();
  }

  @Test
  void offersThePodNetworkOnItsBridge() throws Exception {
    PodNetwork network = offeredA.get();
    assertThat(network.subnet()).isEqualTo("10.244.1.0/24");
    assertThat(network.gateway()).isEqualTo("10.244.1.1");
    assertThat(network.bridge()).isEqualTo("outpost0");
    assertThat(network.engineNetwork()).isEqualTo("outpost");
    assertThat(network.clusterDns()).isEqualTo("10.244.1.1");
    assertThat(in(a).run("ip", "-4", "-o", "addr", "show", "dev", "outpost0")).contains("inet 10.244.1.1/24");
    assertThat(in(a).run("ip", "-o", "link", "show", "outpost0")).contains("state UP").doesNotContain("DOWN");
  }

  @Test
  void podTrafficWithinTheSiteKeepsItsSourceAndTrafficLeavingItIsMasqueraded() throws Exception {
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(in(a).run("ip", "route", "show", "proto", Integer.toString(PROTO)))
            .contains("10.244.2.0/24 via 192.168.50.2"));

    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() ->
        assertThat(who(podA, "10.244.2.10:8080")).isEqualTo("podB 10.244.1.10"));
    assertThat(who(podA, "192.168.50.2:8080")).isEqualTo("nodeB 192.168.50.1");

    // The control: without the site table, the engine's masquerading would hide the pod's address.
    in(a).run("add table ip outpost_site\ndelete table ip outpost_site\n", List.of("nft", "-f", "-"));
    assertThat(who(podA, "10.244.2.10:8080")).isEqualTo("podB 192.168.50.1");
  }

  @Test
  void routesFollowTheSiteAndRoutesOfOthersAreNeverTouched() throws Exception {
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(in(a).run("ip", "route", "show", "proto", Integer.toString(PROTO))).contains("10.244.2.0/24"));
    in(a).run("ip", "route", "add", "10.99.0.0/24", "via", "192.168.50.2");
    in(a).run("ip", "route", "add", "10.244.3.0/24", "via", "192.168.50.2", "proto", "static");

    // Peer B gets another range; a new peer C has the range someone else already routes.
    storeA.put("SiteNetwork", null, "edge-a", new SiteNetworkV1("site-1", List.of("10.244.1.0/24"), "test", List.of(
        new PeerV1("edge-b", List.of("192.168.50.2"), List.of("10.244.4.0/24")),
        new PeerV1("edge-c", List.of("192.168.50.3"), List.of("10.244.3.0/24")))));

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(in(a).run("ip", "route", "show", "proto", Integer.toString(PROTO)).strip())
            .isEqualTo("10.244.4.0/24 via 192.168.50.2 dev " + lanDevice()));
    assertThat(in(a).run("ip", "route", "show", "exact", "10.244.3.0/24")).contains("via 192.168.50.2", "static");
    assertThat(in(a).run("ip", "route", "show", "exact", "10.99.0.0/24")).contains("via 192.168.50.2");
    assertThat(nodeA.metrics()).containsEntry("outpost_edge_network_site_routes", 1.0)
        .containsEntry("outpost_edge_network_site_routes_skipped", 1.0);
    assertThat(in(a).run("nft", "list", "set", "ip", "outpost_site", "site-pod-ranges"))
        .contains("10.244.4.0/24").doesNotContain("10.244.2.0/24");

    nodeA.deactivate();

    assertThat(in(a).run("ip", "route", "show", "proto", Integer.toString(PROTO))).isBlank();
    assertThat(in(a).run("nft", "list", "tables")).doesNotContain("outpost_site");
    assertThat(in(a).run("ip", "route", "show", "exact", "10.244.3.0/24")).contains("static");
    assertThat(in(a).run("ip", "route", "show", "exact", "10.99.0.0/24")).contains("via 192.168.50.2");
    assertThat(in(a).run("ip", "-o", "link", "show", "outpost0")).as("the bridge stays for running pods")
        .contains("outpost0");
    assertThat(offeredA.get()).isNull();
  }

  @Test
  void aRouteThatCannotBeInstalledYetIsTriedAgainUntilItIs() throws Exception {
    // Peer D's LAN address is on no link of node A yet: the kernel refuses the route ("Nexthop has invalid gateway").
    storeA.put("SiteNetwork", null, "edge-a", new SiteNetworkV1("site-1", List.of("10.244.1.0/24"), "test", List.of(
        new PeerV1("edge-b", List.of("192.168.50.2"), List.of("10.244.2.0/24")),
        new PeerV1("edge-d", List.of("192.168.70.2"), List.of("10.244.7.0/24")))));
    await().atMost(Duration.ofSeconds(20)).until(() ->
        nodeA.metrics().get("outpost_edge_network_site_failures_total") > 0);
    assertThat(in(a).run("ip", "route", "show", "proto", Integer.toString(PROTO)))
        .as("the routes that can be installed are in force meanwhile").contains("10.244.2.0/24 via 192.168.50.2")
        .doesNotContain("10.244.7.0/24");

    // The LAN gets that subnet (a link coming up late): a retry installs the route without any new SiteNetwork.
    in(a).run("ip", "addr", "add", "192.168.70.1/24", "dev", lanDevice());
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
        assertThat(in(a).run("ip", "route", "show", "proto", Integer.toString(PROTO)))
            .contains("10.244.7.0/24 via 192.168.70.2", "10.244.2.0/24 via 192.168.50.2"));
    assertThat(nodeA.metrics()).containsEntry("outpost_edge_network_site_routes", 2.0)
        .containsEntry("outpost_edge_network_site_routes_skipped", 0.0);
  }

  @Test
  void aNewRangeIsOfferedAgainAndTheOldGatewayStaysForExistingPods() throws Exception {
    PodNetwork first = offeredA.get();
    storeA.put("SiteNetwork", null, "edge-a", site("10.244.5.0/24", "edge-b", "192.168.50.2", "10.244.2.0/24"));

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(offeredA.get()).isNotNull().isNotSameAs(first)
            .extracting(PodNetwork::subnet).isEqualTo("10.244.5.0/24"));
    assertThat(in(a).run("ip", "-4", "-o", "addr", "show", "dev", "outpost0"))
        .contains("inet 10.244.1.1/24", "inet 10.244.5.1/24");
  }

  @Test
  void withoutARangeNothingIsOffered() throws Exception {
    storeA.put("SiteNetwork", null, "edge-a", new SiteNetworkV1("site-1", List.of(), "test", List.of()));

    await().atMost(Duration.ofSeconds(20)).until(() -> offeredA.get() == null);
    assertThat(in(a).run("ip", "route", "show", "proto", Integer.toString(PROTO))).isBlank();
    assertThat(nodeA.metrics()).containsEntry("outpost_edge_network_pod_network_offered", 0.0);
  }

  private String lanDevice() throws Exception {
    String route = in(a).run("ip", "route", "show", "192.168.50.0/24");
    return route.split("dev ")[1].split("\\s+")[0];
  }
}
