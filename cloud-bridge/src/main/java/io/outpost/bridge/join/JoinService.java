package io.outpost.bridge.join;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.identity.CertificateAuthority;
import io.outpost.protocol.JoinMessages;
import io.outpost.identity.Pki;
import io.outpost.identity.Tls;
import io.outpost.protocol.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.security.KeyPair;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's join endpoint, HTTPS with a server certificate from the bridge's CA (the CA certificate is sent with
 * it, so that a node pinning the CA's fingerprint can trust it on first contact):
 * <ul>
 *   <li>{@code POST /v1/join} — a node name, a one-time token and a CSR: the token is used up and the CA signs a
 *       client certificate for exactly that name;</li>
 *   <li>{@code POST /v1/renew} — authenticated by the node's current client certificate: a new certificate for the
 *       same name, unless the node was revoked.</li>
 * </ul>
 * Every refusal is answered with a reason, logged and counted ({@code outpost_bridge_join_rejected_total{reason}});
 * bodies over {@link JoinMessages#MAX_REQUEST_BYTES} are refused before they are read whole. Each source address
 * (an IPv6 /64) has a request rate ({@link Limits}): beyond it, 429 with {@code Retry-After}, before anything is
 * read or looked up. The log names each address's refusals once a minute at most.
 */
public final class JoinService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JoinService.class);
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final CertificateAuthority ca;
  private final JoinTokens tokens;
  private final NodeCertificates certificates;
  private final Duration validity;
  private final Metrics metrics;
  private final HttpsServer server;
  private final ExecutorService executor;
  private final AddressLimiter limiter;
  private final io.outpost.bridge.metrics.Refusals refusals;

  /**
   * Requests per minute and burst per source address, and how many addresses are tracked at once.
   * {@code OUTPOST_JOIN_PER_MINUTE} (default 60) and {@code OUTPOST_JOIN_BURST} (20).
   */
  public record Limits(int perMinute, int burst, int sources) {
    public static final Limits DEFAULTS = new Limits(60, 20, 10_000);

    public static Limits from(java.util.Map<String, String> settings) {
      return new Limits(io.outpost.bridge.config.BridgeConfig.integer(settings, "OUTPOST_JOIN_PER_MINUTE", 60, 1, 60_000),
          io.outpost.bridge.config.BridgeConfig.integer(settings, "OUTPOST_JOIN_BURST", 20, 1, 10_000), 10_000);
    }
  }

  public JoinService(CertificateAuthority ca, JoinTokens tokens, NodeCertificates certificates, Duration validity,
      Metrics metrics, String bindAddress, int port, List<String> serverNames) throws IOException {
    this(ca, tokens, certificates, validity, metrics, new io.outpost.bridge.net.BindAddress(
        java.net.InetAddress.getByName(bindAddress), "OUTPOST_JOIN_BIND"), port, serverNames, Limits.DEFAULTS);
  }

  /** The endpoint on {@code bind}:{@code port}; a failed bind names both and their settings. */
  public JoinService(CertificateAuthority ca, JoinTokens tokens, NodeCertificates certificates, Duration validity,
      Metrics metrics, io.outpost.bridge.net.BindAddress bind, int port, List<String> serverNames, Limits limits)
      throws IOException {
    this.ca = ca;
    this.limiter = new AddressLimiter(limits.perMinute(), limits.burst(), limits.sources(), System::nanoTime);
    this.refusals = new io.outpost.bridge.metrics.Refusals(metrics, LOG, System::nanoTime);
    this.tokens = tokens;
    this.certificates = certificates;
    this.validity = validity;
    this.metrics = metrics;
    KeyPair keys = Pki.newKeyPair();
    // Made anew at every start; long-lived so that a bridge running for years never serves an expired one.
    X509Certificate serverCertificate = ca.issueServer("outpost-bridge-join", keys.getPublic(), serverNames,
        Duration.ofDays(3650));
    SSLContext tls = Tls.context(keys.getPrivate(), List.of(serverCertificate, ca.certificate()),
        ca.certificate());
    try {
      server = HttpsServer.create(bind.at(port), 64);
    } catch (IOException e) {
      throw bind.bindFailed(port, "OUTPOST_JOIN_PORT", e);
    }
    server.setHttpsConfigurator(new HttpsConfigurator(tls) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters parameters = tls.getDefaultSSLParameters();
        parameters.setWantClientAuth(true); // renewals present their certificate; joins have none yet
        params.setSSLParameters(parameters);
      }
    });
    executor = Executors.newFixedThreadPool(8, runnable -> {
      Thread thread = new Thread(runnable, "outpost-bridge-join");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/v1/join", exchange -> handle(exchange, false));
    server.createContext("/v1/renew", exchange -> handle(exchange, true));
    server.start();
    LOG.info("Join endpoint on https://{} (CA {})", bind.describe(port()), ca.fingerprint());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange, boolean renewal) throws IOException {
    try (exchange) {
      long wait = limiter.admit(exchange.getRemoteAddress().getAddress());
      if (wait > 0) {
        long seconds = Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(wait + 999_999_999L));
        exchange.getResponseHeaders().set("Retry-After", Long.toString(seconds));
        reject(exchange, 429, "rate_limited", "too many requests from this address; retry after " + seconds + " s");
        return;
      }
      if (!"POST".equals(exchange.getRequestMethod())) {
        reject(exchange, 405, "method", "only POST is served here");
        return;
      }
      byte[] body = readBounded(exchange);
      if (body == null) {
        reject(exchange, 413, "oversized", "the request is larger than " + JoinMessages.MAX_REQUEST_BYTES
            + " bytes");
        return;
      }
      Parsed parsed;
      try {
        parsed = parse(body);
      } catch (Refusal e) {
        reject(exchange, e.status, e.reason, e.getMessage());
        return;
      }
      JoinMessages.Request request = parsed.request();
      try {
        ca.check(parsed.csr(), request.node()); // before anything is spent or looked up
      } catch (IllegalArgumentException e) {
        reject(exchange, 400, "invalid_csr", e.getMessage());
        return;
      }
      JoinTokens.Token redeemed = null;
      if (renewal) {
        X509Certificate presented = peer(exchange);
        if (presented == null) {
          reject(exchange, 401, "no_client_certificate", "a renewal must present the node's current certificate");
          return;
        }
        if (!request.node().equals(Pki.commonName(presented))) {
          reject(exchange, 403, "wrong_node", "the client certificate is for '" + Pki.commonName(presented)
              + "', not '" + request.node() + "'");
          return;
        }
        if (!certificates.renewable(request.node(), presented)) {
          reject(exchange, 403, "revoked", "node " + request.node() + " is revoked, or this certificate was not"
              + " issued to it or was revoked");
          return;
        }
      } else {
        if (certificates.revoked(request.node())) {
          reject(exchange, 403, "revoked", "node " + request.node() + " is revoked");
          return;
        }
        try {
          redeemed = tokens.redeem(request.token(), request.node());
        } catch (JoinTokens.Rejected e) {
          reject(exchange, 403, e.reason(), e.getMessage());
          return;
        }
      }
      X509Certificate certificate = ca.signNode(parsed.csr(), request.node(), validity);
      try {
        certificates.record(request.node(), certificate, redeemed);
      } catch (IllegalStateException e) {
        reject(exchange, 403, "revoked", e.getMessage());
        return;
      }
      metrics.increment("outpost_bridge_join_total", "kind", renewal ? "renew" : "join");
      LOG.info("{} node {}: certificate {} valid until {}{}", renewal ? "Renewed" : "Joined", request.node(),
          certificate.getSerialNumber().toString(16), certificate.getNotAfter().toInstant(),
          redeemed == null || redeemed.site() == null ? "" : " (site " + redeemed.site()
              + (redeemed.region() == null ? "" : ", region " + redeemed.region()) + ", from its token)");
      answer(exchange, 200, JoinMessages.Response.ok(Pki.pem(certificate), Pki.pem(ca.certificate())));
    } catch (RuntimeException e) {
      // The Kubernetes API unreachable, say: the node is told to retry, the failure counted and logged.
      LOG.warn("Join request failed", e);
      metrics.increment("outpost_bridge_join_rejected_total", "reason", "internal");
      try {
        answer(exchange, 503, JoinMessages.Response.error("internal", "the join could not be completed ("
            + e.getClass().getSimpleName() + "); try again later"));
      } catch (IOException | RuntimeException answerFailed) {
        LOG.debug("Could not answer the failed join request: {}", answerFailed.toString());
      }
    }
  }

  /** A request that parsed: its fields are present and well-formed, its CSR readable. */
  record Parsed(JoinMessages.Request request, PKCS10CertificationRequest csr) {}

  /** Why a request body is refused before anything is looked up: HTTP status, counted reason, message. */
  static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    final String reason;

    Refusal(int status, String reason, String message) {
      super(message);
      this.status = status;
      this.reason = reason;
    }
  }

  /**
   * Parses and checks a join or renewal body (at most {@link JoinMessages#MAX_REQUEST_BYTES}): JSON of the right
   * version, a valid node name, a readable CSR. Every other input is a {@link Refusal} with its reason.
   */
  static Parsed parse(byte[] body) throws Refusal {
    JoinMessages.Request request;
    try {
      request = JSON.readValue(body, JoinMessages.Request.class);
    } catch (IOException e) {
      throw new Refusal(400, "malformed", "the request is not a join request: " + e.getMessage());
    }
    if (request == null) {
      throw new Refusal(400, "malformed", "the request is empty");
    }
    if (request.v() != JoinMessages.VERSION) {
      throw new Refusal(400, "unsupported_version", "version " + request.v() + " is not served (only "
          + JoinMessages.VERSION + ")");
    }
    if (!Topics.isValidNodeName(request.node())) {
      throw new Refusal(400, "invalid_node", "'" + request.node() + "' is not a valid node name (DNS-1123)");
    }
    if (CertificateAuthority.RESERVED_NAMES.contains(request.node())) {
      throw new Refusal(400, "invalid_node", "'" + request.node() + "' is reserved and cannot be a node's name");
    }
    try {
      return new Parsed(request, Pki.csr(request.csr() == null ? "" : request.csr()));
    } catch (IllegalArgumentException e) {
      throw new Refusal(400, "invalid_csr", e.getMessage());
    }
  }

  /** The verified client certificate, or null if none was presented. */
  private static X509Certificate peer(HttpExchange exchange) {
    if (!(exchange instanceof HttpsExchange https)) {
      return null;
    }
    try {
      Certificate[] chain = https.getSSLSession().getPeerCertificates();
      return chain.length == 0 ? null : (X509Certificate) chain[0];
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** The body, or null if it is (or announces itself as) larger than the limit; never reads more than limit + 1. */
  private static byte[] readBounded(HttpExchange exchange) throws IOException {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > JoinMessages.MAX_REQUEST_BYTES) {
          return null;
        }
      } catch (NumberFormatException e) {
        return null;
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(JoinMessages.MAX_REQUEST_BYTES + 1);
      return body.length > JoinMessages.MAX_REQUEST_BYTES ? null : body;
    }
  }

  private void reject(HttpExchange exchange, int status, String reason, String message) throws IOException {
    String source = AddressLimiter.key(exchange.getRemoteAddress().getAddress());
    refusals.refuse(source + " (" + reason + ")", "Refused a join request from " + exchange.getRemoteAddress()
        + ": " + message + " (" + reason + ")", "outpost_bridge_join_rejected_total", "reason", reason);
    answer(exchange, status, JoinMessages.Response.error(reason, message));
  }

  private static void answer(HttpExchange exchange, int status, JoinMessages.Response response) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(response);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
