package io.outpost.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Sent by the edge on {@code up/resync} on every (re)connect and whenever it detects a gap. Compact form: only
 * {@code digest} (see {@link #digestOf}) and {@code count}; if the bridge's expectation differs it answers
 * DIGEST_MISMATCH and the edge sends the full form, {@code held} (one ref per object). The bridge answers on
 * {@code down} with SYNC_BEGIN, the difference (UPSERT/DELETE), then SYNC_END, carrying the correlation id.
 */
public record ResyncRequest(
    int v, String node, String correlationId, long epoch, long lastSeq, String reason, List<ObjectRef> held,
    String digest, Integer count, Integer bucketCount, List<Integer> buckets, List<String> kinds)
    implements Message {

  /**
   * A request that does not say which kinds the node applies (as nodes before site networking send): the bridge
   * then sends it only {@link Downstream#BASE_KINDS}.
   */
  public ResyncRequest(int v, String node, String correlationId, long epoch, long lastSeq, String reason,
      List<ObjectRef> held, String digest, Integer count, Integer bucketCount, List<Integer> buckets) {
    this(v, node, correlationId, epoch, lastSeq, reason, held, digest, count, bucketCount, buckets, null);
  }

  /**
   * The downstream kinds this node applies ({@link Downstream#KINDS} it knows); null: {@link Downstream#BASE_KINDS}.
   * The bridge sends a node only the kinds it accepts, so that a node of an older release is never sent an object
   * it would reject (and re-request forever).
   */
  public java.util.Set<String> acceptedKinds() {
    return kinds == null ? Downstream.BASE_KINDS : java.util.Set.copyOf(kinds);
  }

  /** A request without buckets: compact ({@code held} null) or listing everything held. */
  public ResyncRequest(int v, String node, String correlationId, long epoch, long lastSeq, String reason,
      List<ObjectRef> held, String digest, Integer count) {
    this(v, node, correlationId, epoch, lastSeq, reason, held, digest, count, null, null);
  }

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(correlationId, "correlationId");
    if (held == null && (digest == null || !digest.matches("[0-9a-f]{64}"))) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "needs 'held' or a 64-hex-digit 'digest'");
    }
    if (held != null) {
      for (ObjectRef ref : held) {
        Validation.require(ref, "held[]");
        ref.validate();
        if (!Downstream.KINDS.contains(ref.kind())) {
          // A digest naming objects no edge can hold is damage or forgery: rejected, never answered with DELETEs.
          throw new ProtocolException(ProtocolException.Reason.INVALID, "held[] names unknown kind '" + ref.kind()
              + "'");
        }
      }
    }
    if (buckets != null || bucketCount != null) {
      validateBuckets();
    }
    if (kinds != null) {
      // Kinds unknown to this side are ignored, not refused: a newer node may apply kinds this bridge never sends.
      Validation.requireSize(kinds, 64, "kinds");
      for (String kind : kinds) {
        Validation.requireMaxLength(kind, 63, "kinds[]");
      }
    }
  }

  /** A partial full form: {@code held} lists exactly the refs in {@code buckets} (of {@code bucketCount}). */
  private void validateBuckets() throws ProtocolException {
    if (buckets == null || bucketCount == null || held == null || bucketCount < 1 || bucketCount > Buckets.MAX) {
      throw new ProtocolException(ProtocolException.Reason.INVALID,
          "a partial request needs held, buckets and a bucketCount of 1 to " + Buckets.MAX);
    }
    java.util.Set<Integer> covered = new java.util.HashSet<>();
    for (Integer bucket : buckets) {
      if (bucket == null || bucket < 0 || bucket >= bucketCount || !covered.add(bucket)) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "bad or repeated bucket " + bucket);
      }
    }
    for (ObjectRef ref : held) {
      if (!covered.contains(Buckets.bucketOf(ref.key(), bucketCount))) {
        throw new ProtocolException(ProtocolException.Reason.INVALID,
            "held " + ref.key() + " is not in a listed bucket");
      }
    }
  }

  /** True if {@code held} covers only the listed buckets; the rest equals what the bridge sent in its mismatch. */
  public boolean partial() {
    return buckets != null;
  }

  /** True for the compact form, which names no objects. */
  public boolean compact() {
    return held == null;
  }

  /**
   * SHA-256 (lower-case hex) over the refs sorted by store key, each contributing
   * {@code key '\n' uid '\n' contentVersion '\n'} in UTF-8 ({@link ObjectRef#contentVersion()}). Both sides compute it the same way.
   */
  public static String digestOf(Collection<ObjectRef> refs) {
    List<ObjectRef> sorted = new ArrayList<>(refs);
    sorted.sort(Comparator.comparing(ObjectRef::key));
    MessageDigest sha = Buckets.sha256();
    for (ObjectRef ref : sorted) {
      sha.update((ref.key() + "\n" + ref.uid() + "\n" + ref.contentVersion() + "\n")
          .getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
