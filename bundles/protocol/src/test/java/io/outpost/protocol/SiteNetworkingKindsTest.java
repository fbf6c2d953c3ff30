package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.EndpointSliceV1.EndpointPortV1;
import io.outpost.protocol.EndpointSliceV1.EndpointV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.protocol.SiteNetworkV1.PeerV1;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The site-networking kinds on the wire: round trips, and the structural refusals of each. */
class SiteNetworkingKindsTest {
  private final Codec codec = new Codec();

  static ServiceV1 service(List<String> clusterIPs, List<ServicePortV1> ports) {
    return new ServiceV1("NodePort", clusterIPs, ports, "ClientIP", 60, "Local", null, false, null);
  }

  static EndpointSliceV1 slice(String address) {
    return new EndpointSliceV1("web", "IPv4", List.of(new EndpointPortV1("http", "TCP", 8080)),
        List.of(new EndpointV1(List.of(address), true, true, false, "edge-1", null, "web-0")));
  }

  private Downstream service(ServiceV1 service) {
    ObjectRef ref = new ObjectRef(Downstream.KIND_SERVICE, "shop", "web", "svc-uid", "1");
    return Downstream.upsertService(1, 1, ref, service);
  }

  private Downstream slice(EndpointSliceV1 slice) {
    return Downstream.upsertEndpointSlice(1, 1, new ObjectRef(Downstream.KIND_ENDPOINT_SLICE, "shop", "web-abc",
        "slice-uid", "1"), slice);
  }

  private Downstream network(SiteNetworkV1 network) {
    return Downstream.upsertSiteNetwork(1, 1, new ObjectRef(Downstream.KIND_SITE_NETWORK, null, "edge-1", "n", "1"),
        network);
  }

  @Test
  void eachKindRoundTrips() throws Exception {
    List<Downstream> messages = List.of(
        service(service(List.of("10.96.0.20"), List.of(new ServicePortV1("http", "TCP", 80, "http", 30080),
            new ServicePortV1("dns", "UDP", 53, "5353", null)))),
        slice(slice("10.42.1.7")),
        network(new SiteNetworkV1("berlin-1", List.of("10.42.1.0/24"), "site pool",
            List.of(new PeerV1("edge-2", List.of("192.168.50.12"), List.of("10.42.2.0/24"))))));
    for (Downstream message : messages) {
      message.validate();
      assertThat(codec.decode(codec.encode(message), Downstream.class)).isEqualTo(message);
    }
    ServiceV1 headless = new ServiceV1(null, List.of("None"), List.of(), null, null, null, null, true, null);
    service(headless).validate();
    assertThat(headless.headless()).isTrue();
    assertThat(headless.typeOrDefault()).isEqualTo("ClusterIP");
  }

  @Test
  void malformedServicesAreRefusedWithTheField() {
    assertInvalid(service(service(List.of("10.96.0.300"), List.of())), "service.clusterIPs[]");
    assertInvalid(service(service(List.of("kubernetes.default"), List.of())), "not an IP address");
    assertInvalid(service(service(List.of("None", "10.96.0.1"), List.of())), "None stands alone");
    assertInvalid(service(service(List.of(), List.of(new ServicePortV1("a", "ICMP", 80, null, null)))),
        "service.ports[].protocol");
    assertInvalid(service(service(List.of(), List.of(new ServicePortV1("a", "TCP", 70_000, null, null)))),
        "service.ports[].port");
    assertInvalid(service(service(List.of(), List.of(new ServicePortV1("a", "TCP", 80, "99999999", null)))),
        "targetPort");
    assertInvalid(service(service(List.of(), List.of(new ServicePortV1("a", "TCP", 80, null, null),
        new ServicePortV1("a", "TCP", 81, null, null)))), "unique");
    assertInvalid(service(new ServiceV1("Magic", List.of(), List.of(), null, null, null, null, false, null)),
        "service.type");
    assertInvalid(service(new ServiceV1(null, List.of(), List.of(), "Sticky", null, null, null, false, null)),
        "sessionAffinity");
    assertInvalid(service(new ServiceV1(null, List.of(), List.of(), "ClientIP", 0, null, null, false, null)),
        "1..86400");
    assertInvalid(service(new ServiceV1(null, List.of(), Collections.nCopies(ServiceV1.MAX_PORTS + 1,
        new ServicePortV1("a", "TCP", 80, null, null)), null, null, null, null, false, null)), "at most 256");
  }

