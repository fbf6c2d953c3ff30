package io.outpost.itests;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A client of the kubelet's WebSocket channel protocols as client-go and the API server speak them
 * ({@code v5.channel.k8s.io}, {@code v4.channel.k8s.io}, {@code v4.base64.channel.k8s.io}), on the JDK's own
 * WebSocket client — written from the protocol, not from the bridge's code: each message is one channel's bytes,
 * the channel first (a byte, or an ASCII digit before base64 text); {@code [255, channel]} closes a channel (v5).
 */
final class ChannelWebSocket implements AutoCloseable {
  private final Map<Integer, ByteArrayOutputStream> channels = new ConcurrentHashMap<>();
  /** Every message in arrival order: channel and size, to check what came first on each channel. */
  final List<int[]> messages = java.util.Collections.synchronizedList(new ArrayList<>());
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private WebSocket socket;
  private boolean base64;
  String protocol;

  /** Connects with {@code protocols} offered, in order; fails with the handshake's answer if refused. */
  static ChannelWebSocket connect(int port, SSLContext tls, String pathAndQuery, String... protocols)
      throws Exception {
    ChannelWebSocket client = new ChannelWebSocket();
    WebSocket.Builder builder = HttpClient.newBuilder().sslContext(tls).build().newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(30));
    if (protocols.length > 0) {
      builder.subprotocols(protocols[0], java.util.Arrays.copyOfRange(protocols, 1, protocols.length));
    }
    client.socket = builder.buildAsync(URI.create("wss://127.0.0.1:" + port + pathAndQuery), client.listener())
        .get(60, TimeUnit.SECONDS);
    client.protocol = client.socket.getSubprotocol();
    client.base64 = client.protocol.contains("base64");
    return client;
  }

  private WebSocket.Listener listener() {
    return new WebSocket.Listener() {
      private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
      private final StringBuilder text = new StringBuilder();

      @Override
      public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        partial.writeBytes(bytes);
        if (last) {
          byte[] message = partial.toByteArray();
          partial.reset();
          received(message[0] & 0xff, java.util.Arrays.copyOfRange(message, 1, message.length));
        }
        webSocket.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          String message = text.toString();
          text.setLength(0);
          received(message.charAt(0) - '0', Base64.getDecoder().decode(message.substring(1)));
        }
        webSocket.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
      }

      @Override
      public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
      }
    };
  }

  private void received(int channel, byte[] data) {
    messages.add(new int[] {channel, data.length});
    ByteArrayOutputStream out = channels.computeIfAbsent(channel, c -> new ByteArrayOutputStream());
    synchronized (out) {
      out.writeBytes(data);
    }
  }

  /** Sends {@code data} on {@code channel}. */
  void send(int channel, byte[] data) {
    if (base64) {
      socket.sendText((char) ('0' + channel) + Base64.getEncoder().encodeToString(data), true).join();
    } else {
      ByteBuffer message = ByteBuffer.allocate(data.length + 1).put((byte) channel).put(data).flip();
      socket.sendBinary(message, true).join();
    }
  }

  void send(int channel, String text) {
    send(channel, text.getBytes(StandardCharsets.UTF_8));
  }

  /** v5: the client closes {@code channel} (stdin's end). */
  void closeChannel(int channel) {
    socket.sendBinary(ByteBuffer.wrap(new byte[] {(byte) 255, (byte) channel}), true).join();
  }

  byte[] bytes(int channel) {
    ByteArrayOutputStream out = channels.get(channel);
    if (out == null) {
      return new byte[0];
    }
    synchronized (out) {
      return out.toByteArray();
    }
  }

  String text(int channel) {
    return new String(bytes(channel), StandardCharsets.UTF_8);
  }

  boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null);
    }
    socket.abort();
  }
}
