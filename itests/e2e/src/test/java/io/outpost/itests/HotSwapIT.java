package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static io.outpost.itests.OutpostStack.containersOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.testing.Podman;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hot swap never touches workloads: with five pods running on the built distribution, every Outpost bundle is
 * updated from the Karaf console (over SSH, as an operator would, {@code bundle:update -r}), one after another. No container is restarted
 * or recreated, and the node keeps working afterwards: a killed container is restarted and reported, a new pod
 * runs.
 */
class HotSwapIT extends StackTest {
  private static final List<String> BUNDLES = List.of("io.outpost.protocol", "io.outpost.metrics", "io.outpost.identity",
      "io.outpost.store",
      "io.outpost.sync", "io.outpost.containers", "io.outpost.console");

  private String edgeMetrics() throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
        "http://127.0.0.1:" + stack.edge.metricsPort() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void updatingEveryOutpostBundleFromTheConsoleRestartsNoWorkload() {
    List<String> names = List.of("hot-1", "hot-2", "hot-3", "hot-4", "hot-5");
    names.forEach(stack::createSleeper);
    Map<String, String> startedBefore = new LinkedHashMap<>();
    for (String name : names) {
      String id = containersOf(stack.awaitRunning(name)).get(0);
      startedBefore.put(id, OutpostStack.startedAt(id));
    }

    long connects = stack.edge.logCount("Connected to ");
    for (String bundle : BUNDLES) {
      // -r: refresh after the update, as docs/operations.md says. Without it, bundles importing the updated one's
      // packages stay wired to its old revision and may not see the services of the new one (a console command then
      // stays "Command not found"), which is what this test caught intermittently before it refreshed.
      stack.edge.console("bundle:update -r " + bundle);
      await(bundle + " active again").atMost(PATIENCE).untilAsserted(() ->
          assertThat(stack.edge.console("bundle:list -s -t 0")).containsPattern(
              "(?m)^.*\\bActive\\b.*\\b" + bundle.replace(".", "\\.") + "\\s*$"));
    }
    // The updated console bundle registers its commands once their services are back: until then the shell answers
    // "Command not found", which is part of what this waits out. Every failed attempt says why, and a timeout carries
    // the node's component states and its last warnings (one line: what a CI summary shows).
    try {
      await("the node's components answer on the console again").atMost(PATIENCE).untilAsserted(() -> {
        String status;
        try {
          status = stack.edge.console("outpost:status");
        } catch (RuntimeException e) {
          throw new AssertionError("outpost:status failed: " + OutpostStack.oneLine(e.getMessage()));
        }
        assertThat(status).as("outpost:status").containsPattern("connected\\W+true");
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + " | " + stack.edgeDiagnostics(), e);
    }
    // Refreshed updates leave no old revision behind: the node's gauge for them reads 0.
    await("no bundle waits for a refresh").atMost(PATIENCE).untilAsserted(() -> assertThat(edgeMetrics())
        .containsPattern("(?m)^outpost_edge_bundles_pending_refresh 0(\\.0)?$"));
    assertThat(stack.edge.logCount("Connected to ")).as("the sync bundle really restarted and reconnected")
        .isGreaterThan(connects);

    // Zero restarts: the same containers, started at the same instant, never restarted by the engine.
    for (Map.Entry<String, String> container : startedBefore.entrySet()) {
      assertThat(OutpostStack.running(container.getKey())).as("container %s running", container.getKey()).isTrue();
      assertThat(OutpostStack.startedAt(container.getKey())).as("StartedAt of %s", container.getKey())
          .isEqualTo(container.getValue());
    }
    for (String name : names) {
      assertThat(containersOf(stack.pod(name))).as("containers of %s", name).singleElement()
          .satisfies(id -> assertThat(startedBefore).containsKey(id));
      assertThat(stack.pod(name).getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
    }

    // Status reporting resumed: a container killed now is restarted by the updated manager, and Kubernetes sees it.
    String victim = containersOf(stack.pod("hot-1")).get(0);
    Podman.cli("kill", victim);
    await("restart of hot-1 reported").atMost(PATIENCE).untilAsserted(() -> {
      ContainerStatus status = stack.pod("hot-1").getStatus().getContainerStatuses().get(0);
      assertThat(status.getRestartCount()).isEqualTo(1);
      assertThat(status.getState().getRunning()).isNotNull();
    });
    stack.createSleeper("hot-after");
    Pod after = stack.awaitRunning("hot-after");
    assertThat(containersOf(after)).hasSize(1);
    for (String name : List.of("hot-2", "hot-3", "hot-4", "hot-5")) {
      String id = containersOf(stack.pod(name)).get(0);
      assertThat(OutpostStack.startedAt(id)).isEqualTo(startedBefore.get(id));
    }
  }
}
