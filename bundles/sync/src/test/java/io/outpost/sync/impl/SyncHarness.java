package io.outpost.sync.impl;

import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import io.outpost.store.impl.XodusEdgeStore;
import io.outpost.testing.Mosquitto;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttSubscription;

/**
 * What a sync test runs against: a real Mosquitto and a real Xodus store in the test's directory, the test playing
 * the bridge with an MQTT client of its own (subscribed to the node's topics the test names, its retained
 * {@code BridgeOnline} announcement published as a running bridge leaves it), the sync's executor, and the
 * {@link EdgeSync} under test. {@link #close()} stops them all, the sync first, the broker last.
 */
final class SyncHarness implements AutoCloseable {
  final Mosquitto broker;
  final XodusEdgeStore store;
  final MqttClient bridge;
  final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private EdgeSync sync;

  private SyncHarness(Mosquitto broker, XodusEdgeStore store, MqttClient bridge) {
    this.broker = broker;
    this.store = store;
    this.bridge = bridge;
  }

  /** A topic the test's bridge client subscribes to, and what it does with each message. */
  record Subscription(String topic, IMqttMessageListener listener) {}

  static Subscription on(String topic, IMqttMessageListener listener) {
    return new Subscription(topic, listener);
  }

  /**
   * Starts the broker, opens the store and connects the test's bridge client, subscribed (QoS 1) to
   * {@code subscriptions} in their order, then announces a bridge session of {@code epoch} (retained).
   */
  static SyncHarness start(Path dir, Codec codec, long epoch, Subscription... subscriptions) throws Exception {
    Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
    XodusEdgeStore store = null;
    MqttClient bridge = null;
    try {
      store = new XodusEdgeStore(dir.resolve("store"));
      bridge = new MqttClient(broker.url(), "test-bridge", new MemoryPersistence());
      bridge.connect();
      // MqttClient.subscribe(String, int, listener) recurses forever in Paho 1.2.5: use the array form.
      bridge.subscribe(Arrays.stream(subscriptions).map(s -> new MqttSubscription(s.topic(), 1))
          .toArray(MqttSubscription[]::new), Arrays.stream(subscriptions).map(Subscription::listener)
          .toArray(IMqttMessageListener[]::new));
      bridge.publish(io.outpost.protocol.Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, epoch, "session-0",
          "now")), 1, true);
      return new SyncHarness(broker, store, bridge);
    } catch (Exception | AssertionError e) {
      closeAll(null, null, bridge, store, broker);
      throw e;
    }
  }

  /** Closes the sync under test, if any, then makes one with {@code next} and starts it. */
  EdgeSync run(Supplier<EdgeSync> next) throws Exception {
    if (sync != null) {
      sync.close();
    }
    sync = next.get();
    sync.start();
    return sync;
  }

  /** The sync under test (null before {@link #run}). */
  EdgeSync sync() {
    return sync;
  }

  @Override
  public void close() throws Exception {
    closeAll(sync, executor, bridge, store, broker);
  }

  private static void closeAll(EdgeSync sync, ScheduledExecutorService executor, MqttClient bridge,
      XodusEdgeStore store, Mosquitto broker) throws Exception {
    try (Mosquitto b = broker; XodusEdgeStore s = store) {
      if (sync != null) {
        sync.close();
      }
      if (executor != null) {
        executor.shutdownNow();
      }
      if (bridge != null && bridge.isConnected()) {
        bridge.disconnect();
      }
      if (bridge != null) {
        bridge.close();
      }
    }
  }
}
