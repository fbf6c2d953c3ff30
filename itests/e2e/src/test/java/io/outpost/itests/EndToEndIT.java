package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static io.outpost.itests.OutpostStack.containersOf;
import static io.outpost.itests.OutpostStack.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.outpost.testing.Podman;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The walking skeleton end to end, with real parts (see {@link OutpostStack}): pods run, report, and are deleted
 * the way a kubelet's would be.
 */
class EndToEndIT extends StackTest {
  @Test
  void podBoundToTheEdgeNodeRunsInPodmanAndIsRunningInKubernetes() {
    Pod created = stack.createPod("web", Podman.TEST_IMAGE, List.of("sh", "-c", "echo started; exec sleep 3600"),
        List.of());
    Pod running = stack.awaitRunning("web");
    String id = containersOf(running).get(0);
    String env = Podman.cli("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", id);
    assertThat(env).contains("GREETING=hello from web");
    String labels = Podman.cli("inspect", "--format", "{{index .Config.Labels \"io.outpost.pod.name\"}}", id);
    assertThat(labels.trim()).isEqualTo("web");
    assertThat(running.getMetadata().getUid()).isEqualTo(created.getMetadata().getUid());
    assertThat(running.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
  }

  /**
   * Observability: the node serves its health as Prometheus text on its local port, and the bridge's /metrics shows
   * the same summary with the node's name, from the heartbeats — no scrape of the site.
   */
  @Test
  void theNodesHealthIsOnItsLocalEndpointAndOnTheBridgesMetrics() {
    stack.createSleeper("observed");
    stack.awaitRunning("observed");
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    await("the node's own endpoint").atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
      String local = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
          + stack.edge.metricsPort() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
          .body();
      assertThat(local).contains("outpost_edge_connected 1\n", "outpost_edge_engine_up 1\n",
          "outpost_edge_jvm_memory_used_bytes{area=\"heap\"} ", "outpost_edge_store_bytes ");
      assertThat(local).containsPattern("outpost_edge_pods\\{phase=\"Running\"\\} [1-9]");
    });
    await("the summary on the bridge").atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
      String bridge = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
          + stack.bridge.httpPort() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
          .body();
      assertThat(bridge).contains("outpost_edge_connected{node=\"" + stack.node + "\"} 1\n",
          "outpost_edge_process_resident_memory_bytes{node=\"" + stack.node + "\"} ");
      assertThat(bridge).containsPattern("outpost_edge_pods\\{node=\"" + stack.node
          + "\",phase=\"Running\"\\} [1-9]");
    });
  }

  @Test
  void theContainersOfAPodShareTheNetworkNamespaceOfItsInfraContainer() {
    stack.client.pods().inNamespace("default").resource(new PodBuilder()
        .withNewMetadata().withName("duo").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(2L)
        .addNewContainer().withName("web").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c",
            "echo hello from the web container > /tmp/index.html && exec httpd -f -p 8080 -h /tmp").endContainer()
        // The client reaches the web container on localhost: only possible inside one network namespace. Its shell
        // retries until the server listens (the engine starts the containers one after the other).
        .addNewContainer().withName("client").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c",
            "for i in $(seq 1 60); do wget -q -O- http://127.0.0.1:8080/index.html && exec sleep 3600; sleep 1; done;"
                + " exit 1").endContainer()
        .endSpec().build()).create();
    await("both containers running").atMost(PATIENCE).untilAsserted(() -> {
      Pod current = stack.pod("duo");
      assertThat(current.getStatus()).isNotNull();
      assertThat(current.getStatus().getPhase()).isEqualTo("Running");
      assertThat(current.getStatus().getContainerStatuses()).hasSize(2)
          .allSatisfy(c -> assertThat(c.getState().getRunning()).isNotNull());
      assertThat(Podman.cli("logs", containerNamed(current, "client"))).contains("hello from the web container");
    });
    Pod pod = stack.pod("duo");
    List<String> infra = Podman.infraContainersOf(pod.getMetadata().getUid());
    assertThat(infra).hasSize(1);
    String infraIp = Podman.cli("inspect", "--format", "{{.NetworkSettings.IPAddress}}", infra.get(0)).trim();
    assertThat(pod.getStatus().getPodIP()).isNotBlank().isEqualTo(infraIp);
    assertThat(containersOf(pod)).hasSize(2).allSatisfy(id -> assertThat(
        Podman.cli("inspect", "--format", "{{.HostConfig.NetworkMode}}", id).trim())
        .isEqualTo("container:" + infra.get(0)));

    // The console reads container logs from the engine.
    assertThat(stack.edge.console("outpost:logs default/duo client --tail 5")).contains("hello from the web container");
    assertThatThrownBy(() -> stack.edge.console("outpost:logs default/duo"))
        .hasMessageContaining("choose one of: [client, web]");
    assertThatThrownBy(() -> stack.edge.console("outpost:logs default/no-such-pod"))
        .hasMessageContaining("pod default/no-such-pod has no containers");

    stack.client.pods().inNamespace("default").withName("duo").withGracePeriod(0).delete();
    await("the pod's containers and its infra container removed").atMost(PATIENCE).untilAsserted(() ->
        assertThat(Podman.containersLabelled(OutpostStack.UID_LABEL, pod.getMetadata().getUid())).isEmpty());
  }

  @Test
  void initContainerStatusesAndTheInitializedConditionReachKubernetes() {
    stack.client.pods().inNamespace("default").resource(new PodBuilder()
        .withNewMetadata().withName("with-init").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(2L)
        .addNewInitContainer().withName("setup").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c", "echo ready")
        .endInitContainer()
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer()
        .endSpec().build()).create();

    stack.awaitRunning("with-init");
    await("init status in Kubernetes").atMost(PATIENCE).untilAsserted(() -> {
      Pod pod = stack.pod("with-init");
      assertThat(pod.getStatus().getInitContainerStatuses()).singleElement().satisfies(c -> {
        assertThat(c.getName()).isEqualTo("setup");
        assertThat(c.getState().getTerminated()).isNotNull();
        assertThat(c.getState().getTerminated().getExitCode()).isZero();
        assertThat(c.getState().getTerminated().getReason()).isEqualTo("Completed");
      });
      assertThat(pod.getStatus().getConditions())
          .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Initialized=True"));
    });
    stack.client.pods().inNamespace("default").withName("with-init").withGracePeriod(0).delete();
  }

  private static String containerNamed(Pod pod, String container) {
    return containersOf(pod).stream().filter(id -> Podman.cli("inspect", "--format",
        "{{index .Config.Labels \"io.outpost.container\"}}", id).trim().equals(container)).findFirst()
        .orElseThrow(() -> new AssertionError("no container " + container + " in " + pod.getMetadata().getName()));
  }

  @Test
  void deletingPodsRemovesTheirContainersAndNothingElse() {
    String bystander = Podman.cli("run", "-d", "--label", "io.outpost.e2e.bystander=" + stack.node,
        Podman.TEST_IMAGE, "sleep", "3600").trim();
    stack.createSleeper("keep");
    // The finalizer keeps the pod where a real API server keeps a gracefully deleted pod: present, with a
    // deletionTimestamp, until the kubelet (here the edge through the bridge) has stopped it and deletes it.
    stack.createPod("gone", Podman.TEST_IMAGE, List.of("sleep", "3600"), List.of("outpost.io/e2e-hold"));
    Pod keep = stack.awaitRunning("keep");
    Pod gone = stack.awaitRunning("gone");
    String keepContainer = containersOf(keep).get(0);

    stack.client.pods().inNamespace("default").withName("gone").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"deletionTimestamp\":\"" + Instant.now() + "\",\"deletionGracePeriodSeconds\":5}}");
    await("edge stopped the deleted pod and the bridge completed the deletion").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(containersOf(gone)).isEmpty();
      assertThat(stack.bridge.metrics().get("outpost_bridge_kube_writes_total", "resource", "pods")).isEqualTo(1);
    });
    stack.client.pods().inNamespace("default").withName("gone").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"finalizers\":null}}");
    await("pod gone from the API").atMost(PATIENCE).untilAsserted(() -> assertThat(stack.pod("gone")).isNull());
    assertThat(containersOf(stack.pod("keep"))).containsExactly(keepContainer);
    assertThat(running(keepContainer)).isTrue();
    assertThat(running(bystander)).isTrue();

    // An object removed outright (no grace period) is removed at the edge too.
    stack.client.pods().inNamespace("default").withName("keep").withGracePeriod(0).delete();
    await("container of the deleted pod removed").atMost(PATIENCE)
        .untilAsserted(() -> assertThat(containersOf(keep)).isEmpty());
    assertThat(running(bystander)).isTrue();
  }

  @Test
  void aPodTheEngineCannotRunIsReportedWithTheEnginesReason() {
    stack.createPod("broken", "localhost/outpost-does-not-exist:1", List.of("sleep", "3600"), List.of());
    await("waiting reason in Kubernetes").atMost(PATIENCE).untilAsserted(() -> {
      Pod current = stack.pod("broken");
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
