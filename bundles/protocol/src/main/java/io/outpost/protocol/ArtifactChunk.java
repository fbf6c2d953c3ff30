package io.outpost.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One chunk of an artifact, bridge to node on {@code outpost/v1/<node>/artifact}. Binary, not JSON, so that a chunk
 * costs its own bytes plus a 46-byte header on the link (base64 in JSON would add a third): the magic {@code OPAC},
 * the protocol version (1 byte), a status (1 byte: 0 = the chunk; otherwise why there is none, with no data), the
 * artifact's SHA-256 (32 bytes), the chunk size (4 bytes, big-endian), the chunk's index (4 bytes) and the chunk's
 * bytes (at most the chunk size). Decoding checks every field; a chunk's bytes are only trusted once the whole file's
 * SHA-256 matches the signed manifest.
 */
public record ArtifactChunk(String sha256, int chunkSize, int index, Status status, byte[] data) {
  public static final int HEADER = 4 + 1 + 1 + 32 + 4 + 4;
  private static final byte[] MAGIC = {'O', 'P', 'A', 'C'};

  /** Whether the bridge sent the chunk, or why not. */
  public enum Status {
    /** The chunk's bytes follow. */
    OK,
    /**
     * The artifact is not (any more) this node's gateway target as the bridge sees it (its Node may be about to
     * change): the node asks again later, and stops once its target changes.
     */
    NOT_ASSIGNED,
    /** The bridge cannot read the artifact now (fetching it, or its source failed): the node asks again later. */
    UNAVAILABLE
  }

  public static ArtifactChunk ok(String sha256, int chunkSize, int index, byte[] data) {
    return new ArtifactChunk(sha256, chunkSize, index, Status.OK, data);
  }

  public static ArtifactChunk refusal(String sha256, int chunkSize, int index, Status status) {
    return new ArtifactChunk(sha256, chunkSize, index, status, new byte[0]);
  }

  public byte[] encode() {
    ByteBuffer buffer = ByteBuffer.allocate(HEADER + data.length);
    buffer.put(MAGIC).put((byte) Codec.VERSION).put((byte) status.ordinal()).put(HexFormat.of().parseHex(sha256))
        .putInt(chunkSize).putInt(index).put(data);
    return buffer.array();
  }

  public static ArtifactChunk decode(byte[] payload) throws ProtocolException {
    if (payload == null || payload.length < HEADER) {
      throw new ProtocolException(ProtocolException.Reason.MALFORMED, "artifact chunk shorter than its "
          + HEADER + "-byte header");
    }
    if (payload.length > HEADER + ArtifactRequest.MAX_CHUNK) {
      throw new ProtocolException(ProtocolException.Reason.OVERSIZED, payload.length + " bytes exceeds the chunk"
          + " limit of " + (HEADER + ArtifactRequest.MAX_CHUNK));
    }
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    byte[] magic = new byte[4];
    buffer.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new ProtocolException(ProtocolException.Reason.MALFORMED, "not an artifact chunk (no OPAC magic)");
    }
    Validation.requireVersion(buffer.get());
    int code = buffer.get();
    if (code < 0 || code >= Status.values().length) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "unknown chunk status " + code);
    }
    byte[] digest = new byte[32];
    buffer.get(digest);
    int chunkSize = buffer.getInt();
    int index = buffer.getInt();
    if (chunkSize < ArtifactRequest.MIN_CHUNK || chunkSize > ArtifactRequest.MAX_CHUNK || index < 0) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "chunk size " + chunkSize + " or index "
          + index + " out of range");
    }
    byte[] data = Arrays.copyOfRange(payload, HEADER, payload.length);
    Status status = Status.values()[code];
    if (data.length > chunkSize || (status != Status.OK && data.length > 0)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "chunk of " + data.length + " bytes with size "
          + chunkSize + " and status " + status);
    }
    return new ArtifactChunk(HexFormat.of().formatHex(digest), chunkSize, index, status, data);
  }
}
