package io.outpost.bridge.downstream;

import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.mqtt.MqttBridgeLink;
import io.outpost.protocol.Buckets;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Kubernetes state into per-node downstream messages, level-based: for a node it computes what the node should
 * hold ({@link NodeContents}: its Node object, pods, Devices and what they use) from the informer caches and
 * sends only the difference to what it last sent that node. Every method for a node runs on that node's thread of
 * {@link NodeQueues}, which is what makes its sequence numbers strictly increasing in publish order; what is shared
 * between nodes (the reference index) is updated atomically. Nothing here calls the Kubernetes API:
 * a reconnecting node costs it nothing.
 *
 * <p>A node is sent only the kinds it applies ({@link AcceptedKinds}, from its latest resync request), and the
 * digests expected of it count only those, so that a node of an older release neither rejects an object nor sees a
 * digest it can never match.
 *
 * <p>A node gets live changes only once it has resynced with this bridge incarnation: before that the bridge does
 * not know what it holds, and the node's resync (which every edge sends on connect and on a new bridge session)
 * answers with the difference anyway. So a bridge restart does not push every pod to every node.
 */
final class Router {
  private static final Logger LOG = LoggerFactory.getLogger(Router.class);

  private final long epoch;
  private final Codec codec;
  private final MqttBridgeLink link;
  private final NodeContents contents;
  private final Metrics metrics;
  private final AcceptedKinds kinds;
  private final Map<String, AtomicLong> sequences = new ConcurrentHashMap<>();
  /** Per node, per store key: what the node was last sent and holds. The inner map only on the node's thread. */
  private final Map<String, Map<String, Sent>> sent = new ConcurrentHashMap<>();

  /** What an edge holds for a key: its uid, resourceVersion and content. */
  private record Sent(String uid, String resourceVersion, Object body) {}

  Router(long epoch, Codec codec, MqttBridgeLink link, NodeContents contents, Metrics metrics, AcceptedKinds kinds) {
    this.kinds = kinds;
    this.epoch = epoch;
    this.codec = codec;
    this.link = link;
    this.contents = contents;
    this.metrics = metrics;
  }

  /** True once the router has sent anything to the node (it keeps a sequence for it). Thread-safe. */
  boolean knows(String node) {
    return sequences.containsKey(node);
  }

  /**
   * Brings a node that has resynced up to date: sends the objects whose content changed (dependencies before the
   * pods that use them) and deletes what it should no longer hold (pods before what they used). Most pod updates
   * only change status (often written by this bridge from the edge's own report): those cost no message.
   */
  void reconcile(String node) {
    Map<String, Sent> held = sent.get(node);
    if (held == null) {
      return; // not resynced with this bridge yet: its resync will answer with the difference
    }
    Map<String, NodeContents.Wanted> desired = contents.desired(node, kinds.of(node));
    int messages = 0;
    for (NodeContents.Wanted wanted : desired.values()) {
      Sent last = held.get(wanted.ref().key());
      if (last != null && last.uid().equals(wanted.ref().uid()) && last.body().equals(wanted.body())) {
        continue;
      }
      if (sendUpsert(node, wanted)) {
        held.put(wanted.ref().key(), new Sent(wanted.ref().uid(), wanted.ref().resourceVersion(), wanted.body()));
        messages++;
      }
    }
    List<String> gone = new ArrayList<>(held.keySet());
    gone.removeAll(desired.keySet());
    gone.sort(DELETE_ORDER);
    for (String key : gone) {
      Sent last = held.remove(key);
      ObjectRef ref = refOf(key, last.uid(), last.resourceVersion());
      send(node, seq -> Downstream.delete(epoch, seq, ref));
      messages++;
    }
    if (messages == 0) {
      metrics.increment("outpost_bridge_unchanged_skipped_total");
    }
  }

  /**
   * Pods and Devices first, then what they used, so that no pod on the edge is ever left without its ConfigMap, nor
   * a Device without its model.
   */
  private static final Comparator<String> DELETE_ORDER = Comparator.comparingInt((String key) ->
      key.startsWith(Downstream.KIND_POD + "/") || key.startsWith(Downstream.KIND_DEVICE + "/") ? 0 : 1)
      .thenComparing(Comparator.naturalOrder());

  private static ObjectRef refOf(String key, String uid, String resourceVersion) {
    String[] parts = key.split("/", 3);
    return new ObjectRef(parts[0], parts[1].isEmpty() ? null : parts[1], parts[2], uid, resourceVersion);
  }

