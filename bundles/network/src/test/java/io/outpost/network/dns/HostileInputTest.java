package io.outpost.network.dns;

import static io.outpost.network.dns.DnsFixture.endpoint;
import static io.outpost.network.dns.DnsFixture.headless;
import static io.outpost.network.dns.DnsFixture.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.network.dns.DnsMetrics.Rejection;
import io.outpost.protocol.EndpointSliceV1;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Malformed, abusive and amplifying queries: refused or cut off, counted, and the server keeps answering. */
class HostileInputTest {
  @TempDir
  Path dir;
  private DnsFixture fixture;
  private TestUpstream upstream;
  private InetSocketAddress server;

  @BeforeEach
  void start() throws Exception {
    upstream = new TestUpstream("127.0.0.51");
    fixture = new DnsFixture(dir.resolve("store"));
    fixture.service("shop", "big", headless(false, port("http", "TCP", 80)));
    List<EndpointSliceV1.EndpointV1> endpoints = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      endpoints.add(endpoint("10.42." + (i / 50) + "." + (i % 50 + 1), true, null));
    }
    fixture.slice("shop", "big-1", new EndpointSliceV1("big", "IPv4", List.of(), endpoints));
    fixture.start(TestConfig.listening("127.0.0.50:0", upstream.hostPort()).withTcp(1, 2));
    server = fixture.address();
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
    upstream.close();
  }

  private long rejected(Rejection rejection) {
    return fixture.dns.dnsMetrics().count(rejection);
  }

  private void stillAnswers() throws Exception {
    assertThat(DnsClient.udp(server, "big.shop.svc.cluster.local.", Type.AAAA).getRcode()).isEqualTo(Rcode.NOERROR);
  }

  @Test
  void garbageIsAnsweredWithFormerrIfItHasAHeaderAndOtherwiseDropped() throws Exception {
    byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'x'};
    byte[] answer = DnsClient.udpRaw(server, garbage, 2_000);
    Message formerr = new Message(answer);
    assertThat(formerr.getHeader().getID()).isEqualTo(0x1234);
    assertThat(formerr.getRcode()).isEqualTo(Rcode.FORMERR);
    assertThat(DnsClient.udpRaw(server, new byte[] {1, 2, 3}, 300)).isNull();
    assertThat(rejected(Rejection.MALFORMED)).isEqualTo(2);
    stillAnswers();
  }

  @Test
  void randomBytesAndMangledQueriesNeitherStopNorConfuseTheServer() throws Exception {
    java.util.Random random = new java.util.Random(22);
    byte[] valid = DnsClient.query("big.shop.svc.cluster.local.", Type.A).toWire();
    DnsMetrics metrics = fixture.dns.dnsMetrics();
    java.util.function.LongSupplier ended = () -> java.util.Arrays.stream(DnsMetrics.Outcome.values())
        .mapToLong(metrics::count).sum();
    try (java.net.DatagramSocket socket = new java.net.DatagramSocket()) {
      for (int i = 0; i < 2_000; i++) {
        byte[] packet;
        if (i % 2 == 0) {
          packet = new byte[random.nextInt(600)];
          random.nextBytes(packet);
        } else {
          packet = valid.clone(); // a real query with a few bytes flipped past the id
          for (int flips = 0; flips < 3; flips++) {
            packet[2 + random.nextInt(packet.length - 2)] ^= (byte) (1 << random.nextInt(8));
          }
        }
        socket.send(new java.net.DatagramPacket(packet, packet.length, server));
        if (i % 50 == 49) { // in batches the socket's receive buffer holds, so the kernel drops none
          long sent = i + 1;
          await().pollInterval(Duration.ofMillis(5)).until(() -> ended.getAsLong() == sent);
        }
      }
    }
    assertThat(ended.getAsLong()).as("every datagram came to an end, answered or not").isEqualTo(2_000);
    assertThat(rejected(Rejection.MALFORMED)).isPositive();
    assertThat(upstream.udpQueries.get() + upstream.tcpQueries.get()).isLessThanOrEqualTo(2_000);
    stillAnswers();
  }

  @Test
  void responsesAreNeverAnswered() throws Exception {
    Message response = DnsClient.query("big.shop.svc.cluster.local.", Type.A);
    response.getHeader().setFlag(Flags.QR);
    assertThat(DnsClient.udpRaw(server, response.toWire(), 300)).isNull();
    assertThat(rejected(Rejection.NOT_A_QUERY)).isEqualTo(1);
    stillAnswers();
  }

  @Test
  void severalQuestionsAreFormerr() throws Exception {
    Message query = DnsClient.query("big.shop.svc.cluster.local.", Type.A);
    query.addRecord(Record.newRecord(Name.fromConstantString("www.example.com."), Type.A, DClass.IN),
        Section.QUESTION);
    assertThat(DnsClient.udp(server, query).getRcode()).isEqualTo(Rcode.FORMERR);
    assertThat(rejected(Rejection.QUESTIONS)).isEqualTo(1);
    assertThat(upstream.udpQueries.get()).isZero();
  }

  @Test
  void anOversizeDatagramIsDropped() throws Exception {
    Message query = DnsClient.query("big.shop.svc.cluster.local.", Type.A);
    byte[] wire = java.util.Arrays.copyOf(query.toWire(), 6_000);
    assertThat(DnsClient.udpRaw(server, wire, 300)).isNull();
    assertThat(rejected(Rejection.OVERSIZE)).isEqualTo(1);
    stillAnswers();
  }

  @Test
  void otherOpcodesClassesAndZoneTransfersAreRefused() throws Exception {
    Message notify = DnsClient.query("cluster.local.", Type.SOA);
    notify.getHeader().setOpcode(Opcode.NOTIFY);
    assertThat(DnsClient.udp(server, notify).getRcode()).isEqualTo(Rcode.NOTIMP);
    Message chaos = new Message(7);
    chaos.addRecord(Record.newRecord(Name.fromConstantString("version.bind."), Type.TXT, DClass.CH),
        Section.QUESTION);
    assertThat(DnsClient.udp(server, chaos).getRcode()).isEqualTo(Rcode.REFUSED);
    assertThat(DnsClient.tcp(server, "cluster.local.", Type.AXFR).getRcode()).isEqualTo(Rcode.REFUSED);
    assertThat(rejected(Rejection.OPCODE) + rejected(Rejection.CLASS) + rejected(Rejection.TRANSFER)).isEqualTo(3);
    assertThat(upstream.udpQueries.get()).isZero();
  }

  @Test
  void anyQueriesGetOneSynthesizedRecordAndNeverGoUpstream() throws Exception {
    Message any = DnsClient.udp(server, "big.shop.svc.cluster.local.", Type.ANY);
    assertThat(any.getSection(Section.ANSWER)).singleElement()
        .satisfies(r -> assertThat(((HINFORecord) r).getCPU()).isEqualTo("RFC8482"));
    assertThat(DnsClient.udp(server, "example.com.", Type.ANY).getSection(Section.ANSWER)).hasSize(1);
    assertThat(DnsClient.udp(server, "nope.shop.svc.cluster.local.", Type.ANY).getRcode())
        .isEqualTo(Rcode.NXDOMAIN);
    assertThat(upstream.udpQueries.get()).isZero();
    assertThat(rejected(Rejection.ANY)).isEqualTo(3);
  }

  @Test
  void udpAnswersAreTruncatedToWhatTheClientCanTakeAndTcpHasThemWhole() throws Exception {
    Message plain = DnsClient.udp(server, "big.shop.svc.cluster.local.", Type.A);
    assertThat(plain.getHeader().getFlag(Flags.TC)).isTrue();
    assertThat(plain.numBytes()).isLessThanOrEqualTo(512);
    Message edns = DnsClient.udp(server, DnsClient.withEdns(DnsClient.query("big.shop.svc.cluster.local.", Type.A),
        4096));
    assertThat(edns.getHeader().getFlag(Flags.TC)).isTrue();
    assertThat(edns.numBytes()).as("never more than 1232 bytes whatever the client says")
        .isLessThanOrEqualTo(QueryHandler.MAX_UDP);
    Message whole = DnsClient.tcp(server, "big.shop.svc.cluster.local.", Type.A);
    assertThat(whole.getHeader().getFlag(Flags.TC)).isFalse();
    assertThat(whole.getSection(Section.ANSWER)).hasSize(100);
    assertThat(fixture.dns.dnsMetrics().truncatedCount()).isEqualTo(2);
  }

  @Test
  void aTcpFrameCutShortIsCountedAndClosed() throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(server);
      OutputStream out = socket.getOutputStream();
      out.write(new byte[] {0, 100, 1, 2, 3, 4, 5});
      out.flush();
      socket.shutdownOutput();
      socket.setSoTimeout(5_000);
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
    await().until(() -> rejected(Rejection.TCP_TRUNCATED) == 1);
    stillAnswers();
  }

  @Test
  void slowAndIdleTcpClientsAreCutOffAtTheIdleTimeout() throws Exception {
    try (Socket idle = new Socket(); Socket slow = new Socket()) {
      idle.connect(server);
      slow.connect(server);
      slow.getOutputStream().write(new byte[] {0, 40, 0x12}); // a frame that never completes
      slow.getOutputStream().flush();
      idle.setSoTimeout(5_000);
      slow.setSoTimeout(5_000);
      assertThat(idle.getInputStream().read()).isEqualTo(-1);
      assertThat(slow.getInputStream().read()).isEqualTo(-1);
    }
    await().until(() -> rejected(Rejection.TCP_IDLE) == 1 && rejected(Rejection.TCP_SLOW) == 1);
    assertThat(DnsClient.tcp(server, "big.shop.svc.cluster.local.", Type.AAAA).getRcode()).isEqualTo(Rcode.NOERROR);
  }

  @Test
  void tcpConnectionsBeyondTheLimitAreClosedAtOnce() throws Exception {
    try (Socket first = new Socket(); Socket second = new Socket(); Socket third = new Socket()) {
      first.connect(server);
      second.connect(server);
      // the server takes connections in order, so the first two hold both slots when the third comes
      third.connect(server);
      third.setSoTimeout(5_000);
      InputStream in = third.getInputStream();
      assertThat(in.read()).isEqualTo(-1);
      assertThat(rejected(Rejection.TCP_LIMIT)).isEqualTo(1);
    }
    await().untilAsserted(() -> assertThat(DnsClient.tcp(server, "big.shop.svc.cluster.local.", Type.AAAA)
        .getRcode()).isEqualTo(Rcode.NOERROR));
  }
}
