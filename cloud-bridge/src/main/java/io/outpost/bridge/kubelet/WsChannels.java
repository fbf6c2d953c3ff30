package io.outpost.bridge.kubelet;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The kubelet's WebSocket channel protocols (apimachinery {@code httpstream/wsstream}): every message carries one
 * channel's bytes, the channel first — a byte in the binary protocols ({@code v5.channel.k8s.io},
 * {@code v4.channel.k8s.io}, {@code channel.k8s.io}), an ASCII digit followed by base64 in the text ones
 * ({@code v4.base64.channel.k8s.io}, {@code base64.channel.k8s.io}). {@code v5} adds the close signal: a message
 * {@code [255, channel]} from the client closes that channel (stdin's end). The v4 protocols (and v5) end an exec
 * with a {@code metav1.Status} as JSON on the error channel; the older ones with the error's message only. Pure
 * functions.
 */
final class WsChannels {
  static final String V5 = "v5.channel.k8s.io";
  static final String V4 = "v4.channel.k8s.io";
  static final String V4_BASE64 = "v4.base64.channel.k8s.io";
  static final String V1 = "channel.k8s.io";
  static final String V1_BASE64 = "base64.channel.k8s.io";
  /** exec and attach, in the kubelet's preference; "" is a client that asks for no protocol (binary, as v1). */
  static final List<String> EXEC = List.of(V5, V4, V4_BASE64, V1, V1_BASE64);
  /** port-forward: per port a data and an error channel, each opened with the port (kubelet portforward/websocket.go). */
  static final List<String> PORT_FORWARD = List.of(V4, V4_BASE64, V1, V1_BASE64);

  static final int STDIN = 0;
  static final int STDOUT = 1;
  static final int STDERR = 2;
  static final int ERROR = 3;
  static final int RESIZE = 4;
  /** v5: {@code [CLOSE, channel]} closes a channel. */
  static final int CLOSE = 255;

  private WsChannels() {}

  /** A negotiated protocol: how messages are framed and how an exec's end is told. */
  record Protocol(String name, boolean base64, boolean statusAsJson, boolean closeSignal) {
    static Protocol of(String name) {
      return switch (name) {
        case V5 -> new Protocol(V5, false, true, true);
        case V4 -> new Protocol(V4, false, true, false);
        case V4_BASE64 -> new Protocol(V4_BASE64, true, true, false);
        case V1_BASE64 -> new Protocol(V1_BASE64, true, false, false);
        default -> new Protocol(name, false, false, false); // channel.k8s.io, or none asked
      };
    }
  }

  /** A message from the client: bytes on a channel, or ({@code closed}) the client closed that channel. */
  record Message(int channel, byte[] data, boolean closed) {}

  /** A message that breaks the protocol. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message);
    }
  }

  /**
   * The protocol to answer with: the first the client offers that is {@code supported} (the client's order, as
   * wsstream's handshake); "" if the client offers none; null if it offers only others (refused).
   */
  static String select(List<String> offered, List<String> supported) {
    if (offered.isEmpty()) {
      return "";
    }
    return offered.stream().filter(supported::contains).findFirst().orElse(null);
  }

  /** One message with {@code data} on {@code channel}. */
  static WebSocketFrame encode(Protocol protocol, int channel, byte[] data) {
    if (protocol.base64()) {
      return new TextWebSocketFrame((char) ('0' + channel) + Base64.getEncoder().encodeToString(data));
    }
    ByteBuf frame = Unpooled.buffer(1 + data.length);
    frame.writeByte(channel).writeBytes(data);
    return new BinaryWebSocketFrame(frame);
  }

  /** The message a client sent; null for an empty one (ignored, as wsstream does). */
  static Message decode(Protocol protocol, WebSocketFrame frame) throws Malformed {
    byte[] bytes = ByteBufUtil.getBytes(frame.content());
    if (bytes.length == 0) {
      return null;
    }
    if (frame instanceof TextWebSocketFrame != protocol.base64()) {
      throw new Malformed((protocol.base64() ? "a binary" : "a text") + " message under " + name(protocol));
    }
    if (protocol.closeSignal() && (bytes[0] & 0xff) == CLOSE) {
      if (bytes.length != 2) {
        throw new Malformed("a close signal of " + bytes.length + " bytes (2 expected)");
      }
      return new Message(bytes[1] & 0xff, new byte[0], true);
    }
    if (protocol.base64()) {
      int channel = bytes[0] - '0';
      if (channel < 0 || channel > 9) {
        throw new Malformed("channel '" + (char) bytes[0] + "' is not a digit");
      }
      try {
        String text = new String(bytes, 1, bytes.length - 1, StandardCharsets.US_ASCII);
        return new Message(channel, Base64.getDecoder().decode(text), false);
      } catch (IllegalArgumentException e) {
        throw new Malformed("channel " + channel + ": not base64: " + e.getMessage());
      }
    }
    byte[] data = new byte[bytes.length - 1];
    System.arraycopy(bytes, 1, data, 0, data.length);
    return new Message(bytes[0] & 0xff, data, false);
  }

  /** What a port-forward's channels carry first: the port, 2 bytes little-endian. */
  static byte[] port(int port) {
    return new byte[] {(byte) port, (byte) (port >>> 8)};
  }

  /**
   * What an exec or attach ends with on the error channel: the {@code metav1.Status} as JSON (v4 and v5), else
   * the failure's message, or nothing on success.
   */
  static byte[] status(Protocol protocol, io.outpost.protocol.stream.StreamEnd end) {
    if (protocol.statusAsJson()) {
      return SpdyStreams.status(end);
    }
    if (end.success()) {
      return null;
    }
    String message = end.code() == 200 ? "command terminated with non-zero exit code: exit status "
        + (end.exitCode() & 0xff) : end.message();
    return String.valueOf(message).getBytes(StandardCharsets.UTF_8);
  }

  private static String name(Protocol protocol) {
    return protocol.name().isEmpty() ? "the default protocol" : protocol.name();
  }
}
