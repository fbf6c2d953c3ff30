package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.testing.ApiServerClient;
import io.outpost.testing.Podman;
import java.net.http.WebSocketHandshakeException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl exec}, {@code attach}, {@code port-forward} over WebSockets and {@code kubectl debug}, end to end:
 * this test plays the API server with the JDK's WebSocket client speaking the kubelet's channel protocols (HTTPS with
 * the cluster's kubelet client certificate) against the bridge's kubelet API, which relays through the real
 * Mosquitto to the built distribution, which answers from real Podman containers.
 */
class KubeletWebSocketIT extends StackTest {

  private ApiServerClient apiServer() {
    return new ApiServerClient(stack.bridge.kubeletPort(), stack.kubeletPki, stack.kubeletPki.apiServer);
  }

  private ChannelWebSocket connect(String pathAndQuery, String... protocols) throws Exception {
    return ChannelWebSocket.connect(stack.bridge.kubeletPort(), apiServer().tls(), pathAndQuery, protocols);
  }

  @Test
  void execOverWebSocketsRelaysStdinAndEndsWithTheExitCode() throws Exception {
    stack.createSleeper("ws-shell");
    stack.awaitRunning("ws-shell");

    try (ChannelWebSocket exec = connect("/exec/default/ws-shell/app?command=sh&command=-c&command="
        + "tr%20a-z%20A-Z%3Bexit%203&input=1&output=1&error=1", "v5.channel.k8s.io", "v4.channel.k8s.io")) {
      assertThat(exec.protocol).isEqualTo("v5.channel.k8s.io");
      await("the stream is announced").atMost(PATIENCE).until(() -> !exec.messages.isEmpty());
      assertThat(exec.messages.get(0)).as("an empty message on stdout first").containsExactly(1, 0);
      exec.send(0, "hello ");
      exec.send(0, "edge\n");
      exec.closeChannel(0); // v5: stdin's end, and tr with it
      assertThat(exec.closed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1000);
      assertThat(exec.text(1)).isEqualTo("HELLO EDGE\n");
      assertThat(exec.text(3)).contains("\"status\":\"Failure\"").contains("\"reason\":\"NonZeroExitCode\"")
          .contains("{\"reason\":\"ExitCode\",\"message\":\"3\"}");
    }

    try (ChannelWebSocket exec = connect("/exec/default/ws-shell/app?command=sh&command=-c&command="
        + "echo%20out%3Becho%20err%20%3E%262&output=1&error=1", "v4.base64.channel.k8s.io")) {
      assertThat(exec.protocol).isEqualTo("v4.base64.channel.k8s.io");
      exec.closed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      assertThat(exec.text(1)).isEqualTo("out\n");
      assertThat(exec.text(2)).isEqualTo("err\n");
      assertThat(exec.text(3)).isEqualTo("{\"metadata\":{},\"status\":\"Success\"}");
    }

    assertThatThrownBy(() -> connect("/exec/default/ws-shell/app?command=true&output=1", "v9.channel.k8s.io"))
        .as("an unknown protocol is refused in the handshake").isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(WebSocketHandshakeException.class)
        .satisfies(e -> assertThat(((WebSocketHandshakeException) e).getResponse().statusCode()).isEqualTo(400));
  }

  @Test
  void attachOverWebSocketsAndSpdyShowsWhatTheContainerWritesFromNowOn() throws Exception {
    stack.createPod("talker", Podman.TEST_IMAGE, List.of("sh", "-c",
        "i=0; while true; do i=$((i+1)); echo tick-$i; usleep 200000; done"), List.of());
    stack.awaitRunning("talker");

    try (ChannelWebSocket attach = connect("/attach/default/talker/app?output=1&error=1", "v4.channel.k8s.io")) {
      await("ticks through the attach").atMost(PATIENCE).until(() -> attach.text(1).split("\n").length >= 3);
      assertThat(attach.text(1)).containsPattern("tick-\\d+\ntick-\\d+\n");
    }
    try (ApiServerClient.Spdy attach = apiServer().spdy("/attach/default/talker/app?output=1&error=1",
        "v4.channel.k8s.io")) {
      int error = attach.open(Map.of("streamtype", "error"));
      int stdout = attach.open(Map.of("streamtype", "stdout"));
      int stderr = attach.open(Map.of("streamtype", "stderr"));
      await("streams answered").atMost(PATIENCE).until(() -> attach.replied(error) && attach.replied(stdout)
          && attach.replied(stderr));
      await("ticks through the SPDY attach").atMost(PATIENCE).until(() -> attach.text(stdout).contains("tick-"));
    }
    try (ChannelWebSocket refused = connect("/attach/default/talker/app?input=1&output=1", "v5.channel.k8s.io")) {
      refused.closed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      assertThat(refused.text(3)).as("no stdin on the container: nothing to attach input to")
          .contains("\"status\":\"Failure\"").contains("stdin: true");
    }
    await("stream sessions freed").atMost(PATIENCE).untilAsserted(() ->
        assertThat(stack.bridge.metrics().render()).containsPattern("(?m)^outpost_bridge_stream_sessions 0$"));
  }

  @Test
  void portForwardOverWebSocketsReachesAnHttpServerInThePod() throws Exception {
    Pod web = new PodBuilder().withNewMetadata().withName("ws-web").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(5L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c",
            "mkdir -p /www && echo hello-over-websockets > /www/index.html && exec httpd -f -p 8080 -h /www")
        .endContainer().endSpec().build();
    stack.client.pods().inNamespace("default").resource(web).create();
    stack.awaitRunning("ws-web");

    await("httpd answers through the bridge").atMost(PATIENCE).untilAsserted(() -> {
      try (ChannelWebSocket forward = connect("/portForward/default/ws-web?port=8080", "v4.channel.k8s.io")) {
        await("ports announced").atMost(PATIENCE).until(() -> forward.messages.size() >= 2);
        assertThat(forward.messages.subList(0, 2)).extracting(m -> m[0] + "/" + m[1]).containsExactly("0/2", "1/2");
        assertThat(forward.bytes(0)).as("8080, little-endian").startsWith(0x90, 0x1f);
        forward.send(0, "GET /index.html HTTP/1.0\r\nHost: web\r\n\r\n");
        assertThat(forward.closed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1000);
        String answer = new String(forward.bytes(0), 2, forward.bytes(0).length - 2,
            java.nio.charset.StandardCharsets.UTF_8);
        assertThat(answer).startsWith("HTTP/1.").contains("hello-over-websockets");
        assertThat(forward.bytes(1)).as("no error: only the port").hasSize(2);
      }
    });
  }

  /**
   * {@code kubectl debug -it ws-target --image=busybox --target=app}: the ephemeral container is added through the
   * API (the {@code ephemeralcontainers} subresource on a real API server; an update on the mock), runs in the pod
   * with the target's processes in view, shows in {@code ephemeralContainerStatuses}, and kubectl attaches to it.
   */
  @Test
  void kubectlDebugRunsAnEphemeralContainerThatIsReportedAndAttachedTo() throws Exception {
    stack.createSleeper("ws-target");
    stack.awaitRunning("ws-target");
    List<String> before = OutpostStack.containersOf(stack.pod("ws-target"));

    stack.client.pods().inNamespace("default").withName("ws-target").edit(pod -> new PodBuilder(pod).editSpec()
        .addNewEphemeralContainer().withName("debugger").withImage(Podman.TEST_IMAGE).withCommand("sh")
        .withStdin(true).withTty(true).withTargetContainerName("app").endEphemeralContainer().endSpec().build());

    ContainerStatus debugger = await("the ephemeral container runs").atMost(PATIENCE).until(() -> {
      Pod current = stack.pod("ws-target");
      List<ContainerStatus> statuses = current.getStatus().getEphemeralContainerStatuses();
      return statuses == null || statuses.isEmpty() ? null : statuses.get(0);
    }, status -> status != null && status.getState().getRunning() != null);
    assertThat(debugger.getName()).isEqualTo("debugger");
    assertThat(debugger.getReady()).isFalse();
    assertThat(stack.pod("ws-target").getStatus().getPhase()).isEqualTo("Running");
    assertThat(OutpostStack.containersOf(stack.pod("ws-target"))).as("the app container is untouched")
        .containsAll(before);

    try (ChannelWebSocket attach = connect("/attach/default/ws-target/debugger?input=1&output=1&tty=1",
        "v5.channel.k8s.io")) {
      attach.send(4, "{\"Width\":100,\"Height\":30}");
      attach.send(0, "ps; echo debug-$((6*7))\n");
      await("the shell answers with the target's processes").atMost(PATIENCE).untilAsserted(() ->
          assertThat(attach.text(1)).contains("debug-42").contains("sleep 3600"));
      attach.send(0, "exit\n");
      assertThat(attach.closed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1000);
    }
    ContainerStatus exited = await("the ephemeral container terminated, not restarted").atMost(PATIENCE)
        .until(() -> stack.pod("ws-target").getStatus().getEphemeralContainerStatuses().get(0),
            status -> status.getState().getTerminated() != null);
    assertThat(exited.getRestartCount()).isZero();
    assertThat(exited.getState().getTerminated().getExitCode()).isZero();
    assertThat(stack.pod("ws-target").getStatus().getContainerStatuses().get(0).getState().getRunning())
        .isNotNull();

    // The pod goes with its ephemeral container, which the node removes before the target it shares processes with.
    String uid = stack.pod("ws-target").getMetadata().getUid();
    stack.client.pods().inNamespace("default").withName("ws-target").delete();
    await("the debugged pod's containers removed").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(stack.pod("ws-target")).isNull();
      assertThat(Podman.containersLabelled(OutpostStack.UID_LABEL, uid)).isEmpty();
    });
  }
}
