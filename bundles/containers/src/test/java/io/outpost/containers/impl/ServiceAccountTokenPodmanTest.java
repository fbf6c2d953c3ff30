package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.SecurityV1;
import io.outpost.protocol.ServiceAccountTokensV1;
import io.outpost.protocol.ServiceAccountTokensV1.TokenV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.KeyToPathV1;
import io.outpost.protocol.VolumeV1.KeyedSourceV1;
import io.outpost.protocol.VolumeV1.ProjectionV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The {@code kube-api-access-*} volume against Podman: a container reads its bound ServiceAccount token at the path
 * every in-cluster client reads, is not started before the token arrived, and sees a refreshed token without a
 * restart.
 */
class ServiceAccountTokenPodmanTest extends PodmanFixture {
  private static final String MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
  private static final String VOLUME = "kube-api-access-x7k2q";

  @Test
  void containerWaitsForItsTokenReadsItAndSeesTheRefreshedOneWithoutARestart() {
    ObjectRef ref = new ObjectRef("Pod", "default", "in-cluster", UUID.randomUUID().toString(), "1");
    store.configMaps.put("default/kube-root-ca.crt", new ConfigMapV1(Map.of("ca.crt", "-----CA-----"), null));
    store.put(ref, pod(null));
    // A token held for an older pod of the same name (another uid) is never mounted.
    store.tokens.put("default/in-cluster", tokens(UUID.randomUUID().toString(), "eyJold.stale.token"));

    PodStatusReport waiting = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason()));
    assertThat(waiting.containers().get(0).state().message())
        .isEqualTo("serviceaccount token for volume \"" + VOLUME + "\" (path \"token\") not yet received from the cloud");
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();

    store.tokens.put("default/in-cluster", tokens(ref.uid(), "eyJhbGciOiJSUzI1NiJ9.first.signature"));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()) && s.containers().stream()
        .allMatch(c -> "running".equals(c.state().kind())));
    assertThat(exec(ref, "app", "cat", MOUNT + "/token")).isEqualTo("eyJhbGciOiJSUzI1NiJ9.first.signature");
    assertThat(exec(ref, "app", "cat", MOUNT + "/ca.crt")).isEqualTo("-----CA-----");
    assertThat(exec(ref, "app", "stat", "-L", "-c", "%a", MOUNT + "/token")).isEqualTo("644");
    assertThat(exec(ref, "app", "ls", "-a", MOUNT)).contains("..data");

    // The bridge refreshed the token: the running container reads the new one, atomically, without a restart.
    store.tokens.put("default/in-cluster", tokens(ref.uid(), "eyJhbGciOiJSUzI1NiJ9.second.signature"));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      reconciler.reconcile();
      assertThat(exec(ref, "app", "cat", MOUNT + "/token")).isEqualTo("eyJhbGciOiJSUzI1NiJ9.second.signature");
    });
    assertThat(store.status(ref.uid()).containers()).allSatisfy(c -> assertThat(c.restartCount()).isZero());

    // Cut off: the token is withdrawn from the store (never normally while the pod runs); the file keeps the last one.
    store.tokens.remove("default/in-cluster");
    reconciler.reconcile();
    assertThat(exec(ref, "app", "cat", MOUNT + "/token")).isEqualTo("eyJhbGciOiJSUzI1NiJ9.second.signature");
  }

  @Test
  void withAnFsGroupTheTokenIsOwnerOnlyPlusTheGroupRead() {
    ObjectRef ref = new ObjectRef("Pod", "default", "grouped", UUID.randomUUID().toString(), "1");
    store.configMaps.put("default/kube-root-ca.crt", new ConfigMapV1(Map.of("ca.crt", "-----CA-----"), null));
    store.put(ref, pod(new SecurityV1.PodSecurityV1(null, null, null, null, 2345L, null, null, null, null, null,
        null, null, null)));
    store.tokens.put("default/grouped", tokens(ref.uid(), "eyJhbGciOiJSUzI1NiJ9.grouped.signature"));

    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    assertThat(exec(ref, "app", "stat", "-L", "-c", "%a %g", MOUNT + "/token")).isEqualTo("640 2345");
    assertThat(exec(ref, "app", "cat", MOUNT + "/token")).isEqualTo("eyJhbGciOiJSUzI1NiJ9.grouped.signature");
  }

  @Test
  void inTheRunningManagerATokenChangeIsAFocusedPassOnItsPodNotAFullList() {
    ObjectRef ref = new ObjectRef("Pod", "default", "focused", UUID.randomUUID().toString(), "1");
    store.configMaps.put("default/kube-root-ca.crt", new ConfigMapV1(Map.of("ca.crt", "-----CA-----"), null));
    store.put(ref, pod(null));
    // The manager as in the gateway (a periodic pass only every hour); the fixture's reconciler is not used.
    ContainerManagerComponent manager = new ContainerManagerComponent(store, new TestConfig(node, podman.host(),
        3600, 2, Podman.TEST_IMAGE, "sleep 2147483647", dir.resolve("volumes-" + node).toString(), ""), engine);
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> store.status(ref.uid()) != null && "CreateContainerConfigError"
          .equals(store.status(ref.uid()).containers().get(0).state().reason()));
      store.tokens.put("default/focused", tokens(ref.uid(), "eyJhbGciOiJSUzI1NiJ9.first.signature"));
      manager.objectsChanged(java.util.Set.of("ServiceAccountToken/default/focused"));
      await().atMost(Duration.ofSeconds(60)).until(() -> "running".equals(store.status(ref.uid()).containers().get(0)
          .state().kind()));
      int fullLists = engine.fullLists.get();

      store.tokens.put("default/focused", tokens(ref.uid(), "eyJhbGciOiJSUzI1NiJ9.second.signature"));
      manager.objectsChanged(java.util.Set.of("ServiceAccountToken/default/focused"));
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(exec(ref, "app", "cat", MOUNT + "/token"))
          .isEqualTo("eyJhbGciOiJSUzI1NiJ9.second.signature"));
      assertThat(engine.fullLists.get()).as("a token refresh lists only its pod's containers").isEqualTo(fullLists);
    } finally {
      manager.deactivate();
    }
  }

  private PodV1 pod(SecurityV1.PodSecurityV1 security) {
    VolumeV1 access = new VolumeV1(VOLUME, null, null, null, null, new VolumeV1.ProjectedV1(List.of(
        new ProjectionV1(null, null, null, new VolumeV1.ServiceAccountTokenV1(null, 3607L, "token")),
        new ProjectionV1(new KeyedSourceV1("kube-root-ca.crt", List.of(new KeyToPathV1("ca.crt", "ca.crt", null)),
            null, null), null)), 420), null);
    return new PodV1(node, "Always", 1L, null, null, List.of(container("app", List.of("sleep", "3600"),
        List.of(new VolumeMountV1(VOLUME, MOUNT, null, true)))), null, List.of(access), null, null, null, null,
        security);
  }

  private static ServiceAccountTokensV1 tokens(String podUid, String token) {
    return new ServiceAccountTokensV1(podUid, List.of(new TokenV1(VOLUME, "token", token,
        Instant.now().plusSeconds(3607).getEpochSecond())));
  }
}
