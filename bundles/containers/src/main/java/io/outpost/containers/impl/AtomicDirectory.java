package io.outpost.containers.impl;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A directory of files replaced as a whole, atomically, the way the kubelet writes ConfigMap and Secret volumes:
 * the files live in a hidden {@code ..<id>} directory, {@code ..data} is a symlink to it swapped by one rename, and
 * each top-level name is a relative symlink through {@code ..data}. A container that has the directory mounted sees
 * either the old or the new set of files, never a mix.
 */
final class AtomicDirectory {
  static final String DATA = "..data";

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

  /** Makes {@code dir} hold exactly {@code files} (relative paths); false if it already did. */
  static boolean write(Path dir, Map<String, FileContent> files) throws IOException {
    Files.createDirectories(dir);
    if (files.equals(read(dir))) {
      return false;
    }
    Path fresh = dir.resolve(".." + UUID.randomUUID());
    Files.createDirectory(fresh);
    for (Map.Entry<String, FileContent> file : files.entrySet()) {
      Path target = fresh.resolve(file.getKey()).normalize();
      if (!target.startsWith(fresh)) {
        throw new IOException("path " + file.getKey() + " leaves the volume");
      }
      Files.createDirectories(target.getParent());
      Files.write(target, file.getValue().bytes());
      Files.setPosixFilePermissions(target, permissions(file.getValue().mode()));
    }
    Path old = Files.isSymbolicLink(dir.resolve(DATA)) ? dir.resolve(Files.readSymbolicLink(dir.resolve(DATA)))
        : null;
    Path link = dir.resolve(DATA + "_tmp");
    Files.deleteIfExists(link);
    Files.createSymbolicLink(link, fresh.getFileName());
    Files.move(link, dir.resolve(DATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Set<String> top = new java.util.HashSet<>();
    files.keySet().forEach(path -> top.add(path.split("/", 2)[0]));
    for (String name : top) {
      try {
        Files.createSymbolicLink(dir.resolve(name), Path.of(DATA, name));
      } catch (FileAlreadyExistsException e) {
        // kept from the previous version: it points through ..data already
      }
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (!name.startsWith("..") && !top.contains(name)) {
          Files.deleteIfExists(entry);
        }
      }
    }
    if (old != null && !old.equals(fresh)) {
      Trees.delete(old);
    }
    return true;
  }

  /** What {@code dir} holds now (empty if nothing was written yet). */
  static Map<String, FileContent> read(Path dir) throws IOException {
    Map<String, FileContent> files = new HashMap<>();
    Path data = dir.resolve(DATA);
    if (!Files.isDirectory(data)) {
      return files;
    }
    Path real = data.toRealPath();
    try (Stream<Path> walk = Files.walk(real)) {
      for (Path file : walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
        files.put(real.relativize(file).toString(), new FileContent(Files.readAllBytes(file),
            mode(Files.getPosixFilePermissions(file))));
      }
    }
    return files;
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

  /** Recursive delete that does not follow symlinks. */
  static final class Trees {
    private Trees() {}

    static void delete(Path root) throws IOException {
      if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }
}
