package io.outpost.bridge.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.outpost.protocol.stream.StreamEnd;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kubelet's WebSocket channel framing, byte for byte as wsstream writes and reads it. */
class WsChannelsTest {
  private static final WsChannels.Protocol V5 = WsChannels.Protocol.of(WsChannels.V5);
  private static final WsChannels.Protocol V4 = WsChannels.Protocol.of(WsChannels.V4);
  private static final WsChannels.Protocol V4_BASE64 = WsChannels.Protocol.of(WsChannels.V4_BASE64);
  private static final WsChannels.Protocol V1 = WsChannels.Protocol.of(WsChannels.V1);
  private static final WsChannels.Protocol NONE = WsChannels.Protocol.of("");

  @Test
  void theClientsFirstSupportedProtocolIsChosenAndUnknownOnesAreRefused() {
    assertThat(WsChannels.select(List.of("v5.channel.k8s.io", "v4.channel.k8s.io"), WsChannels.EXEC))
        .isEqualTo("v5.channel.k8s.io");
    assertThat(WsChannels.select(List.of("v4.base64.channel.k8s.io", "v5.channel.k8s.io"), WsChannels.EXEC))
        .as("the client's order, as wsstream's handshake").isEqualTo("v4.base64.channel.k8s.io");
    assertThat(WsChannels.select(List.of(), WsChannels.EXEC)).as("no protocol asked: binary").isEmpty();
    assertThat(WsChannels.select(List.of("v5.channel.k8s.io"), WsChannels.PORT_FORWARD))
        .as("port-forward has no v5 at the kubelet").isNull();
    assertThat(WsChannels.select(List.of("SPDY/3.1+portforward.k8s.io"), WsChannels.PORT_FORWARD)).isNull();
  }

  @Test
  void binaryMessagesCarryTheChannelAsTheirFirstByte() throws Exception {
    WebSocketFrame frame = WsChannels.encode(V4, WsChannels.STDERR, "oops".getBytes(StandardCharsets.UTF_8));
    assertThat(frame).isInstanceOf(BinaryWebSocketFrame.class);
    assertThat(ByteBufUtil.getBytes(frame.content())).containsExactly(2, 'o', 'o', 'p', 's');
    frame.release();

    WsChannels.Message stdin = WsChannels.decode(NONE, binary(0, 'l', 's', '\n'));
    assertThat(stdin.channel()).isZero();
    assertThat(new String(stdin.data(), StandardCharsets.UTF_8)).isEqualTo("ls\n");
    assertThat(stdin.closed()).isFalse();
    assertThat(WsChannels.decode(V4, binary())).as("an empty message is skipped").isNull();
    assertThat(WsChannels.decode(V4, binary(0)).data()).as("a channel byte alone: no data").isEmpty();
  }

  @Test
  void base64MessagesAreTextWithTheChannelAsADigit() throws Exception {
    WebSocketFrame frame = WsChannels.encode(V4_BASE64, WsChannels.STDOUT, "hi".getBytes(StandardCharsets.UTF_8));
    assertThat(frame).isInstanceOf(TextWebSocketFrame.class);
    assertThat(((TextWebSocketFrame) frame).text()).isEqualTo("1aGk=");
    frame.release();

    WsChannels.Message resize = WsChannels.decode(V4_BASE64, new TextWebSocketFrame("4"
        + java.util.Base64.getEncoder().encodeToString("{\"Width\":80,\"Height\":24}".getBytes())));
    assertThat(resize.channel()).isEqualTo(4);
    assertThat(new String(resize.data(), StandardCharsets.UTF_8)).isEqualTo("{\"Width\":80,\"Height\":24}");
    assertThatThrownBy(() -> WsChannels.decode(V4_BASE64, new TextWebSocketFrame("0%%%")))
        .isInstanceOf(WsChannels.Malformed.class).hasMessageContaining("base64");
    assertThatThrownBy(() -> WsChannels.decode(V4_BASE64, new TextWebSocketFrame("xaGk=")))
        .isInstanceOf(WsChannels.Malformed.class).hasMessageContaining("digit");
    assertThatThrownBy(() -> WsChannels.decode(V4_BASE64, binary(0, 1)))
        .as("a binary message under a text protocol").isInstanceOf(WsChannels.Malformed.class);
    assertThatThrownBy(() -> WsChannels.decode(V4, new TextWebSocketFrame("0aGk=")))
        .as("a text message under a binary protocol").isInstanceOf(WsChannels.Malformed.class);
  }

  @Test
  void v5ClosesAChannelWithTheCloseSignalOthersDoNot() throws Exception {
    WsChannels.Message close = WsChannels.decode(V5, binary(255, 0));
    assertThat(close.closed()).isTrue();
    assertThat(close.channel()).isZero();
    assertThatThrownBy(() -> WsChannels.decode(V5, binary(255, 0, 1))).isInstanceOf(WsChannels.Malformed.class);
    WsChannels.Message v4 = WsChannels.decode(V4, binary(255, 0));
    assertThat(v4.closed()).as("v4 has no close signal: channel 255, ignored by the sessions").isFalse();
    assertThat(v4.channel()).isEqualTo(255);
  }

  @Test
  void portForwardChannelsOpenWithThePortLittleEndian() {
    assertThat(WsChannels.port(8080)).containsExactly(0x90, 0x1f);
    assertThat(WsChannels.port(65535)).containsExactly(0xff, 0xff);
  }

  @Test
  void v4AndV5EndWithAStatusTheOlderProtocolsWithTheMessageOnly() {
    String exit3 = new String(WsChannels.status(V5, StreamEnd.ok(3)), StandardCharsets.UTF_8);
    assertThat(exit3).contains("\"status\":\"Failure\"").contains("\"reason\":\"NonZeroExitCode\"")
        .contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]");
    assertThat(new String(WsChannels.status(V4, StreamEnd.ok(0)), StandardCharsets.UTF_8))
        .isEqualTo("{\"metadata\":{},\"status\":\"Success\"}");
    assertThat(WsChannels.status(V1, StreamEnd.ok(0))).as("success: nothing on the error channel").isNull();
    assertThat(new String(WsChannels.status(V1, StreamEnd.ok(3)), StandardCharsets.UTF_8))
        .isEqualTo("command terminated with non-zero exit code: exit status 3");
    assertThat(new String(WsChannels.status(V1, StreamEnd.error(409, "container app is not running")),
        StandardCharsets.UTF_8)).isEqualTo("container app is not running");
  }

  private static BinaryWebSocketFrame binary(int... bytes) {
    byte[] content = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      content[i] = (byte) bytes[i];
    }
    return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(content));
  }
}
