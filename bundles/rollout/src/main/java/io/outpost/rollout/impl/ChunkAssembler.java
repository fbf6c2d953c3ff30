package io.outpost.rollout.impl;

import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures.Refused;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Stores artifacts that arrive in chunks over the link, in a directory of its own: {@code <sha256>.<chunkSize>.part}
 * holds the bytes at their offsets and {@code <sha256>.<chunkSize>.chunks} one byte per chunk (1: stored). A chunk is
 * written and forced to disk before its mark is, and the mark is forced before the chunk is acknowledged, so a crash
 * (kill -9, power loss) at any point loses at most chunks that were not acknowledged, which are asked for again: a
 * transfer resumes where it stopped, also after days cut off. Once every chunk is in, the whole file's SHA-256 must
 * equal the signed manifest's, or the file is deleted and the transfer starts over; a matching file is moved
 * atomically to {@code <sha256>.jar} or {@code <sha256>.xml}, the only names installers read.
 *
 * <p>Not thread-safe: one transfer is driven by one thread.
 */
public final class ChunkAssembler {
  public static final int MIN_CHUNK = 4 * 1024;
  public static final int MAX_CHUNK = 1024 * 1024;

  private final Path dir;

  public ChunkAssembler(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the artifact directory " + dir, e);
    }
  }

  /** The complete, verified artifact of that manifest, if stored. */
  public Optional<Path> stored(ArtifactManifest manifest) {
    Path file = finalPath(manifest);
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }

  /** Starts, or resumes, the transfer of {@code manifest} (its signature verified by the caller) in such chunks. */
  public Transfer open(ArtifactManifest manifest, int chunkSize) throws IOException {
    if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) {
      throw new IllegalArgumentException("chunk size " + chunkSize + " not in " + MIN_CHUNK + ".." + MAX_CHUNK);
    }
    manifest.signedBytes(); // validates the fields the file names are made of
    return new Transfer(manifest, chunkSize);
  }

  private Path finalPath(ArtifactManifest manifest) {
    return dir.resolve(manifest.sha256() + (ArtifactManifest.FEATURE.equals(manifest.type()) ? ".xml" : ".jar"));
  }

  /** One artifact's transfer. */
  public final class Transfer {
    private final ArtifactManifest manifest;
    private final int chunkSize;
    private final int chunks;
    private final Path part;
    private final Path marks;
    private final byte[] received;

    private Transfer(ArtifactManifest manifest, int chunkSize) throws IOException {
      this.manifest = manifest;
      this.chunkSize = chunkSize;
      this.chunks = (int) ((manifest.size() + chunkSize - 1) / chunkSize);
      String base = manifest.sha256() + "." + chunkSize;
      this.part = dir.resolve(base + ".part");
      this.marks = dir.resolve(base + ".chunks");
      byte[] kept = Files.exists(marks) ? Files.readAllBytes(marks) : new byte[0];
      if (kept.length == chunks && Files.exists(part) && Files.size(part) <= manifest.size()) {
        received = kept;
      } else {
        received = new byte[chunks]; // nothing, or something that does not fit this manifest: start over
        Files.deleteIfExists(part);
        write(marks, received);
      }
    }

    public int chunkCount() {
      return chunks;
    }

    /** How many bytes chunk {@code index} has: {@code chunkSize}, the last one the rest. */
    public int lengthOf(int index) {
      return (int) Math.min(chunkSize, manifest.size() - (long) index * chunkSize);
    }

    /**
     * Stores chunk {@code index}; returns true once it is on disk (then it may be acknowledged), false if it was
     * stored before (a duplicate, acknowledged again). A chunk out of range or of the wrong length is refused.
     */
    public boolean accept(int index, byte[] data) throws Refused, IOException {
      if (index < 0 || index >= chunks) {
        throw new Refused("chunk_out_of_range", "artifact " + manifest.name() + ": chunk " + index + " of "
            + chunks);
      }
      if (data.length != lengthOf(index)) {
        throw new Refused("chunk_length", "artifact " + manifest.name() + ": chunk " + index + " has "
            + data.length + " bytes, not " + lengthOf(index));
      }
      if (received[index] == 1) {
        return false;
      }
      try (FileChannel file = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        long at = (long) index * chunkSize;
        while (buffer.hasRemaining()) {
          at += file.write(buffer, at);
        }
        file.force(false);
      }
      try (FileChannel file = FileChannel.open(marks, StandardOpenOption.WRITE)) {
        file.write(ByteBuffer.wrap(new byte[] {1}), index);
        file.force(false);
      }
      received[index] = 1;
      return true;
    }

    /** The first {@code max} chunks not stored yet, in order. */
    public List<Integer> missing(int max) {
      List<Integer> missing = new ArrayList<>();
      for (int i = 0; i < chunks && missing.size() < max; i++) {
        if (received[i] == 0) {
          missing.add(i);
        }
      }
      return missing;
    }

    /** How many chunks are stored. */
    public int storedCount() {
      int stored = 0;
      for (byte mark : received) {
        stored += mark;
      }
      return stored;
    }

    public boolean complete() {
      return missing(1).isEmpty();
    }

    /**
     * Once complete: checks the SHA-256 of the whole file against the manifest and keeps it under its final name.
     * A mismatch deletes what was received (the next transfer starts over) and is refused.
     */
    public Path finish() throws Refused, IOException {
      if (!complete()) {
        throw new IllegalStateException("artifact " + manifest.name() + ": " + missing(Integer.MAX_VALUE).size()
            + " chunks still missing");
      }
      String actual = sha256(part);
      if (Files.size(part) != manifest.size() || !actual.equals(manifest.sha256())) {
        discard();
        throw new Refused("digest_mismatch", "artifact " + manifest.name() + " " + manifest.version()
            + ": received bytes have SHA-256 " + actual + ", the signed manifest says " + manifest.sha256()
            + " (tampered or corrupted in transit); discarded");
      }
      Path target = finalPath(manifest);
      try {
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
      }
      forceDirectory();
      Files.deleteIfExists(marks);
      return target;
    }

    /** Deletes what was received of this transfer. */
    public void discard() throws IOException {
      Files.deleteIfExists(part);
      Files.deleteIfExists(marks);
      java.util.Arrays.fill(received, (byte) 0);
    }
  }

  private void forceDirectory() {
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory: the rename is then as durable as they make it.
    }
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      channel.write(ByteBuffer.wrap(bytes));
      channel.force(false);
    }
  }

  /** The SHA-256 of a file, lower-case hex. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[64 * 1024];
      for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
