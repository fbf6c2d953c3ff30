package io.outpost.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
    String digest, Integer count)
    implements Message {

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
      }
    }
  }

  /** True for the compact form, which names no objects. */
  public boolean compact() {
    return held == null;
  }

  /**
   * SHA-256 (lower-case hex) over the refs sorted by store key, each contributing
   * {@code key '\n' uid '\n' resourceVersion '\n'} in UTF-8. Both sides compute it the same way.
   */
  public static String digestOf(Collection<ObjectRef> refs) {
    List<ObjectRef> sorted = new ArrayList<>(refs);
    sorted.sort(Comparator.comparing(ObjectRef::key));
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
    for (ObjectRef ref : sorted) {
      sha.update((ref.key() + "\n" + ref.uid() + "\n" + ref.resourceVersion() + "\n")
          .getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
