package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.KeyedSourceV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Pods are untrusted: containers on real Podman that try to turn their volumes against the node (issue 19). Each
 * test stands a temporary directory in for what the node must keep (its identity, a host directory) and checks it is
 * intact afterwards.
 */
class VolumeAttacksPodmanTest extends PodmanFixture {
  @Test
  void aContainerThatPointsDataAtTheNodesIdentityCannotMakeTheRefreshDeleteIt() throws Exception {
    Path identity = Files.createDirectories(dir.resolve(node).resolve("identity"));
    Files.writeString(identity.resolve("node.key"), "the node's key");
    ObjectRef ref = new ObjectRef("Pod", "default", "data-link", UUID.randomUUID().toString(), "1");
    store.configMaps.put("default/app-config", new ConfigMapV1(Map.of("a.txt", "alpha"), null));
    // readOnly not set: Kubernetes mounts ConfigMap volumes read-only all the same.
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(container("app", List.of("sleep", "3600"),
        List.of(new VolumeMountV1("cfg", "/cfg", null, null)))), null, List.of(new VolumeV1("cfg", null,
        new KeyedSourceV1("app-config", null, null, null), null, null, null, null))));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));

    // The volume directory is <volumes>/<uid>/data/cfg: four levels up is the directory holding "identity".
    String attack = exec(ref, "app", "sh", "-c",
        "rm /cfg/..data 2>&1 && ln -s ../../../../identity /cfg/..data 2>&1; echo exit=$?");

    // The next refresh passes (a ConfigMap change makes them write) leave the identity as it was.
    store.configMaps.put("default/app-config", new ConfigMapV1(Map.of("a.txt", "alpha-2"), null));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      reconciler.reconcile();
      assertThat(exec(ref, "app", "cat", "/cfg/a.txt")).isEqualTo("alpha-2");
    });
    reconciler.reconcile();
    assertThat(identity.resolve("node.key")).hasContent("the node's key");
    assertThat(attack).contains("Read-only file system").doesNotContain("exit=0");
    assertThat(exec(ref, "app", "sh", "-c", "grep ' /cfg ' /proc/mounts")).contains(" ro,");
    assertThat(Files.readSymbolicLink(volumes.resolve(ref.uid()).resolve("data/cfg/..data")).toString())
        .matches("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d+");
  }

  @Test
  void aSubPathSwappedForASymlinkIsNotFollowedWhenTheContainerRestarts() throws Exception {
    Path outside = Files.createDirectories(dir.resolve(node).resolve("outside"));
    Files.writeString(outside.resolve("marker"), "host only");
    ObjectRef ref = new ObjectRef("Pod", "default", "subpath-swap", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(
        container("sidecar", List.of("sleep", "3600"), List.of(new VolumeMountV1("shared", "/shared", null, null))),
        container("app", List.of("sh", "-c", "cat /sub/marker 2>/dev/null; exec sleep 3600"),
            List.of(new VolumeMountV1("shared", "/sub", "sub", null)))), null,
        List.of(new VolumeV1("shared", new VolumeV1.EmptyDirV1(null), null, null, null, null, null))));
    reconcileUntil(ref.uid(), s -> s.containers().stream().allMatch(c -> "running".equals(c.state().kind())));

    exec(ref, "sidecar", "sh", "-c", "rm -rf /shared/sub && ln -s " + outside + " /shared/sub");
    String app = containerId(ref, "app");
    Podman.cli("kill", app); // the app exits; restartPolicy Always restarts it

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        app(s).state().reason()));
    assertThat(app(status).state().message())
        .isEqualTo("failed to prepare subPath for volumeMount \"shared\" of container \"app\"");
    assertThat(app(status).lastState().kind()).isEqualTo("terminated");
    assertThat(Podman.cli("inspect", "--format", "{{.State.Running}}", app).trim()).isEqualTo("false");
    assertThat(Podman.cli("logs", app)).doesNotContain("host only");
    assertThat(outside.resolve("marker")).hasContent("host only");
    assertThat(store.events).anySatisfy(e -> assertThat(e.message()).contains("failed to prepare subPath"));
  }

  @Test
  void aSymlinkUnderAnAllowedHostPathPrefixCannotLeadOutsideIt() throws Exception {
    Path outside = Files.createDirectories(dir.resolve(node).resolve("outside-host"));
    Files.writeString(outside.resolve("marker"), "host only");
    Files.createSymbolicLink(allowed.resolve("to-outside"), outside);
    Files.createSymbolicLink(allowed.resolve("to-root"), Path.of("/"));
    Files.createSymbolicLink(allowed.resolve("inside"), Files.createDirectories(allowed.resolve("real")));
    // Only the pod that is allowed writes; the others would only read (and must not get that far).
    ObjectRef escape = hostPathPod("escape", allowed.resolve("to-outside"), "Directory", false);
    ObjectRef root = hostPathPod("root", allowed.resolve("to-root"), null, false);
    ObjectRef create = hostPathPod("create", allowed.resolve("to-outside/made"), "DirectoryOrCreate", false);
    ObjectRef inside = hostPathPod("inside", allowed.resolve("inside"), "Directory", true);

    reconcileUntil(inside.uid(), s -> "Running".equals(s.phase()));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(allowed.resolve("real/out")).hasContent("from-the-pod"));
    for (ObjectRef refused : List.of(escape, root, create)) {
      PodStatusReport status = reconcileUntil(refused.uid(), s -> "CreateContainerConfigError".equals(
          s.containers().get(0).state().reason()));
      assertThat(status.containers().get(0).state().message()).contains("is not allowed on this node")
          .contains("resolves outside hostpath.allow");
      assertThat(Podman.appContainersOf(refused.uid())).isEmpty();
    }
    assertThat(outside.resolve("made")).doesNotExist();
    assertThat(outside).isDirectoryContaining(p -> p.getFileName().toString().equals("marker"));
    assertThat(outside.resolve("marker")).hasContent("host only");
  }

  @Test
  void aHostPathSwappedForASymlinkIsNotFollowedWhenTheContainerRestarts() throws Exception {
    Path outside = Files.createDirectories(dir.resolve(node).resolve("outside-restart"));
    Files.writeString(outside.resolve("marker"), "host only");
    Path data = Files.createDirectories(allowed.resolve("data"));
    ObjectRef ref = new ObjectRef("Pod", "default", "host-swap", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(container("app",
        List.of("sh", "-c", "cat /h/marker 2>/dev/null; exec sleep 3600"),
        List.of(new VolumeMountV1("h", "/h", null, true)))), null, List.of(new VolumeV1("h", null, null, null,
        new VolumeV1.HostPathV1(data.toString(), "Directory"), null, null))));
    reconcileUntil(ref.uid(), s -> "running".equals(app(s).state().kind()));

    // Another pod that mounts the allowed prefix replaces the directory with a link out; the app then exits.
    Files.delete(data);
    Files.createSymbolicLink(data, outside);
    String app = containerId(ref, "app");
    Podman.cli("kill", app);

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        app(s).state().reason()));
    assertThat(app(status).state().message()).contains("resolves outside hostpath.allow");
    assertThat(Podman.cli("inspect", "--format", "{{.State.Running}}", app).trim()).isEqualTo("false");
    assertThat(Podman.cli("logs", app)).doesNotContain("host only");
    assertThat(outside.resolve("marker")).hasContent("host only");
  }

  private ObjectRef hostPathPod(String name, Path path, String type, boolean write) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(container("app", write
        ? List.of("sh", "-c", "echo from-the-pod > /h/out; exec sleep 3600") : List.of("sleep", "3600"),
        List.of(new VolumeMountV1("h", "/h", null, !write)))), null, List.of(new VolumeV1("h", null, null, null,
        new VolumeV1.HostPathV1(path.toString(), type), null, null))));
    return ref;
  }

  private static ContainerStatusV1 app(PodStatusReport status) {
    return status.containers().stream().filter(c -> "app".equals(c.name())).findFirst().orElseThrow();
  }
}
