package io.outpost.bridge.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What a pod asks for, the TokenRequest built for it, and when a token is refreshed, as by the kubelet. */
class TokenRequestsTest {
  private static Pod pod(String serviceAccount) {
    return new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").withUid("u-1").endMetadata()
        .withNewSpec().withNodeName("edge-1").withServiceAccountName(serviceAccount)
        .addToVolumes(new VolumeBuilder().withName("kube-api-access-1").withNewProjected()
            .withSources(new VolumeProjectionBuilder().withNewServiceAccountToken().withPath("token")
                .endServiceAccountToken().build(),
                new VolumeProjectionBuilder().withNewConfigMap().withName("kube-root-ca.crt").endConfigMap().build())
            .endProjected().build())
        .addToVolumes(new VolumeBuilder().withName("vault").withNewProjected()
            .withSources(new VolumeProjectionBuilder().withNewServiceAccountToken().withAudience("vault")
                .withExpirationSeconds(600L).withPath("t").endServiceAccountToken().build())
            .endProjected().build())
        .addToVolumes(new VolumeBuilder().withName("scratch").withNewEmptyDir().endEmptyDir().build())
        .endSpec().build();
  }

  @Test
  void sourcesDefaultsAndTheRequestBoundToThePod() {
    Pod pod = pod(null);
    assertThat(TokenRequests.sources(pod)).containsExactly(
        new TokenRequests.Source("kube-api-access-1", "token", new TokenRequests.Ask(null, 3607)),
        new TokenRequests.Source("vault", "t", new TokenRequests.Ask("vault", 600)));
    assertThat(TokenRequests.serviceAccount(pod)).isEqualTo("default");
    assertThat(TokenRequests.serviceAccount(pod("robot"))).isEqualTo("robot");

    TokenRequest request = TokenRequests.request(pod, new TokenRequests.Ask("vault", 600));
    assertThat(request.getSpec().getAudiences()).containsExactly("vault");
    assertThat(request.getSpec().getExpirationSeconds()).isEqualTo(600L);
    assertThat(request.getSpec().getBoundObjectRef().getKind()).isEqualTo("Pod");
    assertThat(request.getSpec().getBoundObjectRef().getApiVersion()).isEqualTo("v1");
    assertThat(request.getSpec().getBoundObjectRef().getName()).isEqualTo("web");
    assertThat(request.getSpec().getBoundObjectRef().getUid()).isEqualTo("u-1");
    assertThat(TokenRequests.request(pod, new TokenRequests.Ask(null, 3607)).getSpec().getAudiences()).isEmpty();
  }

  @Test
  void refreshedAtEightyPercentOfTheLifetimeOrAfterADay() {
    Instant now = Instant.parse("2026-12-07T12:00:00Z");
    assertThat(ServiceAccountTokens.refreshDelay(new TokenRequests.Issued("t", now.plusSeconds(3600), now)))
        .isEqualTo(Duration.ofSeconds(2880));
    assertThat(ServiceAccountTokens.refreshDelay(new TokenRequests.Issued("t", now.plus(Duration.ofDays(365)), now)))
        .isEqualTo(Duration.ofHours(24));
    assertThat(new TokenRequests.Issued("secret-token", now, now).toString()).doesNotContain("secret-token");
  }

  @Test
  void failuresBackOffExponentiallyWithJitterUpToFiveMinutes() {
    assertThat(ServiceAccountTokens.backoff(1)).isBetween(Duration.ofMillis(800), Duration.ofMillis(1200));
    assertThat(ServiceAccountTokens.backoff(4)).isBetween(Duration.ofMillis(6400), Duration.ofMillis(9600));
    assertThat(ServiceAccountTokens.backoff(40)).isBetween(Duration.ofMinutes(4), Duration.ofMinutes(6));
  }
}
