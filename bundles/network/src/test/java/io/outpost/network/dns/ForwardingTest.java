package io.outpost.network.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Names outside the cluster domain: forwarded to real (dnsjava) resolvers on loopback, cached, failed over. */
class ForwardingTest {
  private static final Name WWW = Name.fromConstantString("www.example.com.");
  @TempDir
  Path dir;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private DnsFixture fixture;

  @AfterEach
  void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    for (AutoCloseable closeable : closing) {
      closeable.close();
    }
  }

  private TestUpstream upstream(String ip) throws Exception {
    TestUpstream upstream = new TestUpstream(ip);
    upstream.add(new ARecord(WWW, DClass.IN, 300, InetAddress.getByName("192.0.2.80")));
    closing.add(upstream);
    return upstream;
  }

  private InetSocketAddress serve(TestConfig config) {
    fixture = new DnsFixture(dir.resolve("store"));
    fixture.start(config);
    return fixture.address();
  }

  @Test
  void anExternalNameIsForwardedOnceAndThenAnsweredFromTheCacheWithTheTtlItHasLeft() throws Exception {
    TestUpstream upstream = upstream("127.0.0.41");
    InetSocketAddress server = serve(TestConfig.listening("127.0.0.40:0", upstream.hostPort()));
    Message first = DnsClient.udp(server, "www.example.com.", Type.A);
    assertThat(ClusterRecordsTest.addresses(first)).containsExactly("192.0.2.80");
    assertThat(first.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(300);
    Message second = DnsClient.tcp(server, "WWW.example.com.", Type.A);
    assertThat(ClusterRecordsTest.addresses(second)).containsExactly("192.0.2.80");
    assertThat(second.getSection(Section.ANSWER).get(0).getTTL()).isBetween(295L, 300L);
    assertThat(second.getQuestion().getName().toString()).as("the client's question, as it asked").isEqualTo(
        "WWW.example.com.");
    assertThat(upstream.udpQueries.get()).isEqualTo(1);
    assertThat(fixture.dns.metrics()).containsEntry("outpost_edge_dns_cache_hits_total", 1.0)
        .containsEntry("outpost_edge_dns_queries_total{outcome=\"cached\"}", 1.0)
        .containsEntry("outpost_edge_dns_queries_total{outcome=\"forwarded\"}", 1.0)
        .containsKey("outpost_edge_dns_latency_seconds{source=\"upstream\",quantile=\"0.99\"}");
  }

  @Test
  void theSameQuestionAskedByManyAtOnceGoesUpstreamOnce() throws Exception {
    TestUpstream upstream = upstream("127.0.0.41");
    upstream.hold = new java.util.concurrent.CountDownLatch(1);
    InetSocketAddress server = serve(TestConfig.listening("127.0.0.40:0", upstream.hostPort()));
    java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(5);
    try {
      List<java.util.concurrent.Future<Message>> answers = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        answers.add(clients.submit(() -> DnsClient.udp(server, "www.example.com.", Type.A)));
      }
      await().until(() -> fixture.dns.metrics().get("outpost_edge_dns_cache_misses_total") == 5.0
          && upstream.udpQueries.get() == 1);
      upstream.hold.countDown();
      for (java.util.concurrent.Future<Message> answer : answers) {
        assertThat(ClusterRecordsTest.addresses(answer.get())).containsExactly("192.0.2.80");
      }
      assertThat(upstream.udpQueries.get()).isEqualTo(1);
    } finally {
      upstream.hold.countDown();
      clients.shutdownNow();
    }
  }

  @Test
  void anAnswerLeavesTheCacheWhenItsTtlEnds() throws Exception {
    TestUpstream upstream = upstream("127.0.0.41");
    upstream.add(new ARecord(Name.fromConstantString("short.example.com."), DClass.IN, 1,
        InetAddress.getByName("192.0.2.81")));
    InetSocketAddress server = serve(TestConfig.listening("127.0.0.40:0", upstream.hostPort()));
    DnsClient.udp(server, "short.example.com.", Type.A);
    DnsClient.udp(server, "short.example.com.", Type.A);
    assertThat(upstream.udpQueries.get()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      DnsClient.udp(server, "short.example.com.", Type.A);
      assertThat(upstream.udpQueries.get()).isEqualTo(2);
    });
  }

  @Test
  void negativeAnswersAreCachedOnlyWithAnSoa() throws Exception {
    TestUpstream upstream = upstream("127.0.0.41");
    InetSocketAddress server = serve(TestConfig.listening("127.0.0.40:0", upstream.hostPort()));
    for (int i = 0; i < 3; i++) {
      assertThat(DnsClient.udp(server, "missing.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
      assertThat(DnsClient.udp(server, "www.example.com.", Type.AAAA).getSection(Section.ANSWER)).isEmpty();
    }
    assertThat(upstream.udpQueries.get()).as("one NXDOMAIN and one NODATA, each asked once").isEqualTo(2);
    Message cached = DnsClient.udp(server, "missing.example.com.", Type.A);
    assertThat(cached.getSection(Section.AUTHORITY)).singleElement()
        .satisfies(soa -> assertThat(soa.getTTL()).isBetween(55L, 60L));
    upstream.soaTtl = null;
    for (int i = 0; i < 3; i++) {
      assertThat(DnsClient.udp(server, "gone.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }
    assertThat(upstream.udpQueries.get()).as("without an SOA, asked every time (RFC 2308)").isEqualTo(5);
  }

  @Test
  void aSilentUpstreamTimesOutAndTheNextAnswersAndIsAskedFirstFromThenOn() throws Exception {
    TestUpstream silent = upstream("127.0.0.42");
    silent.mode = TestUpstream.Mode.SILENT;
    TestUpstream good = upstream("127.0.0.43");
    InetSocketAddress server = serve(TestConfig.listening("127.0.0.40:0", silent.hostPort() + "," + good.hostPort())
        .withUpstreamTimeout(300));
    assertThat(ClusterRecordsTest.addresses(DnsClient.udp(server, "www.example.com.", Type.A)))
        .containsExactly("192.0.2.80");
    assertThat(silent.udpQueries.get()).isEqualTo(1);
    assertThat(fixture.dns.metrics()).containsEntry("outpost_edge_dns_upstream_failures_total{reason=\"timeout\"}",
        1.0);
    assertThat(DnsClient.udp(server, "missing.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(silent.udpQueries.get()).as("the upstream that answered is asked first").isEqualTo(1);
  }

  @Test
  void servfailAndAClosedPortFailOverAndWhenAllFailTheAnswerIsServfail() throws Exception {
    TestUpstream failing = upstream("127.0.0.44");
    failing.mode = TestUpstream.Mode.SERVFAIL;
    int closedPort;
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.45", 0))) {
      closedPort = probe.getLocalPort();
    }
    TestUpstream good = upstream("127.0.0.46");
    InetSocketAddress server = serve(TestConfig.listening("127.0.0.40:0",
        failing.hostPort() + ",127.0.0.45:" + closedPort + "," + good.hostPort()).withUpstreamTimeout(500));
    assertThat(ClusterRecordsTest.addresses(DnsClient.udp(server, "www.example.com.", Type.A)))
        .containsExactly("192.0.2.80");
    assertThat(fixture.dns.metrics()).containsEntry("outpost_edge_dns_upstream_failures_total{reason=\"servfail\"}",
        1.0);
    good.mode = TestUpstream.Mode.SERVFAIL;
    Message failed = DnsClient.udp(server, "other.example.com.", Type.A);
    assertThat(failed.getRcode()).isEqualTo(Rcode.SERVFAIL);
    assertThat(fixture.dns.dnsMetrics().count(DnsMetrics.Outcome.SERVFAIL)).isEqualTo(1);
    assertThat(fixture.dns.dnsMetrics().upstreamFailures()).isGreaterThanOrEqualTo(4);
    assertThat(DnsClient.udp(server, "other.example.com.", Type.A).getRcode()).as("SERVFAIL is not cached")
        .isEqualTo(Rcode.SERVFAIL);
    assertThat(good.udpQueries.get()).isEqualTo(3);
  }

  @Test
  void aTruncatedUpstreamAnswerIsFetchedAgainOverTcp() throws Exception {
    TestUpstream upstream = upstream("127.0.0.47");
    upstream.mode = TestUpstream.Mode.TRUNCATE_UDP;
    InetSocketAddress server = serve(TestConfig.listening("127.0.0.40:0", upstream.hostPort()));
    assertThat(ClusterRecordsTest.addresses(DnsClient.udp(server, "www.example.com.", Type.A)))
        .containsExactly("192.0.2.80");
    assertThat(upstream.tcpQueries.get()).isEqualTo(1);
  }

  @Test
  void withoutAnyUpstreamExternalNamesAreServfailAndClusterNamesStillAnswer() throws Exception {
    java.nio.file.Path resolv = dir.resolve("resolv.conf");
    java.nio.file.Files.writeString(resolv, "search example.org\noptions ndots:2\n");
    TestConfig config = new TestConfig("cluster.local", "127.0.0.40:0", 53, "", resolv.toString(), 5, 16, 16, 300,
        10, 8);
    InetSocketAddress server = serve(config);
    assertThat(DnsClient.udp(server, "www.example.com.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
    assertThat(DnsClient.udp(server, "nothing.default.svc.cluster.local.", Type.A).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
    assertThat(fixture.dns.metrics()).containsEntry("outpost_edge_dns_upstream_failures_total{reason=\"none\"}", 1.0);
  }
}