  /**
   * Answers a resync request. Compact form: if the digest equals that of what this node should hold, only
   * SYNC_BEGIN and SYNC_END; otherwise DIGEST_MISMATCH (outside the sequence) asks for the full form. Full form:
   * SYNC_BEGIN, the difference (UPSERT/DELETE), SYNC_END.
   */
  void resync(ResyncRequest request) {
    Set<String> accepted = kinds.record(request);
    if (request.compact()) {
      String node = request.node();
      Map<String, NodeContents.Wanted> desired = contents.desired(node, accepted);
      Map<String, ObjectRef> expected = expectedRefs(desired);
      if (ResyncRequest.digestOf(expected.values()).equals(request.digest())) {
        Map<String, Sent> held = new HashMap<>();
        desired.forEach((key, wanted) -> held.put(key, new Sent(wanted.ref().uid(),
            expected.get(key).resourceVersion(), wanted.body())));
        sent.put(node, held);
        answer(node, request, 0);
        LOG.info("Resync of {} ({}): digest matches, nothing to send", node, request.reason());
      } else {
        mismatch(request, expected);
      }
      return;
    }
    if (request.partial()) {
      Snapshot snapshot = snapshots.remove(request.node());
      if (snapshot == null || snapshot.count() != request.bucketCount()) {
        // This bridge did not send the buckets the node compared with (e.g. it restarted): compare again.
        Map<String, NodeContents.Wanted> desired = contents.desired(request.node(), accepted);
        mismatch(request, expectedRefs(desired));
        return;
      }
      resyncFull(request, withUncoveredBuckets(request, snapshot), accepted);
      return;
    }
    resyncFull(request, request.held(), accepted);
  }

  /**
   * What a node holds, from a partial request: the refs it listed for the buckets that differed, and for every
   * other bucket exactly what this bridge's mismatch described (the node's digest of that bucket was equal).
   */
  private static List<ObjectRef> withUncoveredBuckets(ResyncRequest request, Snapshot snapshot) {
    Set<Integer> covered = new HashSet<>(request.buckets());
    List<ObjectRef> held = new ArrayList<>(request.held());
    for (ObjectRef ref : snapshot.refs()) {
      if (!covered.contains(Buckets.bucketOf(ref.key(), snapshot.count()))) {
        held.add(ref);
      }
    }
    return held;
  }

  /** The refs a DIGEST_MISMATCH described, by bucket, kept until the node's partial answer. */
  private record Snapshot(int count, List<ObjectRef> refs) {}

  /** Per node, the last mismatch's snapshot; at most one per node. */
  private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();

  /**
   * What the node should hold as refs, named by content hash: a node that holds the same content under an older
   * resourceVersion (only the status moved since, or another bridge incarnation sent it) matches.
   */
  private static Map<String, ObjectRef> expectedRefs(Map<String, NodeContents.Wanted> desired) {
    Map<String, ObjectRef> refs = new LinkedHashMap<>();
    desired.forEach((key, wanted) -> refs.put(key, wanted.hashedRef()));
    return refs;
  }

  /**
   * DIGEST_MISMATCH (outside the sequence) with per-bucket digests of what the node should hold, so that it sends
   * only the refs of the buckets that differ. The refs are kept to stand in for the buckets it does not send.
   */
  private void mismatch(ResyncRequest request, Map<String, ObjectRef> expected) {
    AtomicLong sequence = sequences.computeIfAbsent(request.node(), n -> new AtomicLong());
    int count = Buckets.countFor(expected.size());
    List<ObjectRef> refs = List.copyOf(expected.values());
    Downstream control = Downstream.mismatch(epoch, Math.max(1, sequence.get()), request.correlationId(),
        Buckets.digests(refs, count));
    snapshots.put(request.node(), new Snapshot(count, refs));
    link.publish(Topics.down(request.node()), codec.encode(control));
    metrics.increment("outpost_bridge_digest_mismatches_total");
  }

  private void answer(String node, ResyncRequest request, long changes) {
    send(node, seq -> Downstream.marker(epoch, seq, Downstream.Op.SYNC_BEGIN, request.correlationId()));
    send(node, seq -> Downstream.marker(epoch, seq, Downstream.Op.SYNC_END, request.correlationId()));
    metrics.increment("outpost_bridge_resyncs_total");
    metrics.add("outpost_bridge_resync_objects_total", changes);
  }

