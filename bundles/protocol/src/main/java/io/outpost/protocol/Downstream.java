package io.outpost.protocol;

/**
 * A bridge-to-edge message on {@code outpost/v1/<node>/down}. Sequence numbers are assigned per node by the bridge
 * and strictly increase within one {@code epoch} (one bridge incarnation). See docs/protocol.md, "Ordering".
 */
public record Downstream(int v, long epoch, long seq, Op op, ObjectRef ref, PodV1 pod, String correlationId)
    implements Message {

  public enum Op {
    /** Create or replace the object named by {@code ref}; the body field for its kind is set. */
    UPSERT,
    /** Remove the object named by {@code ref}. */
    DELETE,
    /** Start of a resync answer: the edge accepts {@code seq} as the new base of the sequence. */
    SYNC_BEGIN,
    /** End of a resync answer: everything the bridge wants the edge to change has been sent. */
    SYNC_END,
    /**
     * Control message, outside the sequence: the compact digest of the request named by {@code correlationId} does
     * not match; the edge sends the full form. Its {@code seq} repeats the node's last number and is not applied.
     */
    DIGEST_MISMATCH
  }

  public static final String KIND_POD = "Pod";

  public static Downstream upsertPod(long epoch, long seq, ObjectRef ref, PodV1 pod) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, pod, null);
  }

  public static Downstream delete(long epoch, long seq, ObjectRef ref) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.DELETE, ref, null, null);
  }

  public static Downstream marker(long epoch, long seq, Op op, String correlationId) {
    return new Downstream(Codec.VERSION, epoch, seq, op, null, null, correlationId);
  }

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(op, "op");
    if (epoch <= 0 || seq <= 0) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "epoch and seq must be positive");
    }
    switch (op) {
      case UPSERT -> {
        Validation.require(ref, "ref");
        ref.validate();
        if (!KIND_POD.equals(ref.kind())) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "unsupported kind '" + ref.kind() + "'");
        }
        Validation.require(pod, "pod");
        pod.validate();
      }
      case DELETE -> {
        Validation.require(ref, "ref");
        ref.validate();
      }
      case SYNC_BEGIN, SYNC_END, DIGEST_MISMATCH -> Validation.require(correlationId, "correlationId");
      default -> throw new IllegalStateException("unhandled op " + op);
    }
  }
}
