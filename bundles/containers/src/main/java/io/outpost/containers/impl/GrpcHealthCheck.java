package io.outpost.containers.impl;

import io.outpost.containers.impl.Http2Frames.Frame;
import io.outpost.containers.impl.Http2Frames.ProtocolError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC probe as the kubelet makes it: one {@code grpc.health.v1.Health/Check} call over plaintext HTTP/2 with prior
 * knowledge (h2c), to the pod's IP, bounded as a whole by the probe's timeout, without any gRPC library. SERVING is
 * success; any other answer is a failure worded as the kubelet words it (pkg/probe/grpc): {@code service unhealthy
 * (responded with "NOT_SERVING")}, an RPC error {@code error: health rpc probe failed: rpc error: code = … desc = …},
 * {@code timeout: health rpc did not complete within 1s}. Like the kubelet's blocking dial, a connection that does
 * not come up (refused, reset, no server SETTINGS) is retried with gRPC's back-off (1 s, ×1.6, ±20 %) while the
 * timeout allows, and then fails with {@code timeout: failed to connect service "ip:port" within 1s: context deadline
 * exceeded}; when the next attempt could not start before the deadline it fails at once with that message. A hostile
 * server gets nowhere: frames are capped at 16 KiB, the response at 16 KiB, control frames answered at most
 * {@value #MAX_CONTROL} times, every read bounded by the time left.
 */
final class GrpcHealthCheck {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcHealthCheck.class);

  /** The kubelet's gRPC probes say {@code kube-probe/<major>.<minor>}; Outpost stands in for a 1.32 kubelet. */
  static final String USER_AGENT = "kube-probe/1.32";
  static final String PATH = "/grpc.health.v1.Health/Check";
  private static final int SERVING = 1;
  private static final int STREAM = 1;
  /** Response bytes accepted on the stream (a HealthCheckResponse is 7 with its gRPC prefix). */
  static final int MAX_RESPONSE = 16_384;
  /** Header block bytes accepted (HEADERS and CONTINUATION together, per block). */
  static final int MAX_HEADER_BLOCK = 65_536;
  /** SETTINGS and PINGs answered before the server counts as flooding. */
  static final int MAX_CONTROL = 16;
  /** Frames read in one call before the server counts as flooding. */
  static final int MAX_FRAMES = 1_000;

  private final String host;
  private final int port;
  private final String address;
  private final byte[] request;
  private final Duration timeout;
  private final long deadline;

  private int initialWindow;
  private int sendWindow;
  private int connectionWindow;
  private int peerMaxFrame;
  private int control;
  /** The call's state: the connection's HPACK table, the response so far, the header block being read. */
  private HpackDecoder hpack;
  private ByteArrayOutputStream response;
  private ByteArrayOutputStream block;
  private boolean blockEndsStream;
  private List<String[]> lastFields;

  private GrpcHealthCheck(String host, int port, String service, Duration timeout) {
    this.host = host;
    this.port = port;
    this.address = (host.contains(":") ? "[" + host + "]" : host) + ":" + port; // Go's net.JoinHostPort
    this.request = GrpcMessages.request(service == null ? "" : service);
    this.timeout = timeout;
    this.deadline = System.nanoTime() + timeout.toNanos();
  }

  /** One probe attempt: null when the service is SERVING, otherwise why not, as the kubelet says it. */
  static String check(String host, int port, String service, Duration timeout) {
    return new GrpcHealthCheck(host, port, service, timeout).run();
  }

  private String run() {
    for (int attempt = 0; ; attempt++) {
      Socket socket = new Socket();
      try {
        try {
          handshake(socket);
        } catch (IOException | ProtocolError e) {
          LOG.debug("gRPC probe: connecting to {} failed: {}", address, e.toString());
          if (!backOff(attempt)) {
            return "timeout: failed to connect service \"" + address + "\" within " + GrpcMessages.goDuration(timeout)
                + ": context deadline exceeded";
          }
          continue;
        }
        return call(socket);
      } catch (SocketTimeoutException e) {
        return "timeout: health rpc did not complete within " + GrpcMessages.goDuration(timeout);
      } catch (IOException e) {
        return rpcError("Unavailable", "error reading from server: " + e.getMessage());
      } catch (ProtocolError e) {
        return rpcError("Internal", e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "error: health rpc probe failed: interrupted";
      } finally {
        close(socket);
      }
    }
  }

  private void close(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("gRPC probe: closing the connection to {} failed: {}", address, e.toString());
    }
  }

  /**
   * Schedules the next connection attempt after gRPC's back-off and waits for its turn: the JDK's delayed executor
   * completes the turn, the probing thread waits for that completion (interruptibly; nothing sleeps). False, at once,
   * when that attempt could not start before the deadline.
   */
  private boolean backOff(int attempt) throws InterruptedException {
    long delay = backOffNanos(attempt, ThreadLocalRandom.current().nextDouble());
    if (System.nanoTime() + delay >= deadline) {
      return false;
    }
    CompletableFuture<Void> turn = CompletableFuture.runAsync(() -> { },
        CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS, Runnable::run));
    try {
      turn.get();
    } catch (InterruptedException e) {
      turn.cancel(false);
      throw e;
    } catch (ExecutionException e) {
      throw new IllegalStateException("the back-off's empty task failed", e.getCause()); // it cannot
    }
    return true;
  }

  /**
   * gRPC's connection back-off before attempt {@code attempt + 1}: 1 s × 1.6^attempt (the exponent capped at 10), with
   * ±20 % jitter from {@code random} in [0, 1).
   */
  static long backOffNanos(int attempt, double random) {
    double base = TimeUnit.SECONDS.toNanos(1) * Math.pow(1.6, Math.min(attempt, 10));
    return (long) (base * (1 + 0.2 * (random * 2 - 1)));
  }

  /** Left time in ms for the next blocking step, at least 1; a SocketTimeoutException once it is used up. */
  private int remainingMillis() throws SocketTimeoutException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) {
      throw new SocketTimeoutException("deadline exceeded");
    }
    return (int) Math.min(left, Integer.MAX_VALUE);
  }

  /** Connects and exchanges the prefaces: ready once the server's SETTINGS arrived (and were acknowledged). */
  private void handshake(Socket socket) throws IOException, ProtocolError {
    socket.connect(new InetSocketAddress(host, port), remainingMillis());
    socket.setTcpNoDelay(true);
    OutputStream out = socket.getOutputStream();
    out.write(Http2Frames.PREFACE);
    Http2Frames.write(out, Http2Frames.SETTINGS, 0, 0, Http2Frames.settings(Http2Frames.SETTINGS_ENABLE_PUSH, 0));
    out.flush();
    initialWindow = Http2Frames.DEFAULT_WINDOW;
    sendWindow = Http2Frames.DEFAULT_WINDOW;
    connectionWindow = Http2Frames.DEFAULT_WINDOW;
    peerMaxFrame = Http2Frames.DEFAULT_MAX_FRAME_SIZE;
    control = 0;
    Frame first = read(socket);
    if (first.type() != Http2Frames.SETTINGS || first.has(Http2Frames.FLAG_ACK) || first.stream() != 0) {
      throw new ProtocolError("the server's preface is not a SETTINGS frame (type " + first.type() + ")");
    }
    settings(first, out);
  }

  private Frame read(Socket socket) throws IOException, ProtocolError {
    return Http2Frames.read(new BoundedInput(socket), Http2Frames.DEFAULT_MAX_FRAME_SIZE);
  }

  private void settings(Frame frame, OutputStream out) throws IOException, ProtocolError {
    byte[] p = frame.payload();
    if (p.length % 6 != 0) {
      throw new ProtocolError("SETTINGS frame of " + p.length + " bytes");
    }
    for (int at = 0; at < p.length; at += 6) {
      int id = ((p[at] & 0xff) << 8) | (p[at + 1] & 0xff);
      long value = frame.word(at + 2);
      if (id == Http2Frames.SETTINGS_INITIAL_WINDOW_SIZE) {
        if (value > Integer.MAX_VALUE) {
          throw new ProtocolError("initial window size " + value + " too large");
        }
        sendWindow += (int) value - initialWindow;
        initialWindow = (int) value;
      } else if (id == Http2Frames.SETTINGS_MAX_FRAME_SIZE) {
        if (value < Http2Frames.DEFAULT_MAX_FRAME_SIZE || value > 16_777_215) {
          throw new ProtocolError("max frame size " + value + " out of range");
        }
        peerMaxFrame = (int) value;
      }
    }
    answer(out, Http2Frames.SETTINGS, new byte[0]);
  }

  /** Acknowledges a SETTINGS or PING; past {@value #MAX_CONTROL} answers the server is flooding. */
  private void answer(OutputStream out, int type, byte[] payload) throws IOException, ProtocolError {
    if (++control > MAX_CONTROL) {
      throw new ProtocolError("too many control frames from the server");
    }
    Http2Frames.write(out, type, Http2Frames.FLAG_ACK, 0, payload);
    out.flush();
  }

  /** Sends the request on stream 1 and reads until the stream ends: the verdict. */
  private String call(Socket socket) throws IOException, ProtocolError {
    OutputStream out = socket.getOutputStream();
    Http2Frames.write(out, Http2Frames.HEADERS, Http2Frames.FLAG_END_HEADERS, STREAM, Http2Frames.literalHeaders(
        ":method", "POST", ":scheme", "http", ":path", PATH, ":authority", address,
        "content-type", "application/grpc", "user-agent", USER_AGENT, "te", "trailers",
        "grpc-timeout", Math.min(remainingMillis(), 99_999_999) + "m")); // as grpc-go sends the call's deadline
    int sent = send(out, 0);
    out.flush();
    hpack = new HpackDecoder();
    response = new ByteArrayOutputStream();
    block = null;
    lastFields = List.of();
    for (int frames = 0; frames < MAX_FRAMES; frames++) {
      Frame frame = read(socket);
      if (block != null && (frame.type() != Http2Frames.CONTINUATION || frame.stream() != STREAM)) {
        throw new ProtocolError("expected CONTINUATION, got frame type " + frame.type());
      }
      Ended ended = frame.stream() == 0 ? connectionFrame(frame, out)
          : frame.stream() == STREAM ? streamFrame(frame) : null; // other streams: nothing this call needs
      if (ended != null) {
        return ended.failure();
      }
      sent = send(out, sent);
    }
    throw new ProtocolError("more than " + MAX_FRAMES + " frames without an answer");
  }

  /** How the call ended: its failure, or null for success. */
  private record Ended(String failure) {}

  /** A frame on stream 0: answered or applied; a GOAWAY that drops the call ends it. */
  private Ended connectionFrame(Frame frame, OutputStream out) throws IOException, ProtocolError {
    switch (frame.type()) {
      case Http2Frames.SETTINGS -> {
        if (!frame.has(Http2Frames.FLAG_ACK)) {
          settings(frame, out);
        }
      }
      case Http2Frames.PING -> {
        if (!frame.has(Http2Frames.FLAG_ACK)) {
          if (frame.payload().length != 8) {
            throw new ProtocolError("PING frame of " + frame.payload().length + " bytes");
          }
          answer(out, Http2Frames.PING, frame.payload());
        }
      }
      case Http2Frames.WINDOW_UPDATE -> connectionWindow = (int) Math.min(Integer.MAX_VALUE,
          (long) connectionWindow + (frame.word(0) & 0x7fffffff));
      case Http2Frames.GOAWAY -> {
        if ((frame.word(0) & 0x7fffffff) < STREAM) {
          return new Ended(rpcError("Unavailable", "the server sent GOAWAY before handling the call (error code "
              + Http2Frames.errorCode(frame.word(4)) + ")"));
        }
      }
      default -> { } // PRIORITY, unknown types
    }
    return null;
  }

  /** A frame of the call's stream: the response and trailers are collected until the stream ends. */
  private Ended streamFrame(Frame frame) throws ProtocolError {
    switch (frame.type()) {
      case Http2Frames.WINDOW_UPDATE -> sendWindow = (int) Math.min(Integer.MAX_VALUE,
          (long) sendWindow + (frame.word(0) & 0x7fffffff));
      case Http2Frames.RST_STREAM -> {
        long code = frame.word(0);
        return new Ended(rpcError(code == 7 ? "Unavailable" : code == 8 ? "Canceled" : code == 11
            ? "ResourceExhausted" : code == 12 ? "PermissionDenied" : "Internal",
            "stream terminated by RST_STREAM with error code: " + Http2Frames.errorCode(code)));
      }
      case Http2Frames.PUSH_PROMISE -> throw new ProtocolError("PUSH_PROMISE although push is disabled");
      case Http2Frames.HEADERS, Http2Frames.CONTINUATION -> {
        if (headerBlock(frame)) {
          return new Ended(verdict(response.toByteArray(), lastFields));
        }
      }
      case Http2Frames.DATA -> {
        response.writeBytes(frame.unpadded());
        if (response.size() > MAX_RESPONSE) {
          throw new ProtocolError("response larger than " + MAX_RESPONSE + " bytes");
        }
        if (frame.has(Http2Frames.FLAG_END_STREAM)) {
          return new Ended(verdict(response.toByteArray(), lastFields));
        }
      }
      default -> { } // PRIORITY, unknown types
    }
    return null;
  }

  /** Adds a HEADERS or CONTINUATION frame to the header block; true once a block that ends the stream is read. */
  private boolean headerBlock(Frame frame) throws ProtocolError {
    if (frame.type() == Http2Frames.HEADERS) {
      if (block != null) {
        throw new ProtocolError("HEADERS inside a header block");
      }
      block = new ByteArrayOutputStream();
      blockEndsStream = frame.has(Http2Frames.FLAG_END_STREAM);
    } else if (block == null) {
      throw new ProtocolError("CONTINUATION without HEADERS");
    }
    block.writeBytes(frame.type() == Http2Frames.HEADERS ? frame.headerFragment() : frame.payload());
    if (block.size() > MAX_HEADER_BLOCK) {
      throw new ProtocolError("header block larger than " + MAX_HEADER_BLOCK + " bytes");
    }
    if (!frame.has(Http2Frames.FLAG_END_HEADERS)) {
      return false;
    }
    lastFields = hpack.decode(block.toByteArray()); // every block, in order: the dynamic table is shared
    block = null;
    return blockEndsStream;
  }

  /** Sends as much of the request's DATA as the windows allow, from {@code sent}; returns the new offset. */
  private int send(OutputStream out, int sent) throws IOException {
    while (sent < request.length) {
      int chunk = Math.min(request.length - sent, Math.min(peerMaxFrame, Math.min(sendWindow, connectionWindow)));
      if (chunk <= 0) {
        return sent;
      }
      boolean last = sent + chunk == request.length;
      Http2Frames.write(out, Http2Frames.DATA, last ? Http2Frames.FLAG_END_STREAM : 0, STREAM,
          java.util.Arrays.copyOfRange(request, sent, sent + chunk));
      sendWindow -= chunk;
      connectionWindow -= chunk;
      sent += chunk;
    }
    out.flush();
    return sent;
  }

  /** The stream ended: the trailers' grpc-status, then the HealthCheckResponse, decide. */
  private String verdict(byte[] response, List<String[]> trailers) throws ProtocolError {
    String status = field(trailers, "grpc-status");
    String message = GrpcMessages.percentDecoded(field(trailers, "grpc-message"));
    if (status == null) {
      return rpcError("Internal", response.length == 0 ? "the server ended the call without a grpc-status"
          : "server closed the stream without sending trailers");
    }
    if (!"0".equals(status)) {
      int code = status.matches("[0-9]{1,4}") ? Integer.parseInt(status) : -1;
      if (code == 12) {
        return "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): " + message;
      }
      return code < 0 ? rpcError("Internal", "transport: malformed grpc-status: " + status)
          : rpcError(GrpcMessages.codeName(code), message);
    }
    if (response.length == 0) {
      return rpcError("Internal", "the server ended the call without a response");
    }
    if (response.length < 5 || response[0] != 0) {
      throw new ProtocolError(response.length < 5 ? "truncated gRPC message"
          : "compressed gRPC message although none was accepted");
    }
    long length = ((response[1] & 0xffL) << 24) | ((response[2] & 0xff) << 16) | ((response[3] & 0xff) << 8)
        | (response[4] & 0xff);
    if (length != response.length - 5) {
      throw new ProtocolError("gRPC message of " + length + " bytes in " + (response.length - 5));
    }
    long serving = GrpcMessages.servingStatus(response, 5);
    if (serving == SERVING) {
      return null;
    }
    return "service unhealthy (responded with \"" + GrpcMessages.statusName(serving) + "\")";
  }

  private static String field(List<String[]> fields, String name) {
    return fields.stream().filter(f -> name.equals(f[0])).map(f -> f[1]).reduce((a, b) -> b).orElse(null);
  }

  private static String rpcError(String code, String description) {
    return "error: health rpc probe failed: rpc error: code = " + code + " desc = " + description;
  }

  /**
   * The socket's input, unbuffered, each read bounded by the time left until the deadline: a server dripping bytes
   * cannot stretch the call past the probe's timeout.
   */
  private final class BoundedInput extends InputStream {
    private final Socket socket;
    private final InputStream in;

    BoundedInput(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
    }

    @Override
    public int read() throws IOException {
      socket.setSoTimeout(remainingMillis());
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      socket.setSoTimeout(remainingMillis());
      return in.read(b, off, len);
    }
  }
}
