package io.outpost.bridge;

import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongUnaryOperator;

/**
 * The TokenRequest subresource ({@code POST .../serviceaccounts/<name>/token}), which fabric8's mock API server does
 * not implement, answered as kube-apiserver answers it: the request echoed with a {@code status} whose token is
 * built from the request itself (audiences, lifetime, bound pod, a serial number: a fake JWT whose payload a test can
 * read back) and whose {@code expirationTimestamp} is now plus the granted lifetime. Every request is recorded.
 */
final class TokenRequestMock {
  /** One request as the API server received it, and what it answered. */
  record Seen(String path, TokenRequest request, String token, Instant at) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger serial = new AtomicInteger();
  /** Asked expirationSeconds → granted seconds (an API server may grant less, e.g. its maximum). */
  private final LongUnaryOperator granted;

  private TokenRequestMock(LongUnaryOperator granted) {
    this.granted = granted;
  }

  /** Answers token requests for ServiceAccount {@code name} in {@code namespace}. */
  static TokenRequestMock serve(KubernetesMockServer server, String namespace, String name,
      LongUnaryOperator granted) {
    TokenRequestMock mock = new TokenRequestMock(granted);
    String path = "/api/v1/namespaces/" + namespace + "/serviceaccounts/" + name + "/token";
    server.expect().post().withPath(path).andReply(201, request -> mock.answer(request.getPath(),
        request.getUtf8Body())).always();
    return mock;
  }

  private synchronized String answer(String path, String body) {
    TokenRequest request = Serialization.unmarshal(body, TokenRequest.class);
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    long seconds = granted.applyAsLong(request.getSpec().getExpirationSeconds());
    String claims = "{\"aud\":" + Serialization.asJson(request.getSpec().getAudiences()) + ",\"exp\":"
        + now.plusSeconds(seconds).getEpochSecond() + ",\"asked\":" + request.getSpec().getExpirationSeconds()
        + ",\"pod\":\"" + request.getSpec().getBoundObjectRef().getName() + "\",\"uid\":\""
        + request.getSpec().getBoundObjectRef().getUid() + "\",\"n\":" + serial.incrementAndGet() + "}";
    String token = b64("{\"alg\":\"RS256\"}") + "." + b64(claims) + "." + b64("mock-signature");
    seen.add(new Seen(path, request, token, Instant.now()));
    return Serialization.asJson(new TokenRequestBuilder(request).withNewStatus().withToken(token)
        .withExpirationTimestamp(now.plusSeconds(seconds).toString()).endStatus().build());
  }

  List<Seen> seen() {
    return List.copyOf(seen);
  }

  /** The claims (JSON) of a token this mock issued. */
  static String claims(String token) {
    return new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
  }

  private static String b64(String text) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
