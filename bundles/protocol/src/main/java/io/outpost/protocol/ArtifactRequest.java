package io.outpost.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A node asks for chunks of the artifact its {@link GatewayTargetV1} names, on {@code up/artifact} (node-pull: the
 * node asks only for what it has not stored yet, so a transfer resumes after a crash or days cut off). The bridge
 * answers each index with one {@link ArtifactChunk} on the node's {@code artifact} topic, and serves only the artifact
 * currently assigned to that node.
 *
 * @param node the sender (must equal the node in the topic)
 * @param sha256 the artifact's SHA-256 (its identity), as in the node's gateway target
 * @param chunkSize the chunk size the node stores in ({@link #MIN_CHUNK}..{@link #MAX_CHUNK})
 * @param indices the chunks wanted, at most {@link #MAX_WINDOW}, distinct, each within the artifact
 */
public record ArtifactRequest(int v, String node, String sha256, int chunkSize, List<Integer> indices)
    implements Message {
  public static final int MIN_CHUNK = 4 * 1024;
  /** Chunk payloads stay well under the broker's message limit and the bridge's per-message memory. */
  public static final int MAX_CHUNK = 1024 * 1024;
  /** The most chunks one request asks for: the node's window of chunks in flight. */
  public static final int MAX_WINDOW = 64;

  public static ArtifactRequest of(String node, String sha256, int chunkSize, List<Integer> indices) {
    return new ArtifactRequest(Codec.VERSION, node, sha256, chunkSize, List.copyOf(indices));
  }

  @Override
  public List<Integer> indices() {
    return indices == null ? List.of() : indices;
  }

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(sha256, "sha256");
    if (!GatewayTargetV1.SHA256.matcher(sha256).matches()) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "sha256 must be 64 lower-case hex digits, was '"
          + Validation.clip(sha256) + "'");
    }
    if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "chunkSize must be " + MIN_CHUNK + ".."
          + MAX_CHUNK + ", was " + chunkSize);
    }
    Validation.requireSize(indices, MAX_WINDOW, "indices");
    if (indices().isEmpty()) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "indices is empty");
    }
    long chunks = (GatewayTargetV1.MAX_SIZE + chunkSize - 1) / chunkSize;
    Set<Integer> seen = new HashSet<>();
    for (int index : indices()) {
      if (index < 0 || index >= chunks || !seen.add(index)) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "indices has " + index
            + " (negative, beyond the largest artifact, or repeated)");
      }
    }
  }
}
