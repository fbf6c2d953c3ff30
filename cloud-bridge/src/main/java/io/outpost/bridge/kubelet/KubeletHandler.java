package io.outpost.bridge.kubelet;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.outpost.bridge.config.KubeletConfig;
import io.outpost.identity.Pki;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamRequest;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes kubelet API requests: {@code GET /containerLogs/{ns}/{pod}/{container}} is answered here as a chunked
 * text stream; {@code /exec/...}, {@code /attach/...} and {@code /portForward/...} are upgraded to SPDY
 * ({@link SpdyStreams}) or to a WebSocket ({@link WebSocketStreams}), as the client asks. The pod
 * must exist and be bound to an edge node; the caller's certificate must be one the allowed users hold.
 */
final class KubeletHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(KubeletHandler.class);

  /** A pod the kubelet API may serve: its edge node and uid. */
  /** Where a request goes, and who asked (the client certificate's common name; empty if unknown). */
  record Target(String node, String uid, String user) {
    Target(String node, String uid) {
      this(node, uid, "");
    }

    Target by(String caller) {
      return new Target(node, uid, caller);
    }
  }

  /** A request that cannot be served, with its HTTP status. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    final int code;

    Refused(int code, String message) {
      super(message);
      this.code = code;
    }
  }

  interface Routes {
    /** The pod's edge node and uid; refused (404) if it is unknown or not bound to a connected edge node. */
    Target target(String namespace, String pod) throws Refused;

    StreamRelay relay();

    /**
     * The resource usage of the edge node a request names by its {@code Host} ({@code <node>.<node domain>}); refused
     * (404) if the host names no edge node, or the node has sent no figures yet.
     */
    NodeUsage usage(String host) throws Refused;
  }

  /** An edge node's newest figures; {@code stale}: older than the staleness limit (the node is cut off). */
  record NodeUsage(String node, EdgeStats.Samples samples, boolean stale) {}

  private final Routes routes;
  private final Set<String> allowedUsers;
  /** Who may read resource usage only ({@code nodes/stats}, {@code nodes/metrics}): metrics-server. */
  private final Set<String> metricsUsers;
  /** The caller of the request being served on this connection (one handler per connection). */
  private String user = "";

  KubeletHandler(Routes routes, Set<String> allowedUsers) {
    this(routes, allowedUsers, Set.of());
  }

  KubeletHandler(Routes routes, Set<String> allowedUsers, Set<String> metricsUsers) {
    this.routes = routes;
    this.allowedUsers = allowedUsers;
    this.metricsUsers = metricsUsers;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (ctx.pipeline().get("idle") != null) {
      ctx.pipeline().remove("idle");
    }
    if (request.decoderResult().isFailure()) {
      respond(ctx, 400, "malformed request (the request line is limited to " + KubeletServer.MAX_REQUEST_LINE
          + " bytes): " + request.decoderResult().cause().getMessage());
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String[] path = uri.path().replaceAll("^/+", "").split("/");
    try {
      String user = caller(ctx);
      this.user = user;
      boolean allowed = allowedUsers.contains(KubeletConfig.ANY_USER) || allowedUsers.contains(user);
      boolean readsUsage = "stats".equals(path[0]) || "metrics".equals(path[0]) || "healthz".equals(path[0]);
      if (!allowed && !(readsUsage && metricsUsers.contains(user))) {
        throw new Refused(403, "user " + user + " may not use the kubelet API of edge nodes"
            + (metricsUsers.contains(user) ? " beyond /stats/summary and /metrics/resource" : ""));
      }
      switch (path[0]) {
        case "healthz" -> respond(ctx, 200, "ok");
        case "stats" -> {
          // /stats/summary (the Summary API); the kubelet's older /stats/... endpoints are gone from it too
          requireUsage(request, path, "summary");
          NodeUsage usage = routes.usage(request.headers().get(HttpHeaderNames.HOST));
          respond(ctx, request, "application/json", StatsSummary.render(usage.node(), usage.samples()));
        }
        case "metrics" -> {
          // /metrics/resource; the kubelet's own /metrics, /metrics/cadvisor and /metrics/probes are not offered
          requireUsage(request, path, "resource");
          NodeUsage usage = routes.usage(request.headers().get(HttpHeaderNames.HOST));
          respond(ctx, request, ResourceMetrics.CONTENT_TYPE, ResourceMetrics.render(usage.samples(),
              usage.stale()).getBytes(StandardCharsets.UTF_8));
        }
        case "containerLogs" -> logs(ctx, path, uri.parameters());
        case "exec", "attach" -> {
          // /{exec|attach}/{ns}/{pod}/{container} or /{exec|attach}/{ns}/{pod}/{uid}/{container}
          requireLength(path, 4, 5);
          Target target = target(path[1], path[2]);
          if (path.length == 5 && !path[3].equals(target.uid())) {
            throw new Refused(404, "pod " + path[1] + "/" + path[2] + " has another uid than " + path[3]);
          }
          StreamRequest stream = StreamRequests.execOrAttach(path[0], path[1], path[2], target.uid(),
              path[path.length - 1], uri.parameters());
          if (WebSocketStreams.requested(request)) {
            WebSocketStreams.exec(ctx, request, routes.relay(), target, stream);
          } else {
            SpdyStreams.exec(ctx, request, routes.relay(), target, stream);
          }
        }
        case "portForward" -> {
          // /portForward/{ns}/{pod} or /portForward/{ns}/{pod}/{uid}
          requireLength(path, 3, 4);
          Target target = target(path[1], path[2]);
          if (path.length == 4 && !path[3].equals(target.uid())) {
            throw new Refused(404, "pod " + path[1] + "/" + path[2] + " has another uid than " + path[3]);
          }
          if (WebSocketStreams.requested(request)) {
            WebSocketStreams.portForward(ctx, request, routes.relay(), target, path[1], path[2],
                StreamRequests.ports(uri.parameters()));
          } else {
            SpdyStreams.portForward(ctx, request, routes.relay(), target, path[1], path[2]);
          }
        }
        case "run" -> throw new Refused(501, "/run is not offered by Outpost edge nodes");
        default -> throw new Refused(404, "not found: " + uri.path());
      }
    } catch (Refused e) {
      LOG.info("Kubelet API {} {}: {} {}", request.method(), uri.path(), e.code, e.getMessage());
      respond(ctx, e.code, e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("Kubelet API {} {} failed", request.method(), uri.path(), e);
      respond(ctx, 500, e.toString());
    }
  }

  private Target target(String namespace, String pod) throws Refused {
    return routes.target(namespace, pod).by(user);
  }

  private static void requireUsage(FullHttpRequest request, String[] path, String endpoint) throws Refused {
    if (path.length != 2 || !endpoint.equals(path[1])) {
      throw new Refused(404, "not found: /" + String.join("/", path) + " (edge nodes serve /stats/summary and"
          + " /metrics/resource)");
    }
    if (!io.netty.handler.codec.http.HttpMethod.GET.equals(request.method())) {
      throw new Refused(405, request.method() + " is not allowed on /" + String.join("/", path));
    }
  }

  private static void requireLength(String[] path, int min, int max) throws Refused {
    if (path.length < min || path.length > max) {
      throw new Refused(404, "not found: /" + String.join("/", path));
    }
  }

  /** The common name of the client certificate (verified by TLS against the configured CA). */
  private static String caller(ChannelHandlerContext ctx) throws Refused {
    try {
      X509Certificate certificate = (X509Certificate) ctx.pipeline().get(SslHandler.class).engine().getSession()
          .getPeerCertificates()[0];
      return Pki.commonName(certificate);
    } catch (SSLPeerUnverifiedException | RuntimeException e) {
      throw new Refused(401, "a client certificate is required");
    }
  }

  private void logs(ChannelHandlerContext ctx, String[] path, Map<String, List<String>> query) throws Refused {
    requireLength(path, 4, 4);
    Target target = target(path[1], path[2]);
    long since = number(query, "sinceSeconds", 0);
    String sinceTime = first(query, "sinceTime");
    if (sinceTime != null) {
      try {
        since = Math.max(1, Instant.now().getEpochSecond() - Instant.parse(sinceTime).getEpochSecond());
      } catch (DateTimeParseException e) {
        throw new Refused(400, "sinceTime is not an RFC 3339 time: " + sinceTime);
      }
    }
    long tail = number(query, "tailLines", number(query, "tail", -1));
    StreamRequest request = StreamRequest.logs(path[1], path[2], target.uid(), path[3], flag(query, "follow"),
        (int) Math.min(tail, Integer.MAX_VALUE), flag(query, "timestamps"), flag(query, "previous"), since,
        number(query, "limitBytes", 0));
    validate(request);
    new LogStream(ctx).start(routes.relay(), target, request);
  }

  static void validate(StreamRequest request) throws Refused {
    try {
      request.validate();
    } catch (io.outpost.protocol.ProtocolException e) {
      throw new Refused(400, e.getMessage());
    }
  }

  static boolean flag(Map<String, List<String>> query, String name) {
    String value = first(query, name);
    return "true".equalsIgnoreCase(value) || "1".equals(value);
  }

  static String first(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private static long number(Map<String, List<String>> query, String name, long fallback) throws Refused {
    String value = first(query, name);
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      long parsed = Long.parseLong(value);
      if (parsed < 0) {
        throw new Refused(400, name + " must not be negative");
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new Refused(400, name + " is not a number: " + value);
    }
  }

  /**
   * A 200 answer with {@code body}. The connection stays open if the client asked for keep-alive (metrics-server
   * scrapes every node every 15 s: a TLS handshake per scrape would cost more than the answer), for the next request
   * within the idle limit, as before the first one; else it closes.
   */
  static void respond(ChannelHandlerContext ctx, FullHttpRequest request, String contentType, byte[] body) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    HttpUtil.setContentLength(response, body.length);
    if (!HttpUtil.isKeepAlive(request)) {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    HttpUtil.setKeepAlive(response, true);
    if (ctx.pipeline().get("idle") == null) {
      ctx.pipeline().addAfter("tls", "idle", new io.netty.handler.timeout.IdleStateHandler(
          KubeletServer.IDLE_SECONDS, 0, 0));
    }
    ctx.writeAndFlush(response);
  }

  static void respond(ChannelHandlerContext ctx, int code, String message) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code),
        Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    HttpUtil.setContentLength(response, response.content().readableBytes());
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof IdleStateEvent) {
      ctx.close();
    } else {
      super.userEventTriggered(ctx, event);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("Kubelet API connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }

  /**
   * One {@code containerLogs} answer: the status is sent with the first bytes (so a refusal from the node becomes
   * an HTTP error, as a kubelet's), then chunks as the node sends them; the node gets credit as they are written.
   */
  private static final class LogStream implements StreamRelay.Listener {
    private final ChannelHandlerContext ctx;
    private StreamRelay.Session session;
    private boolean started;

    LogStream(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    void start(StreamRelay relay, Target target, StreamRequest request) {
      ctx.channel().closeFuture().addListener(f -> {
        if (session != null) {
          session.close(); // the client went: the node stops reading the log
        }
      });
      session = relay.open(target, request, this);
    }

    @Override
    public void data(int channel, byte[] bytes) {
      ctx.executor().execute(() -> {
        if (!started) {
          started = true;
          HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
          head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
              .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
          ctx.write(head);
        }
        if (bytes.length == 0) { // the node opened the log: the answer starts before the first line
          ctx.flush();
          return;
        }
        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes))).addListener(f -> {
          if (f.isSuccess()) {
            session.consumed(bytes.length);
          }
        });
      });
    }

    @Override
    public void ended(StreamEnd end) {
      ctx.executor().execute(() -> {
        if (started) {
          // Once bytes went out the status is sent: a failure later can only cut the stream short.
          ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        } else if (end.code() == 200) {
          started = true;
          HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
          head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
          HttpUtil.setContentLength(head, 0);
          ctx.write(head);
          ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        } else {
          respond(ctx, end.code() == 499 ? 500 : end.code(), end.message());
        }
      });
    }
  }
}
