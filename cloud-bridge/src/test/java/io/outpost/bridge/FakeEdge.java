package io.outpost.bridge;

import static org.awaitility.Awaitility.await;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;

/**
 * A test stand-in for an edge node: a Paho client that records every {@code Downstream} on its down topic and
 * publishes protocol v1 messages on its up topics. {@link #wiretap} records every node's down topic instead.
 */
public final class FakeEdge implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** One message as received, with the topic it came on. */
  record Received(String topic, Downstream message) {}

  private final Codec codec = new Codec();
  private final String node;
  private final MqttClient mqtt;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<String> undecodable = new CopyOnWriteArrayList<>();

  private FakeEdge(String brokerUrl, String node, String filter) throws MqttException {
    this.node = node;
    this.mqtt = new MqttClient(brokerUrl, "fake-" + (node == null ? "wiretap" : node) + "-" + UUID.randomUUID(),
        new MemoryPersistence());
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(true);
    mqtt.connect(options);
    IMqttMessageListener listener = (topic, message) -> {
      try {
        received.add(new Received(topic, codec.decode(message.getPayload(), Downstream.class)));
      } catch (Exception e) {
        undecodable.add(topic + ": " + e.getMessage());
      }
    };
    // MqttClient.subscribe(String, int, listener) recurses forever in Paho 1.2.5: use the array form.
    mqtt.subscribe(new MqttSubscription[] {new MqttSubscription(filter, 1)}, new IMqttMessageListener[] {listener});
  }

  /** An edge node subscribed to its own down topic. */
  static FakeEdge connect(String brokerUrl, String node) throws MqttException {
    return new FakeEdge(brokerUrl, node, Topics.down(node));
  }

  /** A listener on every node's down topic, publishing nothing. */
  static FakeEdge wiretap(String brokerUrl) throws MqttException {
    return new FakeEdge(brokerUrl, null, Topics.ROOT + "+/down");
  }

  String node() {
    return node;
  }

  // ---- upstream

  void publish(Topics.Up channel, byte[] payload) throws MqttException {
    publishRaw(Topics.up(node, channel), payload);
  }

  void publishRaw(String topic, byte[] payload) throws MqttException {
    mqtt.publish(topic, payload, 1, false);
  }

  void publishJson(Topics.Up channel, String json) throws MqttException {
    publish(channel, json.getBytes(StandardCharsets.UTF_8));
  }

  void heartbeat() throws MqttException {
    heartbeat(nodeReport(node));
  }

  void heartbeat(NodeReport report) throws MqttException {
    publish(Topics.Up.NODE, codec.encode(report));
  }

  void report(PodStatusReport report) throws MqttException {
    publish(Topics.Up.STATUS, codec.encode(report));
  }

  /** Sends a digest and returns its correlation id. */
  String resync(List<ObjectRef> held) throws MqttException {
    String correlationId = UUID.randomUUID().toString();
    publish(Topics.Up.RESYNC, codec.encode(
        new ResyncRequest(Codec.VERSION, node, correlationId, 0, 0, "test", List.copyOf(held), null, null)));
    return correlationId;
  }

  /** Sends a full resync naming the kinds this node applies (null: none, as an older node) and returns its id. */
  String resync(List<ObjectRef> held, List<String> kinds) throws MqttException {
    String correlationId = UUID.randomUUID().toString();
    publish(Topics.Up.RESYNC, codec.encode(new ResyncRequest(Codec.VERSION, node, correlationId, 0, 0, "test",
        List.copyOf(held), null, null, null, null, kinds)));
    return correlationId;
  }

  /** Sends the compact form naming the kinds this node applies and returns its correlation id. */
  String resyncCompact(List<ObjectRef> held, List<String> kinds) throws MqttException {
    String correlationId = UUID.randomUUID().toString();
    publish(Topics.Up.RESYNC, codec.encode(new ResyncRequest(Codec.VERSION, node, correlationId, 0, 0, "test", null,
        ResyncRequest.digestOf(held), held.size(), null, null, kinds)));
    return correlationId;
  }

  /** What this node holds after applying every message received so far: the refs of the latest UPSERTs, by key. */
  List<ObjectRef> held() {
    Map<String, ObjectRef> held = new java.util.LinkedHashMap<>();
    for (Downstream m : messages()) {
      if (m.op() == Downstream.Op.UPSERT) {
        held.put(m.ref().key(), m.ref());
      } else if (m.op() == Downstream.Op.DELETE) {
        held.remove(m.ref().key());
      }
    }
    return List.copyOf(held.values());
  }

  /** The latest UPSERT of {@code kind}/{@code name} received, if any. */
  Optional<Downstream> latest(String kind, String name) {
    Downstream found = null;
    for (Downstream m : messages()) {
      if (m.op() == Downstream.Op.UPSERT && kind.equals(m.ref().kind()) && name.equals(m.ref().name())) {
        found = m;
      }
    }
    return Optional.ofNullable(found);
  }

  /** Sends the compact form (digest only) and returns its correlation id. */
  String resyncCompact(List<ObjectRef> held) throws MqttException {
    String correlationId = UUID.randomUUID().toString();
    publish(Topics.Up.RESYNC, codec.encode(new ResyncRequest(Codec.VERSION, node, correlationId, 0, 0, "test", null,
        ResyncRequest.digestOf(held), held.size())));
    return correlationId;
  }

  public static NodeReport nodeReport(String node) {
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), true, "Outpost edge ready",
        Map.of("cpu", "4", "memory", "8167056Ki", "pods", "110"),
        List.of(new NodeReport.Address("InternalIP", "192.0.2.17"), new NodeReport.Address("Hostname", node)),
        new NodeReport.NodeInfo("machine-" + node, "boot-1", "6.1.0-26-amd64", "Debian GNU/Linux 12 (bookworm)",
            "linux", "amd64", "docker-engine-api://1.41", "outpost/0.1.0-test"));
  }

  // ---- downstream

  List<Received> received() {
    return List.copyOf(received);
  }

  List<Downstream> messages() {
    return received.stream().map(Received::message).toList();
  }

  List<String> undecodable() {
    return List.copyOf(undecodable);
  }

  Downstream awaitMessage(String description, Predicate<Downstream> match) {
    return await(description).atMost(TIMEOUT).until(() -> first(match), Optional::isPresent).orElseThrow();
  }

  Downstream awaitUpsert(String podName) {
    return awaitMessage("UPSERT of " + podName, upsertOf(podName));
  }

  Optional<Downstream> first(Predicate<Downstream> match) {
    return messages().stream().filter(match).findFirst();
  }

  static Predicate<Downstream> upsertOf(String podName) {
    return m -> m.op() == Downstream.Op.UPSERT && podName.equals(m.ref().name());
  }

  static Predicate<Downstream> deleteOf(String podName) {
    return m -> m.op() == Downstream.Op.DELETE && podName.equals(m.ref().name());
  }

  /** Waits for the SYNC_END answering {@code correlationId}; returns SYNC_BEGIN, what came between, SYNC_END. */
  List<Downstream> awaitResyncAnswer(String correlationId) {
    Predicate<Downstream> end = m -> m.op() == Downstream.Op.SYNC_END && correlationId.equals(m.correlationId());
    awaitMessage("SYNC_END " + correlationId, end);
    List<Downstream> all = messages();
    List<Downstream> answer = new ArrayList<>();
    boolean inside = false;
    for (Downstream m : all) {
      if (m.op() == Downstream.Op.SYNC_BEGIN && correlationId.equals(m.correlationId())) {
        inside = true;
      }
      if (inside) {
        answer.add(m);
      }
      if (end.test(m)) {
        break;
      }
    }
    return answer;
  }

  @Override
  public void close() throws MqttException {
    try {
      if (mqtt.isConnected()) {
        mqtt.disconnect();
      }
    } finally {
      mqtt.close();
    }
  }
}
