package io.outpost.bridge.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamRequest;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exec or attach over a WebSocket, as the kubelet serves it (cri/streaming/remotecommand/websocket.go): channel
 * 0 stdin, 1 stdout, 2 stderr, 3 the error channel with the end status, 4 terminal sizes as JSON. At the start an
 * empty message on the lowest output channel tells the client the stream is open; at the end the status, then a
 * close frame. stdin ends with the v5 close signal of channel 0 (the older protocols cannot end it; the connection's
 * close does).
 */
final class WsExec extends WsSession implements StreamRelay.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(WsExec.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final StreamRelay relay;
  private final KubeletHandler.Target target;
  private final StreamRequest request;
  private StreamRelay.Session session;

  WsExec(WsChannels.Protocol protocol, StreamRelay relay, KubeletHandler.Target target, StreamRequest request) {
    super(protocol);
    this.relay = relay;
    this.target = target;
    this.request = request;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    super.handlerAdded(ctx);
    int first = request.stdout() ? WsChannels.STDOUT : request.stderr() ? WsChannels.STDERR : WsChannels.ERROR;
    send(first, new byte[0]);
    ctx.flush();
    session = relay.open(target, request, this);
    ctx.channel().closeFuture().addListener(f -> session.close()); // the client went: the node stops too
  }

  @Override
  void received(int channel, byte[] data) {
    if (channel == WsChannels.STDIN && request.stdin()) {
      session.send(data);
    } else if (channel == WsChannels.RESIZE && request.tty()) {
      resize(data);
    } // other channels carry nothing from the client
  }

  @Override
  void closed(int channel) {
    if (channel == WsChannels.STDIN && request.stdin()) {
      session.endInput();
    }
  }

  private void resize(byte[] data) {
    try {
      JsonNode size = JSON.readTree(data);
      session.resize(size.path("Width").asInt(), size.path("Height").asInt());
    } catch (IOException e) {
      LOG.debug("Ignored a malformed resize message of {}", request.describe());
    }
  }

  @Override
  public void data(int channel, byte[] bytes) {
    ctx.executor().execute(() -> write(session, channel == StreamFrame.ERR ? WsChannels.STDERR : WsChannels.STDOUT,
        bytes));
  }

  @Override
  public void ended(StreamEnd end) {
    ctx.executor().execute(() -> {
      byte[] status = WsChannels.status(protocol, end);
      if (status != null) {
        send(WsChannels.ERROR, status);
      }
      close(WebSocketCloseStatus.NORMAL_CLOSURE); // after the output and the status: writes complete in order
    });
  }

  @Override
  public void pause(boolean paused) {
    super.pause(paused);
  }
}
