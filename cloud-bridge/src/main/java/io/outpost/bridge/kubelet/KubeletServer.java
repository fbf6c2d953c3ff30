package io.outpost.bridge.kubelet;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.timeout.IdleStateHandler;
import io.outpost.bridge.config.KubeletConfig;
import io.outpost.bridge.net.Pem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet API of every edge node, served by the bridge over HTTPS: the API server connects here (each edge
 * Node's address and kubelet port lead to it) and must present a client certificate signed by the configured CA.
 * Requests are routed by {@link KubeletHandler}; nothing is served without a verified client.
 */
final class KubeletServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubeletServer.class);
  /** Request heads and upgrade requests are small; nothing the kubelet API takes has a large body. */
  private static final int MAX_REQUEST = 64 * 1024;
  /** Room for an exec's longest command ({@code StreamRequest}: 8,192 characters), URL-encoded. */
  static final int MAX_REQUEST_LINE = 64 * 1024;
  /** A connection without a request for this long is closed (before its first request, and between scrapes). */
  static final int IDLE_SECONDS = 60;

  private final EventLoopGroup boss = new NioEventLoopGroup(1);
  private final EventLoopGroup workers = new NioEventLoopGroup(2);
  private final Channel channel;

  KubeletServer(KubeletConfig config, KubeletHandler.Routes routes) throws IOException, GeneralSecurityException,
      InterruptedException {
    SslContext tls = tls(config);
    ServerBootstrap bootstrap = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        // Keep-alive probes find API server connections that vanished without a FIN (a `logs -f` would hold its
        // relay and node sessions otherwise).
        .childOption(io.netty.channel.ChannelOption.SO_KEEPALIVE, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()))
                // A connection that sends no request within a minute is dropped; once a request is served its
                // lifetime is the stream's (a quiet `logs -f` may send nothing for hours).
                .addLast("idle", new IdleStateHandler(IDLE_SECONDS, 0, 0))
                // An exec's command is in the query: a long `sh -c '<script>'` needs more than Netty's 4 KiB line.
                .addLast("http", new HttpServerCodec(MAX_REQUEST_LINE, 8192, 8192))
                .addLast("aggregate", new HttpObjectAggregator(MAX_REQUEST))
                .addLast("kubelet", new KubeletHandler(routes, config.allowedUsers(), config.metricsUsers()));
          }
        });
    Channel bound;
    try {
      bound = bootstrap.bind(config.bind().at(config.port())).sync().channel();
    } catch (RuntimeException | InterruptedException e) {
      stopThreads();
      throw e;
    } catch (Exception e) { // Netty rethrows the bind's IOException undeclared
      stopThreads();
      if (e instanceof IOException io) {
        throw config.bind().bindFailed(config.port(), "OUTPOST_KUBELET_PORT", io);
      }
      throw new IOException(e);
    }
    channel = bound;
    LOG.info("Kubelet API for edge nodes on {} (published as {}:{}), client certificates of {} required",
        config.bind().describe(port()), config.address(), config.publishedPort() != 0 ? config.publishedPort()
            : port(), config.clientCaFile());
  }

  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  private static SslContext tls(KubeletConfig config) throws IOException, GeneralSecurityException {
    char[] password = new char[0];
    KeyStore keys = Pem.keyStore(config.certFile(), config.keyFile(), password);
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, password);
    X509Certificate[] clientCas = CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(config.clientCaFile()))).stream()
        .map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
    if (clientCas.length == 0) {
      throw new GeneralSecurityException("no certificate in " + config.clientCaFile());
    }
    return SslContextBuilder.forServer(keyManagers).sslProvider(SslProvider.JDK).trustManager(clientCas)
        .clientAuth(ClientAuth.REQUIRE).protocols("TLSv1.3", "TLSv1.2").build();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    stopThreads();
  }

  private void stopThreads() {
    boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
  }
}
