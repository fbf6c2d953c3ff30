package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.upstream.UpstreamNames;
import io.outpost.protocol.Codec;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One node floods every upstream channel (heartbeats, statuses, events, resync requests, device statuses) as fast as
 * its MQTT connection allows, while 100 simulated nodes send a heartbeat every second: every one of the 100 keeps
 * its Lease renewed and its Node Ready, and only the flooder's messages are dropped (and counted). The 100 nodes
 * share one MQTT connection (the test broker has no ACL), as the scale benchmark simulates many nodes.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeFloodTest {
  static KubernetesClient client;
  private static final int NODES = 100;
  private static final Duration PATIENCE = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void aFloodingNodeCannotKeepOtherNodesFromRenewingTheirLeases() throws Exception {
    Codec codec = new Codec();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      names.add(String.format("calm-%03d", i));
    }
    ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
    AtomicBoolean flooding = new AtomicBoolean(true);
    AtomicLong flooded = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> floods = new ArrayList<>();
    MqttClient calm = null;
    try (BridgeHarness h = BridgeHarness.start(dir, client, Map.of("OUTPOST_UPSTREAM_PER_SECOND", "20",
        "OUTPOST_UPSTREAM_BURST", "40", "OUTPOST_UPSTREAM_QUEUE_MESSAGES", "50", "OUTPOST_RESYNCS_PER_MINUTE", "6",
        "OUTPOST_RESYNC_BURST", "2"))) {
      FakeEdge flooder = h.registeredEdge("flooder");
      Pod pod = h.createPod("flood", "noisy", "flooder");
      ObjectRef ref = BridgeHarness.ref(pod);
      flooder.awaitUpsert("noisy");

      calm = new MqttClient(h.broker.url(), "calm-nodes-" + UUID.randomUUID(), new MemoryPersistence());
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setCleanStart(true);
      calm.connect(options);
      MqttClient connection = calm;
      heartbeats.scheduleWithFixedDelay(() -> {
        try {
          for (String node : names) {
            byte[] report = codec.encode(FakeEdge.nodeReport(node));
            publishWhenWindowAllows(() -> connection.publish(Topics.up(node, Topics.Up.NODE), report, 1, false));
          }
        } catch (MqttException | RuntimeException e) {
          failure.compareAndSet(null, e);
        }
      }, 0, 1, TimeUnit.SECONDS);
      await("100 calm nodes registered with Leases").atMost(PATIENCE).until(() -> names.stream()
          .allMatch(n -> lease(n) != null && ready(n)));

      // Three connections of the flooder publish at once, each as fast as its QoS 1 window allows.
      List<FakeEdge> connections = List.of(flooder, h.edge("flooder"), h.edge("flooder"));
      for (FakeEdge sender : connections) {
        Thread flood = new Thread(() -> {
          try {
            for (int i = 0; flooding.get(); i++) {
              byte[] message = floodMessage(codec, ref, i);
              Topics.Up channel = CHANNELS.get(i % CHANNELS.size());
              publishWhenWindowAllows(() -> sender.publish(channel, message));
              flooded.incrementAndGet();
            }
          } catch (MqttException | RuntimeException e) {
            failure.compareAndSet(null, e);
          }
        }, "flooder");
        floods.add(flood);
        flood.start();
      }

      await("the flooder's excess dropped on every limited channel").atMost(PATIENCE).until(() ->
          List.of("node", "status", "event", "device", "resync").stream()
              .allMatch(c -> dropped(h, "flooder", c) > 0));
      Map<String, ZonedDateTime> renewedBefore = new HashMap<>();
      names.forEach(n -> renewedBefore.put(n, renewTime(lease(n))));
      long floodedBefore = flooded.get();
      await("every calm node's Lease renewed during the flood").atMost(PATIENCE).until(() -> names.stream()
          .allMatch(n -> renewTime(lease(n)).isAfter(renewedBefore.get(n))));
      assertThat(failure.get()).as("every publish of the test went through").isNull();
      assertThat(flooded.get()).as("the flood went on meanwhile").isGreaterThan(floodedBefore);
      assertThat(names).as("every calm node Ready").allMatch(BridgeFloodTest::ready);
      assertThat(h.metric("outpost_bridge_heartbeats_handled_total")).isGreaterThanOrEqualTo(2L * NODES);
      List<String> droppedSeries = h.bridge.metrics().render().lines()
          .filter(l -> l.startsWith(UpstreamNames.DROPPED + "{")).toList();
      assertThat(droppedSeries).isNotEmpty().allMatch(l -> l.contains("node=\"flooder\""));
    } finally {
      flooding.set(false);
      for (Thread flood : floods) {
        flood.join(TimeUnit.SECONDS.toMillis(30));
      }
      heartbeats.shutdownNow();
      heartbeats.awaitTermination(30, TimeUnit.SECONDS);
      if (calm != null) {
        if (calm.isConnected()) { // not after the harness closed its broker
          calm.disconnect();
        }
        calm.close();
      }
    }
  }

  interface Publish {
    void run() throws MqttException;
  }

  /**
   * Publishes, trying again while Paho's in-flight window is full (32202): its synchronous client frees a place only
   * after the acknowledgement was handed over, so a fast sender sees it full now and then.
   */
  private static void publishWhenWindowAllows(Publish publish) throws MqttException {
    while (true) {
      try {
        publish.run();
        return;
      } catch (MqttException e) {
        if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT) {
          throw e;
        }
        Thread.onSpinWait();
      }
    }
  }

  private static final List<Topics.Up> CHANNELS = List.of(Topics.Up.NODE, Topics.Up.STATUS, Topics.Up.EVENT,
      Topics.Up.RESYNC, Topics.Up.DEVICE);

  /**
   * The flooder's {@code i}th message, on channel {@code i % 5} of {@link #CHANNELS}, about its own pod: each costs
   * the bridge real work if accepted — a status that differs from the previous one, an event with a new id, a
   * resync request, a device status, a heartbeat.
   */
  private static byte[] floodMessage(Codec codec, ObjectRef pod, int i) {
    String now = Instant.now().toString();
    return switch (CHANNELS.get(i % CHANNELS.size())) {
      case NODE -> codec.encode(FakeEdge.nodeReport("flooder"));
      case STATUS -> codec.encode(i % 2 == 0 ? BridgeHarness.running("flooder", pod)
          : BridgeHarness.phase("flooder", pod, "Pending"));
      case EVENT -> codec.encode(new EventReport(Codec.VERSION, "flooder", String.format("%016x", i), pod,
          "Warning", "BackOff", "Back-off restarting failed container app", 1, now, now));
      case RESYNC -> codec.encode(new ResyncRequest(Codec.VERSION, "flooder", UUID.randomUUID().toString(), 0, 0,
          "flood", null, ResyncRequest.digestOf(List.of()), 0));
      default -> codec.encode(new DeviceStatusReport(Codec.VERSION, "flooder", new ObjectRef("Device", "flood",
          "meter", "5b0c6c36-0000-4000-8000-000000000001", "1"), DeviceStatusReport.ONLINE, null, null, now,
          List.of()));
    };
  }

  private static long dropped(BridgeHarness h, String node, String channel) {
    return h.metric(UpstreamNames.DROPPED, "node", node, "channel", channel, "reason", "rate_limited")
        + h.metric(UpstreamNames.DROPPED, "node", node, "channel", channel, "reason", "queue_full");
  }

  private static Lease lease(String node) {
    return client.leases().inNamespace(UpstreamNames.LEASE_NAMESPACE).withName(node).get();
  }

  private static ZonedDateTime renewTime(Lease lease) {
    return lease == null || lease.getSpec().getRenewTime() == null ? ZonedDateTime.parse("1970-01-01T00:00:00Z")
        : lease.getSpec().getRenewTime();
  }

  private static boolean ready(String name) {
    Node node = client.nodes().withName(name).get();
    return node != null && node.getStatus() != null && node.getStatus().getConditions() != null
        && node.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
