package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Topics;
import io.outpost.testing.Mosquitto;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's MQTT connection, against a real Mosquitto. */
class MqttLinkTest {
  @TempDir Path dir;

  @Test
  void aMessageThatArrivesBeforeTheSubscriptionIsConfirmedIsHandledAfterIt() throws Exception {
    List<String> calls = new CopyOnWriteArrayList<>();
    MqttLink.Handler handler = new MqttLink.Handler() {
      @Override
      public void connected() {
        calls.add("connected");
      }

      @Override
      public void downstream(byte[] payload, Runnable ack) {
        calls.add("downstream");
        ack.run();
      }

      @Override
      public void bridgeOnline(byte[] payload, Runnable ack) {
        calls.add("bridgeOnline");
        ack.run();
      }

      @Override
      public void stream(byte[] payload) { }
    };
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"))) {
      Settings settings = new Settings("link-test", broker.url(), "link-test-client", Duration.ofSeconds(1),
          Duration.ofSeconds(2), 3600, Codec.DEFAULT_MAX_BYTES, 110).allowingPlaintext(); // the test's own broker
      MqttLink link = new MqttLink(settings, executor, handler, io.outpost.identity.NodeCredentials.of(settings.enrollment(), Clock.systemUTC()));
      // The broker sends the retained announcement right after its SUBACK, and Paho may hand it over before it
      // completes the subscription: here it comes first, before the link has even connected.
      MqttMessage early = new MqttMessage(new byte[] {'{', '}'}, 0, false, null);
      link.messageArrived(null, Topics.BRIDGE_ONLINE, early); // no connection yet: none is current

      executor.execute(link::connect);
      await().atMost(Duration.ofSeconds(30)).until(() -> calls.contains("bridgeOnline"));
      assertThat(calls).as("the node resyncs on the announcement only once it can publish")
          .containsExactly("connected", "bridgeOnline");
      link.close();
    } finally {
      executor.shutdownNow();
    }
  }
}
