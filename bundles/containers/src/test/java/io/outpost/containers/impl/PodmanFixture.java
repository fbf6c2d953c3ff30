package io.outpost.containers.impl;

import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reconciler on a private Podman service, with a unique node name per test (its containers are removed after
 * each test by that label), volumes in a temporary directory and the local test image as infra image.
 */
abstract class PodmanFixture {
  @TempDir
  static Path dir;
  static Podman podman;

  protected String node;
  protected Path volumes;
  protected Path allowed;
  protected FakeStore store;
  protected CountingEngine engine;
  protected Reconciler reconciler;
  /** The node's pod network the reconciler sees (null: none, the engine's default network). */
  protected volatile io.outpost.containers.PodNetwork podNetwork;

  @BeforeAll
  static void startPodman() {
    podman = Podman.start(dir.resolve("podman"));
  }

  @AfterAll
  static void stopPodman() {
    podman.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    node = "vol-" + UUID.randomUUID().toString().substring(0, 8);
    volumes = dir.resolve(node).resolve("volumes");
    allowed = Files.createDirectories(dir.resolve(node).resolve("host"));
    store = new FakeStore();
    engine = new CountingEngine(DockerEngine.connect(podman.host()));
    reconciler = new Reconciler(new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647"))
        .withVolumes(volumes, List.of(allowed)), store, engine, Clock.systemUTC(), () -> { }, null,
        java.util.Map::of, () -> podNetwork);
  }

  @AfterEach
  void tearDown() {
    reconciler.close();
    engine.close();
    Podman.removeContainersLabelled(Naming.NODE, node);
  }

  protected PodStatusReport reconcileUntil(String uid, Predicate<PodStatusReport> condition) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      reconciler.reconcile();
      return store.status(uid);
    }, status -> status != null && condition.test(status));
  }

  protected static ContainerV1 container(String name, List<String> command, List<VolumeMountV1> mounts) {
    return new ContainerV1(name, Podman.TEST_IMAGE, "IfNotPresent", command, null, null, null, null, null, null,
        mounts);
  }

  /** The engine id of the pod's container {@code container}. */
  protected static String containerId(ObjectRef ref, String container) {
    return Podman.appContainersOf(ref.uid()).stream().filter(c -> container.equals(Podman.cli("inspect",
        "--format", "{{index .Config.Labels \"io.outpost.container\"}}", c).trim())).findFirst().orElseThrow();
  }

  protected String exec(ObjectRef ref, String container, String... command) {
    String id = containerId(ref, container);
    List<String> args = new java.util.ArrayList<>(List.of("exec", id));
    args.addAll(List.of(command));
    return Podman.cli(args.toArray(String[]::new)).trim();
  }

}
