package io.outpost.bridge.artifacts;

import io.fabric8.kubernetes.api.model.Node;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Refusals;
import io.outpost.protocol.ArtifactChunk;
import io.outpost.protocol.ArtifactRequest;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers nodes' {@link ArtifactRequest}s with {@link ArtifactChunk}s on their {@code artifact} topic, on its own
 * thread ({@code outpost-artifacts}): a node is served only the artifact its Node's {@value GatewayAnnotations#TARGET}
 * annotation assigns to it (least privilege: a node cannot pull what it was not given), from the bridge's verified copy
 * ({@link ArtifactStore}). Until that copy is there the answer is {@code UNAVAILABLE}; for an artifact not assigned,
 * {@code NOT_ASSIGNED}. Malformed or spoofed requests are refused, logged and counted; requests beyond the queue
 * (1,024) are dropped and counted, and the node asks again.
 */
public final class ArtifactServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ArtifactServer.class);
  private static final int QUEUE = 1024;
  /**
   * The most bytes one request may ask for (the reference node asks for 16 × 64 KiB = 1 MiB): a node cannot fill the
   * bridge's publish window, which every node's downstream traffic shares, with one request.
   */
  static final long MAX_REQUEST_BYTES = 4L * 1024 * 1024;

  private final Codec codec;
  private final ArtifactStore store;
  private final Function<String, Node> nodes;
  /** Publishes a payload on a topic (QoS 1); false if the link could not take it. */
  private final BiPredicate<String, byte[]> publisher;
  private final Metrics metrics;
  private final Refusals refusals;
  private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
      new ArrayBlockingQueue<>(QUEUE), runnable -> {
        Thread thread = new Thread(runnable, "outpost-artifacts");
        thread.setDaemon(true);
        return thread;
      });

  public ArtifactServer(Codec codec, ArtifactStore store, Function<String, Node> nodes,
      BiPredicate<String, byte[]> publisher, Metrics metrics) {
    this.codec = codec;
    this.store = store;
    this.nodes = nodes;
    this.publisher = publisher;
    this.metrics = metrics;
    this.refusals = new Refusals(metrics, LOG, System::nanoTime);
  }

  /** A request from {@code up/artifact} (MQTT callback thread): queued, never handled here. */
  public void receive(Topics.UpTopic address, byte[] payload) {
    metrics.increment("outpost_bridge_messages_in_total", "channel", Topics.Up.ARTIFACT.segment());
    try {
      executor.execute(() -> handle(address, payload));
    } catch (RejectedExecutionException e) {
      metrics.increment("outpost_bridge_artifact_requests_total", "outcome", "dropped");
    }
  }

  void handle(Topics.UpTopic address, byte[] payload) {
    ArtifactRequest request;
    try {
      request = codec.decode(payload, ArtifactRequest.class);
    } catch (ProtocolException e) {
      refuse(address.node(), e.reason().label(), e.getMessage());
      return;
    }
    if (!request.node().equals(address.node())) {
      refuse(address.node(), "wrong_node", "request names node " + request.node() + " on the topic of "
          + address.node());
      return;
    }
    if ((long) request.chunkSize() * request.indices().size() > MAX_REQUEST_BYTES) {
      refuse(address.node(), "invalid", "request for " + request.indices().size() + " chunks of "
          + request.chunkSize() + " bytes: more than " + MAX_REQUEST_BYTES + " bytes at once");
      return;
    }
    Node node = nodes.apply(address.node());
    if (node == null) {
      refuse(address.node(), "not_edge_node", address.node() + " is not a registered edge node");
      return;
    }
    Optional<GatewayAnnotations.Target> target = GatewayAnnotations.targetOrEmpty(node);
    String topic = Topics.artifact(address.node());
    int first = request.indices().get(0);
    if (target.isEmpty() || !target.get().sha256().equals(request.sha256())) {
      metrics.increment("outpost_bridge_artifact_requests_total", "outcome", "not_assigned");
      LOG.info("Node {} asked for artifact {} which is not its gateway target", address.node(), request.sha256());
      publisher.test(topic, ArtifactChunk.refusal(request.sha256(), request.chunkSize(), first,
          ArtifactChunk.Status.NOT_ASSIGNED).encode());
      return;
    }
    long chunks = (target.get().size() + request.chunkSize() - 1) / request.chunkSize();
    if (request.indices().stream().anyMatch(index -> index >= chunks)) {
      refuse(address.node(), "invalid", "request for chunks beyond the " + chunks + " of artifact "
          + request.sha256());
      return;
    }
    Optional<Path> artifact = store.artifact(target.get());
    if (artifact.isEmpty()) {
      metrics.increment("outpost_bridge_artifact_requests_total", "outcome", "unavailable");
      publisher.test(topic, ArtifactChunk.refusal(request.sha256(), request.chunkSize(), first,
          ArtifactChunk.Status.UNAVAILABLE).encode());
      return;
    }
    metrics.increment("outpost_bridge_artifact_requests_total", "outcome", "served");
    for (int index : request.indices()) {
      try {
        byte[] data = ArtifactStore.chunk(artifact.get(), target.get().size(), request.chunkSize(), index);
        byte[] wire = ArtifactChunk.ok(request.sha256(), request.chunkSize(), index, data).encode();
        if (!publisher.test(topic, wire)) {
          metrics.increment("outpost_bridge_artifact_chunks_total", "outcome", "unsent");
          return; // the link is down: the node asks again for what it did not get
        }
        metrics.increment("outpost_bridge_artifact_chunks_total", "outcome", "sent");
        metrics.add("outpost_bridge_artifact_bytes_sent_total", wire.length);
      } catch (IOException e) {
        metrics.increment("outpost_bridge_artifact_chunks_total", "outcome", "read_error");
        LOG.warn("Cannot read chunk {} of artifact {}: {}", index, request.sha256(), e.getMessage());
        return;
      }
    }
  }

  private void refuse(String node, String reason, String message) {
    refusals.refuse(node + " (" + reason + ")", "Rejected artifact request of " + node + ": " + message,
        "outpost_bridge_rejected_total", "reason", reason);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
