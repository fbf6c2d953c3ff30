package io.outpost.bridge.kubelet;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.outpost.protocol.stream.StreamRequest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * {@code exec}, {@code attach} and {@code portForward} over WebSockets, beside SPDY ({@link SpdyStreams}): the
 * upgrade a client (or an API server proxying one) asks with {@code Upgrade: websocket}, the channel protocol chosen
 * from {@code Sec-WebSocket-Protocol} in the client's order ({@link WsChannels}), then the connection is the
 * session's ({@link WsExec}, {@link WsPortForward}).
 */
final class WebSocketStreams {
  /** The largest message a client may send (reassembled from fragments); stdin and port data come in far less. */
  static final int MAX_MESSAGE = 1024 * 1024;

  private WebSocketStreams() {}

  /** Whether the request asks for a WebSocket. */
  static boolean requested(FullHttpRequest http) {
    return http.headers().get(HttpHeaderNames.UPGRADE, "").toLowerCase(Locale.ROOT).contains("websocket");
  }

  static void exec(ChannelHandlerContext ctx, FullHttpRequest http, StreamRelay relay, KubeletHandler.Target target,
      StreamRequest request) throws KubeletHandler.Refused {
    upgrade(ctx, http, WsChannels.EXEC, protocol -> new WsExec(protocol, relay, target, request));
  }

  static void portForward(ChannelHandlerContext ctx, FullHttpRequest http, StreamRelay relay,
      KubeletHandler.Target target, String namespace, String pod, List<Integer> ports)
      throws KubeletHandler.Refused {
    upgrade(ctx, http, WsChannels.PORT_FORWARD, protocol -> new WsPortForward(protocol, relay, target, namespace,
        pod, ports));
  }

  private static void upgrade(ChannelHandlerContext ctx, FullHttpRequest http, List<String> supported,
      Function<WsChannels.Protocol, ChannelHandler> session) throws KubeletHandler.Refused {
    List<String> offered = http.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL).stream()
        .flatMap(v -> Arrays.stream(v.split(","))).map(String::trim).filter(p -> !p.isEmpty()).toList();
    String chosen = WsChannels.select(offered, supported);
    if (chosen == null) {
      throw new KubeletHandler.Refused(400, "requested protocol(s) are not supported: " + offered + "; supports "
          + supported);
    }
    WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory("wss://kubelet" + http.uri(),
        chosen.isEmpty() ? null : chosen, false, MAX_MESSAGE).newHandshaker(http);
    if (handshaker == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return;
    }
    // On the event loop: the handshake puts the WebSocket codec in front of the HTTP codec (which goes once the
    // 101 is out) before anything more is read.
    handshaker.handshake(ctx.channel(), http);
    ctx.pipeline().addBefore("kubelet", "ws-aggregate", new WebSocketFrameAggregator(MAX_MESSAGE));
    ctx.pipeline().replace("kubelet", "streams", session.apply(WsChannels.Protocol.of(chosen)));
  }
}
