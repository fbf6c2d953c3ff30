package io.outpost.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.Topics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.Test;

/**
 * Behind a broker that stamps the authenticated sender on every publish (the embedded broker with TLS), the bridge
 * drops and counts an upstream message whose sender is not the node its topic names.
 */
class SenderStampTest {
  private static MqttMessage stamped(String sender) {
    MqttMessage message = new MqttMessage("{}".getBytes());
    if (sender != null) {
      MqttProperties properties = new MqttProperties();
      properties.setUserProperties(List.of(new UserProperty(MqttBridgeLink.SENDER, sender)));
      message.setProperties(properties);
    }
    return message;
  }

  @Test
  void aMessageFromAnotherSenderThanItsTopicNamesIsDroppedAndCounted() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    Metrics metrics = new Metrics();
    List<String> accepted = new CopyOnWriteArrayList<>();
    try {
      MqttBridgeLink link = new MqttBridgeLink(BridgeConfig.forPlaintextBroker("tcp://127.0.0.1:1"), scheduler,
          (topic, payload) -> accepted.add(topic), metrics, () -> new byte[0], null);
      String topic = Topics.up("edge-a", Topics.Up.STATUS);

      link.messageArrived(topic, stamped("edge-b"));
      link.messageArrived(topic, stamped("edge-a"));
      link.messageArrived(topic, stamped(null)); // an external broker that does not stamp: the ACL vouches

      assertThat(accepted).containsExactly(topic, topic);
      assertThat(metrics.get("outpost_bridge_rejected_total", "reason", "spoofed_sender")).isEqualTo(1);

      MqttBridgeLink strict = new MqttBridgeLink(BridgeConfig.from(java.util.Map.of("OUTPOST_BROKER_URL",
          "ssl://127.0.0.1:1", "OUTPOST_REQUIRE_SENDER_STAMP", "true")), scheduler,
          (t, payload) -> accepted.add(t), metrics, () -> new byte[0], null);
      strict.messageArrived(topic, stamped(null));
      strict.messageArrived(topic, stamped("edge-a"));
      assertThat(accepted).hasSize(3);
      assertThat(metrics.get("outpost_bridge_rejected_total", "reason", "unstamped")).isEqualTo(1);
    } finally {
      scheduler.shutdownNow();
    }
  }
}
