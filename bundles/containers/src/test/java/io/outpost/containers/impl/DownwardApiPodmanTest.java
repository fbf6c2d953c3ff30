package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.EnvSourceV1;
import io.outpost.protocol.PodV1.EnvVarV1;
import io.outpost.protocol.PodV1.ResourceFieldRefV1;
import io.outpost.protocol.ResourcesV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.DownwardApiV1;
import io.outpost.protocol.VolumeV1.DownwardFileV1;
import io.outpost.protocol.VolumeV1.KeyedSourceV1;
import io.outpost.protocol.VolumeV1.ProjectionV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The downward API on real Podman (issue 21): every env {@code fieldRef} and {@code resourceFieldRef} a kubelet
 * supports, {@code downwardAPI} volumes and projected sources written atomically and updated live when the pod's
 * labels change, and what Kubernetes is shown when a field is not one a kubelet supports.
 */
class DownwardApiPodmanTest extends PodmanFixture {
  private static final Map<String, String> ALLOCATABLE = Map.of("cpu", "3500m", "memory", "7Gi",
      "ephemeral-storage", "100G", "pods", "110");

  @BeforeEach
  void withAllocatable() {
    reconciler.close();
    reconciler = new Reconciler(new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647"))
        .withVolumes(volumes, List.of(allowed)), store, engine, Clock.systemUTC(), () -> { }, null,
        () -> ALLOCATABLE);
  }

  private PodV1 pod(List<ContainerV1> containers, List<VolumeV1> volumes, Map<String, String> labels,
      Map<String, String> annotations) {
    return new PodV1(node, "Always", 1L, null, null, containers, null, volumes, null, null, null, null, null, null,
        null, null, null, labels, annotations, "builder");
  }

