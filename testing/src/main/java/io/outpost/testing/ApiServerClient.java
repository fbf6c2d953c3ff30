package io.outpost.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the API server does towards a kubelet, for tests: HTTPS with its kubelet client certificate, a plain GET for
 * {@code containerLogs}, an upgrade to SPDY/3.1 with client-opened streams for {@code exec} and {@code portForward}
 * (as client-go's spdystream does: odd stream ids, {@code streamtype} headers, FIN to half-close).
 */
public final class ApiServerClient {
  private final int port;
  private final KubeletPki pki;
  private final KubeletPki.Identity identity;
  private HttpClient http;

  public ApiServerClient(int port, KubeletPki pki, KubeletPki.Identity identity) {
    this.port = port;
    this.pki = pki;
    this.identity = identity;
  }

  public SSLContext tls() throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("client", identity.key(), new char[0], new java.security.cert.Certificate[] {
        identity.certificate()});
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, new char[0]);
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("ca", pki.ca.certificate());
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
    return context;
  }

  /**
   * A GET as the API server proxies {@code kubectl logs}; the body is read as it streams. One HTTP client per
   * instance: connections are kept alive between requests, as the API server's kubelet transport does.
   */
  public synchronized HttpResponse<java.io.InputStream> get(String pathAndQuery) throws Exception {
    if (http == null) {
      http = HttpClient.newBuilder().sslContext(tls()).version(HttpClient.Version.HTTP_1_1).build();
    }
    return http.send(HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + port + pathAndQuery))
        .timeout(java.time.Duration.ofMinutes(2)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  /** Upgrades to SPDY offering {@code protocols}; returns the session, or its HTTP status if not switched. */
  public Spdy spdy(String pathAndQuery, String... protocols) throws Exception {
    SslContext tls = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
        .keyManager(identity.key(), identity.certificate()).trustManager(pki.ca.certificate()).build();
    EventLoopGroup group = new NioEventLoopGroup(1);
    Spdy spdy = new Spdy(group);
    Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), "127.0.0.1", port))
                .addLast("http", new HttpClientCodec()).addLast("aggregate", new HttpObjectAggregator(65536))
                .addLast("upgrade", new SimpleChannelInboundHandler<FullHttpResponse>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
                    if (response.status().code() == 101) {
                      ctx.pipeline().remove("aggregate");
                      ctx.pipeline().replace("http", "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
                      ctx.pipeline().replace("upgrade", "frames", spdy.frames());
                      spdy.protocol = response.headers().get("X-Stream-Protocol-Version");
                    }
                    spdy.switched.complete(response.status().code());
                  }

                  @Override
                  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    spdy.switched.completeExceptionally(cause);
                    ctx.close();
                  }
                });
          }
        }).connect("127.0.0.1", port).sync().channel();
    spdy.channel = channel;
    DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, pathAndQuery);
    request.headers().set("Host", "127.0.0.1:" + port).set("Connection", "Upgrade").set("Upgrade", "SPDY/3.1")
        .set("Content-Length", "0");
    for (String protocol : protocols) {
      request.headers().add("X-Stream-Protocol-Version", protocol);
    }
    channel.writeAndFlush(request);
    spdy.status = spdy.switched.get(30, TimeUnit.SECONDS);
    return spdy;
  }

  /** A SPDY session after the upgrade: streams are opened by this side, everything received is kept per stream. */
  public static final class Spdy implements AutoCloseable {
    private final EventLoopGroup group;
    final CompletableFuture<Integer> switched = new CompletableFuture<>();
    volatile Channel channel;
    public volatile int status;
    public volatile String protocol;
    private int nextId = 1;
    private final Map<Integer, ByteArrayOutputStream> received = new ConcurrentHashMap<>();
    private final Set<Integer> finished = ConcurrentHashMap.newKeySet();
    private final Set<Integer> replied = ConcurrentHashMap.newKeySet();
    private final Set<Integer> reset = ConcurrentHashMap.newKeySet();

    Spdy(EventLoopGroup group) {
      this.group = group;
    }

    SimpleChannelInboundHandler<Object> frames() {
      return new SimpleChannelInboundHandler<>() {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object frame) {
          if (frame instanceof SpdySynReplyFrame reply) {
            replied.add(reply.streamId());
          } else if (frame instanceof SpdyDataFrame data) {
            received.computeIfAbsent(data.streamId(), id -> new ByteArrayOutputStream())
                .writeBytes(ByteBufUtil.getBytes(data.content()));
            if (data.isLast()) {
              finished.add(data.streamId());
            }
          } else if (frame instanceof SpdyRstStreamFrame rst) {
            reset.add(rst.streamId());
          }
        }
      };
    }

    /** Opens a stream with the given headers ({@code streamtype} and, for port-forward, port and requestid). */
    public synchronized int open(Map<String, String> headers) {
      int id = nextId;
      nextId += 2;
      DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
      headers.forEach((k, v) -> syn.headers().set(k, v));
      channel.writeAndFlush(syn);
      return id;
    }

    public void send(int stream, String text, boolean last) {
      channel.writeAndFlush(new DefaultSpdyDataFrame(stream, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8))
          .setLast(last));
    }

    public String text(int stream) {
      ByteArrayOutputStream bytes = received.get(stream);
      return bytes == null ? "" : bytes.toString(StandardCharsets.UTF_8);
    }

    public boolean finished(int stream) {
      return finished.contains(stream);
    }

    public boolean replied(int stream) {
      return replied.contains(stream);
    }

    public boolean connected() {
      return channel.isActive();
    }

    @Override
    public void close() {
      channel.close().syncUninterruptibly();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

}
