package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.testing.EdgeNode;
import io.outpost.testing.Trees;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The built distribution, misconfigured as an operator might: each mistake must show where the operator looks —
 * {@code karaf.log}, {@code outpost:status}, the node's {@code /metrics} — with the reason, instead of passing
 * silently. No bridge is needed: the node never gets that far.
 */
class NodeMisconfigurationIT {
  private static final Duration PATIENCE = Duration.ofSeconds(90);
  /** No container engine: these nodes never run a pod. */
  private static final String NO_ENGINE = "unix:///nonexistent/podman.sock";
  private Path dir;
  private EdgeNode node;

  @AfterEach
  void clean() {
    if (node != null) {
      node.close();
    }
    if (dir != null) {
      Trees.deleteTree(dir);
    }
  }

  @Test
  void joinSettingsOrAPlainBrokerWithoutInsecurePlaintextAreRefusedInTheLogAndInStatus() throws Exception {
    dir = Files.createTempDirectory("outpost-misconfig-");
    node = EdgeNode.install(dir.resolve("node"), "edge-tcp-join", "tcp://127.0.0.1:1883", NO_ENGINE)
        .withConsoleUser();
    node.editConfig("io.outpost.node.cfg", "join.url", "https://bridge.example.net:9443");
    node.editConfig("io.outpost.node.cfg", "join.token", "ojt1.abc.def");
    node.editConfig("io.outpost.node.cfg", "join.ca", "sha256:00ff");
    node.start();

    await("the refusal in karaf.log").atMost(PATIENCE).until(() -> node.logCount("configuration refused: join.url,"
        + " join.token, join.ca are set, but broker.url 'tcp://127.0.0.1:1883' is plain TCP") >= 1);
    assertThat(node.log()).contains("ERROR");
    String status = node.console("outpost:status");
    assertThat(status).contains("problem").contains("configuration refused").contains("join.url")
        .contains("broker.url");

    // A configuration change re-activates the store and the sync (one PID feeds both), so the refusal may be logged once
    // per activation; what matters is that it is logged and the node never connects.
    // Without the join keys and without insecure.plaintext (EdgeNode set it for its tcp:// broker), the plain broker
    // itself is refused; the change applies live.
    for (String key : new String[] {"join.url", "join.token", "join.ca"}) {
      node.editConfig("io.outpost.node.cfg", key, "");
    }
    node.editConfig("io.outpost.node.cfg", "insecure.plaintext", "false");
    try {
      await("the plain-MQTT refusal in karaf.log").atMost(PATIENCE).until(() -> node.logCount("configuration refused:"
          + " broker.url 'tcp://127.0.0.1:1883' is plain MQTT") >= 1);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "; the node's log about its sync configuration:\n" + node.log().lines()
          .filter(line -> line.matches("(?i).*(refused|plain|insecure|sync|join|broker).*")).reduce("", (a, b) -> a + b + "\n"), e);
    }
    await("the plain-MQTT refusal in outpost:status").atMost(PATIENCE).untilAsserted(() -> assertThat(
        node.console("outpost:status")).contains("is plain MQTT").contains("insecure.plaintext"));
    assertThat(node.logCount("Connected to tcp://127.0.0.1:1883")).isZero();
  }

  @Test
  void anSshPortInUseIsReportedInTheLogAndOnTheNodesMetrics() throws Exception {
    dir = Files.createTempDirectory("outpost-misconfig-");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      node = EdgeNode.install(dir.resolve("node"), "edge-ssh-taken", "tcp://127.0.0.1:1883", NO_ENGINE);
      node.editConfig("org.apache.karaf.shell.cfg", "sshPort", Integer.toString(taken.getLocalPort()));
      node.start();

      await("the console failure in karaf.log").atMost(PATIENCE).until(() -> node.logCount(
          "The console's SSH server is NOT listening: 127.0.0.1:" + taken.getLocalPort()) == 1);
      HttpClient http = HttpClient.newHttpClient();
      await("the node's metrics").atMost(PATIENCE).untilAsserted(() -> assertThat(http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + node.metricsPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).containsPattern("(?m)^outpost_edge_console_listening 0(\\.0)?$"));
    }
  }
}
