package io.outpost.bridge.kubelet;

import io.netty.channel.ChannelHandlerContext;

/**
 * The relay's back-pressure on one client connection (SPDY or WebSocket): each session on it that waits for credit
 * counts as a pause, and the connection is read again once none does.
 */
final class ReadPauses {
  private int pauses;

  /** Counts a pause, or the end of one, and sets the channel's auto-read to match, on the channel's event loop. */
  void pause(ChannelHandlerContext ctx, boolean paused) {
    ctx.executor().execute(() -> {
      pauses += paused ? 1 : -1;
      ctx.channel().config().setAutoRead(pauses <= 0);
    });
  }
}
