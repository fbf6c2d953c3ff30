package io.outpost.identity;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * Socket factories for the MQTT links of nodes and bridge, with Nagle's algorithm off ({@code TCP_NODELAY}), over
 * the TLS contexts of this package ({@link Tls}) or plain sockets. With it on, a small publish waits for the
 * acknowledgement of the one before it, and the peer delays that acknowledgement (up to 40 ms on Linux): interactive
 * streams (kubectl exec) paid about 80 ms per round trip and log streams crawled. MQTT already batches what it can,
 * so nothing is gained by letting TCP wait. Transport, not wire format: it lives with the TLS contexts both links
 * (the node's sync and the bridge) connect with, the one module they share besides the wire format.
 */
public final class MqttSockets {
  private MqttSockets() {}

  /**
   * For a broker URL without a TLS context of our own: the JVM's default TLS for {@code ssl://} and
   * {@code wss://}, plain sockets otherwise.
   */
  public static SocketFactory forUrl(String brokerUrl) {
    return brokerUrl.startsWith("ssl://") || brokerUrl.startsWith("wss://")
        ? tls((SSLSocketFactory) SSLSocketFactory.getDefault())
        : new NoDelay(SocketFactory.getDefault());
  }

  /** For {@code ssl://} broker URLs: {@code tls}'s sockets, with Nagle's algorithm off. */
  public static SSLSocketFactory tls(SSLSocketFactory tls) {
    return new NoDelayTls(tls);
  }

  private static <S extends Socket> S noDelay(S socket) throws IOException {
    socket.setTcpNoDelay(true);
    return socket;
  }

  private static final class NoDelay extends SocketFactory {
    private final SocketFactory delegate;

    NoDelay(SocketFactory delegate) {
      this.delegate = delegate;
    }

    @Override
    public Socket createSocket() throws IOException {
      return noDelay(delegate.createSocket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
      return noDelay(delegate.createSocket(host, port, local, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) throws IOException {
      return noDelay(delegate.createSocket(host, port, local, localPort));
    }
  }

  private static final class NoDelayTls extends SSLSocketFactory {
    private final SSLSocketFactory delegate;

    NoDelayTls(SSLSocketFactory delegate) {
      this.delegate = delegate;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
      return noDelay(delegate.createSocket());
    }

    @Override
    public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
      return noDelay(delegate.createSocket(socket, host, port, autoClose));
    }

    @Override
    public Socket createSocket(Socket socket, InputStream consumed, boolean autoClose) throws IOException {
      return noDelay(delegate.createSocket(socket, consumed, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
      return noDelay(delegate.createSocket(host, port, local, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) throws IOException {
      return noDelay(delegate.createSocket(host, port, local, localPort));
    }
  }
}
