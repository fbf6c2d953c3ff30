package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node's own gRPC health-check client against a real gRPC server (grpc-java's health service over Netty, on
 * loopback) and against raw sockets that misbehave: the verdicts and the kubelet's failure messages.
 */
class GrpcHealthCheckTest {
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);
  private static final String LOOPBACK = InetAddress.getLoopbackAddress().getHostAddress();

  private Server server;
  private final ConcurrentLinkedQueue<Metadata> requestHeaders = new ConcurrentLinkedQueue<>();

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** A grpc-java server on loopback with the health service, recording each call's headers. */
  private HealthStatusManager healthServer() throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    server = NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, 0))
        .addService(health.getHealthService()).intercept(recordingHeaders()).build().start();
    return health;
  }

  private ServerInterceptor recordingHeaders() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        requestHeaders.add(headers);
        return next.startCall(call, headers);
      }
    };
  }

  private String check(String service) {
    return GrpcHealthCheck.check(LOOPBACK, server.getPort(), service, ONE_SECOND);
  }

  @Test
  void servingIsSuccessForTheServerAndANamedService() throws Exception {
    HealthStatusManager health = healthServer();
    health.setStatus("outpost.Echo", ServingStatus.SERVING);

    assertThat(check(null)).as("the server's overall health, service \"\"").isNull();
    assertThat(check("outpost.Echo")).isNull();
    assertThat(requestHeaders).hasSize(2).allSatisfy(headers -> {
      assertThat(headers.get(Metadata.Key.of("user-agent", Metadata.ASCII_STRING_MARSHALLER)))
          .startsWith("kube-probe/1.32");
      assertThat(Long.parseLong(headers.get(Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER))
          .replace("m", ""))).as("the deadline left, in ms").isBetween(1L, 1_000L);
    });
  }

  @Test
  void everyOtherStatusFailsWithTheKubeletsMessage() throws Exception {
    HealthStatusManager health = healthServer();
    health.setStatus("outpost.Echo", ServingStatus.NOT_SERVING);
    health.setStatus("outpost.Unknown", ServingStatus.UNKNOWN);

    assertThat(check("outpost.Echo")).isEqualTo("service unhealthy (responded with \"NOT_SERVING\")");
    assertThat(check("outpost.Unknown")).isEqualTo("service unhealthy (responded with \"UNKNOWN\")");
    health.setStatus("outpost.Echo", ServingStatus.SERVING);
    assertThat(check("outpost.Echo")).as("the same server, serving again").isNull();
    health.enterTerminalState();
    assertThat(check("")).isEqualTo("service unhealthy (responded with \"NOT_SERVING\")");
  }

  @Test
  void anUnknownServiceIsATrailersOnlyNotFound() throws Exception {
    healthServer();
    assertThat(check("outpost.Missing")).isEqualTo(
        "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service outpost.Missing");
  }

  @Test
  void aServerWithoutTheHealthServiceIsUnimplemented() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, 0)).build().start();
    assertThat(check("")).isEqualTo("error: this server does not implement the grpc health protocol "
        + "(grpc.health.v1.Health): Method not found: grpc.health.v1.Health/Check");
  }

  @Test
  void aServerThatIsDownFailsAsTheKubeletsDialDoesWithinTheTimeout() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    long start = System.nanoTime();
    String failure = GrpcHealthCheck.check(LOOPBACK, port, "", ONE_SECOND);
    assertThat(failure).isEqualTo("timeout: failed to connect service \"" + LOOPBACK + ":" + port
        + "\" within 1s: context deadline exceeded");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1_500));
  }

  @Test
  void aConnectionThatDoesNotComeUpIsRetriedAfterGrpcsBackOffWithinTheTimeout() throws Exception {
    byte[] serving = {0, 0, 0, 0, 2, 0x08, 0x01};
    byte[] answer = concat(headers(0, ":status", "200", "content-type", "application/grpc"), data(0, serving),
        headers(Http2Frames.FLAG_END_STREAM, "grpc-status", "0"));
    java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    try (RawH2Server flaky = new RawH2Server((in, out) -> {
      if (connections.incrementAndGet() == 1) {
        return; // the first connection is closed before the server's SETTINGS: it never becomes ready
      }
      RawH2Server.readPreface(in);
      RawH2Server.settings(out);
      RawH2Server.readRequest(in);
      out.write(answer);
      out.flush();
      in.transferTo(OutputStream.nullOutputStream());
    })) {
      long start = System.nanoTime();
      assertThat(GrpcHealthCheck.check(LOOPBACK, flaky.port(), "", Duration.ofSeconds(3))).isNull();
      assertThat(flaky.accepted.get()).isEqualTo(2);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("one back-off: 1 s ± 20 %%")
          .isBetween(Duration.ofMillis(800), Duration.ofMillis(2_500));
    }
  }

  @Test
  void theBackOffIsGrpcsOneSecondTimesOnePointSixWithTwentyPercentJitter() {
    assertThat(GrpcHealthCheck.backOffNanos(0, 0.5)).isEqualTo(1_000_000_000L);
    assertThat(GrpcHealthCheck.backOffNanos(0, 0.0)).isEqualTo(800_000_000L);
    assertThat(GrpcHealthCheck.backOffNanos(0, Math.nextDown(1.0))).isBetween(1_199_999_999L, 1_200_000_000L);
    assertThat(GrpcHealthCheck.backOffNanos(1, 0.5)).isEqualTo(1_600_000_000L);
    assertThat(GrpcHealthCheck.backOffNanos(2, 0.5)).isEqualTo(2_560_000_000L);
    assertThat(GrpcHealthCheck.backOffNanos(25, 0.5)).as("the exponent stops at 10")
        .isEqualTo(GrpcHealthCheck.backOffNanos(10, 0.5)).isEqualTo((long) (1e9 * Math.pow(1.6, 10)));
  }

  @Test
  void anInterruptedProbeStopsWaitingForItsNextAttempt() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    java.util.concurrent.CompletableFuture<String> verdict = new java.util.concurrent.CompletableFuture<>();
    Thread probing = new Thread(() -> verdict.complete(GrpcHealthCheck.check(LOOPBACK, port, "",
        Duration.ofSeconds(10))), "grpc-probe-test");
    long start = System.nanoTime();
    probing.start();
    probing.interrupt();
    assertThat(verdict.get(5, TimeUnit.SECONDS)).isEqualTo("error: health rpc probe failed: interrupted");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not the 10 s timeout")
        .isLessThan(Duration.ofSeconds(2));
    probing.join(5_000);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      all.writeBytes(part);
    }
    return all.toByteArray();
  }

  @Test
  void aServerThatNeverAnswersTimesOutInTheHandshakeOrInTheCall() throws Exception {
    try (RawH2Server silent = new RawH2Server((in, out) -> in.transferTo(OutputStream.nullOutputStream()));
        RawH2Server settingsOnly = new RawH2Server((in, out) -> {
          RawH2Server.readPreface(in);
          RawH2Server.settings(out);
          in.transferTo(OutputStream.nullOutputStream());
        })) {
      long start = System.nanoTime();
      assertThat(GrpcHealthCheck.check(LOOPBACK, silent.port(), "", ONE_SECOND)).isEqualTo(
          "timeout: failed to connect service \"" + LOOPBACK + ":" + silent.port()
          + "\" within 1s: context deadline exceeded");
      assertThat(GrpcHealthCheck.check(LOOPBACK, settingsOnly.port(), "", Duration.ofSeconds(2)))
          .isEqualTo("timeout: health rpc did not complete within 2s");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(3_800));
    }
  }

  /** A server that completes the handshake, reads the request and then answers with {@code frames}. */
  private static String answeredWith(byte[]... frames) throws Exception {
    try (RawH2Server raw = new RawH2Server((in, out) -> {
      RawH2Server.readPreface(in);
      RawH2Server.settings(out);
      RawH2Server.readRequest(in);
      for (byte[] frame : frames) {
        out.write(frame);
      }
      out.flush();
      in.transferTo(OutputStream.nullOutputStream());
    })) {
      return GrpcHealthCheck.check(LOOPBACK, raw.port(), "", ONE_SECOND);
    }
  }

  private static byte[] frame(int type, int flags, int stream, byte[] payload) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Http2Frames.write(out, type, flags, stream, payload);
    return out.toByteArray();
  }

  private static byte[] headers(int flags, String... fields) throws Exception {
    return frame(Http2Frames.HEADERS, flags | Http2Frames.FLAG_END_HEADERS, 1, Http2Frames.literalHeaders(fields));
  }

  private static byte[] data(int flags, byte... message) throws Exception {
    return frame(Http2Frames.DATA, flags, 1, message);
  }

  @Test
  void aHandWrittenAnswerIsReadAsGrpcJavasIs() throws Exception {
    byte[] serving = {0, 0, 0, 0, 2, 0x08, 0x01};
    assertThat(answeredWith(headers(0, ":status", "200", "content-type", "application/grpc"), data(0, serving),
        headers(Http2Frames.FLAG_END_STREAM, "grpc-status", "0"))).isNull();
    assertThat(answeredWith(headers(0, ":status", "200"), data(0, new byte[] {0, 0, 0, 0, 2, 0x08, 0x07}),
        headers(Http2Frames.FLAG_END_STREAM, "grpc-status", "0")))
        .as("a status this client has no name for").isEqualTo("service unhealthy (responded with \"7\")");
    assertThat(answeredWith(headers(Http2Frames.FLAG_END_STREAM, ":status", "200", "grpc-status", "14",
        "grpc-message", "shutting%20down%20%E2%80%93%20bye")))
        .isEqualTo("error: health rpc probe failed: rpc error: code = Unavailable desc = shutting down – bye");
    ByteArrayOutputStream paddedWithPriority = new ByteArrayOutputStream();
    paddedWithPriority.write(2); // pad length
    paddedWithPriority.writeBytes(new byte[] {0, 0, 0, 3, 15}); // stream dependency and weight
    paddedWithPriority.writeBytes(Http2Frames.literalHeaders(":status", "200", "grpc-status", "5", "grpc-message",
        "gone"));
    paddedWithPriority.writeBytes(new byte[2]);
    assertThat(answeredWith(frame(Http2Frames.HEADERS, Http2Frames.FLAG_END_HEADERS | Http2Frames.FLAG_END_STREAM
        | Http2Frames.FLAG_PADDED | Http2Frames.FLAG_PRIORITY, 1, paddedWithPriority.toByteArray())))
        .isEqualTo("error: health rpc probe failed: rpc error: code = NotFound desc = gone");
    assertThat(answeredWith(headers(0, ":status", "200"), data(Http2Frames.FLAG_END_STREAM, serving)))
        .as("no trailers").isEqualTo("error: health rpc probe failed: rpc error: code = Internal desc = "
            + "server closed the stream without sending trailers");
  }

  @Test
  void resetsAndGoawaysAreFailures() throws Exception {
    assertThat(answeredWith(frame(Http2Frames.RST_STREAM, 0, 1, new byte[] {0, 0, 0, 7})))
        .isEqualTo("error: health rpc probe failed: rpc error: code = Unavailable desc = stream terminated by "
            + "RST_STREAM with error code: REFUSED_STREAM");
    assertThat(answeredWith(frame(Http2Frames.GOAWAY, 0, 0, new byte[] {0, 0, 0, 0, 0, 0, 0, 0})))
        .startsWith("error: health rpc probe failed: rpc error: code = Unavailable desc = the server sent GOAWAY");
    try (RawH2Server hangingUp = new RawH2Server((in, out) -> {
      RawH2Server.readPreface(in);
      RawH2Server.settings(out);
      RawH2Server.readRequest(in);
    })) {
      assertThat(GrpcHealthCheck.check(LOOPBACK, hangingUp.port(), "", ONE_SECOND)).as("closed after the request")
          .isEqualTo("error: health rpc probe failed: rpc error: code = Unavailable desc = error reading from "
              + "server: EOF");
    }
  }

  @Test
  void aHostileServerIsCutOffBoundedAndWithinTheTimeout() throws Exception {
    long start = System.nanoTime();
    byte[] huge = {(byte) 0xff, (byte) 0xff, (byte) 0xff, Http2Frames.DATA, 0, 0, 0, 0, 1};
    assertThat(answeredWith(huge)).endsWith("desc = frame of 16777215 bytes exceeds the maximum frame size 16384");
    byte[] ping = frame(Http2Frames.PING, 0, 0, new byte[8]);
    byte[][] flood = new byte[GrpcHealthCheck.MAX_CONTROL + 1][];
    java.util.Arrays.fill(flood, ping);
    assertThat(answeredWith(flood)).endsWith("desc = too many control frames from the server");
    byte[] continuation = frame(Http2Frames.CONTINUATION, 0, 1, new byte[16_384]);
    byte[][] endless = new byte[6][];
    endless[0] = frame(Http2Frames.HEADERS, 0, 1, new byte[0]);
    java.util.Arrays.fill(endless, 1, endless.length, continuation);
    assertThat(answeredWith(endless)).endsWith("desc = header block larger than 65536 bytes");
    byte[] chunk = data(0, new byte[16_384]);
    assertThat(answeredWith(headers(0, ":status", "200"), chunk, chunk))
        .endsWith("desc = response larger than 16384 bytes");
    assertThat(answeredWith(frame(Http2Frames.HEADERS, Http2Frames.FLAG_END_HEADERS | Http2Frames.FLAG_END_STREAM,
        1, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})))
        .endsWith("desc = HPACK integer truncated or too large");
    assertThat(answeredWith(frame(Http2Frames.PUSH_PROMISE, Http2Frames.FLAG_END_HEADERS, 1, new byte[4])))
        .endsWith("desc = PUSH_PROMISE although push is disabled");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("none waited for its timeout")
        .isLessThan(Duration.ofSeconds(5));

    try (RawH2Server garbage = new RawH2Server((in, out) -> {
      out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    })) {
      assertThat(GrpcHealthCheck.check(LOOPBACK, garbage.port(), "", ONE_SECOND))
          .as("no HTTP/2 server: the connection never becomes ready").startsWith("timeout: failed to connect");
    }
  }

  @Test
  void aServerDrippingBytesCannotStretchTheTimeout() throws Exception {
    ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();
    try (RawH2Server slow = new RawH2Server((in, out) -> {
      RawH2Server.readPreface(in);
      RawH2Server.settings(out);
      RawH2Server.readRequest(in);
      out.write(new byte[] {0, 0x40, 0, Http2Frames.DATA, 0, 0, 0, 0, 1}); // a 16 KiB DATA frame, then a byte a time
      out.flush();
      drip.scheduleAtFixedRate(() -> {
        try {
          out.write(0);
          out.flush();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e); // the client hung up: stop dripping
        }
      }, 0, 100, TimeUnit.MILLISECONDS);
      in.transferTo(OutputStream.nullOutputStream());
    })) {
      long start = System.nanoTime();
      assertThat(GrpcHealthCheck.check(LOOPBACK, slow.port(), "", Duration.ofSeconds(2)))
          .isEqualTo("timeout: health rpc did not complete within 2s");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2_500));
    } finally {
      drip.shutdownNow();
    }
  }

  @Test
  void requestsAreEncodedAsProtobufAndGoDurationsAsGoPrintsThem() throws Exception {
    assertThat(GrpcMessages.request("")).containsExactly(0, 0, 0, 0, 0);
    byte[] named = GrpcMessages.request("a".repeat(200));
    assertThat(HexFormat.of().formatHex(named, 0, 9)).as("prefix, field 1, varint 200, 'a'")
        .isEqualTo("00000000cb" + "0ac801" + "61");
    assertThat(List.of(Duration.ofSeconds(1), Duration.ofSeconds(90), Duration.ofSeconds(3600)).stream()
        .map(GrpcMessages::goDuration)).containsExactly("1s", "1m30s", "1h0m0s");
  }

  @Test
  void hpackDecodesTheRfcExamplesWithHuffmanAndTheDynamicTable() throws Exception {
    HpackDecoder decoder = new HpackDecoder();
    HexFormat hex = HexFormat.of();
    // RFC 7541 C.4.1 and C.4.2: requests with Huffman coding, the second using the first's dynamic table entry.
    assertThat(decoder.decode(hex.parseHex("828684418cf1e3c2e5f23a6ba0ab90f4ff")))
        .containsExactly(new String[] {":method", "GET"}, new String[] {":scheme", "http"},
            new String[] {":path", "/"}, new String[] {":authority", "www.example.com"});
    assertThat(decoder.decode(hex.parseHex("828684be5886a8eb10649cbf")))
        .containsExactly(new String[] {":method", "GET"}, new String[] {":scheme", "http"},
            new String[] {":path", "/"}, new String[] {":authority", "www.example.com"},
            new String[] {"cache-control", "no-cache"});
    assertThat(HpackDecoder.huffman(hex.parseHex("9d29ad171863c78f0b97c8e9ae82ae43d3")))
        .asString(StandardCharsets.ISO_8859_1).isEqualTo("https://www.example.com");
  }
}
