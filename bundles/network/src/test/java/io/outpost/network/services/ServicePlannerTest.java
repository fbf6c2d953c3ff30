package io.outpost.network.services;

import static io.outpost.network.services.Objects.clusterIp;
import static io.outpost.network.services.Objects.nodePort;
import static io.outpost.network.services.Objects.notReady;
import static io.outpost.network.services.Objects.port;
import static io.outpost.network.services.Objects.ready;
import static io.outpost.network.services.Objects.service;
import static io.outpost.network.services.Objects.slice;
import static io.outpost.network.services.Objects.slicePort;
import static io.outpost.network.services.Objects.terminating;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.network.services.Plan.Endpoint;
import io.outpost.network.services.Plan.PortProgram;
import io.outpost.network.site.Ipv4Range;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.store.StoredSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What is programmed and what is refused, and which endpoints each Service port gets. */
class ServicePlannerTest {
  static final List<Ipv4Range> RANGES = List.of(Ipv4Range.parse("10.244.1.0/24"), Ipv4Range.parse("10.244.2.0/24"));

  static Plan plan(List<StoredSpec<ServiceV1>> services, List<StoredSpec<EndpointSliceV1>> slices,
      Map<String, LocalPod> local, ProxySettings settings, Set<String> incumbents) {
    return ServicePlanner.plan(new ProxyInput(services, slices, local, RANGES, Set.of("192.168.1.5"), settings,
        incumbents));
  }

  static Plan plan(List<StoredSpec<ServiceV1>> services, List<StoredSpec<EndpointSliceV1>> slices) {
    return plan(services, slices, null, ProxySettings.defaults("edge-1"), Set.of());
  }

  static StoredSpec<ServiceV1> nodePortService(String name, String ip, int nodePort) {
    return service("default", name, new ServiceV1("NodePort", List.of(ip), List.of(nodePort(null, 80, null,
        nodePort)), null, null, null, null, false, null));
  }

  @Test
  void badServicesAreRefusedWithAReasonAndTheOthersAreProgrammed() {
    StoredSpec<ServiceV1> sctp = service("default", "sctp", new ServiceV1("ClusterIP", List.of("10.96.0.1"),
        List.of(new ServicePortV1(null, "SCTP", 9000, null, null)), null, null, null, null, false, null));
    Plan plan = plan(List.of(sctp,
        clusterIp("default", "loopback", "127.0.0.1", port(null, 80, null)),
        clusterIp("default", "node-address", "192.168.1.5", port(null, 22, null)),
        clusterIp("default", "in-pod-range", "10.244.2.7", port(null, 80, null)),
        nodePortService("out-of-range", "10.96.0.2", 8080),
        nodePortService("first", "10.96.0.3", 30080),
        nodePortService("second", "10.96.0.4", 30080),
        clusterIp("default", "same-ip-a", "10.96.0.5", port(null, 80, null)),
        clusterIp("default", "same-ip-b", "10.96.0.5", port(null, 80, null)),
        clusterIp("default", "fine", "10.96.0.6", port(null, 80, null))), List.of());

    assertThat(plan.refused()).containsOnlyKeys("Service/default/sctp", "Service/default/loopback",
        "Service/default/node-address", "Service/default/in-pod-range", "Service/default/out-of-range",
        "Service/default/second", "Service/default/same-ip-b");
    assertThat(plan.refused().get("Service/default/sctp").reason()).contains("protocol SCTP is not supported");
    assertThat(plan.refused().get("Service/default/loopback").reason()).contains("not a unicast address");
    assertThat(plan.refused().get("Service/default/node-address").reason()).contains("node's own addresses");
    assertThat(plan.refused().get("Service/default/in-pod-range").reason()).contains("pod range 10.244.2.0/24");
    assertThat(plan.refused().get("Service/default/out-of-range").reason())
        .contains("nodePort 8080", "outside this node's NodePort range 30000-32767");
    assertThat(plan.refused().get("Service/default/second").reason())
        .isEqualTo("nodePort 30080/TCP is already used by Service default/first");
    assertThat(plan.refused().get("Service/default/same-ip-b").reason())
        .isEqualTo("10.96.0.5:80/TCP is already used by Service default/same-ip-a");
    assertThat(plan.refused().get("Service/default/sctp").service().kind()).isEqualTo("Service");
    assertThat(plan.ports()).extracting(PortProgram::serviceKey).containsExactlyInAnyOrder(
        "Service/default/first", "Service/default/same-ip-a", "Service/default/fine");
  }

  @Test
  void aServiceProgrammedBeforeKeepsItsNodePortAgainstANewcomer() {
    Plan plan = plan(List.of(nodePortService("aaa-new", "10.96.0.3", 30080),
        nodePortService("zzz-old", "10.96.0.4", 30080)), List.of(), null, ProxySettings.defaults("edge-1"),
        Set.of("Service/default/zzz-old"));

    assertThat(plan.refused()).containsOnlyKeys("Service/default/aaa-new");
    assertThat(plan.ports()).extracting(PortProgram::serviceKey).containsExactly("Service/default/zzz-old");
  }

  @Test
  void clusterIpsOutsideTheConfiguredServiceRangesAreRefused() {
    ProxySettings settings = new ProxySettings("edge-1", 30000, 32767, List.of(Ipv4Range.parse("10.96.0.0/12")),
        java.time.Duration.ofSeconds(1));
    Plan plan = plan(List.of(clusterIp("default", "inside", "10.100.0.1", port(null, 80, null)),
        clusterIp("default", "outside", "172.16.0.1", port(null, 80, null))), List.of(), null, settings, Set.of());

    assertThat(plan.refused()).containsOnlyKeys("Service/default/outside");
    assertThat(plan.refused().get("Service/default/outside").reason()).contains("outside the cluster's Service "
        + "ranges [10.96.0.0/12]");
  }

