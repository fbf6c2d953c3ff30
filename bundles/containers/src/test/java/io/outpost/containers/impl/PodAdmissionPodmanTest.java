package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.ResourcesV1;
import io.outpost.testing.Podman;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node refuses a bound pod that does not fit its allocatable, as the kubelet does, against a real Podman: the pod
 * is Failed with OutOfcpu and not one container of it is created; a pod that runs is never rejected later, not
 * even by a restarted node with less room.
 */
class PodAdmissionPodmanTest {
  @TempDir static Path dir;
  static Podman podman;
  static ExecutorService pool;

  private String node;
  private FakeStore store;
  private ContainerEngine engine;
  private Reconciler reconciler;
  private final AtomicReference<Map<String, String>> allocatable = new AtomicReference<>(
      Map.of("cpu", "1", "memory", "1Gi", "pods", "110"));

  @BeforeAll
  static void startPodman() {
    podman = Podman.start(dir);
    pool = Executors.newFixedThreadPool(4);
  }

  @AfterAll
  static void stopPodman() {
    pool.shutdownNow();
    podman.close();
  }

  @BeforeEach
  void setUp() {
    node = "adm-" + UUID.randomUUID().toString().substring(0, 8);
    store = new FakeStore();
    engine = DockerEngine.connect(podman.host());
    reconciler = newReconciler();
  }

  @AfterEach
  void tearDown() {
    reconciler.close();
    engine.close();
    Podman.removeContainersLabelled(Naming.NODE, node);
  }

  private Reconciler newReconciler() {
    return new Reconciler(new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647"))
        .withVolumes(dir.resolve("volumes"), List.of()), store, engine, Clock.systemUTC(), () -> {}, pool,
        allocatable::get);
  }

  private ObjectRef put(String name, long cpuMillis) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null, null,
        new ResourcesV1(cpuMillis, null, null, null), null, null, null)), null, null, null));
    return ref;
  }

  private PodStatusReport reconcileUntil(String uid, Predicate<PodStatusReport> condition) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      reconciler.reconcile();
      return store.status(uid);
    }, status -> status != null && condition.test(status));
  }

  @Test
  void aPodRequestingMoreCpuThanTheNodeHasIsFailedWithOutOfcpuAndNoContainerIsCreated() {
    ObjectRef greedy = put("greedy", 2000);
    PodStatusReport status = reconcileUntil(greedy.uid(), s -> "Failed".equals(s.phase()));

    assertThat(status.reason()).isEqualTo("OutOfcpu");
    assertThat(status.message()).isEqualTo(
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 0, capacity: 1000");
    assertThat(store.events).filteredOn(e -> e.ref().uid().equals(greedy.uid()))
        .extracting(EventReport::type, EventReport::reason)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(EventReport.WARNING, "OutOfcpu"));
    // Further passes keep it so and still create nothing: not the app container, not the infra container.
    reconciler.reconcile();
    reconciler.reconcile();
    assertThat(Podman.appContainersOf(greedy.uid())).isEmpty();
    assertThat(Podman.infraContainersOf(greedy.uid())).isEmpty();
    assertThat(store.status(greedy.uid())).isEqualTo(status);
    assertThat(store.events).filteredOn(e -> e.ref().uid().equals(greedy.uid())).hasSize(1);

    // Gone from the store: forgotten, like any pod.
    store.remove(greedy.uid());
    reconciler.reconcile();
    assertThat(store.forgotten).contains(greedy.uid());
  }

  @Test
  void aRunningPodIsNeverRejectedEvenByARestartedNodeWithLessRoom() {
    ObjectRef running = put("running", 800);
    reconcileUntil(running.uid(), s -> "Running".equals(s.phase()));
    ObjectRef late = put("late", 300);
    PodStatusReport refused = reconcileUntil(late.uid(), s -> "Failed".equals(s.phase()));
    assertThat(refused.reason()).isEqualTo("OutOfcpu");
    assertThat(refused.message()).endsWith("cpu, requested: 300, used: 800, capacity: 1000");

    // The node restarts with far less allocatable: the running pod stays admitted and running.
    reconciler.close();
    allocatable.set(Map.of("cpu", "100m", "memory", "1Gi", "pods", "110"));
    reconciler = newReconciler();
    reconciler.reconcile();
    reconciler.reconcile();
    assertThat(store.status(running.uid()).phase()).isEqualTo("Running");
    assertThat(Podman.appContainersOf(running.uid())).hasSize(1);
    assertThat(store.status(late.uid())).isEqualTo(refused);
    assertThat(Podman.appContainersOf(late.uid())).isEmpty();
  }
}
