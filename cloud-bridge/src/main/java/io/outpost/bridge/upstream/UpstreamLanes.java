package io.outpost.bridge.upstream;

import io.outpost.bridge.config.FairShares;
import io.outpost.bridge.flow.NodeQueues;
import io.outpost.bridge.flow.TokenBucket;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Refusals;
import io.outpost.protocol.Topics;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fair shares of the bridge's upstream work. Called on the MQTT callback thread: it only counts, queues or refuses.
 *
 * <ul>
 *   <li><b>The heartbeat lane</b> ({@code outpost-bridge-heartbeats-<i>}): a node's newest heartbeat only — one
 *       arriving while an older one waits replaces it, keeping the facts the older one carried and the newer one
 *       leaves out as unchanged (heartbeats are re-sent every interval; counted in
 *       {@code outpost_bridge_heartbeats_coalesced_total}) — so the lane holds at most one heartbeat per node and
 *       every node's heartbeat is handled within one round of all nodes, whatever any node sends elsewhere. Node
 *       status and the Lease's heartbeat time are written from it; Leases are renewed by their own ticker.
 *   <li><b>The message lane</b> ({@code outpost-bridge-upstream-<i>}) for statuses, events and device statuses:
 *       per node and channel a token bucket, per node a queue bounded in messages and bytes; nodes take turns (one
 *       message each, round robin), so a node's backlog delays only itself. A message over its node's rate or
 *       beyond its queue is dropped and counted ({@code outpost_bridge_upstream_dropped_total{node,channel,reason}},
 *       reasons {@code rate_limited} and {@code queue_full}); the log says so once a minute per node at most.
 *   <li><b>Resync requests</b> have their own per-node bucket (they cost a digest over the node's objects), and so
 *       have heartbeats (a conformant node sends one per interval, at least a second, and one per connect).
 * </ul>
 *
 * <p>Until a node is registered its messages ride the heartbeat lane behind its first heartbeat (which registers
 * it), in the order it sent them, under the same limits.
 */
final class UpstreamLanes implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamLanes.class);
  static final String DROPPED = "outpost_bridge_upstream_dropped_total";

  private final FairShares shares;
  private final Metrics metrics;
  private final LongSupplier nanos;
  private final BiConsumer<String, byte[]> handler;
  private final java.util.function.BinaryOperator<byte[]> coalesce;
  private final NodeQueues heartbeatThreads;
  private final NodeQueues messageThreads;
  private final Refusals refusals;
  /** Per node, its newest heartbeat not yet handled. */
  private final Map<String, Pending> heartbeats = new ConcurrentHashMap<>();
  private final Map<String, Backlog> backlogs = new ConcurrentHashMap<>();
  private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

  /** A message as it arrived, and when (for the lag of heartbeats). */
  record Pending(String topic, byte[] payload, long arrived) {}

  /** One node's waiting messages; guarded by itself. {@code scheduled}: a turn of it is queued on its thread. */
  private static final class Backlog {
    final ArrayDeque<Pending> queue = new ArrayDeque<>();
    long bytes;
    boolean scheduled;
  }

  UpstreamLanes(FairShares shares, Metrics metrics, LongSupplier nanos, BiConsumer<String, byte[]> handler) {
    this(shares, metrics, nanos, handler, (waiting, newer) -> newer);
  }

  /**
   * {@code coalesce} turns a node's waiting heartbeat and a newer one into the one to handle: a newer heartbeat leaves
   * out what did not change (protocol §5.5), so replacing the waiting one would lose the facts it carried.
   */
  UpstreamLanes(FairShares shares, Metrics metrics, LongSupplier nanos, BiConsumer<String, byte[]> handler,
      java.util.function.BinaryOperator<byte[]> coalesce) {
    this.coalesce = coalesce;
    this.shares = shares;
    this.metrics = metrics;
    this.nanos = nanos;
    this.handler = handler;
    this.heartbeatThreads = new NodeQueues(shares.heartbeatThreads(), "outpost-bridge-heartbeats");
    this.messageThreads = new NodeQueues(shares.upstreamThreads(), "outpost-bridge-upstream");
    this.refusals = new Refusals(metrics, LOG, nanos);
  }

  /**
   * Hands an upstream message other than a stream frame to its lane; never blocks. Heartbeats go to the heartbeat
   * lane. A resync request within its node's rate goes to the node's router thread (answered from caches, never
   * behind Kubernetes writes). Statuses, events and device statuses take their node's share of the message lane.
   * Until a node is {@code registered}, all its messages follow its first heartbeat on the heartbeat lane, in order.
   */
  void route(Optional<Topics.UpTopic> address, String topic, byte[] payload, Predicate<String> registered,
      BiConsumer<String, Runnable> router) {
    String node = address.map(Topics.UpTopic::node).orElse(topic);
    Topics.Up channel = address.map(Topics.UpTopic::channel).orElse(null);
    if (channel == Topics.Up.NODE) {
      heartbeat(node, topic, payload);
    } else if (channel == Topics.Up.RESYNC && !admitResync(node)) {
      LOG.debug("Resync request of {} dropped; it asks again when its request times out", node);
    } else if (!registered.test(node)) {
      beforeRegistration(node, channel, topic, payload);
    } else if (channel == Topics.Up.RESYNC) {
      router.accept(node, () -> handler.accept(topic, payload));
    } else {
      offer(node, channel, topic, payload);
    }
  }

  /**
   * A heartbeat within the node's heartbeat rate: replaces the node's waiting one, or queues a turn for it on the
   * heartbeat lane. Beyond the rate it is dropped and counted (the node sends the next one within its interval).
   */
  void heartbeat(String node, String topic, byte[] payload) {
    TokenBucket bucket = buckets.computeIfAbsent(node + "/node", k -> new TokenBucket(
        shares.heartbeatsPerSecond(), shares.heartbeatBurst(), nanos));
    if (!bucket.tryAcquire()) {
      refusals.refuse(node, "Dropped a heartbeat of node " + node + ": over its " + shares.heartbeatsPerSecond()
          + " per second (burst " + shares.heartbeatBurst() + ")", DROPPED, "node", node, "channel", "node",
          "reason", "rate_limited");
      return;
    }
    Pending arriving = new Pending(topic, payload, nanos.getAsLong());
    boolean[] coalesced = new boolean[1];
    heartbeats.compute(node, (k, waiting) -> {
      if (waiting == null) {
        return arriving;
      }
      coalesced[0] = true;
      return new Pending(topic, coalesce.apply(waiting.payload(), payload), arriving.arrived());
    });
    if (coalesced[0]) {
      metrics.increment("outpost_bridge_heartbeats_coalesced_total");
      return;
    }
    heartbeatThreads.execute(node, () -> {
      Pending newest = heartbeats.remove(node);
      if (newest != null) {
        handler.accept(newest.topic(), newest.payload());
        metrics.add("outpost_bridge_heartbeat_lag_nanos_total", Math.max(0, nanos.getAsLong() - newest.arrived()));
        metrics.increment("outpost_bridge_heartbeats_handled_total");
      }
    });
  }

  /**
   * A message of a node that is not registered yet: on the heartbeat lane behind its heartbeat, within its
   * channel's rate. Returns false if it was dropped.
   */
  boolean beforeRegistration(String node, Topics.Up channel, String topic, byte[] payload) {
    if (channel != Topics.Up.RESYNC && !admit(node, channel)) {
      return false;
    }
    heartbeatThreads.execute(node, () -> handler.accept(topic, payload));
    return true;
  }

  /** True if the node may send one more resync request now; else the request is dropped and counted. */
  boolean admitResync(String node) {
    TokenBucket bucket = buckets.computeIfAbsent(node + "/resync", k -> new TokenBucket(
        shares.resyncsPerMinute() / 60.0, shares.resyncBurst(), nanos));
    if (bucket.tryAcquire()) {
      return true;
    }
    refusals.refuse(node, "Dropped a resync request of node " + node + ": over its " + shares.resyncsPerMinute()
        + " per minute (it asks again after 30 s)", DROPPED, "node", node, "channel", "resync", "reason",
        "rate_limited");
    return false;
  }

  /**
   * A status, event or device status (or a message on an unknown channel, which the handler rejects) of a
   * registered node: queued for its turn if within its rate and queue bounds. Returns false if it was dropped.
   */
  boolean offer(String node, Topics.Up channel, String topic, byte[] payload) {
    if (!admit(node, channel)) {
      return false;
    }
    Backlog backlog = backlogs.computeIfAbsent(node, k -> new Backlog());
    boolean full;
    boolean schedule = false;
    synchronized (backlog) {
      full = backlog.queue.size() >= shares.queueMessages() || backlog.bytes + payload.length > shares.queueBytes();
      if (!full) {
        backlog.queue.add(new Pending(topic, payload, nanos.getAsLong()));
        backlog.bytes += payload.length;
        schedule = !backlog.scheduled;
        backlog.scheduled = true;
      }
    }
    if (full) {
      refusals.refuse(node, "Dropped an upstream message of node " + node + " on " + label(channel) + ": its queue"
          + " holds " + shares.queueMessages() + " messages or " + shares.queueBytes() + " bytes already", DROPPED,
          "node", node, "channel", label(channel), "reason", "queue_full");
      return false;
    }
    if (schedule) {
      messageThreads.execute(node, () -> turn(node, backlog));
    }
    return true;
  }

  private boolean admit(String node, Topics.Up channel) {
    String name = label(channel);
    TokenBucket bucket = buckets.computeIfAbsent(node + "/" + name, k -> new TokenBucket(
        shares.upstreamPerSecond(), shares.upstreamBurst(), nanos));
    if (bucket.tryAcquire()) {
      return true;
    }
    refusals.refuse(node, "Dropped an upstream message of node " + node + " on " + name + ": over its rate of "
        + shares.upstreamPerSecond() + "/s (burst " + shares.upstreamBurst() + ")", DROPPED, "node", node,
        "channel", name, "reason", "rate_limited");
    return false;
  }

  /** One message of the node, then its next turn goes to the back of its thread's queue (round robin). */
  private void turn(String node, Backlog backlog) {
    Pending next;
    synchronized (backlog) {
      next = backlog.queue.poll();
      if (next != null) {
        backlog.bytes -= next.payload().length;
      }
    }
    try {
      if (next != null) {
        handler.accept(next.topic(), next.payload());
      }
    } finally {
      boolean again;
      synchronized (backlog) {
        again = !backlog.queue.isEmpty();
        backlog.scheduled = again;
      }
      if (again) {
        messageThreads.execute(node, () -> turn(node, backlog));
      }
    }
  }

  private static String label(Topics.Up channel) {
    return channel == null ? "unknown" : channel.segment();
  }

  /**
   * The message lane's threads, for the Kubernetes writes that follow from an upstream message (device statuses,
   * coalesced per Device; toleration patches), in the order of each node.
   */
  NodeQueues writers() {
    return messageThreads;
  }

  /** Messages waiting on the message lane, all nodes. */
  int depth() {
    int depth = 0;
    for (Backlog backlog : backlogs.values()) {
      synchronized (backlog) {
        depth += backlog.queue.size();
      }
    }
    return depth;
  }

  /** The longest queue of one node on the message lane. */
  int deepestNode() {
    int deepest = 0;
    for (Backlog backlog : backlogs.values()) {
      synchronized (backlog) {
        deepest = Math.max(deepest, backlog.queue.size());
      }
    }
    return deepest;
  }

  /** Heartbeats waiting (at most one per node). */
  int heartbeatsWaiting() {
    return heartbeats.size();
  }

  /** A deleted node: its buckets, queue and log window go (what is queued still runs). */
  void forget(String node) {
    buckets.keySet().removeIf(key -> key.startsWith(node + "/"));
    refusals.forget(node);
    Backlog backlog = backlogs.get(node);
    if (backlog != null) {
      synchronized (backlog) {
        if (backlog.queue.isEmpty() && !backlog.scheduled) {
          backlogs.remove(node, backlog);
        }
      }
    }
  }

  @Override
  public void close() {
    heartbeatThreads.close();
    messageThreads.close();
  }
}
