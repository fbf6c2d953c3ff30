package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.testing.ApiServerClient;
import io.outpost.testing.Podman;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl logs -f}, {@code exec -i} and {@code port-forward} for an edge pod, end to end: this test plays the
 * API server (HTTPS with the cluster's kubelet client certificate; SPDY/3.1 as the API server speaks it to a
 * kubelet) against the bridge's kubelet API, which relays through the real Mosquitto to the built distribution,
 * which answers from real Podman containers. The edge site is never connected to.
 */
class KubeletApiIT extends StackTest {

  private ApiServerClient apiServer() {
    return new ApiServerClient(stack.bridge.kubeletPort(), stack.kubeletPki, stack.kubeletPki.apiServer);
  }

  @Test
  void theEdgeNodeLeadsTheApiServerToTheBridgesKubeletPort() {
    await("node addresses").atMost(PATIENCE).untilAsserted(() -> {
      Node node = stack.client.nodes().withName(stack.node).get();
      assertThat(node.getStatus().getAddresses()).first().satisfies(address -> {
        assertThat(address.getType()).isEqualTo("InternalIP");
        assertThat(address.getAddress()).isEqualTo("127.0.0.1");
      });
      assertThat(node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort())
          .isEqualTo(stack.bridge.kubeletPort());
    });
  }

