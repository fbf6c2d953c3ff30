package io.outpost.network.dns;

import static io.outpost.network.dns.DnsFixture.clusterIp;
import static io.outpost.network.dns.DnsFixture.endpoint;
import static io.outpost.network.dns.DnsFixture.externalName;
import static io.outpost.network.dns.DnsFixture.headless;
import static io.outpost.network.dns.DnsFixture.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.EndpointSliceV1.EndpointPortV1;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Every record type of the cluster domain, answered from a real store over real UDP and TCP sockets. */
class ClusterRecordsTest {
  @TempDir
  Path dir;
  private DnsFixture fixture;
  private TestUpstream upstream;
  private InetSocketAddress server;

  @BeforeEach
  void start() throws Exception {
    upstream = new TestUpstream("127.0.0.31");
    upstream.add(new ARecord(Name.fromConstantString("db.example.org."), DClass.IN, 300,
        InetAddress.getByName("192.0.2.7")));
    fixture = new DnsFixture(dir.resolve("store"));
    fixture.service("shop", "web", clusterIp(List.of("10.96.0.10"), port("http", "TCP", 80),
        port("dns", "UDP", 53)));
    fixture.service("shop", "dual", clusterIp(List.of("10.96.0.11", "fd00::11"), port(null, "TCP", 80)));
    fixture.service("shop", "db", headless(false, port("pg", "TCP", 5432)));
    fixture.slice("shop", "db-abc", new EndpointSliceV1("db", "IPv4", List.of(new EndpointPortV1("pg", "TCP", 5432)),
        List.of(endpoint("10.42.1.5", true, "db-0"), endpoint("10.42.2.6", true, null),
            endpoint("10.42.1.9", false, "db-2"))));
    fixture.service("shop", "legacy", externalName("db.example.org"));
    fixture.service("shop", "alias", externalName("web.shop.svc.cluster.local"));
    fixture.start(TestConfig.listening("127.0.0.30:0", upstream.hostPort()));
    server = fixture.address();
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
    upstream.close();
  }

