package io.outpost.identity;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.protocol.JoinMessages;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * The node's side of joining and renewal. The key pair is made here and only the CSR travels. Joining trusts the
 * bridge by the CA fingerprint the operator got with the token; renewal authenticates with the current certificate.
 */
public final class JoinClient {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_RESPONSE_BYTES = 64 * 1024;

  private JoinClient() {}

  /** A join or renewal the bridge refused, with its reason ({@code invalid_token}, {@code expired_token}, …). */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    Refused(String reason, String message) {
      super(message + " (" + reason + ")");
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  /** Joins {@code node} with a one-time token; {@code bridge} is the join endpoint, e.g. https://bridge:9443. */
  public static NodeIdentity join(URI bridge, String node, String token, String caFingerprint)
      throws Refused, IOException, InterruptedException {
    KeyPair keys = Pki.newKeyPair();
    JoinMessages.Request request = new JoinMessages.Request(JoinMessages.VERSION, node, token,
        Pki.pem(Pki.csr(keys, node)));
    JoinMessages.Response response = post(bridge.resolve("/v1/join"), Tls.pinned(caFingerprint, null, null),
        request);
    X509Certificate ca = Pki.certificates(response.ca()).get(0);
    if (!Pki.fingerprint(ca).equalsIgnoreCase(caFingerprint)) {
      throw new IllegalArgumentException("the bridge answered with a CA other than " + caFingerprint);
    }
    return NodeIdentity.verified(node, keys.getPrivate(), keys.getPublic(),
        Pki.certificates(response.certificate()).get(0), ca);
  }

  /** A new certificate (and a new key) for {@code current}'s node, authenticated by {@code current}. */
  public static NodeIdentity renew(URI bridge, NodeIdentity current)
      throws Refused, IOException, InterruptedException {
    KeyPair keys = Pki.newKeyPair();
    JoinMessages.Request request = new JoinMessages.Request(JoinMessages.VERSION, current.node(), null,
        Pki.pem(Pki.csr(keys, current.node())));
    SSLContext tls = Tls.context(current.key(), List.of(current.certificate(), current.ca()), current.ca());
    JoinMessages.Response response = post(bridge.resolve("/v1/renew"), tls, request);
    return NodeIdentity.verified(current.node(), keys.getPrivate(), keys.getPublic(),
        Pki.certificates(response.certificate()).get(0), current.ca());
  }

  private static JoinMessages.Response post(URI uri, SSLContext tls, JoinMessages.Request request)
      throws Refused, IOException, InterruptedException {
    if (!"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException("the join endpoint must be https://, was " + uri);
    }
    HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(TIMEOUT).build();
    HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(request))).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (response.body().length > MAX_RESPONSE_BYTES) {
      throw new IOException("the bridge's answer is larger than " + MAX_RESPONSE_BYTES + " bytes");
    }
    JoinMessages.Response body;
    try {
      body = JSON.readValue(response.body(), JoinMessages.Response.class);
    } catch (IOException e) {
      throw new IOException("the bridge answered HTTP " + response.statusCode() + " with no join response", e);
    }
    if (response.statusCode() != 200 || body.certificate() == null) {
      throw new Refused(body.reason() == null ? "http_" + response.statusCode() : body.reason(),
          body.message() == null ? "the bridge refused" : body.message());
    }
    return body;
  }
}
