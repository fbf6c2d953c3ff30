package io.outpost.containers.impl;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of files replaced as a whole, atomically, the way the kubelet writes ConfigMap and Secret volumes:
 * the files live in a hidden {@code ..<id>} directory, {@code ..data} is a symlink to it swapped by one rename, and
 * each top-level name is a relative symlink through {@code ..data}. A container that has the directory mounted sees
 * either the old or the new set of files, never a mix. Containers get the directory read-only, and the writer trusts
 * nothing in it all the same (see {@link #write}).
 */
final class AtomicDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(AtomicDirectory.class);
  static final String DATA = "..data";
  /** Version directories, named as the kubelet names them: {@code ..2026_12_07_01_49_22.<random>}. */
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy_MM_dd_HH_mm_ss");
  private static final Pattern VERSION = Pattern.compile("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d+");

  /** One file: content and Kubernetes mode bits (e.g. 0644). */
  record FileContent(byte[] bytes, int mode) {
    @Override
    public boolean equals(Object other) {
      return other instanceof FileContent f && f.mode == mode && Arrays.equals(f.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes) * 31 + mode;
    }
  }

  private AtomicDirectory() {}

  /**
   * Makes {@code dir} hold exactly {@code files} (relative paths); false if it already did. Nothing found in
   * {@code dir} is followed, read through or deleted through: {@code ..data} counts only as the node's own single
   * relative link to a timestamped directory of regular files, top-level names only as links to {@code ..data/<name>};
   * anything else there (a link elsewhere, a file or directory put in their place) is removed as an entry and the
   * directory rebuilt. {@code dir}'s parent is trusted (written by the node only).
   */
  static boolean write(Path dir, Map<String, FileContent> files) throws IOException {
    Set<String> top = topLevel(files);
    Files.createDirectories(dir.getParent());
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(dir + " is not a directory of the node's", e);
      }
    }
    try (SecureDirectoryStream<Path> entries = Trees.open(dir)) {
      String current = version(dir);
      Map<String, FileContent> held = current == null ? null : Trees.regularFiles(entries, Path.of(current));
      boolean consistent = held != null && intact(dir, current, topLevelOrNull(held));
      if (consistent && files.equals(held)) {
        return false;
      }
      if (!consistent && Files.exists(dir.resolve(DATA), LinkOption.NOFOLLOW_LINKS)) {
        LOG.warn("Volume directory {} was tampered with (not the links and regular files the node wrote); "
            + "rebuilding it", dir);
      }
      Path fresh = createVersion(dir, files);
      Path link = Path.of(DATA + "_tmp");
      Trees.deleteEntry(entries, link);
      Files.createSymbolicLink(dir.resolve(link), fresh.getFileName());
      Path data = Path.of(DATA);
      if (!Files.isSymbolicLink(dir.resolve(data))) {
        Trees.deleteEntry(entries, data); // a file or directory put in its place: rename cannot replace it
      }
      Files.move(dir.resolve(link), dir.resolve(data), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      for (String name : top) {
        Path entry = dir.resolve(name);
        if (!ownLink(entry, name)) {
          Trees.deleteEntry(entries, Path.of(name));
          Files.createSymbolicLink(entry, Path.of(DATA, name));
        }
      }
      for (Path name : Trees.names(dir)) {
        String entry = name.toString();
        if (!top.contains(entry) && !entry.equals(DATA) && !entry.equals(fresh.getFileName().toString())) {
          Trees.deleteEntry(entries, name); // older versions and strays, as entries of dir
        }
      }
    }
    return true;
  }

  /** What {@code dir} holds now; empty if nothing was written yet or it is not intact. */
  static Map<String, FileContent> read(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Map.of();
    }
    try (SecureDirectoryStream<Path> entries = Trees.open(dir)) {
      String current = version(dir);
      Map<String, FileContent> files = current == null ? null : Trees.regularFiles(entries, Path.of(current));
      return files == null ? Map.of() : files;
    }
  }

  /** The name of the version {@code ..data} links to, if it is one the node writes; else null. */
  private static String version(Path dir) throws IOException {
    Path data = dir.resolve(DATA);
    if (!Files.isSymbolicLink(data)) {
      return null;
    }
    Path target = Files.readSymbolicLink(data);
    if (target.isAbsolute() || target.getNameCount() != 1 || !VERSION.matcher(target.toString()).matches()
        || !Files.isDirectory(dir.resolve(target), LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    return target.toString();
  }

  /** True if {@code dir} holds exactly {@code ..data}, {@code version} and a link per top-level name. */
  private static boolean intact(Path dir, String version, Set<String> top)
      throws IOException {
    if (top == null) {
      return false;
    }
    Set<String> expected = new HashSet<>(top);
    expected.add(DATA);
    expected.add(version);
    Set<String> found = new HashSet<>();
    for (Path name : Trees.names(dir)) {
      found.add(name.toString());
    }
    if (!found.equals(expected)) {
      return false;
    }
    for (String name : top) {
      if (!ownLink(dir.resolve(name), name)) {
        return false;
      }
    }
    return true;
  }

  private static Path createVersion(Path dir, Map<String, FileContent> files) throws IOException {
    Path fresh = Files.createDirectory(dir.resolve(".." + STAMP.format(LocalDateTime.now(ZoneOffset.UTC)) + "."
        + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong())));
    for (Map.Entry<String, FileContent> file : files.entrySet()) {
      Path target = fresh.resolve(file.getKey()).normalize();
      if (!target.startsWith(fresh) || target.equals(fresh)) {
        throw new IOException("path " + file.getKey() + " leaves the volume");
      }
      Files.createDirectories(target.getParent());
      try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS)) {
        out.write(file.getValue().bytes());
      }
      Files.getFileAttributeView(target, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setPermissions(permissions(file.getValue().mode()));
    }
    return fresh;
  }

  /** True if {@code entry} is the node's link {@code ..data/<name>}. */
  private static boolean ownLink(Path entry, String name) throws IOException {
    return Files.isSymbolicLink(entry) && Files.readSymbolicLink(entry).equals(Path.of(DATA, name));
  }

  private static Set<String> topLevelOrNull(Map<String, FileContent> files) {
    try {
      return topLevel(files);
    } catch (IOException e) {
      return null; // a reserved name among the files: not what the node wrote
    }
  }

  private static Set<String> topLevel(Map<String, FileContent> files) throws IOException {
    Set<String> top = new HashSet<>();
    for (String path : files.keySet()) {
      String name = path.split("/", 2)[0];
      if (name.startsWith("..") || name.isEmpty() || name.equals(".")) {
        throw new IOException("path " + path + " is reserved (it must not start with '..')");
      }
      top.add(name);
    }
    return top;
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(order[bit]);
      }
    }
    return set;
  }

  static int mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (int bit = 0; bit < 9; bit++) {
      if (permissions.contains(permissions(1 << bit).iterator().next())) {
        mode |= 1 << bit;
      }
    }
    return mode;
  }
}
