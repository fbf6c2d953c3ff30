package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.KeyedSourceV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pod volumes against Podman: what a container sees in its mounts, and how updates and bad volumes behave. */
class VolumesPodmanTest extends PodmanFixture {
  @Test
  void configMapSecretEmptyDirAndSubPathAsTheContainersSeeThemWithUpdatesPropagated() {
    ObjectRef ref = new ObjectRef("Pod", "default", "mounted", UUID.randomUUID().toString(), "1");
    store.configMaps.put("default/app-config", new ConfigMapV1(Map.of("a.txt", "alpha", "b.txt", "beta"), null));
    store.secrets.put("default/creds", new SecretV1("Opaque", Map.of("password",
        Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8)))));
    List<VolumeV1> podVolumes = List.of(
        new VolumeV1("cfg", null, new KeyedSourceV1("app-config", List.of(new VolumeV1.KeyToPathV1("a.txt",
            "conf/a.txt", 0600)), null, null), null, null, null, null),
        new VolumeV1("sec", null, null, new KeyedSourceV1("creds", null, 0400, null), null, null, null),
        new VolumeV1("scratch", new VolumeV1.EmptyDirV1(null), null, null, null, null, null));
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(
        container("writer", List.of("sh", "-c", "echo shared > /scratch/x && exec sleep 3600"),
            List.of(new VolumeMountV1("scratch", "/scratch", null, null))),
        container("reader", List.of("sleep", "3600"), List.of(
            new VolumeMountV1("cfg", "/etc/app", null, true),
            new VolumeMountV1("sec", "/etc/creds", null, true),
            new VolumeMountV1("scratch", "/scratch", null, null),
            new VolumeMountV1("cfg", "/single.txt", "conf/a.txt", true)))), null, podVolumes));

    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()) && s.containers().stream()
        .allMatch(c -> "running".equals(c.state().kind())));

    assertThat(exec(ref, "reader", "cat", "/etc/app/conf/a.txt")).isEqualTo("alpha");
    assertThat(exec(ref, "reader", "stat", "-L", "-c", "%a", "/etc/app/conf/a.txt")).isEqualTo("600");
    assertThat(exec(ref, "reader", "ls", "/etc/app")).doesNotContain("b.txt");
    assertThat(exec(ref, "reader", "cat", "/etc/creds/password")).isEqualTo("s3cret");
    assertThat(exec(ref, "reader", "stat", "-L", "-c", "%a", "/etc/creds/password")).isEqualTo("400");
    assertThat(exec(ref, "reader", "cat", "/single.txt")).isEqualTo("alpha");
    await().atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(exec(ref, "reader", "cat", "/scratch/x")).isEqualTo("shared"));

    // A ConfigMap change reaches the running container's mounted directory, atomically, without a restart.
    store.configMaps.put("default/app-config", new ConfigMapV1(Map.of("a.txt", "alpha-2", "b.txt", "beta"), null));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      reconciler.reconcile();
      assertThat(exec(ref, "reader", "cat", "/etc/app/conf/a.txt")).isEqualTo("alpha-2");
    });
    assertThat(store.status(ref.uid()).containers()).allSatisfy(c -> assertThat(c.restartCount()).isZero());

    // The pod gone: its volumes are gone from the node.
    store.remove(ref.uid());
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      reconciler.reconcile();
      assertThat(volumes.resolve(ref.uid())).doesNotExist();
    });
  }

  @Test
  void hostPathsOnlyInsideTheAllowListAndUnsupportedVolumesFailClearly() throws Exception {
    ObjectRef ok = new ObjectRef("Pod", "default", "host-ok", UUID.randomUUID().toString(), "1");
    store.put(ok, new PodV1(node, "Always", 1L, null, null, List.of(container("app",
        List.of("sh", "-c", "echo from-the-pod > /data/out && exec sleep 3600"),
        List.of(new VolumeMountV1("data", "/data", null, null)))), null, List.of(new VolumeV1("data", null, null,
        null, new VolumeV1.HostPathV1(allowed.resolve("data").toString(), "DirectoryOrCreate"), null, null))));
    ObjectRef denied = new ObjectRef("Pod", "default", "host-denied", UUID.randomUUID().toString(), "1");
    store.put(denied, new PodV1(node, "Always", 1L, null, null, List.of(container("app", List.of("sleep", "3600"),
        List.of(new VolumeMountV1("etc", "/host-etc", null, null)))), null, List.of(new VolumeV1("etc", null, null,
        null, new VolumeV1.HostPathV1("/etc", null), null, null))));
    ObjectRef claim = new ObjectRef("Pod", "default", "claim", UUID.randomUUID().toString(), "1");
    store.put(claim, new PodV1(node, "Always", 1L, null, null, List.of(container("app", List.of("sleep", "3600"),
        List.of(new VolumeMountV1("db", "/db", null, null)))), null, List.of(new VolumeV1("db", null, null, null,
        null, null, "persistentVolumeClaim"))));

    reconcileUntil(ok.uid(), s -> "Running".equals(s.phase()));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(allowed.resolve("data/out")).hasContent("from-the-pod"));
    PodStatusReport refused = reconcileUntil(denied.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason()));
    assertThat(refused.containers().get(0).state().message()).contains("hostPath /etc is not allowed");
    PodStatusReport unsupported = reconcileUntil(claim.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason()));
    assertThat(unsupported.containers().get(0).state().message())
        .contains("persistentVolumeClaim volumes are not supported on edge nodes");
    assertThat(Podman.appContainersOf(denied.uid())).isEmpty();
  }
}
