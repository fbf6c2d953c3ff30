package io.outpost.network.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** Configuration is validated once, failures name their key; resolv.conf is read without name lookups. */
class DnsSettingsTest {
  private static final TestConfig DEFAULTS = new TestConfig("cluster.local", "", 53, "", "/etc/resolv.conf", 5,
      2048, 512, 2000, 10, 64);

  @Test
  void defaultsListenOnThePodGatewayAndForwardToResolvConf() {
    DnsSettings settings = DnsSettings.from(DEFAULTS);
    assertThat(settings.domain()).isEqualTo(Name.fromConstantString("cluster.local."));
    assertThat(settings.listen()).isNull();
    assertThat(settings.gatewayPort()).isEqualTo(53);
    assertThat(settings.upstreams()).isEmpty();
    assertThat(settings.ttl()).isEqualTo(5);
  }

  @Test
  void addressesAreIpLiteralsWithOptionalPorts() {
    DnsSettings settings = DnsSettings.from(new TestConfig("edge.example", "[::1]:5353", 53,
        "10.0.0.2, 10.0.0.3:5300,[fd00::53]", "/etc/resolv.conf", 5, 1, 1, 2000, 10, 64));
    assertThat(settings.listen()).isEqualTo(new InetSocketAddress("::1", 5353));
    assertThat(settings.upstreams()).containsExactly(new InetSocketAddress("10.0.0.2", 53),
        new InetSocketAddress("10.0.0.3", 5300), new InetSocketAddress("fd00::53", 53));
  }

  @Test
  void badValuesAreRefusedNamingTheirKey() {
    assertThatThrownBy(() -> DnsSettings.from(DEFAULTS.withDomain("Cluster_Local")))
        .hasMessageContaining("cluster.domain");
    assertThatThrownBy(() -> DnsSettings.from(DEFAULTS.withListen("dns.example.com", 53)))
        .hasMessageContaining("listen.address");
    assertThatThrownBy(() -> DnsSettings.from(new TestConfig("cluster.local", "", 53, "10.0.0.1:99999",
        "/etc/resolv.conf", 5, 1, 1, 2000, 10, 64))).hasMessageContaining("upstreams");
    assertThatThrownBy(() -> DnsSettings.from(DEFAULTS.withUpstreamTimeout(0)))
        .hasMessageContaining("upstream.timeout.ms");
    assertThatThrownBy(() -> DnsSettings.from(DEFAULTS.withTcp(10, 0))).hasMessageContaining("tcp.max.connections");
  }

  @Test
  void resolvConfNameserversAreReadAndTheServersOwnAddressLeftOut() {
    List<InetSocketAddress> parsed = Upstreams.parse(List.of("# comment", "search example.org",
        "nameserver 192.0.2.53", "nameserver fe80::1%eth0", "nameserver dns.example.com", "options ndots:5"));
    assertThat(parsed).containsExactly(new InetSocketAddress("192.0.2.53", 53), new InetSocketAddress("fe80::1", 53));
    InetSocketAddress self = new InetSocketAddress("10.0.0.2", 53);
    Upstreams upstreams = new Upstreams(List.of(self, new InetSocketAddress("10.0.0.3", 53)),
        java.nio.file.Path.of("/nonexistent"), () -> self);
    assertThat(upstreams.current()).containsExactly(new InetSocketAddress("10.0.0.3", 53));
  }

  @Test
  void podNamesAreAddressesWithDashes() {
    assertThat(ClusterZone.podAddress("10-1-2-3").getHostAddress()).isEqualTo("10.1.2.3");
    assertThat(ClusterZone.podAddress("fd00--1").getHostAddress()).isEqualTo("fd00:0:0:0:0:0:0:1");
    assertThat(ClusterZone.podAddress("10-1-2")).isNull();
    assertThat(ClusterZone.podAddress("web")).isNull();
    assertThat(ClusterZone.podAddress("--ffff-a01-203")).as("IPv4-mapped is no IPv6 pod address").isNull();
  }

  @Test
  void everyMetricSeriesHasTheStrictShape() {
    DnsMetrics metrics = new DnsMetrics();
    metrics.rejected(DnsMetrics.Rejection.TCP_SLOW, "test", null);
    metrics.upstreamFailed("timeout");
    metrics.latency(DnsMetrics.Source.CLUSTER, 1_000);
    Map<String, Double> series = metrics.series(new ResponseCache(1, 1, System::nanoTime), true);
    assertThat(series.keySet()).allMatch(io.outpost.protocol.MetricSeries::valid);
    assertThat(series).containsEntry("outpost_edge_dns_rejected_total{reason=\"tcp_slow\"}", 1.0)
        .containsEntry("outpost_edge_dns_latency_seconds{source=\"cluster\",quantile=\"0.5\"}", 1e-6);
  }
}
