package io.outpost.bridge.kubelet;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SPDY/3.1 session after the upgrade, as {@link SpdyStreams} and {@link SpdyPortForward} use it: pings answered,
 * the session ended when the client resets or goes, the relay's back-pressure applied to the connection.
 */
abstract class SpdySession extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(SpdySession.class);

  ChannelHandlerContext ctx;
  private final ReadPauses pauses = new ReadPauses();

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof SpdySynStreamFrame syn) {
        opened(syn.streamId(), syn.headers().getAsString("streamtype"), syn);
      } else if (msg instanceof SpdyDataFrame data) {
        byte[] bytes = ByteBufUtil.getBytes(data.content());
        received(data.streamId(), bytes, data.isLast());
      } else if (msg instanceof SpdyRstStreamFrame rst) {
        reset(rst.streamId());
      } else if (msg instanceof SpdyPingFrame ping) {
        ctx.writeAndFlush(new DefaultSpdyPingFrame(ping.id()));
      } else if (msg instanceof SpdyGoAwayFrame) {
        ctx.close();
      } // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  abstract void opened(int streamId, String type, SpdySynStreamFrame syn);

  abstract void received(int streamId, byte[] bytes, boolean last);

  abstract void reset(int streamId);

  /** The relay's back-pressure: the connection is read again once no session on it waits for credit. */
  void pause(boolean paused) {
    pauses.pause(ctx, paused);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("SPDY connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }

  static void reply(ChannelHandlerContext ctx, int streamId) {
    DefaultSpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(streamId);
    reply.headers().set(":status", "200");
    ctx.writeAndFlush(reply);
  }

  /** Writes the last frame of a stream (unflushed); its future, or {@code previous} if there is no such stream. */
  static ChannelFuture fin(ChannelHandlerContext ctx, Integer streamId, byte[] last, ChannelFuture previous) {
    if (streamId == null) {
      return previous;
    }
    return ctx.write(new DefaultSpdyDataFrame(streamId, last == null ? Unpooled.EMPTY_BUFFER
        : Unpooled.wrappedBuffer(last)).setLast(true));
  }

  /** Writes pod bytes to a SPDY stream; the relay gets its credit once they are on the wire. */
  static void write(ChannelHandlerContext ctx, StreamRelay.Session session, Integer streamId,
      byte[] bytes) {
    if (streamId == null || bytes.length == 0) {
      if (session != null) {
        session.consumed(bytes.length);
      }
      return;
    }
    ctx.writeAndFlush(new DefaultSpdyDataFrame(streamId, Unpooled.wrappedBuffer(bytes))).addListener(f -> {
      if (f.isSuccess()) {
        session.consumed(bytes.length);
      }
    });
  }
}
