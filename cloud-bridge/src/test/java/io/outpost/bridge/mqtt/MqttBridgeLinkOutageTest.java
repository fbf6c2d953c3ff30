package io.outpost.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.Topics;
import io.outpost.testing.ManagedProcess;
import io.outpost.testing.Mosquitto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The broker goes away while the bridge has downstream publishes in flight, and comes back with or without its
 * persistence. Paho sent them alias-only (automatic topic aliases); a client that keeps them sends them again on
 * the next connection, where the alias means nothing, and Mosquitto disconnects the bridge for a protocol error on
 * every attempt. The broker is frozen (SIGSTOP) so that no PUBACK can arrive, then killed and restarted.
 */
class MqttBridgeLinkOutageTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "broker persistence wiped: {0}")
  @ValueSource(booleans = {true, false})
  void aBridgeWithPublishesInFlightWhenTheBrokerDiesComesBackOnline(boolean wipe) throws Exception {
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
        MqttBridgeLink link = new MqttBridgeLink(BridgeConfig.forPlaintextBroker(broker.url()), scheduler, (t, p) -> { },
            new Metrics(), () -> "{}".getBytes(StandardCharsets.UTF_8), null)) {
      link.connect();
      await().atMost(Duration.ofSeconds(30)).until(link::isConnected);
      String topic = Topics.down("outage-node");
      assertThat(link.publish(topic, bytes("first"))).isTrue();
      // Acknowledged: on this connection the topic has an alias, and the next publishes carry only the alias.
      await().atMost(Duration.ofSeconds(30)).until(() -> link.inFlight() == 0);

      ManagedProcess.run(List.of("kill", "-STOP", Long.toString(broker.pid())), Map.of());
      assertThat(link.publish(topic, bytes("second"))).isTrue();
      assertThat(link.publish(topic, bytes("third"))).isTrue();
      assertThat(link.inFlight()).as("never acknowledged by the frozen broker").isEqualTo(2);
      ProcessHandle.of(broker.pid()).ifPresent(process -> {
        process.destroyForcibly();
        process.onExit().join();
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> !link.isConnected());

      broker.restart(wipe);
      await().atMost(Duration.ofSeconds(30)).until(link::isConnected);
      // Online again means able to deliver: a publish made now is acknowledged by the broker.
      assertThat(link.publish(topic, bytes("after"))).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> link.isConnected() && link.inFlight() == 0);
      String log = Files.readString(dir.resolve("broker").resolve("mosquitto.log"), StandardCharsets.UTF_8);
      assertThat(log).as("Mosquitto's log").doesNotContain("protocol error");
    } finally {
      scheduler.shutdownNow();
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