  /**
   * The difference between what the node says it holds and what it should: upserts of what it lacks or holds in
   * an older content (dependencies first), deletes of what it should not hold (pods first). Afterwards the router's
   * record of the node is exactly what the node holds once it applied the answer.
   */
  private void resyncFull(ResyncRequest request, List<ObjectRef> nodeHolds, Set<String> accepted) {
    String node = request.node();
    snapshots.remove(node);
    Map<String, ObjectRef> have = new HashMap<>();
    nodeHolds.forEach(ref -> have.put(ref.key(), ref));
    Map<String, NodeContents.Wanted> desired = contents.desired(node, accepted);
    Map<String, ObjectRef> expected = expectedRefs(desired);
    Map<String, Sent> held = new HashMap<>();
    send(node, seq -> Downstream.marker(epoch, seq, Downstream.Op.SYNC_BEGIN, request.correlationId()));
    long changes = 0;
    for (NodeContents.Wanted wanted : desired.values()) {
      String key = wanted.ref().key();
      ObjectRef theirs = have.remove(key);
      ObjectRef ours = expected.get(key);
      if (ours.sameContent(theirs)) {
        held.put(key, new Sent(theirs.uid(), theirs.resourceVersion(), wanted.body()));
      } else if (sendUpsert(node, ours, wanted.body())) {
        held.put(key, new Sent(wanted.ref().uid(), wanted.ref().resourceVersion(), wanted.body()));
        changes++;
      }
    }
    List<ObjectRef> stale = new ArrayList<>(have.values());
    stale.removeIf(ref -> !accepted.contains(ref.kind())); // never a kind the node does not apply, not even a DELETE
    stale.sort(Comparator.comparing(ObjectRef::key, DELETE_ORDER));
    for (ObjectRef ref : stale) {
      send(node, seq -> Downstream.delete(epoch, seq, ref));
      changes++;
    }
    sent.put(node, held);
    send(node, seq -> Downstream.marker(epoch, seq, Downstream.Op.SYNC_END, request.correlationId()));
    metrics.increment("outpost_bridge_resyncs_total");
    metrics.add("outpost_bridge_resync_objects_total", changes);
    LOG.info("Resync of {} ({}{}): {} change(s) for {} held object(s)", node, request.reason(),
        request.partial() ? ", " + request.buckets().size() + " of " + request.bucketCount() + " buckets listed" : "",
        changes, nodeHolds.size());
  }

  /** Versions that could not be sent (node|key|uid|resourceVersion): not tried, nor logged, again. */
  private final Set<String> unsendable = ConcurrentHashMap.newKeySet();

  private boolean sendUpsert(String node, NodeContents.Wanted wanted) {
    return sendUpsert(node, wanted.hashedRef(), wanted.body());
  }

  /** Sends {@code body} under {@code ref} (which already carries its content hash). */
  private boolean sendUpsert(String node, ObjectRef ref, Object body) {
    String version = node + "|" + ref.key() + "|" + ref.uid() + "|" + ref.resourceVersion();
    if (unsendable.contains(version)) {
      return false;
    }
    boolean sent = send(node, seq -> ObjectTranslator.upsert(epoch, seq, ref, body));
    if (!sent) {
      if (unsendable.size() > 10_000) {
        unsendable.clear(); // bounded: at worst a warning is logged again
      }
      unsendable.add(version);
    }
    return sent;
  }

  /**
   * Validates and encodes the message built for the node's next sequence number, and only then spends that number:
   * an object the edge could not accept (e.g. a ConfigMap above the message size limit) is never sent, so it can
   * neither open a gap nor block the node's stream.
   */
  private boolean send(String node, LongFunction<Downstream> build) {
    AtomicLong sequence = sequences.computeIfAbsent(node, n -> new AtomicLong());
    Downstream message = build.apply(sequence.get() + 1);
    byte[] payload;
    String topic;
    try {
      topic = Topics.down(node);
      message.validate();
      payload = codec.encode(message);
    } catch (ProtocolException | IllegalArgumentException e) {
      metrics.increment("outpost_bridge_unsendable_total");
      LOG.warn("Not sending {} {} to {}: {}", message.op(), message.ref() == null ? "" : message.ref().key(), node,
          e.getMessage());
      return false;
    }
    sequence.incrementAndGet();
    String kind = message.ref() == null ? "marker" : message.ref().kind();
    if (link.publish(topic, payload)) {
      metrics.increment("outpost_bridge_messages_out_total", "kind", kind, "op", message.op().name());
    } else {
      metrics.increment("outpost_bridge_messages_dropped_total", "kind", kind);
    }
    return true;
  }
}
