package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import io.outpost.store.impl.XodusEdgeStore;
import io.outpost.testing.Mosquitto;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
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
 * The unattended-join keys of {@code etc/io.outpost.node.cfg} either take effect or are refused with a reason: over
 * a plain-TCP broker (where they could never be used) and when only some of them are set, the node stays offline
 * and its state says which keys and why.
 */
class JoinConfigurationTest {
  private static final Map<String, Object> JOIN = Map.of("join_url", "https://bridge.example.net:9443",
      "join_token", "ojt1.abc.def", "join_ca", "sha256:00ff");
  @TempDir Path dir;

  @Test
  void joinKeysWithAPlainTcpBrokerAreRefusedNamingEveryKey() {
    Map<String, Object> values = new HashMap<>(JOIN);
    values.put("broker_url", "tcp://broker.example.net:1883");
    assertThat(Settings.from(config(values)).refusal()).hasValueSatisfying(reason -> assertThat(reason)
        .contains("join.url, join.token, join.ca are set").contains("broker.url 'tcp://broker.example.net:1883'")
        .contains("ssl://"));
    assertThat(Settings.from(config(Map.of("broker_url", "tcp://broker.example.net:1883", "join_token", "t")))
        .refusal()).hasValueSatisfying(reason -> assertThat(reason).startsWith("join.token is set"));
  }

  @Test
  void someJoinKeysWithoutTheOthersAreRefusedNamingTheMissingOnes() {
    assertThat(Settings.from(config(Map.of("broker_url", "ssl://broker.example.net:8883", "join_token", "t")))
        .refusal()).hasValueSatisfying(reason -> assertThat(reason).contains("join.url, join.ca are not set"));
  }

  @Test
  void completeJoinKeysWithTlsOrNoneAtAllAreAccepted() {
    Map<String, Object> values = new HashMap<>(JOIN);
    values.put("broker_url", "ssl://broker.example.net:8883");
    assertThat(Settings.from(config(values)).refusal()).isEmpty();
    assertThat(Settings.from(config(Map.of("broker_url", "tcp://broker.example.net:1883", "insecure_plaintext", true)))
        .refusal()).isEmpty();
  }

  /** Against a real broker: the refused node never connects, while a correctly configured one beside it does. */
  @Test
  void aRefusedNodeStaysOfflineAndItsStateSaysWhy() throws Exception {
    Codec codec = new Codec();
    BlockingQueue<String> resyncs = new LinkedBlockingQueue<>();
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
        XodusEdgeStore refusedStore = new XodusEdgeStore(dir.resolve("refused"));
        XodusEdgeStore fineStore = new XodusEdgeStore(dir.resolve("fine"))) {
      MqttClient bridge = new MqttClient(broker.url(), "test-bridge", new MemoryPersistence());
      bridge.connect();
      IMqttMessageListener resync = (t, m) -> resyncs.add(codec.decode(m.getPayload(), ResyncRequest.class).node());
      bridge.subscribe(new MqttSubscription[] {new MqttSubscription(Topics.up("edge-refused", Topics.Up.RESYNC), 1),
          new MqttSubscription(Topics.up("edge-fine", Topics.Up.RESYNC), 1)},
          new IMqttMessageListener[] {resync, resync});
      bridge.publish(Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, 1L, "session-0", "now")), 1, true);
      Settings refused = new Settings("edge-refused", broker.url(), "edge-refused", Duration.ofSeconds(1),
          Duration.ofSeconds(2), 3600, Codec.DEFAULT_MAX_BYTES, 110, dir.resolve("identity"),
          "https://bridge.example.net:9443", "ojt1.abc.def", "sha256:00ff");
      EdgeSync refusedSync = new EdgeSync(refused, TestStores.sync(refusedStore), executor, "test");
      EdgeSync fineSync = new EdgeSync(new Settings("edge-fine", broker.url(), "edge-fine", Duration.ofSeconds(1),
          Duration.ofSeconds(2), 3600, Codec.DEFAULT_MAX_BYTES, 110).allowingPlaintext(), TestStores.sync(fineStore), executor, "test");
      try {
        refusedSync.start();
        fineSync.start(); // started after the refused one, on the same thread: its connect is not ahead of it
        await("the configured node resyncs").atMost(Duration.ofSeconds(30)).until(() -> resyncs.contains("edge-fine"));
        assertThat(resyncs).containsOnly("edge-fine");
        assertThat(refusedSync.state().connected()).isFalse();
        assertThat(refusedSync.state().problem()).startsWith("configuration refused: join.url, join.token, join.ca"
            + " are set, but broker.url");
        assertThat(fineSync.state().problem()).isNull();
      } finally {
        refusedSync.close();
        fineSync.close();
        executor.shutdownNow();
        bridge.disconnect();
        bridge.close();
      }
    }
  }

  /** The configuration as Configuration Admin hands it to the component: the given values, defaults otherwise. */
  static SyncConfig config(Map<String, Object> values) {
    Map<String, Object> all = new HashMap<>(values);
    all.putIfAbsent("node_name", "edge-1");
    return (SyncConfig) Proxy.newProxyInstance(SyncConfig.class.getClassLoader(), new Class<?>[] {SyncConfig.class},
        (proxy, method, args) -> {
          if (all.containsKey(method.getName())) {
            return all.get(method.getName());
          }
          if (method.getDefaultValue() != null) {
            return method.getDefaultValue();
          }
          throw new IllegalStateException("no value for " + method.getName());
        });
  }
}
