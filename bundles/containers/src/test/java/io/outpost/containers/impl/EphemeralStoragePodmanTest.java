package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ephemeral storage on real Podman (issue 19): a pod that floods its emptyDir past {@code sizeLimit} is evicted as by
 * the kubelet and its files removed, the node's own files untouched; a {@code medium: Memory} emptyDir is a tmpfs of
 * that size shared by the pod's containers, gone with the pod.
 */
class EphemeralStoragePodmanTest extends PodmanFixture {
  private static final long MIB = 1024 * 1024;

  @BeforeEach
  void measureEverySecond() {
    reconciler.close();
    reconciler = new Reconciler(settings(), store, engine, Clock.systemUTC(), () -> { });
  }

  private Settings settings() {
    return settings(null);
  }

  private Settings settings(NodefsPressure nodefs) {
    return new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647"))
        .withVolumes(volumes, List.of(allowed))
        .withStorage(new Settings.Storage(Duration.ofSeconds(1), 1_000_000, nodefs));
  }

  @AfterEach
  void removeVolumes() {
    Podman.removeContainersLabelled(Naming.NODE, node); // a volume goes only once no container uses it
    for (String volume : Podman.cli("volume", "ls", "-q", "--filter", "label=" + Naming.NODE + "=" + node).lines()
        .map(String::trim).filter(s -> !s.isEmpty()).toList()) {
      Podman.cli("volume", "rm", "-f", volume);
    }
  }

