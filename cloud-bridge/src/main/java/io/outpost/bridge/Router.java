package io.outpost.bridge;

import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Kubernetes changes into per-node downstream messages. Every method runs on the single router thread, which
 * is what makes sequence numbers per node strictly increasing in publish order. Resync answers are computed from the
 * informer cache: a reconnecting node costs the Kubernetes API nothing.
 */
final class Router {
  private static final Logger LOG = LoggerFactory.getLogger(Router.class);

  /** Read access to what the pod informer holds for one node. */
  interface PodCache {
    List<Pod> podsOn(String node);
  }

  private final long epoch;
  private final Codec codec;
  private final MqttBridgeLink link;
  private final PodCache cache;
  private final Metrics metrics;
  private final Map<String, AtomicLong> sequences = new ConcurrentHashMap<>();
  /** Per store key: what the node was last sent. Only the router thread touches it. */
  private final Map<String, Sent> sent = new HashMap<>();

  /** The object an edge was last sent for a key: its uid, resourceVersion and content. */
  private record Sent(String node, String uid, String resourceVersion, PodV1 pod) {}

  Router(long epoch, Codec codec, MqttBridgeLink link, PodCache cache, Metrics metrics) {
    this.epoch = epoch;
    this.codec = codec;
    this.link = link;
    this.cache = cache;
    this.metrics = metrics;
  }

  /** True once the router has sent anything to the node (it keeps a sequence for it). */
  boolean knows(String node) {
    return sequences.containsKey(node);
  }

  /**
   * Sends the pod if what the edge needs of it changed. Most pod updates only change its status (often written by
   * this bridge from the edge's own report): those cost no message. Returns true if a message was sent.
   */
  boolean podChanged(Pod pod) {
    ObjectRef ref = PodTranslator.ref(pod);
    PodV1 edgePod = PodTranslator.toEdge(pod);
    String node = pod.getSpec().getNodeName();
    Sent last = sent.get(ref.key());
    if (last != null && last.node().equals(node) && last.uid().equals(ref.uid()) && last.pod().equals(edgePod)) {
      metrics.increment("outpost_bridge_unchanged_skipped_total");
      return false;
    }
    boolean delivered = send(node, seq -> Downstream.upsertPod(epoch, seq, ref, edgePod));
    if (delivered) {
      sent.put(ref.key(), new Sent(node, ref.uid(), ref.resourceVersion(), edgePod));
    }
    return delivered;
  }

  void podDeleted(Pod pod) {
    ObjectRef ref = PodTranslator.ref(pod);
    sent.remove(ref.key());
    send(pod.getSpec().getNodeName(), seq -> Downstream.delete(epoch, seq, ref));
  }

  /** True if the edge holds the content of this pod: same uid, and the version it holds carries the same content. */
  private boolean upToDate(ObjectRef have, Pod pod, ObjectRef desired) {
    if (have == null || !have.uid().equals(desired.uid())) {
      return false;
    }
    if (have.resourceVersion().equals(desired.resourceVersion())) {
      return true;
    }
    Sent last = sent.get(desired.key());
    return last != null && last.uid().equals(have.uid()) && last.resourceVersion().equals(have.resourceVersion())
        && last.pod().equals(PodTranslator.toEdge(pod));
  }

  /**
   * Answers a resync request. Compact form: if the digest equals that of what this node should hold, only
   * SYNC_BEGIN and SYNC_END; otherwise DIGEST_MISMATCH (outside the sequence) asks for the full form. Full form:
   * SYNC_BEGIN, the difference (UPSERT/DELETE), SYNC_END.
   */
  void resync(ResyncRequest request) {
    if (request.compact()) {
      if (ResyncRequest.digestOf(expectedRefs(request.node())).equals(request.digest())) {
        answer(request.node(), request, 0);
        LOG.info("Resync of {} ({}): digest matches, nothing to send", request.node(), request.reason());
      } else {
        mismatch(request);
      }
      return;
    }
    resyncFull(request);
  }

  /** What the node should hold: per pod the version last sent to it if its content is still current. */
  private List<ObjectRef> expectedRefs(String node) {
    List<ObjectRef> refs = new java.util.ArrayList<>();
    for (Pod pod : cache.podsOn(node)) {
      ObjectRef desired = PodTranslator.ref(pod);
      Sent last = sent.get(desired.key());
      boolean current = last != null && last.uid().equals(desired.uid())
          && last.pod().equals(PodTranslator.toEdge(pod));
      refs.add(current ? new ObjectRef(desired.kind(), desired.namespace(), desired.name(), desired.uid(),
          last.resourceVersion()) : desired);
    }
    return refs;
  }

  private void mismatch(ResyncRequest request) {
    AtomicLong sequence = sequences.computeIfAbsent(request.node(), n -> new AtomicLong());
    Downstream control = Downstream.marker(epoch, Math.max(1, sequence.get()), Downstream.Op.DIGEST_MISMATCH,
        request.correlationId());
    link.publish(Topics.down(request.node()), codec.encode(control));
    metrics.increment("outpost_bridge_digest_mismatches_total");
  }

  private void answer(String node, ResyncRequest request, long changes) {
    send(node, seq -> Downstream.marker(epoch, seq, Downstream.Op.SYNC_BEGIN, request.correlationId()));
    send(node, seq -> Downstream.marker(epoch, seq, Downstream.Op.SYNC_END, request.correlationId()));
    metrics.increment("outpost_bridge_resyncs_total");
    metrics.add("outpost_bridge_resync_objects_total", changes);
  }

  private void resyncFull(ResyncRequest request) {
    String node = request.node();
    Map<String, ObjectRef> held = new HashMap<>();
    request.held().forEach(ref -> held.put(ref.key(), ref));
    send(node, seq -> Downstream.marker(epoch, seq, Downstream.Op.SYNC_BEGIN, request.correlationId()));
    long changes = 0;
    for (Pod pod : cache.podsOn(node)) {
      ObjectRef desired = PodTranslator.ref(pod);
      ObjectRef have = held.remove(desired.key());
      if (!upToDate(have, pod, desired)) {
        sent.remove(desired.key()); // the edge does not hold what was last sent: send again
        if (podChanged(pod)) {
          changes++;
        }
      }
    }
    for (ObjectRef stale : held.values()) {
      sent.remove(stale.key());
      send(node, seq -> Downstream.delete(epoch, seq, stale));
      changes++;
    }
    send(node, seq -> Downstream.marker(epoch, seq, Downstream.Op.SYNC_END, request.correlationId()));
    metrics.increment("outpost_bridge_resyncs_total");
    metrics.add("outpost_bridge_resync_objects_total", changes);
    LOG.info("Resync of {} ({}): {} change(s) for {} held object(s)", node, request.reason(), changes,
        request.held().size());
  }

  /**
   * Validates and encodes the message built for the node's next sequence number, and only then spends that number:
   * an object the edge could not accept is never sent, so it can neither open a gap nor block the node's stream.
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
