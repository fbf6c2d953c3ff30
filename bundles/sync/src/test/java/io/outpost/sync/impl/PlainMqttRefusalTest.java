package io.outpost.sync.impl;

import static io.outpost.sync.impl.JoinConfigurationTest.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import io.outpost.store.impl.XodusEdgeStore;
import io.outpost.testing.Mosquitto;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No silent plain text: a {@code tcp://} or {@code ws://} broker is refused, naming {@code broker.url} and {@code
 * insecure.plaintext}, unless {@code insecure.plaintext = true} allows it; TLS brokers are unaffected.
 */
class PlainMqttRefusalTest {
  @TempDir Path dir;

  @Test
  void plainMqttWithoutTheSettingIsRefusedNamingBothKeys() {
    for (String url : new String[] {"tcp://broker.example.net:1883", "ws://broker.example.net:8080"}) {
      assertThat(Settings.from(config(Map.of("broker_url", url))).refusal()).as(url).hasValueSatisfying(reason ->
          assertThat(reason).startsWith("broker.url '" + url + "' is plain MQTT")
              .contains("register Nodes").contains("ssl://").contains("insecure.plaintext = true")
              .contains("etc/io.outpost.node.cfg"));
      assertThat(Settings.from(config(Map.of("broker_url", url, "insecure_plaintext", false))).refusal()).as(url)
          .isPresent();
    }
  }

  @Test
  void plainMqttWithTheSettingAndTlsWithoutItAreAccepted() {
    assertThat(Settings.from(config(Map.of("broker_url", "tcp://127.0.0.1:1883", "insecure_plaintext", true)))
        .refusal()).isEmpty();
    assertThat(Settings.from(config(Map.of("broker_url", "ssl://broker.example.net:8883"))).refusal()).isEmpty();
    assertThat(Settings.from(config(Map.of("broker_url", "wss://broker.example.net:443"))).refusal()).isEmpty();
  }

  @Test
  void joinKeysOverPlainMqttKeepTheirOwnReasonWhetherOrNotPlainTextIsAllowed() {
    Map<String, Object> join = Map.of("broker_url", "tcp://broker.example.net:1883", "join_url",
        "https://bridge.example.net:9443", "join_token", "ojt1.abc.def", "join_ca", "sha256:00ff");
    assertThat(Settings.from(config(join)).refusal()).hasValueSatisfying(r -> assertThat(r).startsWith("join.url"));
    Map<String, Object> allowed = new java.util.HashMap<>(join);
    allowed.put("insecure_plaintext", true);
    assertThat(Settings.from(config(allowed)).refusal()).hasValueSatisfying(r -> assertThat(r).startsWith("join.url"));
  }

  /** On a real broker: the node without the setting never connects and says why; the one with it registers. */
  @Test
  void aNodeWithoutTheSettingStaysOfflineWhileOneWithItResyncs() throws Exception {
    Codec codec = new Codec();
    BlockingQueue<String> resyncs = new LinkedBlockingQueue<>();
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
        XodusEdgeStore refusedStore = new XodusEdgeStore(dir.resolve("refused"));
        XodusEdgeStore allowedStore = new XodusEdgeStore(dir.resolve("allowed"))) {
      MqttClient bridge = new MqttClient(broker.url(), "test-bridge", new MemoryPersistence());
      bridge.connect();
      IMqttMessageListener resync = (t, m) -> resyncs.add(codec.decode(m.getPayload(), ResyncRequest.class).node());
      bridge.subscribe(new MqttSubscription[] {new MqttSubscription(Topics.up("edge-plain", Topics.Up.RESYNC), 1),
          new MqttSubscription(Topics.up("edge-allowed", Topics.Up.RESYNC), 1)},
          new IMqttMessageListener[] {resync, resync});
      bridge.publish(Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, 1L, "session-0", "now")), 1, true);
      EdgeSync refused = new EdgeSync(new Settings("edge-plain", broker.url(), "edge-plain", Duration.ofSeconds(1),
          Duration.ofSeconds(2), 3600, Codec.DEFAULT_MAX_BYTES, 110), TestStores.sync(refusedStore), executor, "test");
      EdgeSync allowed = new EdgeSync(new Settings("edge-allowed", broker.url(), "edge-allowed",
          Duration.ofSeconds(1), Duration.ofSeconds(2), 3600, Codec.DEFAULT_MAX_BYTES, 110).allowingPlaintext(),
          TestStores.sync(allowedStore), executor, "test");
      try {
        refused.start();
        allowed.start(); // started after the refused one, on the same thread: its connect is not ahead of it
        await("the allowed node resyncs").atMost(Duration.ofSeconds(30)).until(() -> resyncs.contains("edge-allowed"));
        assertThat(resyncs).containsOnly("edge-allowed");
        assertThat(refused.state().connected()).isFalse();
        assertThat(refused.state().problem()).startsWith("configuration refused: broker.url '" + broker.url()
            + "' is plain MQTT").contains("insecure.plaintext = true");
        assertThat(allowed.state().connected()).isTrue();
        assertThat(allowed.state().problem()).isNull();
      } finally {
        refused.close();
        allowed.close();
        executor.shutdownNow();
        bridge.disconnect();
        bridge.close();
      }
    }
  }
}
