package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.EnvSourceV1;
import io.outpost.protocol.PodV1.EnvVarV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code subPathExpr} on real Podman (issue 21): expanded from the container's environment and mounted like a
 * subPath; what a kubelet refuses ({@code ..}, absolute, missing variables) is a {@code CreateContainerConfigError}
 * with its message; a symlink swapped in for the expanded directory is not followed on a restart.
 */
class SubPathExprPodmanTest extends PodmanFixture {
  private static final List<VolumeV1> SHARED = List.of(new VolumeV1("shared", new VolumeV1.EmptyDirV1(null), null,
      null, null, null, null));

  private PodV1 pod(Map<String, String> labels, ContainerV1... containers) {
    return new PodV1(node, "Always", 1L, null, null, List.of(containers), null, SHARED, null, null, null, null, null,
        null, null, null, null, labels, null, null);
  }

  private static ContainerV1 app(List<String> command, List<EnvVarV1> env, String subPathExpr) {
    return new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", command, null, null, env, null, null, null,
        List.of(new VolumeMountV1("shared", "/work", null, null, subPathExpr, null)));
  }

  private static ContainerV1 sidecar() {
    return new ContainerV1("sidecar", Podman.TEST_IMAGE, "IfNotPresent", List.of("sleep", "3600"), null, null, null,
        null, null, null, List.of(new VolumeMountV1("shared", "/shared", null, null)));
  }

  private static EnvVarV1 field(String name, String path) {
    return new EnvVarV1(name, null, new EnvSourceV1(null, null, path));
  }

  @Test
  void theExpressionIsExpandedFromTheEnvironmentAndMountedAsASubPath() {
    ObjectRef ref = new ObjectRef("Pod", "default", "logger-0", UUID.randomUUID().toString(), "1");
    store.put(ref, pod(Map.of("app", "logger"), app(List.of("sh", "-c", "echo written-by-$POD_NAME > /work/out; "
        + "exec sleep 3600"), List.of(field("POD_NAME", "metadata.name"), field("APP", "metadata.labels['app']")),
        "logs/$(APP)/$(POD_NAME)"), sidecar()));

    reconcileUntil(ref.uid(), s -> s.containers().stream().allMatch(c -> "running".equals(c.state().kind())));

    Path emptyDir = volumes.resolve(ref.uid()).resolve("empty/shared");
    assertThat(emptyDir.resolve("logs/logger/logger-0/out")).hasContent("written-by-logger-0");
    assertThat(exec(ref, "sidecar", "cat", "/shared/logs/logger/logger-0/out")).isEqualTo("written-by-logger-0");
    assertThat(exec(ref, "app", "ls", "/work")).isEqualTo("out");
    assertThat(Podman.cli("inspect", "--format", "{{index .Config.Labels \"io.outpost.subpathexpr.0\"}}",
        containerId(ref, "app")).trim()).isEqualTo("logs/logger/logger-0");
  }

  @Test
  void anExpansionThatLeavesTheVolumeOrMissesAVariableIsAConfigError() throws Exception {
    ObjectRef up = new ObjectRef("Pod", "default", "up", UUID.randomUUID().toString(), "1");
    // The variable's value is the attack: a label a user controls, expanding to ../..
    store.put(up, pod(Map.of("dir", "../.."), app(List.of("sleep", "3600"),
        List.of(field("DIR", "metadata.labels['dir']")), "$(DIR)")));
    ObjectRef absolute = new ObjectRef("Pod", "default", "absolute", UUID.randomUUID().toString(), "1");
    store.put(absolute, pod(null, app(List.of("sleep", "3600"), List.of(new EnvVarV1("DIR", "/etc")), "$(DIR)")));
    ObjectRef missing = new ObjectRef("Pod", "default", "missing", UUID.randomUUID().toString(), "1");
    store.put(missing, pod(null, app(List.of("sleep", "3600"), List.of(new EnvVarV1("EMPTY", "")),
        "a/$(EMPTY)/$(NOT_SET)")));

    assertThat(waiting(up).state().message()).isEqualTo("unable to provision SubPath `../..`: must not contain '..'");
    assertThat(waiting(absolute).state().message()).isEqualTo("error SubPath `/etc` must not be an absolute path");
    assertThat(waiting(missing).state().message()).isEqualTo("missing value for EMPTY, NOT_SET");
    for (ObjectRef ref : List.of(up, absolute, missing)) {
      assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
    }
    // Refused before the volumes are prepared: nothing of the pod's is made on the node.
    assertThat(volumes.resolve(up.uid())).doesNotExist();
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.ref().uid()).isEqualTo(up.uid());
      assertThat(e.message()).isEqualTo("Error: unable to provision SubPath `../..`: must not contain '..'");
    });
  }

  @Test
  void anExpandedDirectorySwappedForASymlinkIsNotFollowedOnRestartEvenAfterTheLabelChanged() throws Exception {
    Path outside = Files.createDirectories(dir.resolve(node).resolve("outside-expr"));
    Files.writeString(outside.resolve("marker"), "host only");
    ObjectRef ref = new ObjectRef("Pod", "default", "swap", UUID.randomUUID().toString(), "1");
    ContainerV1 app = app(List.of("sh", "-c", "cat /work/marker 2>/dev/null; exec sleep 3600"),
        List.of(field("DIR", "metadata.labels['dir']")), "$(DIR)");
    store.put(ref, pod(Map.of("dir", "a"), app, sidecar()));
    reconcileUntil(ref.uid(), s -> s.containers().stream().allMatch(c -> "running".equals(c.state().kind())));

    // The label changes (the engine still binds .../a on restart), and a sidecar swaps "a" for a link out.
    store.put(ref, pod(Map.of("dir", "b"), app, sidecar()));
    exec(ref, "sidecar", "sh", "-c", "mkdir -p /shared/b && rm -rf /shared/a && ln -s " + outside + " /shared/a");
    String id = containerId(ref, "app");
    Podman.cli("kill", id);

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        container(s, "app").state().reason()));
    assertThat(container(status, "app").state().message())
        .isEqualTo("failed to prepare subPath for volumeMount \"shared\" of container \"app\"");
    assertThat(Podman.cli("inspect", "--format", "{{.State.Running}}", id).trim()).isEqualTo("false");
    assertThat(Podman.cli("logs", id)).doesNotContain("host only");
    assertThat(outside.resolve("marker")).hasContent("host only");
  }

  private ContainerStatusV1 waiting(ObjectRef ref) {
    return container(reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        container(s, "app").state().reason())), "app");
  }

  private static ContainerStatusV1 container(PodStatusReport status, String name) {
    return status.containers().stream().filter(c -> name.equals(c.name())).findFirst().orElseThrow();
  }
}