  @Test
  void headlessAndExternalNameServicesGetNoRules() {
    Plan plan = plan(List.of(clusterIp("default", "headless", "None", port(null, 80, null)),
        service("default", "ext", new ServiceV1("ExternalName", List.of(), List.of(), null, null, null, null, false,
            "example.org"))), List.of(slice("default", "headless-1", "headless", List.of(slicePort(null, 80)),
        ready("10.244.1.5", "edge-1", "h-1"))));

    assertThat(plan.ports()).isEmpty();
    assertThat(plan.refused()).isEmpty();
  }

  @Test
  void aNamedTargetPortIsResolvedPerSliceThroughTheSlicePorts() {
    StoredSpec<ServiceV1> web = clusterIp("default", "web", "10.96.0.10", port("http", 80, "web"),
        port("metrics", 9090, "9100"));
    Plan plan = plan(List.of(web), List.of(
        slice("default", "web-1", "web", List.of(slicePort("http", 8080), slicePort("metrics", 9100)),
            ready("10.244.1.10", "edge-1", "web-a")),
        slice("default", "web-2", "web", List.of(slicePort("http", 8081)), ready("10.244.2.10", "edge-2", "web-b")),
        slice("default", "other", "not-web", List.of(slicePort("http", 1)), ready("10.244.2.99", "edge-2", "x"))));

    assertThat(plan.ports()).hasSize(2);
    PortProgram http = plan.ports().stream().filter(p -> p.port() == 80).findFirst().orElseThrow();
    PortProgram metrics = plan.ports().stream().filter(p -> p.port() == 9090).findFirst().orElseThrow();
    assertThat(http.endpoints()).containsExactly(new Endpoint("10.244.1.10", 8080, true),
        new Endpoint("10.244.2.10", 8081, false));
    assertThat(metrics.endpoints()).containsExactly(new Endpoint("10.244.1.10", 9100, true));
  }

  @Test
  void theNodesOwnViewDecidesForItsOwnPodsAndTheSlicesForItsPeers() {
    StoredSpec<ServiceV1> web = clusterIp("default", "web", "10.96.0.10", port(null, 80, "8080"));
    List<StoredSpec<EndpointSliceV1>> slices = List.of(slice("default", "web-1", "web", List.of(slicePort(null, 8080)),
        ready("10.244.1.10", "edge-1", "up-in-slice-down-here"),
        notReady("10.244.1.11", "edge-1", "down-in-slice-up-here"),
        ready("10.244.1.12", "edge-1", "moved"),
        ready("10.244.1.13", "edge-1", "unknown-here"),
        ready("10.244.2.10", "edge-2", "peer-up"),
        notReady("10.244.2.11", "edge-2", "peer-down")));
    Map<String, LocalPod> local = Map.of(
        "default/up-in-slice-down-here", new LocalPod("10.244.1.10", false),
        "default/down-in-slice-up-here", new LocalPod("10.244.1.11", true),
        "default/moved", new LocalPod("10.244.1.50", true),
        "default/peer-down", new LocalPod("10.244.2.11", true));

    Plan plan = plan(List.of(web), slices, local, ProxySettings.defaults("edge-1"), Set.of());

    assertThat(plan.ports().get(0).endpoints()).extracting(Endpoint::ip)
        .containsExactly("10.244.1.11", "10.244.1.13", "10.244.1.50", "10.244.2.10");
  }

  @Test
  void terminatingEndpointsServeOnlyWhenNoneIsReady() {
    StoredSpec<ServiceV1> web = clusterIp("default", "web", "10.96.0.10", port(null, 80, null));
    Plan onlyTerminating = plan(List.of(web), List.of(slice("default", "w", "web", List.of(slicePort(null, 80)),
        terminating("10.244.2.10", "edge-2", "a"), notReady("10.244.2.11", "edge-2", "b"))));
    Plan someReady = plan(List.of(web), List.of(slice("default", "w", "web", List.of(slicePort(null, 80)),
        terminating("10.244.2.10", "edge-2", "a"), ready("10.244.2.12", "edge-2", "c"))));

    assertThat(onlyTerminating.ports().get(0).endpoints()).extracting(Endpoint::ip).containsExactly("10.244.2.10");
    assertThat(someReady.ports().get(0).endpoints()).extracting(Endpoint::ip).containsExactly("10.244.2.12");
  }

  @Test
  void endpointsTheNodeMustNotForwardToAreLeftOut() {
    StoredSpec<ServiceV1> web = clusterIp("default", "web", "10.96.0.10", port(null, 80, null));
    Plan plan = plan(List.of(web), List.of(slice("default", "w", "web", List.of(slicePort(null, 80)),
        ready("127.0.0.1", "edge-2", "a"), ready("169.254.169.254", "edge-2", "b"), ready("224.0.0.1", "edge-2", "c"),
        ready("10.244.2.10", "edge-2", "d"))));

    assertThat(plan.ports().get(0).endpoints()).extracting(Endpoint::ip).containsExactly("10.244.2.10");
  }

  @Test
  void hostileNamesCannotReachTheRulesetText() {
    StoredSpec<ServiceV1> odd = clusterIp("default", "x\"; flush ruleset; #", "10.96.0.10", port(null, 80, null));
    String script = NftScript.render(plan(List.of(odd), List.of(slice("default", "s", "x\"; flush ruleset; #",
        List.of(slicePort(null, 80)), ready("10.244.2.10", "edge-2", "a")))), RANGES, "edge-1");

    assertThat(script).doesNotContain("flush ruleset", "\"; ");
    assertThat(script).containsPattern("chain svc-default-x___flush_ruleset___-tcp80-[0-9a-f]{8} \\{");
  }
}