  @Test
  void aPodThatFloodsItsEmptyDirPastItsSizeLimitIsEvictedAndTheNodesFilesAreIntact() throws Exception {
    Path identity = Files.createDirectories(dir.resolve(node).resolve("identity"));
    Files.writeString(identity.resolve("node.key"), "the node's key");
    Path storeFile = Files.writeString(Files.createDirectories(dir.resolve(node).resolve("store")).resolve("00.xd"),
        "the node's store");
    ObjectRef flood = pod("flood", "dd if=/dev/zero of=/scratch/fill bs=1024 count=4096; exec sleep 3600",
        new VolumeV1.EmptyDirV1(null, MIB));
    ObjectRef calm = pod("calm", "dd if=/dev/zero of=/scratch/fill bs=1024 count=256; exec sleep 3600",
        new VolumeV1.EmptyDirV1(null, MIB));

    PodStatusReport evicted = reconcileUntil(flood.uid(), s -> "Failed".equals(s.phase()));

    String message = "Usage of EmptyDir volume \"scratch\" exceeds the limit \"1Mi\". ";
    assertThat(evicted.reason()).isEqualTo("Evicted");
    assertThat(evicted.message()).isEqualTo(message);
    assertThat(store.events).filteredOn(e -> flood.uid().equals(e.ref().uid()) && "Evicted".equals(e.reason()))
        .singleElement().satisfies(e -> {
          assertThat(e.type()).isEqualTo(EventReport.WARNING);
          assertThat(e.message()).isEqualTo(message);
          assertThat(e.fieldPath()).isNull();
        });
    // Its containers are stopped and removed, then its volumes; it is never started again.
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      reconciler.reconcile();
      assertThat(Podman.containersLabelled(Naming.POD_UID, flood.uid())).isEmpty();
      assertThat(volumes.resolve(flood.uid())).doesNotExist();
    });
    int creates = engine.creates.get();
    for (int i = 0; i < 3; i++) {
      reconciler.reconcile();
    }
    assertThat(engine.creates.get()).isEqualTo(creates);
    assertThat(store.status(flood.uid())).satisfies(s -> {
      assertThat(s.phase()).isEqualTo("Failed");
      assertThat(s.reason()).isEqualTo("Evicted");
      assertThat(s.message()).isEqualTo(message);
      assertThat(s.containers()).singleElement().satisfies(c -> assertThat(c.state().kind()).isEqualTo(
          "terminated"));
    });
    assertThat(metrics().get("outpost_edge_pods_evicted")).isEqualTo(1.0);
    // The neighbour under its limit runs on; the node's files outside the volumes are as they were.
    assertThat(store.status(calm.uid()).phase()).isEqualTo("Running");
    assertThat(Podman.appContainersOf(calm.uid())).hasSize(1);
    assertThat(identity.resolve("node.key")).hasContent("the node's key");
    assertThat(storeFile).hasContent("the node's store");

    // A node restarted from its store keeps the pod evicted: nothing of it is created again.
    reconciler.close();
    reconciler = new Reconciler(settings(), store, engine, Clock.systemUTC(), () -> { });
    PodStatusReport before = store.status(flood.uid());
    reconciler.reconcile();
    reconciler.reconcile();
    assertThat(Podman.containersLabelled(Naming.POD_UID, flood.uid())).isEmpty();
    assertThat(store.status(flood.uid())).as("the status as it was, its container's last state included")
        .isEqualTo(before);
  }

  @Test
  void underDiskPressureThePodWithTheLargestEmptyDirIsEvictedFirstAndAPodThatWroteNothingIsLeft() throws Exception {
    ObjectRef big = pod("big", "dd if=/dev/zero of=/scratch/fill bs=1024 count=3072; exec sleep 3600",
        new VolumeV1.EmptyDirV1(null));
    ObjectRef small = pod("small", "dd if=/dev/zero of=/scratch/fill bs=1024 count=1024; exec sleep 3600",
        new VolumeV1.EmptyDirV1(null));
    ObjectRef idle = new ObjectRef("Pod", "default", "idle", UUID.randomUUID().toString(), "1");
    store.put(idle, new PodV1(node, "Always", 30L, null, null, List.of(container("app", List.of("sleep", "3600"),
        List.of())), null, null));
    for (ObjectRef ref : List.of(big, small, idle)) {
      reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(volumes.resolve(big.uid()).resolve("empty/scratch/fill")).hasSize(3072 * 1024);
      assertThat(volumes.resolve(small.uid()).resolve("empty/scratch/fill")).hasSize(1024 * 1024);
    });

    // The same node, now below its nodefs.available threshold (100%: always).
    reconciler.close();
    reconciler = new Reconciler(settings(NodefsPressure.parse("memory.available<100Mi,nodefs.available<100%")),
        store, engine, Clock.systemUTC(), () -> { });
    reconcileUntil(small.uid(), s -> "Failed".equals(s.phase()));

    List<EventReport> evictions = store.events.stream().filter(e -> "Evicted".equals(e.reason())).toList();
    assertThat(evictions).extracting(e -> e.ref().uid()).containsExactly(big.uid(), small.uid());
    assertThat(evictions).allSatisfy(e -> assertThat(e.message()).matches("The node was low on resource: "
        + "ephemeral-storage\\. Threshold quantity: [0-9]+(Ki|Mi|Gi|Ti)?, available: [0-9]+(Ki|Mi|Gi|Ti)?\\. "));
    assertThat(store.status(big.uid())).satisfies(s -> {
      assertThat(s.phase()).isEqualTo("Failed");
      assertThat(s.reason()).isEqualTo("Evicted");
      assertThat(s.message()).isEqualTo(evictions.get(0).message());
    });
    for (int i = 0; i < 3; i++) {
      reconciler.reconcile();
    }
    assertThat(store.status(idle.uid()).phase()).isEqualTo("Running");
    assertThat(Podman.appContainersOf(idle.uid())).hasSize(1);
  }

  @Test
  void aMemoryEmptyDirIsASizeLimitedTmpfsSharedByThePodsContainersAndGoneWithThePod() throws Exception {
    ObjectRef ref = new ObjectRef("Pod", "default", "memory", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(
        container("writer", List.of("sh", "-c", "echo shared > /mem/hello; exec sleep 3600"),
            List.of(new VolumeMountV1("mem", "/mem", null, null))),
        container("reader", List.of("sleep", "3600"), List.of(new VolumeMountV1("mem", "/data", null, null)))),
        null, List.of(new VolumeV1("mem", new VolumeV1.EmptyDirV1("Memory", MIB), null, null, null, null, null))));
    reconcileUntil(ref.uid(), s -> s.containers().stream().allMatch(c -> "running".equals(c.state().kind())));

    assertThat(exec(ref, "reader", "sh", "-c", "grep ' /data ' /proc/mounts")).startsWith("tmpfs /data tmpfs ")
        .contains("size=1024k");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(exec(ref, "reader", "cat", "/data/hello")).isEqualTo("shared"));
    String flood = exec(ref, "reader", "sh", "-c", "dd if=/dev/zero of=/data/fill bs=1024 count=4096 2>&1; "
        + "echo exit=$?");
    assertThat(flood).contains("No space left on device").contains("exit=1");
    assertThat(volumes.resolve(ref.uid())).as("nothing of it on the node's disk").doesNotExist();

    // The writer exits and is restarted: the files stay, held by the pod's infra container as by a kubelet.
    Podman.cli("kill", containerId(ref, "writer"));
    reconcileUntil(ref.uid(), s -> s.containers().stream().anyMatch(c -> c.restartCount() == 1
        && "running".equals(c.state().kind())));
    assertThat(exec(ref, "writer", "ls", "/mem")).contains("hello").contains("fill");

    store.remove(ref.uid());
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      reconciler.reconcile();
      assertThat(Podman.containersLabelled(Naming.POD_UID, ref.uid())).isEmpty();
      assertThat(Podman.cli("volume", "ls", "-q", "--filter", "label=" + Naming.POD_UID + "=" + ref.uid()))
          .isBlank();
    });
  }

  @Test
  void anEmptyDirMediumTheNodeCannotProvideIsRefusedNotIgnored() {
    ObjectRef ref = new ObjectRef("Pod", "default", "hugepages", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(container("app", List.of("sleep", "3600"),
        List.of(new VolumeMountV1("huge", "/huge", null, null)))), null,
        List.of(new VolumeV1("huge", new VolumeV1.EmptyDirV1("HugePages", null), null, null, null, null, null))));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason()));

    assertThat(status.containers().get(0).state().message())
        .isEqualTo("volume \"huge\": emptyDir medium \"HugePages\" is not supported on edge nodes (only the "
            + "default and Memory)");
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
  }

  /** The node's container metrics over this test's reconciler. */
  private java.util.Map<String, Double> metrics() {
    Reconciler current = reconciler;
    return new ContainerMetrics(new io.outpost.containers.ContainerManager() {
      @Override
      public List<io.outpost.containers.PodRuntime> pods() {
        return current.pods();
      }

      @Override
      public io.outpost.containers.EngineStatus engine() {
        return current.engine();
      }

      @Override
      public void resync() {
        current.reconcile();
      }

      @Override
      public String logs(String namespace, String pod, String container, int tailLines) {
        throw new UnsupportedOperationException("not used by the metrics");
      }
    }).metrics();
  }

  private ObjectRef pod(String name, String script, VolumeV1.EmptyDirV1 emptyDir) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 30L, null, null, List.of(container("app", List.of("sh", "-c", script),
        List.of(new VolumeMountV1("scratch", "/scratch", null, null)))), null,
        List.of(new VolumeV1("scratch", emptyDir, null, null, null, null, null))));
    return ref;
  }
}
