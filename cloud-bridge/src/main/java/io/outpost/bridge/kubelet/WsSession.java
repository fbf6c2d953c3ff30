package io.outpost.bridge.kubelet;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket connection after the upgrade ({@link WebSocketStreams}), as {@link WsExec} and {@link WsPortForward}
 * use it: pings answered, the client's close answered and the session ended, messages decoded by the negotiated
 * channel protocol ({@link WsChannels}), the relay's back-pressure applied to the connection. Runs on the
 * connection's event loop.
 */
abstract class WsSession extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(WsSession.class);

  final WsChannels.Protocol protocol;
  ChannelHandlerContext ctx;
  private final ReadPauses pauses = new ReadPauses();
  private boolean closing;

  WsSession(WsChannels.Protocol protocol) {
    this.protocol = protocol;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof BinaryWebSocketFrame || msg instanceof TextWebSocketFrame) {
        WsChannels.Message message = WsChannels.decode(protocol, (io.netty.handler.codec.http.websocketx
            .WebSocketFrame) msg);
        if (message == null) {
          return;
        }
        if (message.closed()) {
          closed(message.channel());
        } else {
          received(message.channel(), message.data());
        }
      } else if (msg instanceof PingWebSocketFrame ping) {
        ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
      } else if (msg instanceof CloseWebSocketFrame) {
        close(WebSocketCloseStatus.NORMAL_CLOSURE);
      } // pongs: nothing to do
    } catch (WsChannels.Malformed e) {
      LOG.info("WebSocket stream from {} closed: {}", ctx.channel().remoteAddress(), e.getMessage());
      close(WebSocketCloseStatus.PROTOCOL_ERROR);
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Bytes from the client on {@code channel}. */
  abstract void received(int channel, byte[] data);

  /** The client closed {@code channel} (v5 close signal). */
  abstract void closed(int channel);

  /** Writes pod bytes to {@code channel}; the relay gets its credit once they are on the wire. */
  void write(StreamRelay.Session session, int channel, byte[] bytes) {
    if (bytes.length == 0 || closing) {
      if (session != null) {
        session.consumed(bytes.length);
      }
      return;
    }
    ctx.writeAndFlush(WsChannels.encode(protocol, channel, bytes)).addListener(f -> {
      if (f.isSuccess() && session != null) {
        session.consumed(bytes.length);
      }
    });
  }

  /** Writes {@code bytes} (unflushed) on {@code channel}. */
  ChannelFuture send(int channel, byte[] bytes) {
    return ctx.write(WsChannels.encode(protocol, channel, bytes));
  }

  /** Sends a close frame after what was written and closes the connection once it is out. */
  void close(WebSocketCloseStatus status) {
    if (closing) {
      return;
    }
    closing = true;
    ctx.writeAndFlush(new CloseWebSocketFrame(status)).addListener(ChannelFutureListener.CLOSE);
  }

  /** The relay's back-pressure: the connection is read again once no session on it waits for credit. */
  void pause(boolean paused) {
    pauses.pause(ctx, paused);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("WebSocket connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
