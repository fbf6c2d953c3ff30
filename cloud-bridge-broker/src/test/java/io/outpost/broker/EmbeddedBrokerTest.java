package io.outpost.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.testing.Ports;
import io.outpost.testing.Trees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded broker provides what the Outpost protocol relies on from an MQTT 5 broker: persistent sessions that
 * survive a broker restart (messages queued for an offline node are delivered when it returns), retained messages
 * (the bridge's announcement), and a packet size limit.
 */
class EmbeddedBrokerTest {
  private Path dir;
  private EmbeddedBroker broker;
  private final List<MqttClient> clients = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("outpost-embedded-broker");
    broker = EmbeddedBroker.start(settings(Ports.free()));
  }

  @AfterEach
  void stop() {
    for (MqttClient client : clients) {
      try {
        if (client.isConnected()) {
          client.disconnect();
        }
        client.close();
      } catch (MqttException e) {
        // the client is gone either way; the broker below is closed regardless
      }
    }
    if (broker != null) {
      broker.close();
    }
    Trees.deleteTree(dir);
  }

  private EmbeddedBroker.Settings settings(int port) {
    return new EmbeddedBroker.Settings("127.0.0.1", port, dir, 4096, 100);
  }

  @Test
  void queuedMessagesForAnOfflineSessionSurviveABrokerRestart() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    MqttClient edge = client("edge-1", received);
    edge.subscribe("outpost/v1/edge-1/down", 1);
    edge.disconnect();

    MqttClient bridge = client("bridge", new CopyOnWriteArrayList<>());
    bridge.publish("outpost/v1/edge-1/down", message("while offline", 1, false));
    bridge.publish("outpost/v1/_bridge/online", message("epoch-7", 1, true));
    bridge.disconnect();

    int port = broker.settings().port();
    broker.close();
    broker = EmbeddedBroker.start(settings(port));

    edge.connect(options());
    await().atMost(Duration.ofSeconds(30)).until(() -> received.contains("outpost/v1/edge-1/down=while offline"));

    List<String> late = new CopyOnWriteArrayList<>();
    MqttClient other = client("edge-2", late);
    other.subscribe("outpost/v1/_bridge/online", 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> late.contains("outpost/v1/_bridge/online=epoch-7"));
  }

  @Test
  void aPacketOverTheLimitIsRefused() throws Exception {
    MqttClient client = client("big", new CopyOnWriteArrayList<>());
    byte[] big = new byte[8192];
    assertThatThrownBy(() -> client.publish("outpost/v1/big/up/status", new MqttMessage(big, 1, false, null)))
        .isInstanceOf(MqttException.class);
  }

  @Test
  void invalidSettingsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> new EmbeddedBroker.Settings("127.0.0.1", 0, dir, 4096, 1))
        .hasMessageContaining("port 0");
    assertThatThrownBy(() -> EmbeddedBroker.Settings.parse("1883", dir)).hasMessageContaining("host:port");
    assertThatThrownBy(() -> EmbeddedBroker.Settings.parse("0.0.0.0:mqtt", dir)).hasMessageContaining("not a number");
    assertThat(EmbeddedBroker.Settings.parse("0.0.0.0:1884", dir).port()).isEqualTo(1884);
  }

  @Test
  void aSecondBrokerOnTheSamePortFailsWithAClearError() {
    Path other = dir.resolve("other");
    assertThatThrownBy(() -> EmbeddedBroker.start(new EmbeddedBroker.Settings("127.0.0.1",
        broker.settings().port(), other, 4096, 1)))
        .hasMessageContaining("did not start on 127.0.0.1:" + broker.settings().port());
  }

  private MqttClient client(String id, List<String> received) throws MqttException {
    MqttClient client = new MqttClient(broker.url(), id, new MemoryPersistence());
    clients.add(client);
    client.setCallback(new MqttCallback() {
      @Override
      public void messageArrived(String topic, MqttMessage message) {
        received.add(topic + "=" + new String(message.getPayload(), StandardCharsets.UTF_8));
      }

      @Override
      public void disconnected(MqttDisconnectResponse response) {
        // the test drives connections itself
      }

      @Override
      public void mqttErrorOccurred(MqttException exception) {
        // surfaced through the failing call instead
      }

      @Override
      public void deliveryComplete(IMqttToken token) {
        // QoS 1 publishes are synchronous in MqttClient
      }

      @Override
      public void connectComplete(boolean reconnect, String serverUri) {
        // nothing to restore: subscriptions live in the persistent session
      }

      @Override
      public void authPacketArrived(int reasonCode, MqttProperties properties) {
        // no enhanced authentication on this broker
      }
    });
    client.connect(options());
    return client;
  }

  private static MqttConnectionOptions options() {
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(false);
    options.setSessionExpiryInterval(3600L);
    return options;
  }

  private static MqttMessage message(String text, int qos, boolean retained) {
    MqttMessage message = new MqttMessage(text.getBytes(StandardCharsets.UTF_8));
    message.setQos(qos);
    message.setRetained(retained);
    return message;
  }
}