  @Test
  void aClusterIpServiceHasItsAddressWithTheConfiguredTtlAuthoritatively() throws Exception {
    Message answer = DnsClient.udp(server, "web.shop.svc.cluster.local.", Type.A);
    assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(answer.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(answer.getSection(Section.ANSWER)).singleElement().satisfies(record -> {
      assertThat(((ARecord) record).getAddress().getHostAddress()).isEqualTo("10.96.0.10");
      assertThat(record.getTTL()).isEqualTo(5);
    });
    assertThat(addresses(DnsClient.tcp(server, "WEB.shop.svc.Cluster.Local.", Type.A))).containsExactly("10.96.0.10");
  }

  @Test
  void aDualStackServiceHasAAndAaaa() throws Exception {
    assertThat(addresses(DnsClient.udp(server, "dual.shop.svc.cluster.local.", Type.A))).containsExactly("10.96.0.11");
    Message v6 = DnsClient.udp(server, "dual.shop.svc.cluster.local.", Type.AAAA);
    assertThat(v6.getSection(Section.ANSWER)).singleElement()
        .satisfies(r -> assertThat(((AAAARecord) r).getAddress()).isEqualTo(InetAddress.getByName("fd00::11")));
  }

  @Test
  void namedPortsHaveSrvRecordsWithTheirTargetsAddresses() throws Exception {
    Message answer = DnsClient.udp(server, "_http._tcp.web.shop.svc.cluster.local.", Type.SRV);
    assertThat(answer.getSection(Section.ANSWER)).singleElement().satisfies(record -> {
      SRVRecord srv = (SRVRecord) record;
      assertThat(srv.getPort()).isEqualTo(80);
      assertThat(srv.getTarget()).isEqualTo(Name.fromConstantString("web.shop.svc.cluster.local."));
    });
    assertThat(answer.getSection(Section.ADDITIONAL)).filteredOn(r -> r.getType() == Type.A)
        .singleElement().satisfies(r -> assertThat(((ARecord) r).getAddress().getHostAddress())
            .isEqualTo("10.96.0.10"));
    Message udpPort = DnsClient.udp(server, "_dns._udp.web.shop.svc.cluster.local.", Type.SRV);
    assertThat(udpPort.getSection(Section.ANSWER)).singleElement()
        .satisfies(r -> assertThat(((SRVRecord) r).getPort()).isEqualTo(53));
    // an unnamed port has no SRV record; the protocol must match
    assertThat(DnsClient.udp(server, "_http._udp.web.shop.svc.cluster.local.", Type.SRV).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void aHeadlessServiceAnswersWithItsReadyEndpointsAndTheirHostnames() throws Exception {
    assertThat(addresses(DnsClient.udp(server, "db.shop.svc.cluster.local.", Type.A)))
        .containsExactlyInAnyOrder("10.42.1.5", "10.42.2.6");
    assertThat(addresses(DnsClient.udp(server, "db-0.db.shop.svc.cluster.local.", Type.A)))
        .containsExactly("10.42.1.5");
    // an endpoint without a hostname is named after its address, as CoreDNS does
    assertThat(addresses(DnsClient.udp(server, "10-42-2-6.db.shop.svc.cluster.local.", Type.A)))
        .containsExactly("10.42.2.6");
    // a not-ready endpoint is not published
    assertThat(DnsClient.udp(server, "db-2.db.shop.svc.cluster.local.", Type.A).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
    Message srv = DnsClient.udp(server, "_pg._tcp.db.shop.svc.cluster.local.", Type.SRV);
    assertThat(srv.getSection(Section.ANSWER)).hasSize(2).allSatisfy(r -> assertThat(((SRVRecord) r).getPort())
        .isEqualTo(5432));
    assertThat(srv.getSection(Section.ANSWER).stream().map(r -> ((SRVRecord) r).getTarget().toString()))
        .containsExactlyInAnyOrder("db-0.db.shop.svc.cluster.local.", "10-42-2-6.db.shop.svc.cluster.local.");
    assertThat(addresses(srv, Section.ADDITIONAL)).containsExactlyInAnyOrder("10.42.1.5", "10.42.2.6");
  }

  @Test
  void publishNotReadyAddressesPublishesEveryEndpoint() throws Exception {
    fixture.service("shop", "db", headless(true, port("pg", "TCP", 5432)));
    await().untilAsserted(() -> assertThat(addresses(DnsClient.udp(server, "db.shop.svc.cluster.local.", Type.A)))
        .containsExactlyInAnyOrder("10.42.1.5", "10.42.2.6", "10.42.1.9"));
    assertThat(addresses(DnsClient.udp(server, "db-2.db.shop.svc.cluster.local.", Type.A)))
        .containsExactly("10.42.1.9");
  }

  @Test
  void anExternalNameIsACnameResolvedThroughTheUpstreamOrTheCluster() throws Exception {
    Message cname = DnsClient.udp(server, "legacy.shop.svc.cluster.local.", Type.CNAME);
    assertThat(cname.getSection(Section.ANSWER)).singleElement()
        .satisfies(r -> assertThat(((CNAMERecord) r).getTarget().toString()).isEqualTo("db.example.org."));
    Message a = DnsClient.udp(server, "legacy.shop.svc.cluster.local.", Type.A);
    assertThat(a.getSection(Section.ANSWER)).extracting(Record::getType).containsExactly(Type.CNAME, Type.A);
    assertThat(addresses(a)).containsExactly("192.0.2.7");
    Message inCluster = DnsClient.udp(server, "alias.shop.svc.cluster.local.", Type.A);
    assertThat(inCluster.getSection(Section.ANSWER)).extracting(Record::getType).containsExactly(Type.CNAME, Type.A);
    assertThat(addresses(inCluster)).containsExactly("10.96.0.10");
    assertThat(upstream.asked).extracting(r -> r.getName().toString()).containsExactly("db.example.org.");
  }

  @Test
  void podNamesAnswerWithTheAddressTheyCarry() throws Exception {
    assertThat(addresses(DnsClient.udp(server, "10-42-1-5.shop.pod.cluster.local.", Type.A)))
        .containsExactly("10.42.1.5");
    Message v6 = DnsClient.udp(server, "fd00--42.any.pod.cluster.local.", Type.AAAA);
    assertThat(v6.getSection(Section.ANSWER)).singleElement()
        .satisfies(r -> assertThat(((AAAARecord) r).getAddress()).isEqualTo(InetAddress.getByName("fd00::42")));
    assertThat(DnsClient.udp(server, "10-42-1-5.shop.pod.cluster.local.", Type.AAAA).getRcode())
        .isEqualTo(Rcode.NOERROR);
    assertThat(DnsClient.udp(server, "10-42-1-500.shop.pod.cluster.local.", Type.A).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void missingNamesAreNxdomainAndMissingTypesNodataBothWithTheZonesSoa() throws Exception {
    Message nx = DnsClient.udp(server, "nope.shop.svc.cluster.local.", Type.A);
    assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(nx.getSection(Section.AUTHORITY)).singleElement().satisfies(r -> {
      assertThat(r.getName().toString()).isEqualTo("cluster.local.");
      assertThat(((SOARecord) r).getMinimum()).isEqualTo(5);
    });
    // the search path's usual miss: an external name with the pod's namespace appended
    assertThat(DnsClient.udp(server, "example.com.shop.svc.cluster.local.", Type.A).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
    Message nodata = DnsClient.udp(server, "web.shop.svc.cluster.local.", Type.AAAA);
    assertThat(nodata.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(nodata.getSection(Section.ANSWER)).isEmpty();
    assertThat(nodata.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
    // a namespace with Services exists; one without does not
    assertThat(DnsClient.udp(server, "shop.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(DnsClient.udp(server, "other.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(DnsClient.udp(server, "cluster.local.", Type.SOA).getSection(Section.ANSWER)).singleElement()
        .isInstanceOf(SOARecord.class);
    assertThat(upstream.udpQueries.get()).as("cluster names never go upstream").isZero();
    assertThat(fixture.dns.dnsMetrics().count(DnsMetrics.Outcome.NXDOMAIN)).isGreaterThanOrEqualTo(3);
    assertThat(fixture.dns.dnsMetrics().count(DnsMetrics.Outcome.NODATA)).isGreaterThanOrEqualTo(2);
  }

  @Test
  void answersFollowTheStore() throws Exception {
    fixture.service("shop", "late", clusterIp(List.of("10.96.0.99")));
    await().untilAsserted(() -> assertThat(addresses(DnsClient.udp(server, "late.shop.svc.cluster.local.", Type.A)))
        .containsExactly("10.96.0.99"));
    fixture.slice("shop", "db-abc", new EndpointSliceV1("db", "IPv4", List.of(), List.of(
        endpoint("10.42.3.3", true, null))));
    await().untilAsserted(() -> assertThat(addresses(DnsClient.udp(server, "db.shop.svc.cluster.local.", Type.A)))
        .containsExactly("10.42.3.3"));
    fixture.remove("Service", "shop", "late");
    await().until(() -> DnsClient.udp(server, "late.shop.svc.cluster.local.", Type.A).getRcode() == Rcode.NXDOMAIN);
    assertThat(addresses(DnsClient.udp(server, "web.shop.svc.cluster.local.", Type.A))).containsExactly("10.96.0.10");
  }

  static List<String> addresses(Message message) {
    return addresses(message, Section.ANSWER);
  }

  static List<String> addresses(Message message, int section) {
    return message.getSection(section).stream().filter(r -> r.getType() == Type.A || r.getType() == Type.AAAA)
        .map(r -> r instanceof ARecord a ? a.getAddress().getHostAddress()
            : ((AAAARecord) r).getAddress().getHostAddress())
        .collect(Collectors.toList());
  }
}
