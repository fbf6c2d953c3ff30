package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.fleet.sites.SiteObjects;
import io.outpost.bridge.fleet.sites.SitePlacement;
import io.outpost.bridge.join.JoinService;
import io.outpost.bridge.join.JoinTokens;
import io.outpost.bridge.join.NodeCertificates;
import io.outpost.identity.CertificateAuthority;
import io.outpost.identity.JoinClient;
import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sites end to end on the bridge (real Mosquitto, the join endpoint, the mock API server under the shipped RBAC): a
 * site named by the join token or by the node's configuration labels its Node, a node cannot move itself out of the
 * site its token named, and each site is summarised in metrics and its Site object.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeSitesTest {
  static KubernetesClient client;

  private static final String SITE_LABEL = "outpost.io/site";
  @TempDir Path dir;
  private BridgeHarness h;

  @BeforeEach
  void start() throws Exception {
    h = BridgeHarness.start(dir, client, Map.of("OUTPOST_SITE_STATUS_SECONDS", "1"));
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
    client.genericKubernetesResources(SiteObjects.SITES).delete();
  }

  private static NodeReport report(String node, boolean ready, String site, String region) {
    NodeReport base = FakeEdge.nodeReport(node);
    NodeReport.NodeInfo info = base.info();
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), ready, "Outpost edge", base.capacity(),
        base.addresses(), new NodeReport.NodeInfo(info.machineId(), info.bootId(), info.kernelVersion(),
            info.osImage(), info.operatingSystem(), info.architecture(), info.containerRuntimeVersion(),
            info.agentVersion(), site, region));
  }

  private Map<String, String> labels(String node) {
    Node found = client.nodes().withName(node).get();
    return found == null || found.getMetadata().getLabels() == null ? Map.of() : found.getMetadata().getLabels();
  }

  /** Heartbeats until the node's labels hold {@code expected} (a node sends one every 10 s). */
  private void heartbeatUntilLabelled(FakeEdge edge, NodeReport report, Map<String, String> expected) {
    await("labels " + expected + " on " + edge.node()).atMost(FakeEdge.TIMEOUT).pollInterval(Duration.ofMillis(600))
        .until(() -> {
          edge.heartbeat(report);
          return labels(edge.node()).entrySet().containsAll(expected.entrySet());
        });
  }

  /** Sends a heartbeat and waits until the bridge has handled it. */
  private void heartbeatHandled(FakeEdge edge, NodeReport report) throws Exception {
    long before = h.metric("outpost_bridge_heartbeats_total");
    edge.heartbeat(report);
    await("heartbeat of " + edge.node() + " handled").atMost(FakeEdge.TIMEOUT)
        .until(() -> h.metric("outpost_bridge_heartbeats_total") > before);
  }

  @Test
  void aSiteNamedByTheJoinTokenLabelsTheNodeAndTheNodeCannotMoveItself() throws Exception {
    KubernetesClient bridgeClient = h.rbac.client(client);
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"));
    JoinTokens tokens = new JoinTokens(bridgeClient, "outpost-system", Clock.systemUTC());
    try (JoinService join = new JoinService(ca, tokens, new NodeCertificates(bridgeClient, "outpost-system",
        Clock.systemUTC()), Duration.ofDays(30), h.bridge.metrics(), "127.0.0.1", 0, List.of("127.0.0.1"))) {
      JoinTokens.Token token = tokens.create("edge-t", Duration.ofHours(1), "site-17", "north");
      JoinClient.join(URI.create("https://127.0.0.1:" + join.port()), "edge-t", token.value(), ca.fingerprint());
    }
    assertThat(client.configMaps().inNamespace("outpost-system").withName("outpost-node-edge-t").get().getData())
        .containsEntry("site", "site-17").containsEntry("region", "north");

    FakeEdge edge = h.edge("edge-t");
    heartbeatUntilLabelled(edge, report("edge-t", true, null, null), Map.of(SITE_LABEL, "site-17",
        SitePlacement.ZONE, "site-17", SitePlacement.REGION, "north"));
    assertThat(client.nodes().withName("edge-t").get().getMetadata().getAnnotations())
        .containsEntry(SitePlacement.SOURCE, "token:site-17/north");
    assertThat(labels("edge-t")).as("the bridge's own labels untouched").containsEntry("outpost.io/edge", "true")
        .containsEntry("kubernetes.io/hostname", "edge-t");

    // The node's configuration now claims another site: refused, counted, the Node stays in its token's site.
    heartbeatHandled(edge, report("edge-t", true, "site-99", null));
    assertThat(h.rejected("site_spoof")).isEqualTo(1);
    heartbeatHandled(edge, report("edge-t", true, "site-99", null));
    assertThat(h.rejected("site_spoof")).as("every report of the claim").isEqualTo(2);
    heartbeatHandled(edge, report("edge-t", true, "site-17", "south"));
    assertThat(h.rejected("site_spoof")).as("another region is another place").isEqualTo(3);
    assertThat(labels("edge-t")).containsEntry(SITE_LABEL, "site-17").containsEntry(SitePlacement.ZONE, "site-17")
        .containsEntry(SitePlacement.REGION, "north");
  }

  @Test
  void aSiteNamedInTheNodesConfigurationLabelsItsNodeAndTheOperatorsLabelWins() throws Exception {
    FakeEdge edge = h.edge("edge-c");
    heartbeatUntilLabelled(edge, report("edge-c", true, "site-18", null), Map.of(SITE_LABEL, "site-18",
        SitePlacement.ZONE, "site-18"));
    assertThat(labels("edge-c")).doesNotContainKey(SitePlacement.REGION);
    assertThat(client.nodes().withName("edge-c").get().getMetadata().getAnnotations())
        .containsEntry(SitePlacement.SOURCE, "config:site-18");

    // The configuration changes (no token named a site): the Node follows.
    heartbeatUntilLabelled(edge, report("edge-c", true, "site-19", "west"), Map.of(SITE_LABEL, "site-19",
        SitePlacement.ZONE, "site-19", SitePlacement.REGION, "west"));

    // The operator moves the node: the bridge keeps the operator's label and follows it with the zone.
    client.nodes().withName("edge-c").edit(n -> {
      n.getMetadata().getLabels().put(SITE_LABEL, "site-ops");
      return n;
    });
    heartbeatUntilLabelled(edge, report("edge-c", true, "site-19", "west"), Map.of(SITE_LABEL, "site-ops",
        SitePlacement.ZONE, "site-ops"));
    heartbeatHandled(edge, report("edge-c", true, "site-19", "west"));
    assertThat(labels("edge-c")).containsEntry(SITE_LABEL, "site-ops");
    assertThat(h.rejected("site_spoof")).as("no token named a site: no spoofing").isZero();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> siteStatus(String name) {
    GenericKubernetesResource site = client.genericKubernetesResources(SiteObjects.SITES).withName(name).get();
    Object status = site == null ? null : site.getAdditionalProperties().get("status");
    return status == null ? Map.of() : (Map<String, Object>) status;
  }

  @Test
  void eachSiteIsSummarisedInMetricsAndItsSiteObjectWhichIsNotRewrittenWhenNothingChanged() throws Exception {
    FakeEdge a = h.edge("edge-s1");
    FakeEdge b = h.edge("edge-s2");
    heartbeatUntilLabelled(a, report("edge-s1", true, "site-s", "north"), Map.of(SITE_LABEL, "site-s"));
    heartbeatUntilLabelled(b, report("edge-s2", true, "site-s", "north"), Map.of(SITE_LABEL, "site-s"));
    h.createPod("default", "web-1", "edge-s1");
    h.createPod("default", "web-2", "edge-s2");

    await("Site site-s summarised").atMost(FakeEdge.TIMEOUT).until(() -> siteStatus("site-s").equals(Map.of())
        ? false : Integer.valueOf(2).equals(siteStatus("site-s").get("nodesReady"))
        && Integer.valueOf(2).equals(siteStatus("site-s").get("pods")));
    assertThat(siteStatus("site-s")).containsEntry("nodesTotal", 2).containsEntry("region", "north")
        .containsKey("lastContact");
    assertThat(h.metric("outpost_bridge_site_nodes", "site", "site-s", "ready", "true")).isEqualTo(2);
    assertThat(h.metric("outpost_bridge_site_nodes", "site", "site-s", "ready", "false")).isZero();
    assertThat(h.metric("outpost_bridge_site_pods", "site", "site-s")).isEqualTo(2);
    assertThat(h.metric("outpost_bridge_site_last_contact_seconds", "site", "site-s")).isBetween(0L, 30L);
    assertThat(h.bridge.metrics().render()).contains("outpost_bridge_site_nodes{site=\"site-s\",ready=\"true\"} 2");

    // Heartbeats and passes with nothing new: no write (at most one, should a new minute of lastContact begin).
    Object contact = siteStatus("site-s").get("lastContact");
    long writes = h.kubeWrites("sites/status");
    long passes = h.metric("outpost_bridge_site_passes_total");
    for (int i = 0; i < 3; i++) {
      heartbeatHandled(a, report("edge-s1", true, "site-s", "north"));
      heartbeatHandled(b, report("edge-s2", true, "site-s", "north"));
    }
    await("three passes").atMost(FakeEdge.TIMEOUT).until(() -> h.metric("outpost_bridge_site_passes_total")
        >= passes + 3);
    long expected = contact.equals(siteStatus("site-s").get("lastContact")) ? writes : writes + 1;
    assertThat(h.kubeWrites("sites/status")).isEqualTo(expected);

    // One node not Ready: the summary follows.
    heartbeatHandled(b, report("edge-s2", false, "site-s", "north"));
    await("one node not Ready").atMost(FakeEdge.TIMEOUT)
        .until(() -> Integer.valueOf(1).equals(siteStatus("site-s").get("nodesReady")));
    assertThat(h.metric("outpost_bridge_site_nodes", "site", "site-s", "ready", "false")).isEqualTo(1);
    assertThat(siteStatus("site-s").get("conditions").toString()).contains("NodesNotReady")
        .contains("1 of 2 nodes Ready");

    // The site's Nodes are deleted (decommissioned): its Site object and series go.
    client.nodes().withName("edge-s1").delete();
    client.nodes().withName("edge-s2").delete();
    await("Site site-s deleted").atMost(FakeEdge.TIMEOUT).until(() -> client.genericKubernetesResources(
        SiteObjects.SITES).withName("site-s").get() == null);
    assertThat(h.bridge.metrics().render()).doesNotContain("site=\"site-s\"");
  }
}
