package io.outpost.containers.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walks and deletes directory trees that containers may have written to, without ever following a symlink: every
 * step opens the next entry relative to its already open parent with {@code O_NOFOLLOW} (a
 * {@link SecureDirectoryStream}), so a component swapped for a symlink mid-walk makes the walk fail instead of leading
 * it out of the tree. A symlink found in a tree is removed as a link (its target is never touched).
 */
final class Trees {
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private Trees() {}

  /** Deletes {@code path} (a directory tree, a file or a symlink); nothing if it does not exist. Its parent is
   *  trusted (written by the node only). */
  static void delete(Path path) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) { // trusted: may be an operator's link (volumes.dir)
      return;
    }
    try (SecureDirectoryStream<Path> dir = open(parent)) {
      deleteEntry(dir, path.getFileName());
    }
  }

  /** Opens a trusted directory for relative, non-following access. */
  static SecureDirectoryStream<Path> open(Path trusted) throws IOException {
    DirectoryStream<Path> stream = Files.newDirectoryStream(trusted);
    if (stream instanceof SecureDirectoryStream<Path> secure) {
      return secure;
    }
    stream.close();
    throw new IOException("this platform offers no symlink-safe directory access (SecureDirectoryStream) for "
        + trusted);
  }

  /**
   * Deletes the entry {@code name} of an open directory without following symlinks. A directory tree is emptied
   * without recursion and with two descriptors open at most, whatever its depth (a container can nest directories
   * far deeper than a stack or the descriptor limit allows): a non-empty directory found below the top one is moved
   * up into the top one under a fresh name and emptied in turn.
   */
  static void deleteEntry(SecureDirectoryStream<Path> dir, Path name) throws IOException {
    PosixFileAttributes attributes;
    try {
      attributes = dir.getFileAttributeView(name, PosixFileAttributeView.class, NOFOLLOW).readAttributes();
    } catch (NoSuchFileException e) {
      return;
    }
    if (!attributes.isDirectory()) {
      dir.deleteFile(name); // unlinkat: a symlink goes, its target stays
      return;
    }
    // O_NOFOLLOW: if the directory was swapped for a symlink since, this fails instead of following it.
    try (SecureDirectoryStream<Path> top = dir.newDirectoryStream(name, NOFOLLOW)) {
      Deque<Path> pending = new ArrayDeque<>();
      int[] hoisted = {0};
      do {
        try (SecureDirectoryStream<Path> listing = top.newDirectoryStream(Path.of("."), NOFOLLOW)) {
          empty(listing, null, pending, hoisted); // a stream lists once: a new one for each look at the top
        }
        while (!pending.isEmpty()) {
          Path next = pending.pop();
          try (SecureDirectoryStream<Path> child = top.newDirectoryStream(next, NOFOLLOW)) {
            empty(child, top, pending, hoisted);
          } catch (NoSuchFileException e) {
            continue;
          }
          pending.push(next); // deleted once what was hoisted from it is gone
          if (removed(top, next)) {
            pending.pop();
          }
        }
      } while (!isEmpty(top));
    }
    dir.deleteDirectory(name);
  }

  private static boolean isEmpty(SecureDirectoryStream<Path> dir) throws IOException {
    try (SecureDirectoryStream<Path> listing = dir.newDirectoryStream(Path.of("."), NOFOLLOW)) {
      return !listing.iterator().hasNext();
    }
  }

  /**
   * Deletes the files and empty directories of {@code dir}; each non-empty directory is moved into {@code top} (null
   * when {@code dir} is the top directory itself: left where it is) and queued in {@code pending}.
   */
  private static void empty(SecureDirectoryStream<Path> dir, SecureDirectoryStream<Path> top, Deque<Path> pending,
      int[] hoisted) throws IOException {
    for (Path entry : names(dir)) {
      PosixFileAttributes attributes;
      try {
        attributes = dir.getFileAttributeView(entry, PosixFileAttributeView.class, NOFOLLOW).readAttributes();
      } catch (NoSuchFileException e) {
        continue;
      }
      if (!attributes.isDirectory()) {
        dir.deleteFile(entry);
      } else if (!removed(dir, entry)) {
        Path target = entry;
        if (top != null) {
          target = hoist(dir, entry, top, hoisted);
        }
        pending.push(target);
      }
    }
  }

  /** Moves the directory {@code entry} into {@code top} under a name not taken there (a container may have
   *  planted any name). */
  private static Path hoist(SecureDirectoryStream<Path> dir, Path entry, SecureDirectoryStream<Path> top,
      int[] hoisted) throws IOException {
    for (int attempt = 1; ; attempt++) {
      Path target = Path.of("..deleting." + hoisted[0]++);
      try {
        dir.move(entry, top, target); // renameat: the entry itself moves, nothing is followed
        return target;
      } catch (FileSystemException e) {
        if (attempt >= 64 || e instanceof NoSuchFileException) {
          throw e;
        }
        // the name is taken (by a directory, a file): the next one
      }
    }
  }

  /** Deletes an empty directory; false if it is not empty. */
  private static boolean removed(SecureDirectoryStream<Path> dir, Path name) throws IOException {
    try {
      dir.deleteDirectory(name);
      return true;
    } catch (DirectoryNotEmptyException e) {
      return false;
    } catch (NoSuchFileException e) {
      return true;
    }
  }

  /**
   * The regular files under {@code name} of an open directory, by relative path ({@code a/b.txt}), with their
   * permission bits; null if the tree holds anything else than directories and regular files (a symlink, a device,
   * a fifo), since the node writes nothing else.
   */
  static Map<String, AtomicDirectory.FileContent> regularFiles(SecureDirectoryStream<Path> dir, Path name)
      throws IOException {
    Map<String, AtomicDirectory.FileContent> files = new java.util.HashMap<>();
    try (SecureDirectoryStream<Path> tree = dir.newDirectoryStream(name, NOFOLLOW)) {
      return collect(tree, "", files) ? files : null;
    }
  }

  private static boolean collect(SecureDirectoryStream<Path> dir, String prefix,
      Map<String, AtomicDirectory.FileContent> files) throws IOException {
    for (Path entry : names(dir)) {
      PosixFileAttributes attributes = dir.getFileAttributeView(entry, PosixFileAttributeView.class, NOFOLLOW)
          .readAttributes();
      String relative = prefix + entry;
      if (attributes.isDirectory()) {
        try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(entry, NOFOLLOW)) {
          if (!collect(child, relative + "/", files)) {
            return false;
          }
        }
      } else if (attributes.isRegularFile()) {
        files.put(relative, new AtomicDirectory.FileContent(read(dir, entry, attributes.size()),
            AtomicDirectory.mode(attributes.permissions())));
      } else {
        return false;
      }
    }
    return true;
  }

  private static byte[] read(SecureDirectoryStream<Path> dir, Path name, long size) throws IOException {
    if (size > Integer.MAX_VALUE - 16) {
      throw new IOException(name + " is too large");
    }
    try (SeekableByteChannel channel = dir.newByteChannel(name,
        Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      ByteBuffer buffer = ByteBuffer.allocate((int) size);
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // reads until the buffer is full or the file ends
      }
      byte[] bytes = new byte[buffer.position()];
      buffer.flip().get(bytes);
      return bytes;
    }
  }

  /** The entry names of a trusted directory. */
  static List<Path> names(Path trusted) throws IOException {
    try (SecureDirectoryStream<Path> dir = open(trusted)) {
      return names(dir);
    }
  }

  /** The entry names of an open directory (a stream can be listed once). */
  static List<Path> names(SecureDirectoryStream<Path> dir) {
    List<Path> names = new ArrayList<>();
    for (Path entry : dir) {
      names.add(entry.getFileName());
    }
    return names;
  }
}
