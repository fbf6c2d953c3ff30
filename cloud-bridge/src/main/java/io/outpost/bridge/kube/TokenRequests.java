package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ProjectedVolumeSource;
import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * What a pod asks for and how it is asked: the projected {@code serviceAccountToken} sources of a pod, and one
 * TokenRequest ({@code serviceaccounts/<sa>/token}) per distinct audience and lifetime, bound to the pod (kind Pod,
 * name, uid) as the kubelet binds it. No state; blocking (call it off informer and router threads).
 */
final class TokenRequests {
  /** What the API server defaults {@code expirationSeconds} to, and so what a source without one asks for. */
  static final long DEFAULT_EXPIRATION_SECONDS = 3607;

  /** The token parameters: pods with several sources asking the same share one token, as under the kubelet. */
  record Ask(String audience, long expirationSeconds) {}

  /** One file the pod wants: {@code path} in projected volume {@code volume}, holding the token for {@code ask}. */
  record Source(String volume, String path, Ask ask) {}

  /** A token as the API server issued it; never logged. */
  record Issued(String token, Instant expiresAt, Instant issuedAt) {
    @Override
    public String toString() {
      return "Issued[expiresAt=" + expiresAt + ", issuedAt=" + issuedAt + "]";
    }
  }

  private final KubernetesClient client;

  TokenRequests(KubernetesClient client) {
    this.client = client;
  }

  /** The pod's projected serviceAccountToken sources, in volume order; empty if it has none. */
  static List<Source> sources(Pod pod) {
    List<Source> sources = new ArrayList<>();
    if (pod.getSpec() == null || pod.getSpec().getVolumes() == null) {
      return sources;
    }
    for (Volume volume : pod.getSpec().getVolumes()) {
      ProjectedVolumeSource projected = volume.getProjected();
      if (projected == null || projected.getSources() == null) {
        continue;
      }
      for (VolumeProjection projection : projected.getSources()) {
        ServiceAccountTokenProjection token = projection.getServiceAccountToken();
        if (token != null && token.getPath() != null) {
          String audience = token.getAudience() == null || token.getAudience().isEmpty() ? null : token.getAudience();
          long seconds = token.getExpirationSeconds() == null ? DEFAULT_EXPIRATION_SECONDS
              : token.getExpirationSeconds();
          sources.add(new Source(volume.getName(), token.getPath(), new Ask(audience, seconds)));
        }
      }
    }
    return sources;
  }

  /** The ServiceAccount the pod runs as: {@code serviceAccountName}, else the deprecated field, else default. */
  static String serviceAccount(Pod pod) {
    String name = pod.getSpec().getServiceAccountName();
    if (name == null || name.isEmpty()) {
      name = pod.getSpec().getServiceAccount();
    }
    return name == null || name.isEmpty() ? "default" : name;
  }

  /** The TokenRequest the kubelet would send for this pod and ask. */
  static TokenRequest request(Pod pod, Ask ask) {
    return new TokenRequestBuilder()
        .withNewSpec()
          .withAudiences(ask.audience() == null ? List.of() : List.of(ask.audience()))
          .withExpirationSeconds(ask.expirationSeconds())
          .withNewBoundObjectRef()
            .withApiVersion("v1")
            .withKind("Pod")
            .withName(pod.getMetadata().getName())
            .withUid(pod.getMetadata().getUid())
          .endBoundObjectRef()
        .endSpec()
        .build();
  }

  /**
   * Asks the API server for a token (blocking). Throws on any failure, including an answer without a token or
   * an expiry; the message never contains a token.
   */
  Issued issue(Pod pod, Ask ask, Instant now) {
    TokenRequest answer = client.serviceAccounts().inNamespace(pod.getMetadata().getNamespace())
        .withName(serviceAccount(pod)).tokenRequest(request(pod, ask));
    if (answer == null || answer.getStatus() == null || answer.getStatus().getToken() == null
        || answer.getStatus().getToken().isEmpty() || answer.getStatus().getExpirationTimestamp() == null) {
      throw new IllegalStateException("the TokenRequest answer has no token or no expirationTimestamp");
    }
    Instant expires = OffsetDateTime.parse(answer.getStatus().getExpirationTimestamp()).toInstant();
    if (!expires.isAfter(now)) {
      throw new IllegalStateException("the TokenRequest answer expires at " + expires + ", not after now");
    }
    return new Issued(answer.getStatus().getToken(), expires, now);
  }
}
