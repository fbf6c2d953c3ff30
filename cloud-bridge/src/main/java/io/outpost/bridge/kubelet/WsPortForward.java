package io.outpost.bridge.kubelet;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A port-forward over a WebSocket, as the kubelet serves it (cri/streaming/portforward/websocket.go): for the
 * {@code i}-th port of the request, channel {@code 2i} carries data both ways and {@code 2i+1} errors towards the
 * client; the first message on each is the port, 2 bytes little-endian. Each port is one relay session to the pod,
 * opened at once; the connection closes once all of them ended.
 */
final class WsPortForward extends WsSession {
  private final StreamRelay relay;
  private final KubeletHandler.Target target;
  private final String namespace;
  private final String pod;
  private final List<Integer> ports;
  private final Forward[] forwards;
  private int open;

  WsPortForward(WsChannels.Protocol protocol, StreamRelay relay, KubeletHandler.Target target, String namespace,
      String pod, List<Integer> ports) {
    super(protocol);
    this.relay = relay;
    this.target = target;
    this.namespace = namespace;
    this.pod = pod;
    this.ports = List.copyOf(ports);
    this.forwards = new Forward[ports.size()];
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    super.handlerAdded(ctx);
    for (int i = 0; i < ports.size(); i++) {
      byte[] port = WsChannels.port(ports.get(i));
      send(2 * i, port);
      send(2 * i + 1, port);
    }
    ctx.flush();
    open = ports.size();
    for (int i = 0; i < ports.size(); i++) {
      forwards[i] = new Forward(i);
      forwards[i].session = relay.open(target, StreamRequest.portForward(namespace, pod, target.uid(), ports.get(i)),
          forwards[i]);
    }
    ctx.channel().closeFuture().addListener(f -> {
      for (Forward forward : forwards) {
        forward.session.close();
      }
    });
  }

  @Override
  void received(int channel, byte[] data) {
    int index = channel / 2;
    if (channel % 2 == 0 && index < forwards.length) {
      forwards[index].session.send(data);
    } // error channels carry nothing from the client
  }

  @Override
  void closed(int channel) {
    int index = channel / 2;
    if (channel % 2 == 0 && index < forwards.length) {
      forwards[index].session.endInput(); // the client half-closed its connection to this port
    }
  }

  /** One forwarded port. */
  private final class Forward implements StreamRelay.Listener {
    private final int index;
    private StreamRelay.Session session;

    Forward(int index) {
      this.index = index;
    }

    @Override
    public void data(int channel, byte[] bytes) {
      ctx.executor().execute(() -> write(session, 2 * index, bytes));
    }

    @Override
    public void ended(StreamEnd end) {
      ctx.executor().execute(() -> {
        if (end.code() != 200 && end.code() != 499) {
          send(2 * index + 1, ("error forwarding port " + ports.get(index) + " to pod " + namespace + "/" + pod
              + ", uid " + target.uid() + ": " + end.message()).getBytes(StandardCharsets.UTF_8));
          ctx.flush();
        }
        if (--open == 0) {
          close(WebSocketCloseStatus.NORMAL_CLOSURE);
        }
      });
    }

    @Override
    public void pause(boolean paused) {
      WsPortForward.this.pause(paused);
    }
  }
}
