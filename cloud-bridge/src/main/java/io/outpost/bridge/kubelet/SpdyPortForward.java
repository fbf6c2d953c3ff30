package io.outpost.bridge.kubelet;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code portForward} as the API server speaks it to a kubelet, after {@link SpdyStreams} upgraded the connection:
 * per forwarded connection an error and a data stream, paired by their {@code requestid}, each pair one relay
 * session to the pod's port.
 */
final class SpdyPortForward extends SpdySession {
  private static final Logger LOG = LoggerFactory.getLogger(SpdyPortForward.class);

  private final StreamRelay relay;
  private final KubeletHandler.Target target;
  private final String namespace;
  private final String pod;
  private final Map<String, Pair> pairs = new HashMap<>();
  private final Map<Integer, Pair> byStream = new HashMap<>();

  SpdyPortForward(StreamRelay relay, KubeletHandler.Target target, String namespace, String pod) {
    this.relay = relay;
    this.target = target;
    this.namespace = namespace;
    this.pod = pod;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    super.handlerAdded(ctx);
    ctx.channel().closeFuture().addListener(f -> java.util.List.copyOf(pairs.values()).forEach(Pair::close));
  }

  @Override
  void opened(int streamId, String type, SpdySynStreamFrame syn) {
    String requestId = syn.headers().getAsString("requestid");
    String portText = syn.headers().getAsString("port");
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException | NullPointerException e) {
      port = -1;
    }
    if (requestId == null || port < 1 || port > 65535 || !("error".equals(type) || "data".equals(type))) {
      LOG.info("port-forward to {}/{}: refused a stream (type {}, port {}, request {})", namespace, pod, type,
          portText, requestId);
      ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(streamId, SpdyStreamStatus.PROTOCOL_ERROR));
      return;
    }
    reply(ctx, streamId);
    Pair pair = pairs.computeIfAbsent(requestId, id -> new Pair(id));
    byStream.put(streamId, pair);
    if ("error".equals(type)) {
      pair.errorStream = streamId;
    } else {
      pair.dataStream = streamId;
    }
    if (pair.errorStream != null && pair.dataStream != null && pair.session == null) {
      pair.session = relay.open(target, StreamRequest.portForward(namespace, pod, target.uid(), port),
          pair);
    }
  }

  @Override
  void received(int streamId, byte[] bytes, boolean last) {
    Pair pair = byStream.get(streamId);
    if (pair == null || pair.session == null || !Integer.valueOf(streamId).equals(pair.dataStream)) {
      return; // the error stream carries nothing from the client
    }
    if (bytes.length > 0) {
      pair.session.send(bytes);
    }
    if (last) {
      pair.session.endInput();
    }
  }

  @Override
  void reset(int streamId) {
    Pair pair = byStream.get(streamId);
    if (pair != null) {
      pair.close();
    }
  }

  private final class Pair implements StreamRelay.Listener {
    private final String id;
    private Integer errorStream;
    private Integer dataStream;
    private StreamRelay.Session session;

    Pair(String id) {
      this.id = id;
    }

    void close() {
      if (session != null) {
        session.close();
      }
      forget();
    }

    private void forget() {
      pairs.remove(id);
      byStream.remove(errorStream);
      byStream.remove(dataStream);
    }

    @Override
    public void data(int channel, byte[] bytes) {
      ctx.executor().execute(() -> write(ctx, session, dataStream, bytes));
    }

    @Override
    public void ended(StreamEnd end) {
      ctx.executor().execute(() -> {
        fin(ctx, dataStream, null, null);
        fin(ctx, errorStream, end.code() == 200 || end.code() == 499 ? null
            : ("error forwarding port to pod " + namespace + "/" + pod + ": " + end.message() + "\n")
                .getBytes(StandardCharsets.UTF_8), null);
        ctx.flush();
        forget();
      });
    }

    @Override
    public void pause(boolean paused) {
      SpdyPortForward.this.pause(paused);
    }
  }
}
