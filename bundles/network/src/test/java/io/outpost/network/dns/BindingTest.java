package io.outpost.network.dns;

import static io.outpost.network.dns.DnsFixture.clusterIp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.containers.PodNetwork;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** Where the server listens: the pod gateway as the PodNetwork comes, changes and goes; an explicit address. */
class BindingTest {
  @TempDir
  Path dir;
  private DnsFixture fixture;

  /** The pod network as the site component registers it. */
  private record Network(String gateway) implements PodNetwork {
    @Override
    public String engineNetwork() {
      return "outpost";
    }

    @Override
    public String bridge() {
      return "outpost0";
    }

    @Override
    public String subnet() {
      return gateway.substring(0, gateway.lastIndexOf('.')) + ".0/24";
    }

    @Override
    public String clusterDns() {
      return gateway;
    }
  }

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private ClusterDnsComponent start(TestConfig config) {
    fixture = new DnsFixture(dir.resolve("store"));
    fixture.service("shop", "web", clusterIp(List.of("10.96.0.10")));
    return fixture.start(config);
  }

  private static void answers(InetSocketAddress server) throws Exception {
    assertThat(ClusterRecordsTest.addresses(DnsClient.udp(server, "web.shop.svc.cluster.local.", Type.A)))
        .containsExactly("10.96.0.10");
    assertThat(DnsClient.tcp(server, "web.shop.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
  }

  private static void refused(InetSocketAddress server) {
    assertThatThrownBy(() -> {
      try (Socket socket = new Socket()) {
        socket.connect(server, 2_000);
      }
    }).isInstanceOf(ConnectException.class);
  }

  @Test
  void listensOnThePodGatewayWhileThePodNetworkIsThereAndMovesWithIt() throws Exception {
    ClusterDnsComponent dns = start(TestConfig.listening("", "").withListen("", 0));
    assertThat(dns.metrics()).containsEntry("outpost_edge_dns_listening", 0.0);
    Network first = new Network("127.0.0.61");
    dns.bindPodNetwork(first);
    InetSocketAddress one = await().until(() -> dns.address().orElse(null),
        a -> a != null && a.getAddress().getHostAddress().equals("127.0.0.61"));
    answers(one);
    // DS replacing a greedy reference: the new service is bound, then the old one unbound
    Network second = new Network("127.0.0.62");
    dns.bindPodNetwork(second);
    dns.unbindPodNetwork(first);
    InetSocketAddress two = await().until(() -> dns.address().orElse(null),
        a -> a != null && a.getAddress().getHostAddress().equals("127.0.0.62"));
    answers(two);
    refused(one);
    dns.unbindPodNetwork(second);
    await().until(() -> dns.address().isEmpty());
    refused(two);
    assertThat(dns.metrics()).containsEntry("outpost_edge_dns_listening", 0.0);
  }

  @Test
  void anExplicitListenAddressWinsOverThePodNetwork() throws Exception {
    ClusterDnsComponent dns = start(TestConfig.listening("127.0.0.64:0", ""));
    InetSocketAddress server = fixture.address();
    dns.bindPodNetwork(new Network("127.0.0.65"));
    answers(server);
    assertThat(dns.address()).contains(server);
  }

  @Test
  void aBusyAddressIsRetriedUntilItIsFree() throws Exception {
    DatagramSocket blocker = new DatagramSocket(new InetSocketAddress("127.0.0.66", 0));
    int port = blocker.getLocalPort();
    ClusterDnsComponent dns;
    try {
      dns = start(TestConfig.listening("127.0.0.66:" + port, ""));
      ClusterDnsComponent started = dns;
      await().until(() -> started.dnsMetrics().bindFailures() >= 1);
      assertThat(dns.address()).isEmpty();
    } finally {
      blocker.close();
    }
    InetSocketAddress server = fixture.address();
    assertThat(server.getPort()).isEqualTo(port);
    answers(server);
  }

  @Test
  void afterARestartWithoutTheCloudItAnswersFromTheStoreAsSoonAsItListens() throws Exception {
    start(TestConfig.listening("127.0.0.67:0", ""));
    answers(fixture.address());
    fixture.close();
    // the node restarts cut off: nothing but the store on disk
    fixture = new DnsFixture(dir.resolve("store"));
    ClusterDnsComponent dns = fixture.start(TestConfig.listening("127.0.0.67:0", ""));
    InetSocketAddress server = await().until(() -> dns.address().orElse(null), a -> a != null);
    answers(server);
  }

  @Test
  void aConfigurationChangeAppliesLiveAndAnEqualOneChangesNothing() throws Exception {
    TestConfig config = TestConfig.listening("127.0.0.68:0", "");
    ClusterDnsComponent dns = start(config);
    InetSocketAddress before = fixture.address();
    dns.modified(TestConfig.listening("127.0.0.68:0", ""));
    answers(before);
    assertThat(dns.address()).contains(before);
    dns.modified(config.withDomain("edge.example"));
    InetSocketAddress after = await().until(() -> dns.address().orElse(null), a -> a != null && !a.equals(before));
    assertThat(ClusterRecordsTest.addresses(DnsClient.udp(after, "web.shop.svc.edge.example.", Type.A)))
        .containsExactly("10.96.0.10");
  }
}