  private static ContainerV1 app(List<String> command, List<EnvVarV1> env, ResourcesV1 resources,
      List<VolumeMountV1> mounts) {
    return new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", command, null, null, env, null, resources, null,
        mounts);
  }

  private static EnvVarV1 field(String name, String path) {
    return new EnvVarV1(name, null, new EnvSourceV1(null, null, path));
  }

  private static EnvVarV1 resource(String name, String container, String resource, String divisor) {
    return new EnvVarV1(name, null, new EnvSourceV1(null, null, null,
        new ResourceFieldRefV1(container, resource, divisor)));
  }

  @Test
  void everyFieldAndResourceAKubeletSupportsReachesTheEnvironment() {
    ObjectRef ref = new ObjectRef("Pod", "team", "env-all", UUID.randomUUID().toString(), "1");
    List<EnvVarV1> env = List.of(field("NAME", "metadata.name"), field("NS", "metadata.namespace"),
        field("UID", "metadata.uid"), field("TIER", "metadata.labels['tier']"),
        field("OWNER", "metadata.annotations['example.com/owner']"), field("NODE", "spec.nodeName"),
        field("SA", "spec.serviceAccountName"), field("HOST_IP", "status.hostIP"),
        field("HOST_IPS", "status.hostIPs"), field("POD_IP", "status.podIP"), field("POD_IPS", "status.podIPs"),
        resource("CPU_LIMIT", null, "limits.cpu", "1m"), resource("MEM_LIMIT", null, "limits.memory", "1Mi"),
        resource("CPU_REQUEST", null, "requests.cpu", null), resource("MEM_REQUEST", "app", "requests.memory", "1Mi"),
        resource("DISK_LIMIT", null, "limits.ephemeral-storage", "1G"),
        resource("DISK_REQUEST", null, "requests.ephemeral-storage", null),
        new EnvVarV1("GREETING", "pod $(NAME) on $(NODE)"));
    // No CPU limit: limits.cpu is the node's allocatable, as a kubelet gives it.
    store.put(ref, pod(List.of(app(List.of("sleep", "3600"), env,
        new ResourcesV1(250L, null, 32L << 20, 64L << 20, 1_000_000L), null)), null,
        Map.of("tier", "backend"), Map.of("example.com/owner", "team-a")));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));

    String printed = exec(ref, "app", "env");
    assertThat(printed.lines()).contains("NAME=env-all", "NS=team", "UID=" + ref.uid(), "TIER=backend",
        "OWNER=team-a", "NODE=" + node, "SA=builder", "HOST_IP=" + HostAddress.primary(),
        "HOST_IPS=" + HostAddress.primary(), "POD_IP=" + status.podIP(), "POD_IPS=" + status.podIP(),
        "CPU_LIMIT=3500", "MEM_LIMIT=64", "CPU_REQUEST=1", "MEM_REQUEST=32", "DISK_LIMIT=100",
        "DISK_REQUEST=1000000", "GREETING=pod env-all on " + node);
    assertThat(status.podIP()).isNotBlank();
  }

  @Test
  void aFieldAKubeletDoesNotSupportIsAConfigErrorKubernetesIsShown() {
    ObjectRef ref = new ObjectRef("Pod", "default", "env-bad", UUID.randomUUID().toString(), "1");
    store.put(ref, pod(List.of(app(List.of("sleep", "3600"), List.of(field("PHASE", "status.phase")), null,
        null)), null, null, null));
    ObjectRef hugeRef = new ObjectRef("Pod", "default", "env-huge", UUID.randomUUID().toString(), "1");
    store.put(hugeRef, pod(List.of(app(List.of("sleep", "3600"),
        List.of(resource("HUGE", null, "limits.hugepages-2Mi", null)), null, null)), null, null, null));

    ContainerStatusV1 phase = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason())).containers().get(0);
    ContainerStatusV1 huge = reconcileUntil(hugeRef.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason())).containers().get(0);

    assertThat(phase.state().message()).startsWith("unsupported fieldPath \"status.phase\" in env PHASE (supported: "
        + "metadata.name");
    assertThat(huge.state().message()).isEqualTo("unsupported container resource : limits.hugepages-2Mi (supported: "
        + "limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, "
        + "requests.ephemeral-storage) (in env HUGE)");
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
    assertThat(Podman.appContainersOf(hugeRef.uid())).isEmpty();
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("Failed");
      assertThat(e.message()).startsWith("Error: unsupported fieldPath \"status.phase\"");
    });
  }

  @Test
  void aDownwardApiVolumeFollowsTheLabelsOfARunningContainerWithoutARestart() throws Exception {
    ObjectRef ref = new ObjectRef("Pod", "default", "podinfo", UUID.randomUUID().toString(), "1");
    // A hostile label value: quotes, a newline that would forge a second line, a backslash.
    String hostile = "x\"\nrole=\"admin\\";
    List<VolumeV1> podVolumes = List.of(new VolumeV1("podinfo", null, null, null, null, null, null,
        new DownwardApiV1(List.of(new DownwardFileV1("labels", "metadata.labels", null, null),
            new DownwardFileV1("annotations", "metadata.annotations", null, 0600),
            new DownwardFileV1("name", "metadata.name", null, null),
            new DownwardFileV1("meta/uid", "metadata.uid", null, null),
            new DownwardFileV1("tier", "metadata.labels['tier']", null, null),
            new DownwardFileV1("cpu_limit", null, new ResourceFieldRefV1("app", "limits.cpu", "1m"), null),
            new DownwardFileV1("mem_limit", null, new ResourceFieldRefV1("app", "limits.memory", "1Mi"), null)),
            0444)));
    ContainerV1 app = app(List.of("sleep", "3600"), null, new ResourcesV1(null, 500L, null, 128L << 20),
        List.of(new VolumeMountV1("podinfo", "/etc/podinfo", null, null)));
    store.put(ref, pod(List.of(app), podVolumes, Map.of("tier", "web", "evil", hostile),
        Map.of("example.com/build", "42")));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    String id = containerId(ref, "app");
    String started = Podman.cli("inspect", "--format", "{{.State.StartedAt}}", id).trim();

    assertThat(exec(ref, "app", "cat", "/etc/podinfo/labels"))
        .isEqualTo("evil=\"x\\\"\\nrole=\\\"admin\\\\\"\ntier=\"web\"");
    assertThat(exec(ref, "app", "cat", "/etc/podinfo/annotations")).isEqualTo("example.com/build=\"42\"");
    assertThat(exec(ref, "app", "cat", "/etc/podinfo/name")).isEqualTo("podinfo");
    assertThat(exec(ref, "app", "cat", "/etc/podinfo/meta/uid")).isEqualTo(ref.uid());
    assertThat(exec(ref, "app", "cat", "/etc/podinfo/tier")).isEqualTo("web");
    assertThat(exec(ref, "app", "cat", "/etc/podinfo/cpu_limit")).isEqualTo("500");
    assertThat(exec(ref, "app", "cat", "/etc/podinfo/mem_limit")).isEqualTo("128");
    assertThat(exec(ref, "app", "stat", "-L", "-c", "%a", "/etc/podinfo/labels", "/etc/podinfo/annotations"))
        .isEqualTo("444\n600");
    // The kubelet's AtomicWriter layout: each name a link through ..data to a timestamped directory.
    assertThat(exec(ref, "app", "readlink", "/etc/podinfo/labels")).isEqualTo("..data/labels");
    assertThat(exec(ref, "app", "readlink", "/etc/podinfo/..data"))
        .matches("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d+");
    assertThat(exec(ref, "app", "sh", "-c", "echo x > /etc/podinfo/name 2>&1; grep ' /etc/podinfo ' /proc/mounts"))
        .contains(" ro,");

    // Kubernetes changes the labels: the store receives the new pod; the files follow, the container keeps running.
    store.put(ref, pod(List.of(app), podVolumes, Map.of("tier", "db"), Map.of("example.com/build", "43")));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      reconciler.reconcile();
      assertThat(exec(ref, "app", "cat", "/etc/podinfo/tier")).isEqualTo("db");
    });
    assertThat(exec(ref, "app", "cat", "/etc/podinfo/labels")).isEqualTo("tier=\"db\"");
    assertThat(exec(ref, "app", "cat", "/etc/podinfo/annotations")).isEqualTo("example.com/build=\"43\"");
    assertThat(containerId(ref, "app")).isEqualTo(id);
    assertThat(Podman.cli("inspect", "--format", "{{.State.StartedAt}}", id).trim()).isEqualTo(started);
    assertThat(store.status(ref.uid()).containers().get(0).restartCount()).isZero();
    try (var entries = Files.list(volumes.resolve(ref.uid()).resolve("data/podinfo"))) {
      assertThat(entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("..2"))).hasSize(1);
    }
  }

  @Test
  void aProjectedVolumeCombinesDownwardApiItemsWithAConfigMapUnderItsDefaultMode() {
    ObjectRef ref = new ObjectRef("Pod", "default", "projected", UUID.randomUUID().toString(), "1");
    store.configMaps.put("default/settings", new ConfigMapV1(Map.of("mode", "fast"), null));
    List<VolumeV1> volumes = List.of(new VolumeV1("all", null, null, null, null, new VolumeV1.ProjectedV1(List.of(
        new ProjectionV1(new KeyedSourceV1("settings", null, null, null), null),
        new ProjectionV1(null, null, new DownwardApiV1(List.of(
            new DownwardFileV1("podname", "metadata.name", null, null),
            new DownwardFileV1("ns", "metadata.namespace", null, 0640)), null), null)), 0440), null));
    store.put(ref, pod(List.of(app(List.of("sleep", "3600"), null, null,
        List.of(new VolumeMountV1("all", "/all", null, null)))), volumes, null, null));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));

    assertThat(exec(ref, "app", "cat", "/all/mode", "/all/podname", "/all/ns")).isEqualTo("fastprojecteddefault");
    assertThat(exec(ref, "app", "stat", "-L", "-c", "%a", "/all/mode", "/all/podname", "/all/ns"))
        .isEqualTo("440\n440\n640");
  }

  @Test
  void aVolumeItemAKubeletCannotFillKeepsThePodFromStartingWithAReason() {
    ObjectRef ref = new ObjectRef("Pod", "default", "bad-item", UUID.randomUUID().toString(), "1");
    store.put(ref, pod(List.of(app(List.of("sleep", "3600"), null, null,
        List.of(new VolumeMountV1("info", "/info", null, null)))), List.of(new VolumeV1("info", null, null, null,
        null, null, null, new DownwardApiV1(List.of(new DownwardFileV1("node", "spec.nodeName", null, null)),
        null))), null, null));

    ContainerStatusV1 app = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason())).containers().get(0);

    assertThat(app.state().message()).startsWith("unsupported fieldPath \"spec.nodeName\" in downwardAPI item node");
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();

    // An item named like the writer's own link: refused, never written over ..data.
    ObjectRef reserved = new ObjectRef("Pod", "default", "reserved", UUID.randomUUID().toString(), "1");
    store.put(reserved, pod(List.of(app(List.of("sleep", "3600"), null, null,
        List.of(new VolumeMountV1("info", "/info", null, null)))), List.of(new VolumeV1("info", null, null, null,
        null, null, null, new DownwardApiV1(List.of(new DownwardFileV1("..data", "metadata.name", null, null)),
        null))), null, null));
    ContainerStatusV1 refused = reconcileUntil(reserved.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason())).containers().get(0);
    assertThat(refused.state().message()).isEqualTo("volume \"info\": path ..data is reserved (it must not start "
        + "with '..')");
    assertThat(Podman.appContainersOf(reserved.uid())).isEmpty();
  }
}
