package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.BridgeConfig;
import io.outpost.testing.EdgeNode;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Podman;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The walking skeleton end to end, with real parts: the fabric8 mock Kubernetes API (CRUD mode) + the bridge + a
 * real Mosquitto + the built edge distribution as its own process + Podman. Everything is checked from the outside:
 * containers through the engine (podman CLI), pods through the Kubernetes API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndIT {
  private static final String UID_LABEL = "io.outpost.pod.uid";
  private static final String NODE_LABEL = "io.outpost.node";
  private static final Duration PATIENCE = Duration.ofMinutes(3);

  private KubernetesMockServer kubernetes;
  private KubernetesClient client;

  private final String node = "e2e-" + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
  private Path dir;
  private Mosquitto broker;
  private Podman podman;
  private Bridge bridge;
  private EdgeNode edge;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("outpost-e2e-");
    // One API server for the whole class: the bridge's informers watch it while the tests change it.
    kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    kubernetes.init();
    client = kubernetes.createClient();
    broker = Mosquitto.start(dir.resolve("broker"));
    podman = Podman.start(dir.resolve("podman"));
    bridge = new Bridge(BridgeConfig.forBroker(broker.url()), client);
    bridge.start();
    await("bridge ready").atMost(PATIENCE).until(bridge::isReady);
    edge = EdgeNode.install(dir.resolve("edge"), node, broker.url(), podman.host()).start();
    await("node " + node + " Ready in Kubernetes").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(edge.isRunning()).as("edge process (log: %s)", edge.home()).isTrue();
      Node registered = client.nodes().withName(node).get();
      assertThat(registered).isNotNull();
      assertThat(registered.getStatus()).isNotNull();
      assertThat(registered.getStatus().getConditions()).anySatisfy(c -> readyTrue(c));
    });
  }

  private static void readyTrue(NodeCondition condition) {
    assertThat(condition.getType()).isEqualTo("Ready");
    assertThat(condition.getStatus()).isEqualTo("True");
  }

  @AfterAll
  void stop() throws Exception {
    try (Bridge b = bridge; Podman p = podman; Mosquitto m = broker; EdgeNode e = edge) {
      if (e != null) {
        e.close();
      }
      Podman.removeContainersLabelled(NODE_LABEL, node);
      Podman.removeContainersLabelled("io.outpost.e2e.bystander", node);
    } finally {
      if (client != null) {
        client.close();
      }
      if (kubernetes != null) {
        kubernetes.destroy();
      }
      Trees.deleteTree(dir);
    }
  }

  private Pod createPod(String name, String image, List<String> command, List<String> finalizers) {
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(name).withNamespace("default").withFinalizers(finalizers).endMetadata()
        .withNewSpec().withNodeName(node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(5L)
        .addNewContainer().withName("app").withImage(image).withCommand(command)
        .addNewEnv().withName("GREETING").withValue("hello from " + name).endEnv()
        .endContainer().endSpec().build();
    return client.pods().inNamespace("default").resource(pod).create();
  }

  private Pod pod(String name) {
    return client.pods().inNamespace("default").withName(name).get();
  }

  private static List<String> containersOf(Pod pod) {
    return Podman.containersLabelled(UID_LABEL, pod.getMetadata().getUid());
  }

  private static boolean running(String containerId) {
    return Podman.cli("inspect", "--format", "{{.State.Running}}", containerId).trim().equals("true");
  }

  private Pod awaitRunning(String name) {
    await(name + " Running in Kubernetes and in Podman").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(edge.isRunning()).isTrue();
      Pod current = pod(name);
      assertThat(current.getStatus()).isNotNull();
      assertThat(current.getStatus().getPhase()).isEqualTo("Running");
      assertThat(current.getStatus().getContainerStatuses()).isNotEmpty();
      ContainerStatus status = current.getStatus().getContainerStatuses().get(0);
      assertThat(status.getName()).isEqualTo("app");
      assertThat(status.getState().getRunning()).isNotNull();
      assertThat(status.getReady()).isTrue();
      List<String> ids = containersOf(current);
      assertThat(ids).hasSize(1);
      assertThat(running(ids.get(0))).isTrue();
    });
    return pod(name);
  }

  @Test
  void podBoundToTheEdgeNodeRunsInPodmanAndIsRunningInKubernetes() {
    Pod created = createPod("web", Podman.TEST_IMAGE, List.of("sh", "-c", "echo started; exec sleep 3600"), List.of());
    Pod running = awaitRunning("web");
    String id = containersOf(running).get(0);
    String env = Podman.cli("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", id);
    assertThat(env).contains("GREETING=hello from web");
    String labels = Podman.cli("inspect", "--format", "{{index .Config.Labels \"io.outpost.pod.name\"}}", id);
    assertThat(labels.trim()).isEqualTo("web");
    assertThat(running.getMetadata().getUid()).isEqualTo(created.getMetadata().getUid());
    assertThat(running.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
  }

  @Test
  void deletingPodsRemovesTheirContainersAndNothingElse() {
    String bystander = Podman.cli("run", "-d", "--label", "io.outpost.e2e.bystander=" + node, Podman.TEST_IMAGE,
        "sleep", "3600").trim();
    createPod("keep", Podman.TEST_IMAGE, List.of("sleep", "3600"), List.of());
    // The finalizer keeps the pod where a real API server keeps a gracefully deleted pod: present, with a
    // deletionTimestamp, until the kubelet (here the edge through the bridge) has stopped it and deletes it.
    createPod("gone", Podman.TEST_IMAGE, List.of("sleep", "3600"), List.of("outpost.io/e2e-hold"));
    Pod keep = awaitRunning("keep");
    Pod gone = awaitRunning("gone");
    String keepContainer = containersOf(keep).get(0);

    client.pods().inNamespace("default").withName("gone").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"deletionTimestamp\":\"" + Instant.now() + "\",\"deletionGracePeriodSeconds\":5}}");
    await("edge stopped the deleted pod and the bridge completed the deletion").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(containersOf(gone)).isEmpty();
      assertThat(bridge.metrics().get("outpost_bridge_kube_writes_total", "resource", "pods")).isEqualTo(1);
    });
    client.pods().inNamespace("default").withName("gone").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"finalizers\":null}}");
    await("pod gone from the API").atMost(PATIENCE).untilAsserted(() -> assertThat(pod("gone")).isNull());
    assertThat(containersOf(pod("keep"))).containsExactly(keepContainer);
    assertThat(running(keepContainer)).isTrue();
    assertThat(running(bystander)).isTrue();

    // An object removed outright (no grace period) is removed at the edge too.
    client.pods().inNamespace("default").withName("keep").withGracePeriod(0).delete();
    await("container of the deleted pod removed").atMost(PATIENCE)
        .untilAsserted(() -> assertThat(containersOf(keep)).isEmpty());
    assertThat(running(bystander)).isTrue();
  }

  @Test
  void aPodTheEngineCannotRunIsReportedWithTheEnginesReason() {
    createPod("broken", "localhost/outpost-does-not-exist:1", List.of("sleep", "3600"), List.of());
    await("waiting reason in Kubernetes").atMost(PATIENCE).untilAsserted(() -> {
      Pod current = pod("broken");
      assertThat(current.getStatus()).isNotNull();
      assertThat(current.getStatus().getPhase()).isEqualTo("Pending");
      assertThat(current.getStatus().getContainerStatuses()).isNotEmpty();
      ContainerStatus status = current.getStatus().getContainerStatuses().get(0);
      assertThat(status.getState().getWaiting()).isNotNull();
      assertThat(status.getState().getWaiting().getReason()).isIn("ErrImagePull", "ImagePullBackOff");
      assertThat(status.getState().getWaiting().getMessage()).isNotBlank();
    });
  }
}
