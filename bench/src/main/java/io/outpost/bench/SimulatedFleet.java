package io.outpost.bench;

import io.outpost.protocol.Buckets;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;

/**
 * Simulated edge nodes for {@link ScaleBench}: all in this JVM, each with its state in memory, speaking protocol v1
 * over a real broker through a few shared MQTT connections. A node applies what the bridge sends in order (as the
 * real edge does, without a store), answers a digest mismatch with a bucketed resync, and records when a marked pod
 * change arrives, for the change → edge latency.
 *
 * <p>A publish that fails makes every later call fail ({@link #check}): a figure measured on partial work is not
 * printed. Publishes stay within half the broker's Receive Maximum per connection (Paho frees an in-flight place
 * only after the acknowledgement has been handed to the client).
 */
final class SimulatedFleet {
  private static final Codec CODEC = new Codec();
  private static final int CONNECTIONS = 4;

  /** One simulated edge node: what it holds, its stream position, and the resync it waits for. */
  static final class SimNode {
    final String name;
    final Map<String, ObjectRef> held = new HashMap<>();
    long epoch;
    long seq;
    String pending;
    volatile boolean synced;

    SimNode(String name) {
      this.name = name;
    }
  }

  private final Map<String, SimNode> nodes = new ConcurrentHashMap<>();
  /** Marked changes committed in Kubernetes and not yet seen at their node: sample → commit time. */
  private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
  /** Marked changes that reached their node before the API server's answer reached the bench. */
  private final Map<String, Long> early = new ConcurrentHashMap<>();
  private final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
  private MqttAsyncClient[] clients;
  /** Per connection, the in-flight publishes it may still start. */
  private Semaphore[] windows;
  /** Publishes sent and not yet acknowledged, over all connections. */
  private final AtomicLong unacked = new AtomicLong();
  /** The first publish that failed: the run is then invalid. */
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
    Thread thread = new Thread(r, "scale-sim-sender");
    thread.setDaemon(true);
    return thread;
  });

  void add(String name) {
    nodes.put(name, new SimNode(name));
  }

  Collection<SimNode> nodes() {
    return nodes.values();
  }

  List<String> names() {
    return new ArrayList<>(nodes.keySet());
  }

  boolean allSynced() {
    return nodes.values().stream().allMatch(n -> n.synced);
  }

  /** As a real edge on connect: every node sends its heartbeat, then asks for a resync. */
  void heartbeatAndResyncAll() {
    for (SimNode node : nodes.values()) {
      node.synced = false;
      heartbeat(node);
      resync(node, null);
    }
  }

  void heartbeatAll() {
    nodes.values().forEach(this::heartbeat);
  }

  long unacknowledged() {
    return unacked.get();
  }

  /** Records that {@code pod}'s first container got args {@code value}, committed in Kubernetes at {@code at}. */
  synchronized void changeCommitted(String pod, String value, long at) {
    String sample = pod + "|" + value;
    Long arrived = early.remove(sample);
    if (arrived != null) {
      latencies.add(Math.max(0, arrived - at)); // the watch event beat the API server's answer: counts as 0
    } else {
      sentAt.put(sample, at);
    }
  }

  /** Latencies (ns) of the marked changes that have arrived, sorted. */
  List<Long> latencies() {
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    return sorted;
  }

  void connect(String broker) throws Exception {
    check();
    clients = new MqttAsyncClient[CONNECTIONS];
    windows = new Semaphore[CONNECTIONS];
    for (int i = 0; i < CONNECTIONS; i++) {
      MqttAsyncClient mqtt = new MqttAsyncClient(broker, "scale-sim-" + i + "-" + UUID.randomUUID(),
          new MemoryPersistence());
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setCleanStart(true);
      options.setReceiveMaximum(65535);
      IMqttToken connected = mqtt.connect(options);
      connected.waitForCompletion(30_000);
      Integer receiveMaximum = connected.getResponseProperties() == null ? null
          : connected.getResponseProperties().getReceiveMaximum();
      int window = Math.max(1, (receiveMaximum == null ? 65535 : receiveMaximum) / 2);
      if (i == 0) {
        System.out.printf("  broker Receive Maximum %s: at most %d publishes in flight per connection%n",
            receiveMaximum == null ? "not sent (65,535)" : receiveMaximum, window);
      }
      windows[i] = new Semaphore(window);
      clients[i] = mqtt;
    }
    // One wildcard subscription; each node's messages arrive in order on it.
    clients[0].subscribe(new MqttSubscription[] {new MqttSubscription(Topics.ROOT + "+/down", 1)}, null, null,
        new IMqttMessageListener[] {this::down}, null).waitForCompletion(30_000);
  }

  /** Waits until every publish is acknowledged, then closes the connections. */
  void disconnect() throws Exception {
    waitFor("publishes acknowledged", Duration.ofMinutes(2), () -> unacked.get() == 0);
    for (MqttAsyncClient mqtt : clients) {
      mqtt.disconnect().waitForCompletion(30_000);
      mqtt.close();
    }
  }

  void close() {
    sender.shutdownNow();
  }

  /** Records a failure seen outside a publish (e.g. in a pacing task): the run is then invalid. */
  void failed(Throwable cause) {
    failure.compareAndSet(null, cause);
  }

  /** Fails the run if any simulated node's publish failed. */
  void check() {
    Throwable first = failure.get();
    if (first != null) {
      throw new IllegalStateException("a simulated node's publish failed, so the run measured partial work and "
          + "prints no figure: " + first, first);
    }
  }

  /** Waits for {@code condition}; fails at once if a publish failed meanwhile. */
  void waitFor(String what, Duration timeout, BooleanSupplier condition) {
    org.awaitility.Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(20))
        .until(() -> failure.get() != null || condition.getAsBoolean());
    check();
  }

  /** QoS 1, within the connection's window; a failure (now or when acknowledged) fails the run. */
  private void publish(SimNode node, Topics.Up channel, byte[] payload) {
    check();
    int index = Math.floorMod(node.name.hashCode(), CONNECTIONS);
    Semaphore window = windows[index];
    window.acquireUninterruptibly();
    unacked.incrementAndGet();
    MqttActionListener done = new MqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        unacked.decrementAndGet();
        window.release();
      }

      @Override
      public void onFailure(IMqttToken token, Throwable cause) {
        failure.compareAndSet(null, cause);
        unacked.decrementAndGet();
        window.release();
      }
    };
    try {
      MqttMessage message = new MqttMessage(payload);
      message.setQos(1);
      clients[index].publish(Topics.up(node.name, channel), message, null, done);
    } catch (Exception e) {
      done.onFailure(null, e);
      check();
    }
  }

  private void heartbeat(SimNode node) {
    publish(node, Topics.Up.NODE, CODEC.encode(new NodeReport(Codec.VERSION, node.name, Instant.now().toString(),
        true, "simulated", Map.of("cpu", "4", "memory", "8Gi", "pods", "110"),
        List.of(new NodeReport.Address("InternalIP", "192.0.2.1")), null)));
  }

  /** Builds the request under the fleet's lock, publishes outside it (a publish waits for its PUBACK). */
  private void resync(SimNode node, List<String> buckets) {
    publish(node, Topics.Up.RESYNC, CODEC.encode(request(node, buckets)));
  }

  private synchronized ResyncRequest request(SimNode node, List<String> buckets) {
    node.pending = UUID.randomUUID().toString();
    List<ObjectRef> held = new ArrayList<>(node.held.values());
    if (buckets == null) {
      return new ResyncRequest(Codec.VERSION, node.name, node.pending, node.epoch, node.seq, "connect", null,
          ResyncRequest.digestOf(held), held.size());
    }
    List<String> ours = Buckets.digests(held, buckets.size());
    List<Integer> differing = new ArrayList<>();
    for (int i = 0; i < buckets.size(); i++) {
      if (!ours.get(i).equals(buckets.get(i))) {
        differing.add(i);
      }
    }
    List<ObjectRef> listed = held.stream()
        .filter(r -> differing.contains(Buckets.bucketOf(r.key(), buckets.size()))).toList();
    return new ResyncRequest(Codec.VERSION, node.name, node.pending, node.epoch, node.seq, "digest_mismatch",
        listed, ResyncRequest.digestOf(held), held.size(), buckets.size(), differing);
  }

  /** The simulated edge: applies in order, as the real one does (without a store). */
  private void down(String topic, MqttMessage message) {
    String name = topic.substring(Topics.ROOT.length(), topic.length() - "/down".length());
    SimNode node = nodes.get(name);
    if (node == null) {
      return;
    }
    Downstream m;
    try {
      m = CODEC.decode(message.getPayload(), Downstream.class);
    } catch (ProtocolException e) {
      throw new IllegalStateException("bridge sent an invalid message: " + e.getMessage());
    }
    synchronized (this) {
      switch (m.op()) {
        case DIGEST_MISMATCH -> {
          if (m.correlationId().equals(node.pending)) {
            List<String> buckets = m.buckets();
            sender.execute(() -> resync(node, buckets)); // never publish from the MQTT callback thread
          }
        }
        case SYNC_BEGIN -> {
          node.epoch = m.epoch();
          node.seq = m.seq();
        }
        case SYNC_END -> {
          node.seq = m.seq();
          if (m.correlationId().equals(node.pending)) {
            node.synced = true;
          }
        }
        case UPSERT -> {
          node.seq = m.seq();
          node.held.put(m.ref().key(), m.ref());
          if (m.pod() != null && m.pod().containers().get(0).args() != null) {
            arrived(m.ref().name() + "|" + m.pod().containers().get(0).args().get(0));
          }
        }
        case DELETE -> {
          node.seq = m.seq();
          node.held.remove(m.ref().key());
        }
        default -> { }
      }
    }
  }

  private void arrived(String sample) {
    Long sent = sentAt.remove(sample);
    if (sent != null) {
      latencies.add(System.nanoTime() - sent);
    } else if (!sample.endsWith("|v-init")) {
      early.put(sample, System.nanoTime());
    }
  }
}
