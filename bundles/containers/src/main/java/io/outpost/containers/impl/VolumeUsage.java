package io.outpost.containers.impl;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures what a pod wrote to a disk-backed emptyDir, as the kubelet's {@code du}-like walk does
 * ({@code pkg/volume/util/fs}): every entry's size summed, hard-linked files counted once, symlinks never followed
 * (a link counts as itself), nothing on another filesystem (a mount inside) counted or entered. The tree is
 * written by untrusted containers while it is walked, so the walk is bounded: it opens every directory relative to
 * its already open parent with {@code O_NOFOLLOW} (a directory swapped for a symlink mid-walk is skipped, never
 * followed), holds one descriptor per level, goes at most {@link #MAX_DEPTH} levels deep and looks at most
 * {@code maxEntries} entries, and stops as soon as the total passes {@code stopAbove}. A walk cut short by a bound
 * says so ({@link Usage#complete()}): deep trees and huge file counts cannot make it hang, exhaust descriptors or
 * memory, or hide what lies beyond. Sizes are apparent sizes (file lengths): a sparse file counts at its full length,
 * stricter than the kubelet's block count. Not thread-safe: one walk at a time per instance.
 */
final class VolumeUsage {
  /** Directory levels below the volume that a walk enters; deeper trees are reported incomplete. */
  static final int MAX_DEPTH = 128;
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  /** {@code UnixFileKey.toString()}: {@code (dev=<hex>,ino=<decimal>)}. */
  private static final Pattern KEY = Pattern.compile("\\(dev=([0-9a-fA-F]+),ino=([0-9]+)\\)");

  /**
   * What a walk found: {@code bytes} counted, {@code entries} looked at; {@code complete} false if a bound cut it
   * short, {@code incomplete} then names which (else null).
   */
  record Usage(long bytes, long entries, boolean complete, String incomplete) {}

  private final int maxEntries;

  VolumeUsage(int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive, got " + maxEntries);
    }
    this.maxEntries = maxEntries;
  }

  /**
   * Measures the directory {@code name} of the open, trusted directory {@code parent} (written by the node only),
   * stopping once more than {@code stopAbove} bytes are counted (then complete: the answer is "more than that").
   */
  Usage measure(SecureDirectoryStream<Path> parent, Path name, long stopAbove) throws IOException {
    Walk walk = new Walk(stopAbove);
    SecureDirectoryStream<Path> root = parent.newDirectoryStream(name, NOFOLLOW);
    BasicFileAttributes rootAttributes = parent.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW)
        .readAttributes();
    walk.device = device(rootAttributes.fileKey());
    walk.bytes = rootAttributes.size();
    Deque<Level> levels = new ArrayDeque<>();
    try {
      levels.push(new Level(root));
      while (!levels.isEmpty() && walk.incomplete == null && walk.bytes <= stopAbove) {
        Level level = levels.peek();
        if (!level.entries.hasNext()) {
          levels.pop().stream.close();
          continue;
        }
        SecureDirectoryStream<Path> child = walk.visit(level.stream, level.entries.next().getFileName(),
            levels.size());
        if (child != null) {
          levels.push(new Level(child));
        }
      }
    } finally {
      for (Level level : levels) {
        level.stream.close();
      }
    }
    return new Usage(walk.bytes, walk.entries, walk.incomplete == null, walk.incomplete);
  }

  private record Level(SecureDirectoryStream<Path> stream, Iterator<Path> entries) {
    Level(SecureDirectoryStream<Path> stream) {
      this(stream, stream.iterator());
    }
  }

  /** The state of one walk. */
  private final class Walk {
    final long stopAbove;
    final LongSet linked = new LongSet();
    long device = -1;
    long bytes;
    long entries;
    String incomplete;

    Walk(long stopAbove) {
      this.stopAbove = stopAbove;
    }

    /** Counts one entry; returns its directory, opened, if the walk must enter it (at {@code depth}), else null. */
    SecureDirectoryStream<Path> visit(SecureDirectoryStream<Path> dir, Path name, int depth) throws IOException {
      if (++entries > maxEntries) {
        incomplete = "more than " + maxEntries + " files and directories";
        return null;
      }
      BasicFileAttributes attributes;
      try {
        attributes = dir.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
      } catch (FileSystemException e) {
        return null; // removed since it was listed
      }
      long[] key = key(attributes.fileKey());
      if (key != null && device >= 0 && key[0] != device) {
        return null; // another filesystem mounted inside: neither counted nor entered (du -x)
      }
      if (attributes.isRegularFile() && key != null && !linked.add(key[1])) {
        return null; // another name of a file already counted
      }
      bytes += attributes.size();
      if (!attributes.isDirectory()) {
        return null;
      }
      if (depth > MAX_DEPTH) {
        incomplete = "directories nested more than " + MAX_DEPTH + " levels deep";
        return null;
      }
      try {
        return dir.newDirectoryStream(name, NOFOLLOW); // O_NOFOLLOW: a directory swapped for a link is not followed
      } catch (FileSystemException e) {
        return null;
      }
    }
  }

  private static long device(Object fileKey) {
    long[] key = key(fileKey);
    return key == null ? -1 : key[0];
  }

  /** {dev, ino} from a Unix file key, or null where the platform's key is not one. */
  static long[] key(Object fileKey) {
    if (fileKey == null) {
      return null;
    }
    Matcher m = KEY.matcher(fileKey.toString());
    if (!m.matches()) {
      return null;
    }
    try {
      return new long[] {Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2))};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** An open-addressing set of inode numbers: eight bytes an entry instead of a boxed key's fifty. */
  static final class LongSet {
    private long[] slots = new long[64];
    private boolean hasZero;
    private int size;

    /** Adds {@code value}; false if it was there. */
    boolean add(long value) {
      if (value == 0) {
        boolean added = !hasZero;
        hasZero = true;
        return added;
      }
      if ((size + 1) * 4L > slots.length * 3L) {
        grow();
      }
      boolean added = insert(slots, value);
      size += added ? 1 : 0;
      return added;
    }

    private static boolean insert(long[] table, long value) {
      int mask = table.length - 1;
      int i = Long.hashCode(value * 0x9E3779B97F4A7C15L) & mask;
      while (table[i] != 0) {
        if (table[i] == value) {
          return false;
        }
        i = (i + 1) & mask;
      }
      table[i] = value;
      return true;
    }

    private void grow() {
      long[] old = slots;
      slots = new long[old.length * 2];
      for (long value : old) {
        if (value != 0) {
          insert(slots, value);
        }
      }
    }
  }
}
