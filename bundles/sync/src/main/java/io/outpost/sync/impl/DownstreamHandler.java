package io.outpost.sync.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ProtocolException;
import io.outpost.store.ApplyResult;
import io.outpost.store.SyncLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes one downstream message and applies it to the sync log as the store's change ({@link WireChanges}). Bad
 * input is rejected with a logged, counted reason and never reaches the store; every message is acknowledged once
 * handled (after the store committed it, if it applied), because redelivering a message that cannot be applied
 * would not help: a gap is repaired by a resync instead.
 */
final class DownstreamHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DownstreamHandler.class);

  /** What the caller does after acknowledging the message. */
  enum Then { NOTHING, RESYNC, SEND_FULL_DIGEST }

  private final String node;
  private final Codec codec;
  private final SyncLog store;
  private final ResyncTracker resyncs;
  private final Counters rejected;
  private final Counters outcomes;
  /** The bridge's bucket digests from the last DIGEST_MISMATCH for a pending request; null if it sent none. */
  private java.util.List<String> mismatchBuckets;

  DownstreamHandler(String node, Codec codec, SyncLog store, ResyncTracker resyncs, Counters rejected,
      Counters outcomes) {
    this.node = node;
    this.codec = codec;
    this.store = store;
    this.resyncs = resyncs;
    this.rejected = rejected;
    this.outcomes = outcomes;
  }

  /** A pod bound to another node, or another node's Node object, is never accepted. */
  private void requireForThisNode(Downstream message) throws ProtocolException {
    if (message.op() != Downstream.Op.UPSERT) {
      return;
    }
    if (message.pod() != null && !node.equals(message.pod().nodeName())) {
      throw new ProtocolException(ProtocolException.Reason.WRONG_NODE,
          "pod " + message.ref().key() + " is bound to '" + message.pod().nodeName() + "', not to this node");
    }
    if (message.node() != null && !node.equals(message.ref().name())) {
      throw new ProtocolException(ProtocolException.Reason.WRONG_NODE,
          "Node object '" + message.ref().name() + "' is not this node's");
    }
  }

  java.util.List<String> mismatchBuckets() {
    return mismatchBuckets;
  }

  Then handle(byte[] payload) {
    Downstream message;
    try {
      message = codec.decode(payload, Downstream.class);
      requireForThisNode(message);
    } catch (ProtocolException e) {
      rejected.increment(e.reason().label());
      LOG.warn("Rejected downstream message ({} bytes): {}", payload.length, e.getMessage());
      return Then.NOTHING;
    }
    if (message.op() == Downstream.Op.DIGEST_MISMATCH) {
      // A control message outside the sequence: never applied to the store.
      boolean ours = resyncs.isPending(message.correlationId());
      outcomes.increment(ours ? "digest_mismatch" : "unsolicited_sync");
      if (ours) {
        mismatchBuckets = message.buckets();
      }
      return ours ? Then.SEND_FULL_DIGEST : Then.NOTHING;
    }
    if (message.op() == Downstream.Op.SYNC_BEGIN && !resyncs.isPending(message.correlationId())) {
      // A redelivered or foreign resync answer must not move the sequence base.
      outcomes.increment("unsolicited_sync");
      LOG.info("Ignored SYNC_BEGIN {} for a resync this node is not waiting for", message.correlationId());
      return Then.NOTHING;
    }
    ApplyResult result = store.apply(WireChanges.of(message));
    outcomes.increment(result.outcome().name().toLowerCase(java.util.Locale.ROOT));
    switch (result.outcome()) {
      case SYNC_STARTED -> resyncs.answerStarted(message.correlationId());
      case SYNC_ENDED -> {
        if (resyncs.answerEnded(message.correlationId())) {
          LOG.info("Resync complete at {}: {} object change(s)", result.position(), resyncs.lastObjects());
        }
      }
      case APPLIED -> {
        resyncs.objectApplied();
        LOG.debug("Applied {} {} {}", message.seq(), message.op(), message.ref() == null ? "" : message.ref().key());
      }
      case GAP -> {
        LOG.info("Sequence gap ({}), requesting a resync", result.detail());
        return Then.RESYNC;
      }
      case OLD_EPOCH -> {
        // A queued leftover of an earlier bridge, or a bridge whose clock stepped back: a resync settles which.
        LOG.debug("Dropped {} {}: {}; requesting a resync", message.op(), message.seq(), result.detail());
        return Then.RESYNC;
      }
      case DUPLICATE, STALE -> LOG.debug("Dropped {} {}: {}", message.op(), message.seq(), result.detail());
      default -> throw new IllegalStateException("unhandled outcome " + result.outcome());
    }
    return Then.NOTHING;
  }
}
