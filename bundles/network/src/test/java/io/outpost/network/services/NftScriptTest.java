package io.outpost.network.services;

import static io.outpost.network.services.Objects.clusterIp;
import static io.outpost.network.services.Objects.port;
import static io.outpost.network.services.Objects.ready;
import static io.outpost.network.services.Objects.service;
import static io.outpost.network.services.Objects.slice;
import static io.outpost.network.services.Objects.slicePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.network.site.Ipv4Range;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.store.StoredSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The exact nftables text of representative Service sets (golden files under src/test/resources/nft). */
class NftScriptTest {
  static final List<Ipv4Range> RANGES = List.of(Ipv4Range.parse("10.244.1.0/24"), Ipv4Range.parse("10.244.2.0/24"));

  static String render(List<StoredSpec<ServiceV1>> services, List<StoredSpec<EndpointSliceV1>> slices,
      Map<String, LocalPod> local) {
    Plan plan = ServicePlanner.plan(new ProxyInput(services, slices, local, RANGES, Set.of("192.168.1.5"),
        ProxySettings.defaults("edge-1"), Set.of()));
    return NftScript.render(plan, RANGES, "edge-1");
  }

  static String golden(String name) throws IOException {
    try (InputStream in = NftScriptTest.class.getResourceAsStream("/nft/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A ClusterIP Service over a local and a peer's endpoint: random balancing, hairpin, masquerade off-site. */
  static String clusterIpTwoEndpoints() {
    return render(List.of(clusterIp("default", "web", "10.96.0.10", port("http", 80, "8080"))),
        List.of(slice("default", "web-abc", "web", List.of(slicePort("http", 8080)),
            ready("10.244.2.10", "edge-2", "web-2"), ready("10.244.1.10", "edge-1", "web-1"))), Map.of());
  }

  /**
   * A NodePort Service with externalTrafficPolicy Local and ClientIP affinity; a Service without endpoints (reject);
   * an internalTrafficPolicy Local Service whose endpoints are all on a peer (drop).
   */
  static String nodePortLocalAffinityRejectDrop() {
    StoredSpec<ServiceV1> game = service("games", "front", new ServiceV1("NodePort", List.of("10.96.0.20"),
        List.of(new ServiceV1.ServicePortV1("game", "UDP", 7777, "7777", 30777)), "ClientIP", 600, "Local", null,
        false, null));
    StoredSpec<ServiceV1> empty = clusterIp("default", "empty", "10.96.0.30", port(null, 80, null));
    StoredSpec<ServiceV1> localOnly = service("default", "local-only", new ServiceV1("ClusterIP",
        List.of("10.96.0.40"), List.of(port(null, 80, null)), null, null, null, "Local", false, null));
    return render(List.of(game, empty, localOnly), List.of(
        slice("games", "front-1", "front", List.of(new EndpointSliceV1.EndpointPortV1("game", "UDP", 7777)),
            ready("10.244.1.20", "edge-1", "front-a"), ready("10.244.2.20", "edge-2", "front-b")),
        slice("default", "empty-1", "empty", List.of(slicePort(null, 80))),
        slice("default", "local-only-1", "local-only", List.of(slicePort(null, 80)),
            ready("10.244.2.40", "edge-2", "lo-1"))), Map.of());
  }

  @Test
  void clusterIpServiceBalancesOverItsEndpoints() throws IOException {
    assertThat(clusterIpTwoEndpoints()).isEqualTo(golden("clusterip-two-endpoints.nft"));
  }

  @Test
  void nodePortLocalPolicyAffinityAndServicesWithoutUsableEndpoints() throws IOException {
    assertThat(nodePortLocalAffinityRejectDrop()).isEqualTo(golden("nodeport-local-affinity-reject-drop.nft"));
  }

  @Test
  void noServicesStillReplacesTheWholeTable() throws IOException {
    assertThat(render(List.of(), List.of(), Map.of())).isEqualTo(golden("empty.nft"));
  }
}
