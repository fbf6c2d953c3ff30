package io.outpost.bridge.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code exec}, {@code attach} and {@code portForward} as the API server speaks them to a kubelet: an HTTP/1.1 upgrade to SPDY/3.1,
 * then one SPDY stream per channel, named by its {@code streamtype} header. Go's spdystream neither sends nor honours
 * SPDY flow control, so none is used here either: the relay's credit and TCP back-pressure (the connection is not
 * read while the node has no room) bound what is held. Every stream the client opens is answered at once with a
 * SYN_REPLY that carries a header (an empty header block breaks Go's decoder).
 */
final class SpdyStreams {
  private static final Logger LOG = LoggerFactory.getLogger(SpdyStreams.class);
  static final String EXEC_PROTOCOL = "v4.channel.k8s.io";
  static final String PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The client must open all of a session's streams within this time, as a kubelet requires. */
  private static final long STREAM_CREATION_SECONDS = 30;

  private SpdyStreams() {}

  /** An exec or attach ({@link StreamRequests}): the same streams, the node tells them apart. */
  static void exec(ChannelHandlerContext ctx, FullHttpRequest http, StreamRelay relay, KubeletHandler.Target target,
      StreamRequest request) throws KubeletHandler.Refused {
    upgrade(ctx, http, EXEC_PROTOCOL, new Exec(relay, target, request));
  }

  static void portForward(ChannelHandlerContext ctx, FullHttpRequest http, StreamRelay relay,
      KubeletHandler.Target target, String namespace, String pod) throws KubeletHandler.Refused {
    upgrade(ctx, http, PORT_FORWARD_PROTOCOL, new SpdyPortForward(relay, target, namespace, pod));
  }

  /** Answers 101 and turns the connection into a SPDY/3.1 session handled by {@code handler}. */
  private static void upgrade(ChannelHandlerContext ctx, FullHttpRequest http, String protocol,
      ChannelInboundHandlerAdapter handler) throws KubeletHandler.Refused {
    String upgrade = http.headers().get(HttpHeaderNames.UPGRADE, "");
    if (!upgrade.toLowerCase(Locale.ROOT).contains("spdy/3.1")) {
      throw new KubeletHandler.Refused(400, "Upgrade request required (SPDY/3.1)");
    }
    List<String> offered = http.headers().getAll("X-Stream-Protocol-Version").stream()
        .flatMap(v -> java.util.Arrays.stream(v.split(","))).map(String::trim).toList();
    if (!offered.contains(protocol)) {
      FullHttpResponse refused = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
          Unpooled.copiedBuffer("unable to negotiate a stream protocol: the client offers " + offered
              + ", this server speaks " + protocol + "\n", StandardCharsets.UTF_8));
      refused.headers().set("X-Accepted-Stream-Protocol-Versions", protocol)
          .set(HttpHeaderNames.CONTENT_LENGTH, refused.content().readableBytes());
      ctx.writeAndFlush(refused).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    FullHttpResponse switching = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.SWITCHING_PROTOCOLS);
    switching.headers().set(HttpHeaderNames.CONNECTION, "Upgrade").set(HttpHeaderNames.UPGRADE, "SPDY/3.1")
        .set("X-Stream-Protocol-Version", protocol);
    // On the event loop the 101 is encoded by the HTTP codec before it is removed: nothing is read in between.
    ctx.writeAndFlush(switching);
    ctx.pipeline().remove("aggregate");
    ctx.pipeline().replace("http", "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
    ctx.pipeline().replace("kubelet", "streams", handler);
  }

  /** The v4 status an exec ends with on its error stream (exit codes as kubectl reads them). */
  static byte[] status(StreamEnd end) {
    ObjectNode status = JSON.createObjectNode();
    status.putObject("metadata");
    if (end.success()) {
      status.put("status", "Success");
    } else if (end.code() == 200) {
      int exit = end.exitCode() & 0xff;
      status.put("status", "Failure").put("message", "command terminated with non-zero exit code: exit status "
          + exit).put("reason", "NonZeroExitCode");
      status.putObject("details").putArray("causes").addObject().put("reason", "ExitCode")
          .put("message", Integer.toString(exit));
    } else {
      status.put("status", "Failure").put("message", end.message()).put("reason", "InternalError")
          .put("code", end.code());
    }
    return status.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One exec or attach: error, stdin, stdout, stderr and resize streams, opened by the client in that order. */
  private static final class Exec extends SpdySession implements StreamRelay.Listener {
    private final StreamRelay relay;
    private final KubeletHandler.Target target;
    private final StreamRequest request;
    private final Map<String, Integer> streams = new HashMap<>();
    private final StringBuilder resizes = new StringBuilder();
    private StreamRelay.Session session;

    Exec(StreamRelay relay, KubeletHandler.Target target, StreamRequest request) {
      this.relay = relay;
      this.target = target;
      this.request = request;
    }

    private int expected() {
      return 1 + (request.stdin() ? 1 : 0) + (request.stdout() ? 1 : 0) + (request.stderr() ? 1 : 0)
          + (request.tty() ? 1 : 0);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      super.handlerAdded(ctx);
      ctx.executor().schedule(() -> {
        if (session == null && ctx.channel().isActive()) {
          LOG.info("exec {}: the client opened {} of {} streams in {} s", request.describe(), streams.size(),
              expected(), STREAM_CREATION_SECONDS);
          ctx.close();
        }
      }, STREAM_CREATION_SECONDS, TimeUnit.SECONDS);
      ctx.channel().closeFuture().addListener(f -> {
        if (session != null) {
          session.close();
        }
      });
    }

    @Override
    void opened(int streamId, String type, SpdySynStreamFrame syn) {
      if (type == null || streams.containsKey(type) || !List.of("error", "stdin", "stdout", "stderr", "resize")
          .contains(type)) {
        ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(streamId, SpdyStreamStatus.PROTOCOL_ERROR));
        return;
      }
      streams.put(type, streamId);
      reply(ctx, streamId);
      if (session == null && streams.size() == expected()) {
        session = relay.open(target, request, this);
      }
    }

    @Override
    void received(int streamId, byte[] bytes, boolean last) {
      if (session == null) {
        return;
      }
      if (Integer.valueOf(streamId).equals(streams.get("stdin"))) {
        if (bytes.length > 0) {
          session.send(bytes);
        }
        if (last) {
          session.endInput();
        }
      } else if (Integer.valueOf(streamId).equals(streams.get("resize"))) {
        resizes.append(new String(bytes, StandardCharsets.UTF_8));
        int newline;
        while ((newline = resizes.indexOf("\n")) >= 0 || resizes.length() > 0 && resizes.charAt(resizes.length()
            - 1) == '}') {
          int end = newline >= 0 ? newline : resizes.length();
          String line = resizes.substring(0, end).trim();
          resizes.delete(0, Math.min(resizes.length(), end + 1));
          resize(line);
        }
        if (resizes.length() > 4096) {
          resizes.setLength(0);
        }
      }
    }

    private void resize(String line) {
      if (line.isEmpty()) {
        return;
      }
      try {
        JsonNode size = JSON.readTree(line);
        session.resize(size.path("Width").asInt(), size.path("Height").asInt());
      } catch (java.io.IOException e) {
        LOG.debug("Ignored a malformed resize message: {}", line);
      }
    }

    @Override
    void reset(int streamId) {
      if (!Integer.valueOf(streamId).equals(streams.get("stdin"))
          && !Integer.valueOf(streamId).equals(streams.get("resize"))) {
        ctx.close(); // the client gave up on the output: the session ends with the connection
      }
    }

    @Override
    public void data(int channel, byte[] bytes) {
      ctx.executor().execute(() -> write(ctx, session, streams.get(channel == StreamFrame.ERR ? "stderr"
          : "stdout"), bytes));
    }

    @Override
    public void ended(StreamEnd end) {
      ctx.executor().execute(() -> {
        ChannelFuture last = fin(ctx, streams.get("stdout"), null, null);
        last = fin(ctx, streams.get("stderr"), null, last);
        last = fin(ctx, streams.get("error"), status(end), last);
        for (String input : List.of("stdin", "resize")) {
          Integer id = streams.get(input);
          if (id != null) {
            last = ctx.write(new DefaultSpdyRstStreamFrame(id, SpdyStreamStatus.CANCEL));
          }
        }
        ctx.flush();
        // Closed once the last frame is written (writes complete in order): a slow client still gets the end of
        // the output and the exit status.
        if (last == null) {
          ctx.close();
        } else {
          last.addListener(ChannelFutureListener.CLOSE);
        }
      });
    }

    @Override
    public void pause(boolean paused) {
      super.pause(paused);
    }
  }
}
