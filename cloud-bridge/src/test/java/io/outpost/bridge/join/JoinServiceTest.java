package io.outpost.bridge.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.identity.CertificateAuthority;
import io.outpost.identity.JoinClient;
import io.outpost.protocol.JoinMessages;
import io.outpost.identity.NodeIdentity;
import io.outpost.identity.Pki;
import io.outpost.identity.Tls;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Joining over the real HTTPS endpoint with the real client: one-time tokens bound to one node name, the CA pinned
 * by fingerprint, renewal by the current certificate, revocation. Tokens live in the (mock) Kubernetes API.
 */
@EnableKubernetesMockClient(crud = true)
class JoinServiceTest {
  static KubernetesClient client;
  @TempDir Path dir;

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-23T12:00:00Z"));
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  };
  private String namespace;
  private CertificateAuthority ca;
  private JoinTokens tokens;
  private NodeCertificates certificates;
  private Metrics metrics;
  private JoinService service;
  private URI uri;

  /** The bridge's requests go through the shipped RBAC (its onboarding Role in outpost-system). */
  private io.outpost.bridge.RbacEnforcement rbac;

  @BeforeEach
  void start() throws Exception {
    namespace = "outpost-system";
    rbac = io.outpost.bridge.RbacEnforcement.forBridge(client);
    KubernetesClient bridge = rbac.client(client);
    ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"));
    tokens = new JoinTokens(bridge, namespace, clock);
    certificates = new NodeCertificates(bridge, namespace, clock);
    metrics = new Metrics();
    service = new JoinService(ca, tokens, certificates, Duration.ofDays(30), metrics, "127.0.0.1", 0,
        List.of("127.0.0.1", "localhost"));
    uri = URI.create("https://127.0.0.1:" + service.port());
  }

  @AfterEach
  void stop() {
    service.close();
    rbac.close();
    client.secrets().inNamespace(namespace).delete();
    client.configMaps().inNamespace(namespace).delete();
    rbac.assertNothingDenied();
  }

  @Test
  void theCaKeyIsPrivateToItsOwnerAndSurvivesARestart() throws Exception {
    assertThat(Files.getPosixFilePermissions(dir.resolve("ca").resolve(CertificateAuthority.KEY_FILE)))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    assertThat(CertificateAuthority.loadOrCreate(dir.resolve("ca")).fingerprint()).isEqualTo(ca.fingerprint());
  }

  @Test
  void aNodeJoinsOnceWithItsTokenAndGetsACertificateForExactlyItsName() throws Exception {
    JoinTokens.Token token = tokens.create("edge-1", Duration.ofHours(1));

    NodeIdentity identity = JoinClient.join(uri, "edge-1", token.value(), ca.fingerprint());

    assertThat(identity.node()).isEqualTo("edge-1");
    assertThat(Pki.commonName(identity.certificate())).isEqualTo("edge-1");
    identity.certificate().verify(ca.certificate().getPublicKey());
    assertThat(identity.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
    assertThat(tokens.list()).singleElement().satisfies(t -> assertThat(t.usedAt()).isNotNull());
    assertThat(client.secrets().inNamespace(namespace).list().getItems().get(0).getData().toString())
        .doesNotContain(token.value().substring(9)); // only the hash is stored

    assertThatThrownBy(() -> JoinClient.join(uri, "edge-1", token.value(), ca.fingerprint()))
        .isInstanceOfSatisfying(JoinClient.Refused.class, e -> assertThat(e.reason()).isEqualTo("used_token"));
    assertThat(metrics.get("outpost_bridge_join_rejected_total", "reason", "used_token")).isEqualTo(1);
  }

  @Test
  void aTokenCannotObtainACertificateForAnotherName() {
    JoinTokens.Token token = tokens.create("edge-1", Duration.ofHours(1));

    assertThatThrownBy(() -> JoinClient.join(uri, "edge-2", token.value(), ca.fingerprint()))
        .isInstanceOfSatisfying(JoinClient.Refused.class, e -> assertThat(e.reason()).isEqualTo("wrong_node"));
    assertThat(tokens.list()).singleElement().satisfies(t -> assertThat(t.usedAt()).isNull());
  }

  @Test
  void forgedMalformedUnknownExpiredAndRevokedTokensFailWithTheirReasons() throws Exception {
    JoinTokens.Token token = tokens.create("edge-1", Duration.ofHours(1));
    String forged = token.id() + "." + "a".repeat(32);

    assertRefused("edge-1", forged, "invalid_token");
    assertRefused("edge-1", "not-a-token", "malformed_token");
    assertRefused("edge-1", "zzzzzzzz." + "b".repeat(32), "unknown_token");

    now.set(now.get().plus(Duration.ofHours(1)));
    assertRefused("edge-1", token.value(), "expired_token");

    JoinTokens.Token revoked = tokens.create("edge-1", Duration.ofHours(1));
    assertThat(tokens.revoke(revoked.id())).isTrue();
    assertRefused("edge-1", revoked.value(), "unknown_token");
    assertThat(metrics.get("outpost_bridge_join_rejected_total", "reason", "expired_token")).isEqualTo(1);
  }

  @Test
  void noNodeMayBeNamedLikeTheBridgeWhoseCertificateTheBrokersTrustWithEverything() {
    assertThatThrownBy(() -> tokens.create("outpost-bridge", Duration.ofHours(1)))
        .hasMessageContaining("reserved");
    assertThatThrownBy(() -> ca.signNode(Pki.csr(Pki.newKeyPair(), "outpost-bridge"), "outpost-bridge",
        Duration.ofDays(1))).hasMessageContaining("reserved");
    assertRefused("outpost-bridge", "abcdefgh." + "c".repeat(32), "invalid_node");
  }

  @Test
  void aNodeThatPinsAnotherCaDoesNotTalkToThisBridge() {
    String otherCa = CertificateAuthority.loadOrCreate(dir.resolve("other")).fingerprint();
    JoinTokens.Token token = tokens.create("edge-1", Duration.ofHours(1));

    assertThatThrownBy(() -> JoinClient.join(uri, "edge-1", token.value(), otherCa))
        .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    assertThat(tokens.list()).singleElement().satisfies(t -> assertThat(t.usedAt()).isNull());
  }

  @Test
  void aNodeRenewsWithItsCertificateUntilItIsRevokedAndThenItsSerialsAreInTheCrl() throws Exception {
    NodeIdentity first = JoinClient.join(uri, "edge-1", tokens.create("edge-1", Duration.ofHours(1)).value(),
        ca.fingerprint());

    NodeIdentity renewed = JoinClient.renew(uri, first);

    assertThat(renewed.node()).isEqualTo("edge-1");
    assertThat(renewed.certificate().getSerialNumber()).isNotEqualTo(first.certificate().getSerialNumber());
    assertThat(renewed.key()).isNotEqualTo(first.key());

    certificates.revoke("edge-1");
    assertThatThrownBy(() -> JoinClient.renew(uri, renewed))
        .isInstanceOfSatisfying(JoinClient.Refused.class, e -> assertThat(e.reason()).isEqualTo("revoked"));
    assertRefused("edge-1", tokens.create("edge-1", Duration.ofHours(1)).value(), "revoked");
    Set<BigInteger> serials = certificates.revokedSerials().keySet();
    assertThat(serials).contains(first.certificate().getSerialNumber(), renewed.certificate().getSerialNumber());
    assertThat(ca.crl(certificates.revokedSerials(), Duration.ofDays(1))
        .isRevoked(renewed.certificate())).isTrue();

    // Re-admitting the name (the operator deletes the node's record) does not bring its old certificates back.
    client.configMaps().inNamespace(namespace).withName("outpost-node-edge-1").delete();
    assertThat(certificates.revokedSerials().keySet()).contains(renewed.certificate().getSerialNumber());
    NodeIdentity rejoined = JoinClient.join(uri, "edge-1", tokens.create("edge-1", Duration.ofHours(1)).value(),
        ca.fingerprint());
    assertThatThrownBy(() -> JoinClient.renew(uri, renewed)).as("an old, revoked certificate cannot renew")
        .isInstanceOfSatisfying(JoinClient.Refused.class, e -> assertThat(e.reason()).isEqualTo("revoked"));
    assertThat(certificates.revoked(renewed.certificate())).isTrue();
    assertThat(certificates.revoked(rejoined.certificate())).isFalse();
    assertThat(JoinClient.renew(uri, rejoined).node()).isEqualTo("edge-1");
  }

  @Test
  void aTokenIsNotSpentOnARequestWhoseCsrIsRefused() throws Exception {
    JoinTokens.Token token = tokens.create("edge-1", Duration.ofHours(1));
    String weak = Pki.pem(Pki.csr(Pki.newKeyPair(), "edge-9"));
    HttpClient anonymous = HttpClient.newBuilder().sslContext(Tls.pinned(ca.fingerprint(), null, null)).build();
    anonymous.send(post("/v1/join", "{\"v\":1,\"node\":\"edge-1\",\"token\":" + quote(token.value())
        + ",\"csr\":" + quote(weak) + "}"), HttpResponse.BodyHandlers.ofString());

    assertThat(tokens.list()).singleElement().satisfies(t -> assertThat(t.usedAt()).isNull());
    assertThat(JoinClient.join(uri, "edge-1", token.value(), ca.fingerprint()).node()).isEqualTo("edge-1");
  }

  @Test
  void aRenewalForAnotherNodeOrWithoutACertificateIsRefused() throws Exception {
    NodeIdentity edge1 = JoinClient.join(uri, "edge-1", tokens.create("edge-1", Duration.ofHours(1)).value(),
        ca.fingerprint());
    KeyPair keys = Pki.newKeyPair();
    String csr = Pki.pem(Pki.csr(keys, "edge-2"));
    HttpClient mtls = HttpClient.newBuilder().sslContext(edge1.sslContext()).build();
    HttpResponse<String> other = mtls.send(post("/v1/renew", "{\"v\":1,\"node\":\"edge-2\",\"csr\":"
        + quote(csr) + "}"), HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(other.body()).contains("wrong_node");

    HttpClient anonymous = HttpClient.newBuilder().sslContext(Tls.pinned(ca.fingerprint(), null, null)).build();
    HttpResponse<String> none = anonymous.send(post("/v1/renew", "{\"v\":1,\"node\":\"edge-1\",\"csr\":"
        + quote(Pki.pem(Pki.csr(keys, "edge-1"))) + "}"), HttpResponse.BodyHandlers.ofString());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).contains("no_client_certificate");
  }

  @Test
  void malformedOversizedAndUnknownVersionRequestsAreRefusedAndCounted() throws Exception {
    HttpClient anonymous = HttpClient.newBuilder().sslContext(Tls.pinned(ca.fingerprint(), null, null)).build();

    HttpResponse<String> oversized = anonymous.send(post("/v1/join", "x".repeat(JoinMessages.MAX_REQUEST_BYTES
        + 1)), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> malformed = anonymous.send(post("/v1/join", "{nope"), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> version = anonymous.send(post("/v1/join", "{\"v\":2,\"node\":\"edge-1\"}"),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> badName = anonymous.send(post("/v1/join", "{\"v\":1,\"node\":\"../x\"}"),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> badCsr = anonymous.send(post("/v1/join", "{\"v\":1,\"node\":\"edge-1\",\"csr\":\"x\"}"),
        HttpResponse.BodyHandlers.ofString());

    assertThat(oversized.statusCode()).isEqualTo(413);
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(version.body()).contains("unsupported_version");
    assertThat(badName.body()).contains("invalid_node");
    assertThat(badCsr.body()).contains("invalid_csr");
    for (String reason : List.of("oversized", "malformed", "unsupported_version", "invalid_node", "invalid_csr")) {
      assertThat(metrics.get("outpost_bridge_join_rejected_total", "reason", reason)).as(reason).isEqualTo(1);
    }
  }

  @Test
  void aCsrForAnotherNameIsRefusedEvenWithAValidToken() throws Exception {
    JoinTokens.Token token = tokens.create("edge-1", Duration.ofHours(1));
    String csr = Pki.pem(Pki.csr(Pki.newKeyPair(), "edge-2"));
    HttpClient anonymous = HttpClient.newBuilder().sslContext(Tls.pinned(ca.fingerprint(), null, null)).build();

    HttpResponse<String> response = anonymous.send(post("/v1/join", "{\"v\":1,\"node\":\"edge-1\",\"token\":"
        + quote(token.value()) + ",\"csr\":" + quote(csr) + "}"), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("invalid_csr").contains("edge-2");
  }

  @Test
  void oneAddressOverItsRequestRateIsAnswered429WithRetryAfterAndCounted() throws Exception {
    try (JoinService limited = new JoinService(ca, tokens, certificates, Duration.ofDays(30), metrics,
        new io.outpost.bridge.net.BindAddress(java.net.InetAddress.getByName("127.0.0.1"), "OUTPOST_JOIN_BIND"), 0,
        List.of("127.0.0.1"), new JoinService.Limits(1, 3, 100))) {
      HttpClient anonymous = HttpClient.newBuilder().sslContext(Tls.pinned(ca.fingerprint(), null, null)).build();
      URI limitedUri = URI.create("https://127.0.0.1:" + limited.port() + "/v1/join");
      List<Integer> statuses = new java.util.ArrayList<>();
      HttpResponse<String> last = null;
      for (int i = 0; i < 5; i++) {
        last = anonymous.send(HttpRequest.newBuilder(limitedUri).POST(HttpRequest.BodyPublishers.ofString("{nope"))
            .build(), HttpResponse.BodyHandlers.ofString());
        statuses.add(last.statusCode());
      }
      assertThat(statuses).containsExactly(400, 400, 400, 429, 429);
      assertThat(last.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
          assertThat(Long.parseLong(v)).isBetween(1L, 60L));
      assertThat(last.body()).contains("rate_limited");
      assertThat(metrics.get("outpost_bridge_join_rejected_total", "reason", "rate_limited")).isEqualTo(2);
      assertThat(metrics.get("outpost_bridge_join_rejected_total", "reason", "malformed")).isEqualTo(3);
    }
  }

  @Test
  void aTokenWhoseSecretWasEditedByHandIsRefusedAsCorrupt() {
    JoinTokens.Token token = tokens.create("edge-1", Duration.ofHours(1));
    client.secrets().inNamespace(namespace).withName("outpost-join-" + token.id()).edit(secret -> {
      secret.getData().remove("expires");
      return secret;
    });

    assertRefused("edge-1", token.value(), "corrupt_token");
    assertThat(metrics.get("outpost_bridge_join_rejected_total", "reason", "corrupt_token")).isEqualTo(1);
  }

  private void assertRefused(String node, String token, String reason) {
    assertThatThrownBy(() -> JoinClient.join(uri, node, token, ca.fingerprint()))
        .isInstanceOfSatisfying(JoinClient.Refused.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  private HttpRequest post(String path, String body) {
    return HttpRequest.newBuilder(uri.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static String quote(String text) {
    return "\"" + text.replace("\n", "\\n") + "\"";
  }
}
