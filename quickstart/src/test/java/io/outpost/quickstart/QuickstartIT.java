package io.outpost.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.testing.ManagedProcess;
import io.outpost.testing.Podman;
import io.outpost.testing.Trees;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, minus the build: the bridge with its embedded broker (no Mosquitto), the built
 * distribution as the edge node, Podman, and the demo pod — Running in Kubernetes with its container in Podman; the
 * console reached with the ssh command the quickstart prints, the pod's log (start line and requests) through
 * {@code outpost:logs}, the pod read with the printed curl form of the API; and everything gone again after stop.
 */
class QuickstartIT {
  private Path work;
  private Quickstart quickstart;

  @AfterEach
  void cleanUp() {
    if (quickstart != null) {
      quickstart.stop();
    }
    if (work != null) {
      Trees.deleteTree(work);
    }
  }

  @Test
  void theDemoPodRunsInPodmanAndIsRunningInKubernetesThroughTheEmbeddedBroker() throws Exception {
    work = Files.createTempDirectory("outpost-quickstart");
    quickstart = new Quickstart(work);

    Pod pod = quickstart.run();

    String uid = pod.getMetadata().getUid();
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getContainerStatuses()).singleElement()
        .satisfies(c -> assertThat(c.getState().getRunning()).isNotNull());
    assertThat(Podman.appContainersOf(uid)).singleElement()
        .satisfies(id -> assertThat(Podman.cli("inspect", "--format", "{{.State.Running}}", id).trim())
            .isEqualTo("true"));
    assertThat(quickstart.client().nodes().withName("edge-quickstart").get().getStatus().getConditions())
        .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));

    // The printed ssh command logs in with the quickstart's key and runs console commands.
    assertThat(quickstart.console().execute("outpost:status")).contains("edge-quickstart");
    assertThat(quickstart.console().execute("outpost:logs default/outpost-demo"))
        .contains("outpost-demo: busybox httpd serving /tmp on port 8080");
    HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + pod.getStatus().getPodIP() + ":8080/index.html")).build(), BodyHandlers.ofString());
    assertThat(page.body()).contains("hello from the edge");
    await("the request in the pod's log").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(quickstart.console().execute("outpost:logs default/outpost-demo")).contains("url:/index.html"));

    // The raw API form the quickstart prints instead of kubectl (the mock API serves no discovery).
    String fromApi = ManagedProcess.run(List.of("curl", "-s", "-f", quickstart.podUrl()), Map.of());
    assertThat(fromApi).contains("\"name\":\"outpost-demo\"").contains("\"phase\":\"Running\"");

    quickstart.stop();
    quickstart = null;
    assertThat(Podman.containersLabelled("io.outpost.pod.uid", uid)).as("app and infra containers removed").isEmpty();
  }
}
