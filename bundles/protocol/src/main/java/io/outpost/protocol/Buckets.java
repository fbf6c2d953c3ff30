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
 * Bucketed digests, so that a node whose compact digest does not match sends only the refs of the buckets that
 * differ instead of everything it holds. A key's bucket is the first four bytes of SHA-256(key), unsigned, modulo
 * the bucket count; a bucket's digest is the first 8 bytes (16 hex digits) of the same hash as
 * {@link ResyncRequest#digestOf} over the bucket's refs. See docs/protocol.md §7.
 */
public final class Buckets {
  /** At most this many buckets: a DIGEST_MISMATCH then carries ~78 KB, within the default message limit. */
  public static final int MAX = 4096;

  private Buckets() {}

  /** The bucket count the bridge uses for a node expected to hold {@code objects}: about two objects per bucket. */
  public static int countFor(int objects) {
    return Math.max(1, Math.min(MAX, (objects + 1) / 2));
  }

  public static int bucketOf(String key, int count) {
    byte[] hash = sha256().digest(key.getBytes(StandardCharsets.UTF_8));
    long value = ((hash[0] & 0xffL) << 24) | ((hash[1] & 0xffL) << 16) | ((hash[2] & 0xffL) << 8) | (hash[3] & 0xffL);
    return (int) (value % count);
  }

  /** One 16-hex-digit digest per bucket, index = bucket. */
  public static List<String> digests(Collection<ObjectRef> refs, int count) {
    List<List<ObjectRef>> buckets = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      buckets.add(new ArrayList<>());
    }
    for (ObjectRef ref : refs) {
      buckets.get(bucketOf(ref.key(), count)).add(ref);
    }
    List<String> digests = new ArrayList<>(count);
    for (List<ObjectRef> bucket : buckets) {
      bucket.sort(Comparator.comparing(ObjectRef::key));
      MessageDigest sha = sha256();
      for (ObjectRef ref : bucket) {
        sha.update((ref.key() + "\n" + ref.uid() + "\n" + ref.contentVersion() + "\n")
            .getBytes(StandardCharsets.UTF_8));
      }
      digests.add(HexFormat.of().formatHex(sha.digest(), 0, 8));
    }
    return digests;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
  }
}
