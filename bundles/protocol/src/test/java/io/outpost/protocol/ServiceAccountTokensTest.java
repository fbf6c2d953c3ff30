package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.ServiceAccountTokensV1.TokenV1;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pod's bound ServiceAccount tokens on the wire: round trip, and every way a bad one is refused. */
class ServiceAccountTokensTest {
  private static final String JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl";
  private final Codec codec = new Codec();
  private final ObjectRef ref = new ObjectRef(Downstream.KIND_SERVICE_ACCOUNT_TOKEN, "shop", "web-0", "pod-uid-1",
      "t0123456789abcdef");

  private Downstream message(ServiceAccountTokensV1 tokens) {
    return Downstream.upsertServiceAccountTokens(1, 1, ref.withHash(ContentHash.of(tokens)), tokens);
  }

  @Test
  void roundTripsAndNeverShowsTheTokenInToString() throws Exception {
    ServiceAccountTokensV1 tokens = new ServiceAccountTokensV1("pod-uid-1", List.of(
        new TokenV1("kube-api-access-abcde", "token", JWT, 1_900_000_000L),
        new TokenV1("vault", "vault/token", JWT + "x", 1_900_000_600L)));
    Downstream message = message(tokens);
    Downstream decoded = codec.decode(codec.encode(message), Downstream.class);
    assertThat(decoded).isEqualTo(message);
    assertThat(decoded.serviceAccountTokens().token("vault", "vault/token").expiresAt()).isEqualTo(1_900_000_600L);
    assertThat(decoded.toString()).doesNotContain(JWT).contains("kube-api-access-abcde");
    assertThat(new String(codec.encode(Downstream.delete(1, 2, ref)), StandardCharsets.UTF_8))
        .contains("\"kind\":\"ServiceAccountToken\"");
  }

  @Test
  void aTokenForAnotherPodUidIsRefused() {
    // The body names the pod it was bound to; a ref of another uid (another pod, or a spoof) is invalid.
    assertInvalid(message(new ServiceAccountTokensV1("someone-else",
        List.of(new TokenV1("kube-api-access-abcde", "token", JWT, 1_900_000_000L)))), "does not match ref.uid");
  }

  @Test
  void malformedAndOversizedTokensAreRefusedWithoutQuotingThem() {
    String secretLooking = "eyJhbGciOi.Jsecret";
    assertInvalid(message(new ServiceAccountTokensV1("pod-uid-1",
        List.of(new TokenV1("v", "token", secretLooking + " \n", 1_900_000_000L)))), "[A-Za-z0-9._-]");
    assertInvalid(message(new ServiceAccountTokensV1("pod-uid-1",
        List.of(new TokenV1("v", "token", "a".repeat(ServiceAccountTokensV1.MAX_TOKEN_CHARS + 1),
            1_900_000_000L)))), "16384");
    assertInvalid(message(new ServiceAccountTokensV1("pod-uid-1",
        List.of(new TokenV1("v", "../escape", JWT, 1_900_000_000L)))), "..");
    assertInvalid(message(new ServiceAccountTokensV1("pod-uid-1",
        List.of(new TokenV1("v", "token", JWT, 0)))), "expiresAt");
    assertInvalid(message(new ServiceAccountTokensV1("pod-uid-1", List.of())), "1 to 64");
    assertInvalid(message(new ServiceAccountTokensV1("pod-uid-1", List.of(new TokenV1("v", "token", JWT, 1L),
        new TokenV1("v", "token", JWT, 2L)))), "given twice");
    assertThatThrownBy(() -> message(new ServiceAccountTokensV1("pod-uid-1",
        List.of(new TokenV1("v", "token", secretLooking + "!", 1L)))).validate())
        .hasMessageNotContaining(secretLooking);
  }

  @Test
  void aBodyWithoutTheRequiredFieldsIsMalformedOrInvalidOnTheWire() throws Exception {
    String noExpiry = "{\"v\":1,\"epoch\":1,\"seq\":1,\"op\":\"UPSERT\",\"ref\":{\"kind\":\"ServiceAccountToken\","
        + "\"namespace\":\"shop\",\"name\":\"web-0\",\"uid\":\"u\",\"resourceVersion\":\"t1\"},"
        + "\"serviceAccountTokens\":{\"podUid\":\"u\",\"tokens\":[{\"volume\":\"v\",\"path\":\"token\","
        + "\"token\":\"a.b.c\"}]}}";
    assertThatThrownBy(() -> codec.decode(noExpiry.getBytes(StandardCharsets.UTF_8), Downstream.class))
        .isInstanceOf(ProtocolException.class)
        .satisfies(e -> assertThat(((ProtocolException) e).reason()).as("expiresAt is a required integer (§4.1)")
            .isEqualTo(ProtocolException.Reason.MALFORMED));
    String valid = noExpiry.replace("\"token\":\"a.b.c\"", "\"token\":\"a.b.c\",\"expiresAt\":5");
    assertThat(decodes(valid)).isTrue();
    String twoBodies = valid.replace("\"serviceAccountTokens\"", "\"secret\":{\"type\":\"Opaque\"},"
        + "\"serviceAccountTokens\"");
    assertThatThrownBy(() -> codec.decode(twoBodies.getBytes(StandardCharsets.UTF_8), Downstream.class))
        .hasMessageContaining("exactly one body");
    String noNamespace = valid.replace("\"namespace\":\"shop\",", "");
    assertThatThrownBy(() -> codec.decode(noNamespace.getBytes(StandardCharsets.UTF_8), Downstream.class))
        .hasMessageContaining("ref.namespace");
  }

  private boolean decodes(String json) throws ProtocolException {
    return codec.decode(json.getBytes(StandardCharsets.UTF_8), Downstream.class).serviceAccountTokens() != null;
  }

  private static void assertInvalid(Downstream message, String reason) {
    assertThatThrownBy(message::validate).isInstanceOf(ProtocolException.class)
        .hasMessageContaining(reason)
        .satisfies(e -> assertThat(((ProtocolException) e).reason()).isEqualTo(ProtocolException.Reason.INVALID));
  }
}
