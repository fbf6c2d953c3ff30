package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PortV1;
import io.outpost.protocol.ResourcesV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.EnvVarV1;
import io.outpost.testing.Podman;
import java.nio.file.Path;
import java.time.Clock;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
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

/** The reconciler against a real Podman service on a private socket. Touches only containers it labelled. */
class ReconcilerPodmanTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FOREIGN_LABEL = "io.outpost.test.foreign";

  @TempDir
  static Path dir;
  static Podman podman;
  static java.util.concurrent.ExecutorService pool;

  private String node;
  private FakeStore store;
  private CountingEngine engine;
  private Reconciler reconciler;

  @BeforeAll
  static void startPodman() {
    podman = Podman.start(dir);
    pool = java.util.concurrent.Executors.newFixedThreadPool(4);
  }

  @AfterAll
  static void stopPodman() {
    pool.shutdownNow();
    podman.close();
  }

  @BeforeEach
  void setUp() {
    node = "test-" + UUID.randomUUID().toString().substring(0, 8);
    store = new FakeStore();
    reconciler = newReconciler();
  }

  @AfterEach
  void tearDown() {
    reconciler.close();
    engine.close();
    Podman.removeContainersLabelled(Naming.NODE, node);
    Podman.removeContainersLabelled(FOREIGN_LABEL, node);
  }

  private Reconciler newReconciler() {
    engine = new CountingEngine(DockerEngine.connect(podman.host()));
    // The parallel path the component uses: several pods of a pass on a pool.
    return new Reconciler(new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647"))
        .withVolumes(dir.resolve("volumes"), List.of()), store, engine,
        Clock.systemUTC(), () -> {}, pool);
  }

  private static ObjectRef ref(String name) {
    return new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
  }

  private PodV1 pod(String image, String restartPolicy, List<String> command) {
    return new PodV1(node, restartPolicy, 1L, null, null, List.of(new ContainerV1("app", image, "IfNotPresent",
        command, null, null, List.of(new EnvVarV1("GREETING", "hello edge")))));
  }

  private PodStatusReport reconcileUntil(String uid, Predicate<PodStatusReport> condition) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      reconciler.reconcile();
      return store.status(uid);
    }, status -> status != null && condition.test(status));
  }

  private ObjectRef runSleeper() {
    ObjectRef ref = ref("sleeper");
    store.put(ref, pod(Podman.TEST_IMAGE, null, List.of("sleep", "3600")));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    return ref;
  }

  private static JsonNode inspect(String id) throws Exception {
    return JSON.readTree(Podman.cli("inspect", id)).get(0);
  }

  @Test
  void asksTheEngineVersionOnlyAfterTheFirstPassStartedItsPodsAndOnce() {
    ObjectRef ref = ref("first");
    store.put(ref, pod(Podman.TEST_IMAGE, null, List.of("sleep", "3600")));

    reconciler.reconcile();

    // A cold start: the pod's infra and app containers were started before the version (slow on Podman) was asked.
    assertThat(engine.startsBeforeFirstVersion.get()).isEqualTo(2);
    assertThat(reconciler.engine().reachable()).isTrue();
    assertThat(reconciler.engine().message()).as("the engine version").isNotBlank();
    reconciler.reconcile();
    assertThat(engine.versions.get()).isEqualTo(1);
  }

  @Test
  void runsAPodWithLabelsAndEnvAndReportsItRunning() throws Exception {
    ObjectRef ref = runSleeper();

    List<String> ids = Podman.appContainersOf(ref.uid());
    assertThat(ids).hasSize(1);
    JsonNode container = inspect(ids.get(0));
    assertThat(container.at("/State/Running").asBoolean()).isTrue();
    JsonNode labels = container.at("/Config/Labels");
    assertThat(labels.get("io.outpost.managed").asText()).isEqualTo("true");
    assertThat(labels.get("io.outpost.node").asText()).isEqualTo(node);
    assertThat(labels.get("io.outpost.pod.uid").asText()).isEqualTo(ref.uid());
    assertThat(labels.get("io.outpost.pod.namespace").asText()).isEqualTo("default");
    assertThat(labels.get("io.outpost.pod.name").asText()).isEqualTo("sleeper");
    assertThat(labels.get("io.outpost.container").asText()).isEqualTo("app");
    assertThat(container.at("/Config/Env").toString()).contains("GREETING=hello edge");
    assertThat(container.at("/Name").asText()).isEqualTo(Naming.containerName(ref, "app"));
    // The pod's infra container holds its network namespace; the app container joined it; its IP is the pod IP.
    List<String> infra = Podman.infraContainersOf(ref.uid());
    assertThat(infra).hasSize(1);
    JsonNode sandbox = inspect(infra.get(0));
    assertThat(sandbox.at("/State/Running").asBoolean()).isTrue();
    assertThat(sandbox.at("/Config/Labels/io.outpost.node").asText()).isEqualTo(node);
    assertThat(container.at("/HostConfig/NetworkMode").asText()).isEqualTo("container:" + infra.get(0));
    String podIP = Podman.cli("inspect", "--format", "{{.NetworkSettings.IPAddress}}", infra.get(0)).trim();

    PodStatusReport status = store.status(ref.uid());
    assertThat(status.node()).isEqualTo(node);
    assertThat(status.ref()).isEqualTo(ref);
    assertThat(status.startTime()).isNotNull();
    assertThat(podIP).isNotBlank();
    assertThat(status.podIP()).isEqualTo(podIP);
    assertThat(status.containers()).singleElement().satisfies(c -> {
      assertThat(c.containerID()).isEqualTo("docker://" + ids.get(0));
      assertThat(c.ready()).isTrue();
      assertThat(c.state().kind()).isEqualTo("running");
      assertThat(c.restartCount()).isZero();
    });
    int recorded = store.recorded.size();
    reconciler.reconcile();
    reconciler.reconcile();
    assertThat(store.recorded).as("an unchanged pod records no new status").hasSize(recorded);
    assertThat(reconciler.engine().reachable()).isTrue();
    assertThat(reconciler.pods()).singleElement().satisfies(p -> assertThat(p.status()).isEqualTo(status));
  }

  @Test
  void environmentComesFromConfigMapsSecretsAndPodFieldsInTheStore() throws Exception {
    ObjectRef ref = ref("configured");
    PodV1.KeyRefV1 mode = new PodV1.KeyRefV1("settings", "mode", null);
    PodV1.KeyRefV1 password = new PodV1.KeyRefV1("db", "password", null);
    List<EnvVarV1> env = List.of(
        new EnvVarV1("MODE", null, new PodV1.EnvSourceV1(mode, null, null)),
        new EnvVarV1("DB_PASSWORD", null, new PodV1.EnvSourceV1(null, password, null)),
        new EnvVarV1("POD_NAME", null, new PodV1.EnvSourceV1(null, null, "metadata.name")),
        new EnvVarV1("NODE", null, new PodV1.EnvSourceV1(null, null, "spec.nodeName")),
        new EnvVarV1("POD_IP", null, new PodV1.EnvSourceV1(null, null, "status.podIP")),
        new EnvVarV1("OPTIONAL", null, new PodV1.EnvSourceV1(new PodV1.KeyRefV1("absent", "k", true), null, null)),
        new EnvVarV1("REGION", "literal-wins"));
    List<PodV1.EnvFromV1> envFrom = List.of(new PodV1.EnvFromV1("CFG_", new PodV1.ObjectNameV1("settings", null),
        null));
    store.put(ref, new PodV1(node, null, 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, env, envFrom))));

    // Nothing referenced is in the store yet: the container is not created, and the pod says why.
    PodStatusReport waiting = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason()));
    assertThat(waiting.containers().get(0).state().message()).isEqualTo("configmap \"settings\" not found");
    assertThat(Podman.appContainersOf(ref.uid())).as("only the pod's infra container exists").isEmpty();
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.type()).isEqualTo("Warning");
      assertThat(e.message()).contains("configmap \"settings\" not found");
    });

    store.configMaps.put("default/settings", new ConfigMapV1(java.util.Map.of("mode", "edge", "REGION", "north"),
        null));
    PodStatusReport secretMissing = reconcileUntil(ref.uid(), s -> s.containers().get(0).state().message() != null
        && s.containers().get(0).state().message().contains("secret"));
    assertThat(secretMissing.containers().get(0).state().message()).isEqualTo("secret \"db\" not found");

    store.secrets.put("default/db", new SecretV1("Opaque", java.util.Map.of("password",
        java.util.Base64.getEncoder().encodeToString("s3cret".getBytes(java.nio.charset.StandardCharsets.UTF_8)))));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    JsonNode container = inspect(Podman.appContainersOf(ref.uid()).get(0));
    List<String> vars = new java.util.ArrayList<>();
    container.at("/Config/Env").forEach(v -> vars.add(v.asText()));
    assertThat(vars).contains("MODE=edge", "DB_PASSWORD=s3cret", "POD_NAME=configured", "NODE=" + node,
        "CFG_mode=edge", "CFG_REGION=north", "REGION=literal-wins");
    assertThat(vars).noneMatch(v -> v.startsWith("OPTIONAL="));
    String podIP = Podman.cli("inspect", "--format", "{{.NetworkSettings.IPAddress}}",
        Podman.infraContainersOf(ref.uid()).get(0)).trim();
    assertThat(podIP).isNotBlank();
    assertThat(vars).as("status.podIP is the infra container's IP").contains("POD_IP=" + podIP);
    assertThat(store.events).extracting(EventReport::reason).contains("Created", "Started");
  }

  @Test
  void missingImageWaitsWithABoundedNumberOfPulls() {
    ObjectRef ref = ref("missing");
    store.put(ref, pod("localhost/does-not-exist:1", null, List.of("sleep", "3600")));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> List.of("ErrImagePull", "ImagePullBackOff")
        .contains(s.containers().get(0).state().reason()));
    assertThat(status.phase()).isEqualTo("Pending");
    assertThat(status.containers().get(0).state().message()).isNotBlank();

    // Many passes within the first back-off period: no further pull, no container.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
        .until(() -> {
          reconciler.reconcile();
          return true;
        });
    assertThat(engine.pulls.get()).isEqualTo(1);
    assertThat(engine.creates.get()).as("the pod's infra container only").isEqualTo(1);
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
    assertThat(store.status(ref.uid()).containers().get(0).state().reason()).isEqualTo("ImagePullBackOff");
    assertThat(store.status(ref.uid()).containers().get(0).state().message()).contains("does-not-exist");
    assertThat(reconciler.pods()).singleElement().satisfies(p -> {
      assertThat(p.failedAttempts()).isEqualTo(1);
      assertThat(p.nextAttempt()).isNotNull();
    });
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
  }

  @Test
  void whenTheInfraContainerDiesThePodIsBuiltAgainAroundANewOne() throws Exception {
    ObjectRef ref = runSleeper();
    String infra = Podman.infraContainersOf(ref.uid()).get(0);
    String app = Podman.appContainersOf(ref.uid()).get(0);

    Podman.cli("kill", infra);

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind())
        && s.containers().get(0).restartCount() == 1);
    List<String> newInfra = Podman.infraContainersOf(ref.uid());
    assertThat(newInfra).hasSize(1).doesNotContain(infra);
    assertThat(Podman.appContainersOf(ref.uid())).hasSize(1).doesNotContain(app);
    assertThat(inspect(Podman.appContainersOf(ref.uid()).get(0)).at("/HostConfig/NetworkMode").asText())
        .isEqualTo("container:" + newInfra.get(0));
    assertThat(status.podIP()).isEqualTo(
        Podman.cli("inspect", "--format", "{{.NetworkSettings.IPAddress}}", newInfra.get(0)).trim());
    assertThat(store.events).anySatisfy(e -> assertThat(e.reason()).isEqualTo("SandboxChanged"));
  }

  @Test
  void aPodWhoseContainerWasCreatedBeforeInfraContainersIsLeftRunningAsItIs() throws Exception {
    ObjectRef ref = ref("legacy");
    List<String> run = new java.util.ArrayList<>(List.of("run", "-d", "--name", Naming.containerName(ref, "app")));
    Naming.labels(node, ref, "app").forEach((k, v) -> run.addAll(List.of("--label", k + "=" + v)));
    run.addAll(List.of(Podman.TEST_IMAGE, "sleep", "3600"));
    String legacy = Podman.cli(run.toArray(String[]::new)).trim();
    String startedAt = inspect(legacy).at("/State/StartedAt").asText();
    store.put(ref, pod(Podman.TEST_IMAGE, "Always", List.of("sleep", "3600")));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    reconciler.reconcile();

    assertThat(Podman.infraContainersOf(ref.uid())).as("no infra container forced on a running pod").isEmpty();
    assertThat(Podman.appContainersOf(ref.uid())).containsExactly(legacy);
    assertThat(inspect(legacy).at("/State/StartedAt").asText()).isEqualTo(startedAt);
    assertThat(status.podIP()).isEqualTo(
        Podman.cli("inspect", "--format", "{{.NetworkSettings.IPAddress}}", legacy).trim());
  }

  @Test
  void aRestartedManagerAdoptsTheRunningContainer() throws Exception {
    ObjectRef ref = runSleeper();
    String id = Podman.appContainersOf(ref.uid()).get(0);
    String startedAt = inspect(id).at("/State/StartedAt").asText();

    engine.close();
    reconciler = newReconciler();
    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    reconciler.reconcile();

    assertThat(Podman.appContainersOf(ref.uid())).containsExactly(id);
    assertThat(inspect(id).at("/State/StartedAt").asText()).isEqualTo(startedAt);
    assertThat(engine.creates.get() + engine.starts.get()).isZero();
    assertThat(status.containers().get(0).containerID()).isEqualTo("docker://" + id);
  }

  @Test
  void aDeletedPodIsStoppedRemovedAndReportedStopped() {
    ObjectRef ref = runSleeper();
    PodV1 running = store.pods().get(0).pod();
    store.put(ref, new PodV1(node, null, 1L, "2026-01-01T00:00:00Z", 1L, running.containers()));

    PodStatusReport status = reconcileUntil(ref.uid(), PodStatusReport::stopped);

    assertThat(Podman.containersLabelled(Naming.POD_UID, ref.uid())).isEmpty();
    assertThat(status.phase()).isEqualTo("Failed");
    assertThat(status.containers().get(0).state().kind()).isEqualTo("terminated");
    assertThat(status.containers().get(0).state().exitCode()).isNotZero();
  }

  @Test
  void aPodGoneFromTheStoreLosesItsContainerAndStatus() {
    ObjectRef ref = runSleeper();
    store.remove(ref.uid());

    reconciler.reconcile();

    assertThat(Podman.containersLabelled(Naming.POD_UID, ref.uid())).isEmpty();
    assertThat(store.forgotten).contains(ref.uid());
    assertThat(reconciler.pods()).isEmpty();
  }

  @Test
  void anOrphanWithThisNodesLabelIsRemoved() {
    String orphan = Podman.cli("create", "--label", Naming.NODE + "=" + node, "--label",
        Naming.POD_UID + "=gone-" + node, Podman.TEST_IMAGE, "sleep", "3600").trim();

    reconciler.reconcile();

    assertThat(Podman.containersLabelled(Naming.NODE, node)).doesNotContain(orphan).isEmpty();
    assertThat(store.forgotten).contains("gone-" + node);
  }

  @Test
  void containersWithoutOutpostLabelsAreNeverTouched() {
    String foreign = Podman.cli("run", "-d", "--label", FOREIGN_LABEL + "=" + node, Podman.TEST_IMAGE,
        "sleep", "3600").trim();
    ObjectRef ref = runSleeper();
    store.remove(ref.uid());
    reconciler.reconcile();
    reconciler.reconcile();

    assertThat(Podman.containersLabelled(Naming.NODE, node)).isEmpty();
    assertThat(Podman.containersLabelled(FOREIGN_LABEL, node)).containsExactly(foreign);
    assertThat(Podman.cli("inspect", "--format", "{{.State.Running}}", foreign).trim()).isEqualTo("true");
  }

  @Test
  void aCrashingContainerIsRestartedWithBackOff() {
    ObjectRef ref = ref("crasher");
    store.put(ref, pod(Podman.TEST_IMAGE, "Always", List.of("sh", "-c", "exit 3")));

    PodStatusReport status = reconcileUntil(ref.uid(),
        s -> "CrashLoopBackOff".equals(s.containers().get(0).state().reason()));

    var container = status.containers().get(0);
    assertThat(container.restartCount()).isEqualTo(1);
    assertThat(container.lastState().kind()).isEqualTo("terminated");
    assertThat(container.lastState().exitCode()).isEqualTo(3);
    assertThat(status.phase()).isEqualTo("Running");
    int starts = engine.starts.get();
    reconciler.reconcile();
    reconciler.reconcile();
    assertThat(engine.starts.get()).as("no restart while backing off").isEqualTo(starts);
  }

  @Test
  void restartCountsContinueAfterTheManagerRestarts() {
    ObjectRef ref = runSleeper();
    Podman.cli("kill", Podman.appContainersOf(ref.uid()).get(0));
    reconcileUntil(ref.uid(), s -> s.containers().get(0).restartCount() == 1
        && "running".equals(s.containers().get(0).state().kind()));

    engine.close();
    reconciler = newReconciler(); // a new gateway incarnation: nothing in memory, the store remembers
    reconciler.reconcile();
    PodStatusReport status = store.status(ref.uid());
    assertThat(status.containers().get(0).state().kind()).isEqualTo("running");
    assertThat(status.containers().get(0).restartCount()).as("not reset to 0").isEqualTo(1);
    assertThat(status.containers().get(0).lastState().kind()).isEqualTo("terminated");
  }

  @Test
  void aContainerThatMayNotRestartEndsThePod() {
    ObjectRef ref = ref("job");
    store.put(ref, pod(Podman.TEST_IMAGE, "Never", List.of("sh", "-c", "exit 4")));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Failed".equals(s.phase()));

    assertThat(status.containers().get(0).state().exitCode()).isEqualTo(4);
    assertThat(status.containers().get(0).restartCount()).isZero();
    assertThat(engine.starts.get()).as("the infra container and the app container, once each").isEqualTo(2);
  }
}