  @Test
  void malformedSlicesAndNetworksAreRefused() {
    assertInvalid(slice(slice("fd00::1")), "is not an IPv4 address");
    assertInvalid(slice(new EndpointSliceV1("web", "IPv4", List.of(), List.of(new EndpointV1(List.of(), true, true,
        false, null, null, null)))), "addresses is empty");
    assertInvalid(slice(new EndpointSliceV1(null, "IPv4", List.of(), List.of())), "endpointSlice.service");
    assertInvalid(slice(new EndpointSliceV1("web", "AppleTalk", List.of(), List.of())), "addressType");
    assertInvalid(network(new SiteNetworkV1("s", List.of("10.42.1.0/33"), null, List.of())), "not a CIDR");
    assertInvalid(network(new SiteNetworkV1("s", List.of("10.42.1.0/24"), null,
        List.of(new PeerV1("edge-2", List.of("edge-2.local"), List.of())))), "not an IP address");
    assertInvalid(network(new SiteNetworkV1("s", List.of(), null, List.of(new PeerV1(null, List.of(), List.of())))),
        "siteNetwork.peers[].node");
    assertInvalid(Downstream.upsertSiteNetwork(1, 1, new ObjectRef(Downstream.KIND_SITE_NETWORK, "ns", "edge-1", "n",
        "1"), new SiteNetworkV1(null, List.of(), null, List.of())), "cluster-scoped");
  }

  @Test
  void literalsAreCheckedWithoutResolvingNames() {
    assertThat(IpLiterals.isIpv4("10.0.0.1")).isTrue();
    assertThat(IpLiterals.isIpv4("010.0.0.1")).isFalse();
    assertThat(IpLiterals.isIpv6("fd00:42::1")).isTrue();
    assertThat(IpLiterals.isIpv6("::ffff:10.0.0.1")).isTrue();
    assertThat(IpLiterals.isIp("localhost")).isFalse();
    assertThat(IpLiterals.isCidr("fd00:42:1::/64")).isTrue();
    assertThat(IpLiterals.isCidr("10.0.0.0/08")).isFalse();
    assertThat(IpLiterals.isCidr("10.0.0.0")).isFalse();
  }

  @Test
  void aRequestWithoutKindsAcceptsTheBaseKindsOnly() {
    ResyncRequest legacy = new ResyncRequest(Codec.VERSION, "edge-1", "c", 1, 1, "connect", null, "0".repeat(64), 0);
    assertThat(legacy.acceptedKinds()).isEqualTo(Downstream.BASE_KINDS).doesNotContain(Downstream.KIND_SERVICE);
    ResyncRequest current = new ResyncRequest(Codec.VERSION, "edge-1", "c", 1, 1, "connect", null, "0".repeat(64), 0,
        null, null, List.of("Pod", "Service", "SomethingNewer"));
    assertThat(current.acceptedKinds()).contains("Service", "SomethingNewer");
  }

  private static Downstream pod(String dnsPolicy, DnsConfigV1 dnsConfig) {
    PodV1 pod = new PodV1("edge-1", "Always", 30L, null, null,
        List.of(new PodV1.ContainerV1("app", "reg.example.com/app", null, null, null, null, null)), null, null, null,
        null, null, null, null, null, null, null, null, null, null, null, dnsPolicy, dnsConfig, false);
    return Downstream.upsertPod(1, 1, new ObjectRef(Downstream.KIND_POD, "shop", "web-0", "uid", "1"), pod);
  }

  @Test
  void dnsSettingsOfPodsRoundTripAndAreChecked() throws Exception {
    Downstream custom = pod("None", new DnsConfigV1(List.of("192.0.2.53"), List.of("corp.example"),
        List.of(new DnsConfigV1.OptionV1("ndots", "2"), new DnsConfigV1.OptionV1("edns0", null))));
    custom.validate();
    Downstream decoded = codec.decode(codec.encode(custom), Downstream.class);
    assertThat(decoded).isEqualTo(custom);
    assertThat(decoded.pod().serviceLinks()).isFalse();
    assertThat(pod(null, null).pod().dnsPolicyOrDefault()).isEqualTo("ClusterFirst");
    assertInvalid(pod("None", null), "dnsConfig is required");
    assertInvalid(pod("Anything", null), "pod.dnsPolicy");
    assertInvalid(pod("Default", new DnsConfigV1(List.of("1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"), null, null)),
        "at most 3");
    assertInvalid(pod("Default", new DnsConfigV1(List.of("dns.example"), null, null)), "not an IP address");
    assertInvalid(pod("Default", new DnsConfigV1(null, List.of("evil\nnameserver 6.6.6.6"), null)),
        "is not a DNS domain");
    assertInvalid(pod("Default", new DnsConfigV1(null, null, List.of(new DnsConfigV1.OptionV1("ndots\n", "1")))),
        "not a resolver option");
  }

  private static void assertInvalid(Downstream message, String reason) {
    assertThatThrownBy(message::validate).isInstanceOf(ProtocolException.class).hasMessageContaining(reason);
  }
}
