package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.SiteNetworkV1;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Site networking on the bridge: the kinds a node applies, pod ranges carved from a site's pool and recorded on the
 * Node, each node's SiteNetwork (its site's peers only), Services to every node, EndpointSlices filtered to the
 * node's site, and Events about Services.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeSiteNetworkingTest {
  static KubernetesClient client;

  private static final List<String> ALL_KINDS = Downstream.KINDS.stream().sorted().toList();
  private static final Map<String, String> SETTINGS = Map.of(
      "OUTPOST_SITE_POD_CIDRS", "site-a=10.42.0.0/16;site-tiny=10.50.0.0/24",
      "OUTPOST_NODE_CIDR_MASK_SIZE", "24");

  @TempDir Path dir;
  private BridgeHarness h;

  @BeforeEach
  void start() throws Exception {
    h = BridgeHarness.start(dir, client, SETTINGS);
  }

  @AfterEach
  void stop() throws Exception {
    client.services().inAnyNamespace().delete();
    client.discovery().v1().endpointSlices().inAnyNamespace().delete();
    h.close();
  }

  private static NodeReport report(String node, String internalIp) {
    NodeReport base = FakeEdge.nodeReport(node);
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), true, "Outpost edge ready",
        base.capacity(), List.of(new NodeReport.Address("InternalIP", internalIp),
            new NodeReport.Address("ExternalIP", "edge.example"), new NodeReport.Address("Hostname", node)),
        base.info());
  }

  /** An edge of the current release: registered by its heartbeat, labelled with its site, resynced with its kinds. */
  private FakeEdge networked(String name, String site, String internalIp) throws Exception {
    FakeEdge edge = h.edge(name);
    edge.heartbeat(report(name, internalIp));
    await("Node " + name).atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName(name).get() != null);
    label(name, site);
    edge.awaitResyncAnswer(edge.resync(List.of(), ALL_KINDS));
    return edge;
  }

  private static void label(String node, String site) {
    client.nodes().withName(node).edit(n -> new NodeBuilder(n).editMetadata()
        .addToLabels("outpost.io/site", site).endMetadata().build());
  }

  private static List<String> recordedRange(String node) {
    return await("pod range recorded on Node " + node).atMost(FakeEdge.TIMEOUT).until(() -> {
      Node n = client.nodes().withName(node).get();
      return n.getSpec() == null || n.getSpec().getPodCIDRs() == null ? List.<String>of() : n.getSpec().getPodCIDRs();
    }, r -> !r.isEmpty());
  }

  private static SiteNetworkV1 awaitSiteNetwork(FakeEdge edge, Predicate<SiteNetworkV1> match) {
    return await("SiteNetwork of " + edge.node()).atMost(FakeEdge.TIMEOUT).until(() -> edge
        .latest(Downstream.KIND_SITE_NETWORK, edge.node()).map(Downstream::siteNetwork).orElse(null),
        n -> n != null && match.test(n));
  }

  private static EndpointSliceV1 awaitSlice(FakeEdge edge, String name, Predicate<EndpointSliceV1> match) {
    return await("EndpointSlice " + name + " on " + edge.node()).atMost(FakeEdge.TIMEOUT).until(() -> edge
        .latest(Downstream.KIND_ENDPOINT_SLICE, name).map(Downstream::endpointSlice).orElse(null),
        s -> s != null && match.test(s));
  }

  private static List<String> addresses(EndpointSliceV1 slice) {
    List<String> addresses = new ArrayList<>();
    slice.endpoints().forEach(e -> addresses.addAll(e.addresses()));
    return addresses;
  }

  private static Service service() {
    return client.services().inNamespace("shop").resource(new ServiceBuilder().withNewMetadata().withName("web")
        .withNamespace("shop").endMetadata().withNewSpec().withType("NodePort").withClusterIP("10.96.0.20")
        .withClusterIPs("10.96.0.20").addNewPort().withName("http").withProtocol("TCP").withPort(80)
        .withTargetPort(new IntOrString("http")).withNodePort(30080).endPort()
        .addNewPort().withName("metrics").withProtocol("TCP").withPort(9090).withTargetPort(new IntOrString(9100))
        .endPort().withSessionAffinity("ClientIP").withNewSessionAffinityConfig().withNewClientIP()
        .withTimeoutSeconds(600).endClientIP().endSessionAffinityConfig().withExternalTrafficPolicy("Local")
        .withInternalTrafficPolicy("Cluster").withPublishNotReadyAddresses(true).endSpec().build()).create();
  }

  private static EndpointSlice slice() {
    return client.discovery().v1().endpointSlices().inNamespace("shop").resource(new EndpointSliceBuilder()
        .withNewMetadata().withName("web-x1").withNamespace("shop")
        .addToLabels("kubernetes.io/service-name", "web").endMetadata().withAddressType("IPv4")
        .addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort()
        .addNewEndpoint().withAddresses("10.42.0.5").withNodeName("site-a1").withHostname("web-1")
        .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
        .withNewTargetRef().withKind("Pod").withName("web-1").withNamespace("shop").endTargetRef().endEndpoint()
        .addNewEndpoint().withAddresses("10.42.1.5").withNodeName("site-a2")
        .withNewConditions().withReady(false).endConditions().endEndpoint()
        .addNewEndpoint().withAddresses("10.88.0.7").withNodeName("site-b1").endEndpoint()
        .addNewEndpoint().withAddresses("10.244.0.9").withNodeName("cloud-1").endEndpoint()
        .build()).create();
  }

  @Test
  void peersAreTheNodesOfTheSameSiteOnlySlicesAreFilteredToTheSiteAndASiteChangeMovesTheNode() throws Exception {
    FakeEdge a1 = networked("site-a1", "site-a", "192.0.2.11");
    FakeEdge a2 = networked("site-a2", "site-a", "192.0.2.12");
    FakeEdge b1 = networked("site-b1", "site-b", "192.0.2.21");
    List<String> rangeA1 = recordedRange("site-a1");
    List<String> rangeA2 = recordedRange("site-a2");
    assertThat(rangeA1).hasSize(1).allMatch(r -> r.startsWith("10.42.") && r.endsWith(".0/24"));
    assertThat(rangeA2).hasSize(1).allMatch(r -> r.startsWith("10.42.") && r.endsWith(".0/24"))
        .doesNotContainAnyElementsOf(rangeA1);
    assertThat(client.nodes().withName("site-a1").get().getSpec().getPodCIDR()).isEqualTo(rangeA1.get(0));

    SiteNetworkV1 ofA1 = awaitSiteNetwork(a1, n -> n.peers().size() == 1 && !n.peers().get(0).podCIDRs().isEmpty());
    assertThat(ofA1.site()).isEqualTo("site-a");
    assertThat(ofA1.podCIDRs()).isEqualTo(rangeA1);
    assertThat(ofA1.source()).contains("spec.podCIDRs").contains("site-a");
    assertThat(ofA1.peers().get(0).node()).isEqualTo("site-a2");
    assertThat(ofA1.peers().get(0).addresses()).as("IP literals only, InternalIP first").containsExactly("192.0.2.12");
    assertThat(ofA1.peers().get(0).podCIDRs()).isEqualTo(rangeA2);
    SiteNetworkV1 ofB1 = awaitSiteNetwork(b1, n -> "site-b".equals(n.site()));
    assertThat(ofB1.peers()).as("nodes of other sites are never included").isEmpty();
    assertThat(ofB1.podCIDRs()).as("a site without a pool: the default, shared by every node, is no range of its own")
        .isEmpty();
    assertThat(ofB1.source()).isEqualTo("OUTPOST_POD_CIDRS");

    Service web = service();
    slice();
    ServiceV1 sent = b1.awaitMessage("Service web", m -> m.service() != null).service();
    assertThat(sent.type()).isEqualTo("NodePort");
    assertThat(sent.clusterIPs()).containsExactly("10.96.0.20");
    assertThat(sent.ports()).containsExactly(new ServiceV1.ServicePortV1("http", "TCP", 80, "http", 30080),
        new ServiceV1.ServicePortV1("metrics", "TCP", 9090, "9100", null));
    assertThat(sent.sessionAffinity()).isEqualTo("ClientIP");
    assertThat(sent.sessionAffinityTimeoutSeconds()).isEqualTo(600);
    assertThat(sent.externalTrafficPolicy()).isEqualTo("Local");
    assertThat(sent.internalTrafficPolicy()).isEqualTo("Cluster");
    assertThat(sent.publishNotReadyAddresses()).isTrue();
    a1.awaitMessage("Service web on a1", m -> m.service() != null);

    EndpointSliceV1 onA1 = awaitSlice(a1, "web-x1", s -> true);
    assertThat(addresses(onA1)).as("the endpoints of site-a only").containsExactly("10.42.0.5", "10.42.1.5");
    assertThat(onA1.service()).isEqualTo("web");
    assertThat(onA1.ports()).containsExactly(new EndpointSliceV1.EndpointPortV1("http", "TCP", 8080));
    assertThat(onA1.endpoints().get(0)).isEqualTo(new EndpointSliceV1.EndpointV1(List.of("10.42.0.5"), true, true,
        false, "site-a1", "web-1", "web-1"));
    assertThat(onA1.endpoints().get(1).isReady()).isFalse();
    assertThat(addresses(awaitSlice(b1, "web-x1", s -> true))).containsExactly("10.88.0.7");

    // A full resync carries the new kinds; the digest of what the node then holds matches.
    String full = a1.resync(List.of(), ALL_KINDS);
    List<String> kinds = a1.awaitResyncAnswer(full).stream().filter(m -> m.ref() != null)
        .map(m -> m.ref().kind()).toList();
    assertThat(kinds).contains(Downstream.KIND_NODE, Downstream.KIND_SITE_NETWORK, Downstream.KIND_SERVICE,
        Downstream.KIND_ENDPOINT_SLICE);
    assertThat(kinds.indexOf(Downstream.KIND_SITE_NETWORK)).as("before the Services").isLessThan(
        kinds.indexOf(Downstream.KIND_SERVICE));
    long mismatches = h.metric("outpost_bridge_digest_mismatches_total");
    List<Downstream> compact = a1.awaitResyncAnswer(a1.resyncCompact(a1.held(), ALL_KINDS));
    assertThat(compact).extracting(Downstream::op).containsExactly(Downstream.Op.SYNC_BEGIN, Downstream.Op.SYNC_END);
    assertThat(h.metric("outpost_bridge_digest_mismatches_total")).isEqualTo(mismatches);

    // site-a2 moves to site-b: it leaves a1's peers and slices and joins b1's; its recorded range stays its own.
    label("site-a2", "site-b");
    awaitSiteNetwork(a1, n -> n.peers().isEmpty());
    SiteNetworkV1 moved = awaitSiteNetwork(b1, n -> n.peers().size() == 1);
    assertThat(moved.peers().get(0).node()).isEqualTo("site-a2");
    assertThat(moved.peers().get(0).podCIDRs()).isEqualTo(rangeA2);
    assertThat(awaitSiteNetwork(a2, n -> "site-b".equals(n.site())).peers()).extracting(SiteNetworkV1.PeerV1::node)
        .containsExactly("site-b1");
    assertThat(addresses(awaitSlice(a1, "web-x1", s -> s.endpoints().size() == 1))).containsExactly("10.42.0.5");
    assertThat(addresses(awaitSlice(b1, "web-x1", s -> s.endpoints().size() == 2)))
        .containsExactlyInAnyOrder("10.42.1.5", "10.88.0.7");

    // Deleted: every node is told.
    client.services().inNamespace("shop").withName("web").delete();
    b1.awaitMessage("DELETE of Service web", m -> m.op() == Downstream.Op.DELETE
        && Downstream.KIND_SERVICE.equals(m.ref().kind()) && web.getMetadata().getUid().equals(m.ref().uid()));
    assertThat(h.metric("outpost_bridge_unsendable_total")).isZero();
  }

  @Test
  void aNodeThatNamesNoKindsIsSentNoneOfTheNewKindsAndItsDigestMatches() throws Exception {
    service();
    slice();
    FakeEdge legacy = h.registeredEdge("legacy-1"); // its resync names no kinds
    label("legacy-1", "site-a");
    recordedRange("legacy-1");
    h.createPod("shop", "web-1", "legacy-1");
    legacy.awaitUpsert("web-1");
    client.services().inNamespace("shop").withName("web").edit(s -> new ServiceBuilder(s).editMetadata()
        .addToLabels("tier", "front").endMetadata().build());
    FakeEdge networked = networked("current-1", "site-a", "192.0.2.31");
    networked.awaitMessage("Service web, relabelled", m -> m.service() != null && m.ref().resourceVersion().equals(
        client.services().inNamespace("shop").withName("web").get().getMetadata().getResourceVersion()));

    // What it holds (once any Node update in flight has reached it) is what the bridge expects of it: no mismatch.
    await("legacy digest matches").atMost(FakeEdge.TIMEOUT).untilAsserted(() -> assertThat(legacy
        .awaitResyncAnswer(legacy.resyncCompact(legacy.held()))).extracting(Downstream::op)
        .containsExactly(Downstream.Op.SYNC_BEGIN, Downstream.Op.SYNC_END));
    List<Downstream> full = legacy.awaitResyncAnswer(legacy.resync(List.of()));
    assertThat(full).extracting(m -> m.ref() == null ? "marker" : m.ref().kind())
        .contains(Downstream.KIND_NODE, Downstream.KIND_POD);
    assertThat(legacy.messages()).as("never a kind the node does not apply")
        .noneMatch(m -> m.ref() != null && !Downstream.BASE_KINDS.contains(m.ref().kind()));
  }

  @Test
  void anExhaustedPoolIsReportedOnTheNodeAndAFreedBlockIsAllocatedLater() throws Exception {
    networked("tiny-1", "site-tiny", "192.0.2.41");
    assertThat(recordedRange("tiny-1")).containsExactly("10.50.0.0/24");
    FakeEdge second = networked("tiny-2", "site-tiny", "192.0.2.42");

    Event event = await("Event on Node tiny-2").atMost(FakeEdge.TIMEOUT).until(() -> client.v1().events()
        .inAnyNamespace().list().getItems().stream().filter(e -> "Node".equals(e.getInvolvedObject().getKind())
            && "tiny-2".equals(e.getInvolvedObject().getName())).findFirst().orElse(null), e -> e != null);
    assertThat(event.getType()).isEqualTo("Warning");
    assertThat(event.getReason()).isEqualTo("CIDRNotAvailable");
    assertThat(event.getMessage()).contains("10.50.0.0/24").contains("no free /24");
    assertThat(h.metric("outpost_bridge_pod_cidr_allocations_total", "outcome", "exhausted")).isEqualTo(1);
    SiteNetworkV1 fallback = awaitSiteNetwork(second, n -> true);
    assertThat(fallback.podCIDRs()).as("the shared default is never sent as a node's range").isEmpty();
    assertThat(fallback.source()).contains("OUTPOST_POD_CIDRS").contains("exhausted");
    assertThat(h.bridge.metrics().render()).contains("outpost_bridge_pod_cidr_unallocated_nodes 1");

    client.nodes().withName("tiny-1").delete();
    assertThat(recordedRange("tiny-2")).as("the freed block").containsExactly("10.50.0.0/24");
    assertThat(awaitSiteNetwork(second, n -> n.podCIDRs().contains("10.50.0.0/24")).peers()).isEmpty();
  }

  @Test
  void aRecordedRangeIsStableAcrossBridgeRestartsAndTheNextNodeGetsTheNextBlock() throws Exception {
    FakeEdge first = networked("keep-1", "site-a", "192.0.2.51");
    List<String> range = recordedRange("keep-1");
    h.bridge.close();

    Map<String, String> env = new HashMap<>(SETTINGS);
    env.putAll(Map.of("OUTPOST_BROKER_URL", h.broker.url(), "OUTPOST_HTTP_PORT", "0",
        "OUTPOST_INSECURE_PLAINTEXT", "true", "OUTPOST_POD_CIDRS", "10.88.0.0/16"));
    try (Bridge restarted = new Bridge(BridgeConfig.from(env), h.rbac.client(client))) {
      restarted.start();
      await("restarted bridge ready").atMost(FakeEdge.TIMEOUT).until(restarted::isReady);
      FakeEdge next = h.edge("keep-2");
      next.heartbeat(report("keep-2", "192.0.2.52"));
      await("Node keep-2").atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName("keep-2").get() != null);
      label("keep-2", "site-a");
      List<String> nextRange = recordedRange("keep-2");
      assertThat(nextRange).doesNotContainAnyElementsOf(range);
      assertThat(client.nodes().withName("keep-1").get().getSpec().getPodCIDRs()).isEqualTo(range);

      first.awaitResyncAnswer(first.resync(List.of(), ALL_KINDS));
      SiteNetworkV1 network = awaitSiteNetwork(first, n -> n.peers().size() == 1
          && n.peers().get(0).podCIDRs().equals(nextRange));
      assertThat(network.podCIDRs()).isEqualTo(range);
      assertThat(restarted.metrics().get("outpost_bridge_pod_cidr_allocations_total", "outcome", "allocated"))
          .as("only the new node's").isEqualTo(1);
    }
  }

  @Test
  void eventsAboutAServiceAreWrittenOnTheServiceAndAnUnknownServiceIsRefused() throws Exception {
    Service web = service();
    FakeEdge edge = networked("svc-ev-1", "site-b", "192.0.2.61");
    edge.awaitMessage("Service web", m -> m.service() != null);
    ObjectRef ref = new ObjectRef(Downstream.KIND_SERVICE, "shop", "web", web.getMetadata().getUid(),
        web.getMetadata().getResourceVersion());
    String now = Instant.now().toString();
    edge.publish(io.outpost.protocol.Topics.Up.EVENT, new Codec().encode(new EventReport(Codec.VERSION, "svc-ev-1",
        "00000000000000a1", ref, EventReport.WARNING, "NodePortConflict", "NodePort 30080 is taken", 1, now, now)));
    Event written = await("Event on Service web").atMost(FakeEdge.TIMEOUT).until(() -> client.v1().events()
        .inNamespace("shop").withName("web.00000000000000a1").get(), e -> e != null);
    assertThat(written.getInvolvedObject().getKind()).isEqualTo("Service");
    assertThat(written.getInvolvedObject().getName()).isEqualTo("web");
    assertThat(written.getInvolvedObject().getUid()).isEqualTo(web.getMetadata().getUid());
    assertThat(written.getSource().getHost()).isEqualTo("svc-ev-1");
    assertThat(written.getReason()).isEqualTo("NodePortConflict");

    ObjectRef unknown = new ObjectRef(Downstream.KIND_SERVICE, "shop", "web", "not-its-uid", "1");
    edge.publish(io.outpost.protocol.Topics.Up.EVENT, new Codec().encode(new EventReport(Codec.VERSION, "svc-ev-1",
        "00000000000000a2", unknown, EventReport.WARNING, "NodePortConflict", "taken", 1, now, now)));
    await("unknown Service refused").atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("unknown_service") == 1);
    assertThat(client.v1().events().inNamespace("shop").withName("web.00000000000000a2").get()).isNull();
  }
}
