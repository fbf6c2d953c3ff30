package io.outpost.bridge.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamFrame.Type;
import io.outpost.protocol.stream.StreamRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Exec and port-forward sessions over a WebSocket against the relay: what the client sees on which channel, and what
 * the node is sent, for the client's messages.
 */
class WsSessionsTest {
  private final List<StreamFrame> sent = new CopyOnWriteArrayList<>();
  private final StreamRelay relay = new StreamRelay((topic, payload) -> {
    try {
      sent.add(StreamFrame.decode(payload));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return true;
  }, () -> true, new Metrics(), Duration.ofSeconds(10));
  private final KubeletHandler.Target target = new KubeletHandler.Target("edge-1", "uid-1", "api");

  @AfterEach
  void close() {
    relay.close();
  }

  @Test
  void anExecAnnouncesItselfRelaysStdinAndResizesAndEndsWithTheExitStatus() {
    StreamRequest exec = StreamRequest.exec("default", "web", "uid-1", "app", List.of("sh"), true, true, false,
        true);
    EmbeddedChannel channel = new EmbeddedChannel(new WsExec(WsChannels.Protocol.of(WsChannels.V5), relay, target,
        exec));
    assertThat(messages(channel)).as("an empty message on stdout: the stream is open").containsExactly("1:");
    await().until(() -> !sent.isEmpty());
    assertThat(sent.get(0).type()).isEqualTo(Type.OPEN);

    channel.writeInbound(binary(0, 'l', 's', '\n'));
    channel.writeInbound(binary(4, "{\"Width\":120,\"Height\":40}".getBytes(StandardCharsets.UTF_8)));
    channel.writeInbound(binary(255, 0)); // v5: stdin closed
    await().until(() -> sent.size() == 4);
    assertThat(sent.get(1).type()).isEqualTo(Type.DATA);
    assertThat(new String(sent.get(1).payload(), StandardCharsets.UTF_8)).isEqualTo("ls\n");
    assertThat(sent.get(2).type()).isEqualTo(Type.RESIZE);
    assertThat(sent.get(2).width()).isEqualTo(120);
    assertThat(sent.get(2).height()).isEqualTo(40);
    assertThat(sent.get(3).type()).isEqualTo(Type.EOF);

    UUID id = sent.get(0).session();
    relay.receive("edge-1", new StreamFrame(Type.DATA, id, 0, StreamFrame.OUT, "a b\n".getBytes()).encode());
    relay.receive("edge-1", new StreamFrame(Type.END, id, 1, 0, StreamEnd.ok(2).encode()).encode());
    channel.runPendingTasks();
    List<String> out = messages(channel);
    assertThat(out).hasSize(3);
    assertThat(out.get(0)).isEqualTo("1:a b\n");
    assertThat(out.get(1)).startsWith("3:{").contains("\"reason\":\"NonZeroExitCode\"").contains("\"message\":\"2\"");
    assertThat(out.get(2)).isEqualTo("close 1000");
  }

  @Test
  void theClientGoingEndsTheNodesSession() {
    StreamRequest attach = StreamRequest.attach("default", "web", "uid-1", "app", false, true, true, false);
    EmbeddedChannel channel = new EmbeddedChannel(new WsExec(WsChannels.Protocol.of(WsChannels.V4), relay, target,
        attach));
    await().until(() -> !sent.isEmpty());
    assertThat(request(sent.get(0).payload()).kind()).isEqualTo(StreamRequest.ATTACH);
    channel.writeInbound(binary(0, 'x')); // an attach without stdin: nothing goes to the node
    channel.close();
    await().until(() -> sent.get(sent.size() - 1).type() == Type.END);
    assertThat(sent).extracting(StreamFrame::type).containsExactly(Type.OPEN, Type.END);
    assertThat(relay.open()).isZero();
  }

  @Test
  void aPortForwardOpensEveryChannelWithItsPortAndEndsWhenAllPortsEnded() {
    EmbeddedChannel channel = new EmbeddedChannel(new WsPortForward(WsChannels.Protocol.of(WsChannels.V4), relay,
        target, "default", "web", List.of(8080, 9090)));
    assertThat(messages(channel)).containsExactly("0:\u0090\u001f", "1:\u0090\u001f", "2:\u0082#", "3:\u0082#");
    await().until(() -> sent.size() == 2);
    List<Integer> ports = new ArrayList<>();
    sent.forEach(frame -> ports.add(request(frame.payload()).port()));
    assertThat(ports).containsExactly(8080, 9090);

    channel.writeInbound(binary(2, 'G', 'E', 'T'));
    await().until(() -> sent.size() == 3);
    assertThat(sent.get(2).session()).as("channel 2 is the second port's data").isEqualTo(sent.get(1).session());

    relay.receive("edge-1", new StreamFrame(Type.DATA, sent.get(1).session(), 0, StreamFrame.OUT, "OK".getBytes())
        .encode());
    relay.receive("edge-1", new StreamFrame(Type.END, sent.get(1).session(), 1, 0, StreamEnd.ok(null).encode())
        .encode());
    relay.receive("edge-1", new StreamFrame(Type.END, sent.get(0).session(), 0, 0,
        StreamEnd.error(500, "connection refused").encode()).encode());
    channel.runPendingTasks();
    List<String> out = messages(channel);
    assertThat(out.get(0)).isEqualTo("2:OK");
    assertThat(out.get(1)).startsWith("1:error forwarding port 8080 to pod default/web").contains("connection refused");
    assertThat(out.get(2)).isEqualTo("close 1000");
  }

  private static StreamRequest request(byte[] payload) {
    try {
      return StreamRequest.decode(payload);
    } catch (io.outpost.protocol.ProtocolException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> messages(EmbeddedChannel channel) {
    List<String> messages = new ArrayList<>();
    Object message;
    while ((message = channel.readOutbound()) != null) {
      if (message instanceof CloseWebSocketFrame close) {
        messages.add("close " + close.statusCode());
      } else {
        byte[] bytes = ByteBufUtil.getBytes(((WebSocketFrame) message).content());
        messages.add((bytes[0] & 0xff) + ":" + new String(bytes, 1, bytes.length - 1, StandardCharsets.ISO_8859_1));
      }
      io.netty.util.ReferenceCountUtil.release(message);
    }
    return messages;
  }

  private static BinaryWebSocketFrame binary(int channel, char... text) {
    byte[] bytes = new byte[text.length];
    for (int i = 0; i < text.length; i++) {
      bytes[i] = (byte) text[i];
    }
    return binary(channel, bytes);
  }

  private static BinaryWebSocketFrame binary(int channel, byte[] data) {
    byte[] bytes = new byte[data.length + 1];
    bytes[0] = (byte) channel;
    System.arraycopy(data, 0, bytes, 1, data.length);
    return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes));
  }

  private static BinaryWebSocketFrame binary(int channel, int second) {
    return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) channel, (byte) second}));
  }
}
