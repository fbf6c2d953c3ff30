package io.outpost.containers.impl;

import io.outpost.protocol.VolumeV1.HostPathV1;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hostPath volumes within the node's allow-list ({@code hostpath.allow}). The path must lie under an allowed prefix
 * as written and, every symlink resolved, under the real path of one: a link planted under an allowed prefix (by an
 * earlier pod that mounted it) cannot lead a pod to {@code /}. Checked at every container start and restart, since
 * the engine resolves the path again each time it binds it; {@code DirectoryOrCreate} and {@code FileOrCreate}
 * create nothing outside the allowed real paths.
 */
final class HostPaths {
  private static final Logger LOG = LoggerFactory.getLogger(HostPaths.class);

  private final List<Path> allow;

  HostPaths(List<Path> allow) {
    this.allow = List.copyOf(allow);
  }

  /** The checked (and if asked, created) host path to bind for volume {@code name}. */
  Path resolve(String name, HostPathV1 hostPath) throws EnvResolver.ConfigError, IOException {
    Path path = Path.of(hostPath.path()).normalize();
    if (allow.stream().noneMatch(path::startsWith)) {
      throw new EnvResolver.ConfigError("volume \"" + name + "\": hostPath " + path + " is not allowed on this node"
          + " (hostpath.allow: " + (allow.isEmpty() ? "none" : allow) + ")");
    }
    Predicate<Path> allowed = allowedRealPaths();
    String type = hostPath.type() == null ? "" : hostPath.type();
    try {
      switch (type) {
        case "DirectoryOrCreate" -> SafePaths.createDirectories(path.getRoot(), path.getRoot().relativize(path),
            allowed);
        case "FileOrCreate" -> createFile(path, allowed);
        default -> { }
      }
      Path real = SafePaths.require(SafePaths.realOrNearest(path), allowed);
      switch (type) {
        case "Directory", "DirectoryOrCreate" -> require(Files.isDirectory(real), name, path + " is not a directory");
        case "File", "FileOrCreate" -> require(Files.isRegularFile(real), name, path + " is not a file");
        case "" -> { }
        default -> require(Files.exists(real), name, path + " does not exist (type " + type + ")");
      }
    } catch (SafePaths.OutsideException e) {
      LOG.warn("hostPath {} of volume {} refused: it {}, outside hostpath.allow {}", path, name, e.getMessage(),
          allow);
      throw new EnvResolver.ConfigError("volume \"" + name + "\": hostPath " + path + " is not allowed on this node:"
          + " it resolves outside hostpath.allow (symlinks are followed)");
    }
    return path;
  }

  /** Real paths of the allowed prefixes that exist (an operator's link such as /data -> /mnt/data is fine). */
  private Predicate<Path> allowedRealPaths() {
    List<Path> real = new ArrayList<>();
    for (Path prefix : allow) {
      try {
        real.add(prefix.toRealPath());
      } catch (IOException e) {
        LOG.debug("hostpath.allow entry {} does not resolve: {}", prefix, e.getMessage());
      }
    }
    return candidate -> real.stream().anyMatch(candidate::startsWith);
  }

  private static void createFile(Path path, Predicate<Path> allowed) throws IOException {
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path parent = SafePaths.require(SafePaths.realOrNearest(path.getParent()), allowed);
    if (!Files.isDirectory(parent)) {
      return; // reported as "not a file" by the caller
    }
    try {
      Files.createFile(parent.resolve(path.getFileName())); // O_EXCL: never through a link put in its place
    } catch (FileAlreadyExistsException e) {
      // created meanwhile: checked like any existing path
    }
  }

  private static void require(boolean condition, String volume, String message) throws EnvResolver.ConfigError {
    if (!condition) {
      throw new EnvResolver.ConfigError("volume \"" + volume + "\": hostPath " + message);
    }
  }
}
