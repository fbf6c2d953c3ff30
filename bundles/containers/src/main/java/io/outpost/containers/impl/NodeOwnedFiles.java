package io.outpost.containers.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.UUID;

/**
 * The files the node writes for a pod and bind-mounts into its containers over a file of the image ({@link EtcHosts},
 * {@link ResolvConf}): one per pod in a directory of the node's under {@code volumes.dir}, which no volume of any pod
 * reaches. A file is written only if its content differs, to a new file renamed over the old one: never through a
 * link, never in place, so what a container wrote through its mount is replaced, not followed.
 */
final class NodeOwnedFiles {
  private NodeOwnedFiles() {}

  /** Writes {@code dir/name} with {@code content} unless it holds exactly that; returns the file. */
  static Path write(Path dir, String name, String content) throws IOException {
    Files.createDirectories(dir);
    if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + " is not a directory");
    }
    Path file = dir.resolve(name);
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.size(file) == bytes.length
        && Arrays.equals(Files.readAllBytes(file), bytes)) {
      return file;
    }
    Path temporary = dir.resolve(name + ".tmp-" + UUID.randomUUID());
    try {
      Files.write(temporary, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS);
      Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temporary);
    }
    return file;
  }

  /** Whether one of {@code mounts} targets {@code target} (the container mounts something there itself). */
  static boolean mounted(java.util.List<Volumes.Mount> mounts, String target) {
    return mounts.stream().anyMatch(m -> target.equals(normalise(m.target())));
  }

  private static String normalise(String target) {
    String path = target;
    while (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return path;
  }
}