  @Test
  void logsFollowTheContainerAndAClientThatLeavesFreesTheStream() throws Exception {
    stack.createPod("logger", Podman.TEST_IMAGE, List.of("sh", "-c",
        "i=0; while true; do i=$((i+1)); echo line-$i; usleep 200000; done"), List.of());
    stack.awaitRunning("logger");

    HttpResponse<InputStream> follow = apiServer().get("/containerLogs/default/logger/app?follow=true");
    assertThat(follow.statusCode()).isEqualTo(200);
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(follow.body(), StandardCharsets.UTF_8))) {
      while (lines.size() < 4) {
        String line = reader.readLine();
        assertThat(line).as("the log goes on while followed").isNotNull();
        lines.add(line);
      }
    }
    assertThat(lines).containsExactly("line-1", "line-2", "line-3", "line-4");
    // The client went: the bridge and the node free the session.
    await("stream sessions freed").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(stack.bridge.metrics().render()).containsPattern("(?m)^outpost_bridge_stream_sessions 0$");
      assertThat(edgeMetrics()).containsPattern("(?m)^outpost_edge_stream_sessions 0$");
    });

    HttpResponse<InputStream> tail = apiServer().get("/containerLogs/default/logger/app?tailLines=2&timestamps=true");
    assertThat(tail.statusCode()).isEqualTo(200);
    String text = new String(tail.body().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(text.lines().toList()).hasSize(2)
        .allSatisfy(line -> assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\S+ line-\\d+"));
    // --previous: none before a restart (400, as a kubelet); after one, the log of the run before.
    HttpResponse<InputStream> none = apiServer().get("/containerLogs/default/logger/app?previous=true");
    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(new String(none.body().readAllBytes(), StandardCharsets.UTF_8)).contains("previous terminated");
    Podman.cli("kill", OutpostStack.containersOf(stack.pod("logger")).get(0));
    await("logger restarted").atMost(PATIENCE).untilAsserted(() -> assertThat(stack.pod("logger").getStatus()
        .getContainerStatuses().get(0).getRestartCount()).isEqualTo(1));
    HttpResponse<InputStream> previous = apiServer().get("/containerLogs/default/logger/app?previous=true");
    assertThat(previous.statusCode()).isEqualTo(200);
    List<String> before = new String(previous.body().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    // Restarts reuse the container: its whole log is the first run (line-1 … line-N) and then the current one,
    // counting from line-1 again. --previous is exactly the first run, to its last line (5 lines a second: the
    // restart usually falls in the same second as the last line, which a cut at whole seconds would lose).
    List<String> whole = new String(apiServer().get("/containerLogs/default/logger/app").body().readAllBytes(),
        StandardCharsets.UTF_8).lines().toList();
    int secondRun = whole.subList(1, whole.size()).indexOf("line-1") + 1;
    assertThat(before).contains("line-4")
        .isEqualTo(secondRun == 0 ? whole : whole.subList(0, secondRun));
  }

  @Test
  void execWithATerminalFollowsItsSize() throws Exception {
    stack.createSleeper("terminal");
    stack.awaitRunning("terminal");
    try (ApiServerClient.Spdy exec = apiServer().spdy("/exec/default/terminal/app?command=sh&command=-c&command="
        + "read%20go%3Bstty%20size&input=1&output=1&tty=1", "v4.channel.k8s.io")) {
      int error = exec.open(Map.of("streamtype", "error"));
      int stdin = exec.open(Map.of("streamtype", "stdin"));
      int stdout = exec.open(Map.of("streamtype", "stdout"));
      int resize = exec.open(Map.of("streamtype", "resize"));
      await("streams answered").atMost(PATIENCE).until(() -> exec.replied(resize));
      exec.send(resize, "{\"Width\":100,\"Height\":30}\n", false);
      exec.send(stdin, "go\n", false);
      await("exec finished").atMost(PATIENCE).until(() -> exec.finished(error) && exec.finished(stdout));
      assertThat(exec.text(stdout)).contains("30 100");
      assertThat(exec.text(error)).contains("\"status\":\"Success\"");
    }
  }

  @Test
  void execRelaysStdinAndTheExitCode() throws Exception {
    stack.createSleeper("shell");
    stack.awaitRunning("shell");

    try (ApiServerClient.Spdy exec = apiServer().spdy("/exec/default/shell/app?command=sh&command=-c&command="
        + "tr%20a-z%20A-Z%3Bexit%203&input=1&output=1&error=1", "v5.channel.k8s.io", "v4.channel.k8s.io")) {
      assertThat(exec.status).isEqualTo(101);
      assertThat(exec.protocol).isEqualTo("v4.channel.k8s.io");
      int error = exec.open(Map.of("streamtype", "error"));
      int stdin = exec.open(Map.of("streamtype", "stdin"));
      int stdout = exec.open(Map.of("streamtype", "stdout"));
      int stderr = exec.open(Map.of("streamtype", "stderr"));
      await("streams answered").atMost(PATIENCE).until(() -> exec.replied(error) && exec.replied(stdin)
          && exec.replied(stdout) && exec.replied(stderr));
      exec.send(stdin, "hello ", false);
      exec.send(stdin, "edge\n", true);
      await("exec finished").atMost(PATIENCE).until(() -> exec.finished(error) && exec.finished(stdout));
      assertThat(exec.text(stdout)).isEqualTo("HELLO EDGE\n");
      assertThat(exec.text(error)).contains("\"reason\":\"NonZeroExitCode\"").contains("\"message\":\"3\"");
    }

    try (ApiServerClient.Spdy exec = apiServer().spdy("/exec/default/shell/app?command=cat&input=1&output=1",
        "v4.channel.k8s.io")) {
      int error = exec.open(Map.of("streamtype", "error"));
      int stdin = exec.open(Map.of("streamtype", "stdin"));
      int stdout = exec.open(Map.of("streamtype", "stdout"));
      StringBuilder sent = new StringBuilder();
      for (int i = 0; i < 2000; i++) { // more than a window of credit: flow control has to turn
        String line = "round-trip " + i + " " + "x".repeat(200) + "\n";
        sent.append(line);
        exec.send(stdin, line, false);
      }
      exec.send(stdin, "", true);
      await("cat finished").atMost(PATIENCE).until(() -> exec.finished(error) && exec.finished(stdout));
      assertThat(exec.text(stdout)).isEqualTo(sent.toString());
      assertThat(exec.text(error)).contains("\"status\":\"Success\"");
    }
  }

  @Test
  void portForwardReachesAnHttpServerInThePod() throws Exception {
    Pod web = new PodBuilder().withNewMetadata().withName("web").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(5L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c",
            "mkdir -p /www && echo hello-through-the-bridge > /www/index.html && exec httpd -f -p 8080 -h /www")
        .endContainer().endSpec().build();
    stack.client.pods().inNamespace("default").resource(web).create();
    stack.awaitRunning("web");

    try (ApiServerClient.Spdy forward = apiServer().spdy("/portForward/default/web", "portforward.k8s.io")) {
      assertThat(forward.protocol).isEqualTo("portforward.k8s.io");
      await("httpd answers through the bridge").atMost(PATIENCE).untilAsserted(() -> {
        String requestId = Long.toString(System.nanoTime());
        int error = forward.open(Map.of("streamtype", "error", "port", "8080", "requestid", requestId));
        forward.send(error, "", true);
        int data = forward.open(Map.of("streamtype", "data", "port", "8080", "requestid", requestId));
        forward.send(data, "GET /index.html HTTP/1.0\r\nHost: web\r\n\r\n", false);
        await("answer").atMost(PATIENCE).until(() -> forward.finished(data) || !forward.connected());
        assertThat(forward.text(error)).isEmpty();
        assertThat(forward.text(data)).startsWith("HTTP/1.").contains("hello-through-the-bridge");
      });
    }
  }

  @Test
  void onlyTheApiServersCertificateAndEdgePodsAreServed() throws Exception {
    ApiServerClient stranger = new ApiServerClient(stack.bridge.kubeletPort(), stack.kubeletPki,
        stack.kubeletPki.stranger);
    assertThatThrownBy(() -> stranger.get("/containerLogs/default/shell/app"))
        .as("a certificate from another CA is refused in the TLS handshake").isInstanceOf(java.io.IOException.class);
    HttpResponse<InputStream> kubelet = new ApiServerClient(stack.bridge.kubeletPort(), stack.kubeletPki,
        stack.kubeletPki.kubelet).get("/containerLogs/default/shell/app");
    assertThat(kubelet.statusCode()).as("the cluster CA signs kubelets too: only the API server's name may call")
        .isEqualTo(403);
    assertThat(apiServer().get("/containerLogs/default/no-such-pod/app").statusCode()).isEqualTo(404);
    HttpResponse<InputStream> tooLong = apiServer().get("/exec/default/shell/app?command=" + "x".repeat(70_000));
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(new String(tooLong.body().readAllBytes(), StandardCharsets.UTF_8)).contains("request line");
    stack.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("cloud-pod")
        .withNamespace("default").endMetadata().withNewSpec().withNodeName("a-cloud-node").addNewContainer()
        .withName("app").withImage("x").endContainer().endSpec().build()).create();
    await("the bridge sees the pod").atMost(PATIENCE).untilAsserted(() ->
        assertThat(apiServer().get("/containerLogs/default/cloud-pod/app").statusCode()).isEqualTo(404));
    stack.createSleeper("quiet");
    stack.awaitRunning("quiet");
    HttpResponse<InputStream> wrong = apiServer().get("/containerLogs/default/quiet/no-such-container");
    assertThat(wrong.statusCode()).isEqualTo(404);
    assertThat(new String(wrong.body().readAllBytes(), StandardCharsets.UTF_8)).contains("no-such-container");
  }

  private String edgeMetrics() throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
        "http://127.0.0.1:" + stack.edge.metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }
}
