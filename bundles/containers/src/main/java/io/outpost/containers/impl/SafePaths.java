package io.outpost.containers.impl;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * Paths that pods can plant symlinks in (emptyDirs, hostPath directories), resolved on the host the way the kernel
 * will resolve them when the engine binds them: by real path ({@link Path#toRealPath}, every symlink followed), which
 * is what is checked against where the path may lead. Missing directories are created one component at a time under
 * the real path of their parent, which is checked first; {@code mkdir} does not follow a symlink put in the new
 * component's place (it fails instead).
 */
final class SafePaths {
  /** A path that leads outside where it may: the detail is for the node's log, not for the pod. */
  static final class OutsideException extends IOException {
    OutsideException(String message) {
      super(message);
    }
  }

  private SafePaths() {}

  /**
   * Creates what is missing of {@code relative} under {@code base} (a real path), never under a real directory that
   * {@code allowed} refuses; returns the real path of the result, which {@code allowed} accepted.
   */
  static Path createDirectories(Path base, Path relative, Predicate<Path> allowed) throws IOException {
    Path current = base;
    for (Path segment : relative) {
      Path next = current.resolve(segment);
      if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
        require(current, allowed);
        try {
          Files.createDirectory(next);
        } catch (FileAlreadyExistsException e) {
          // created meanwhile (by the pod, or a link put there): resolved and checked below like any other
        }
      }
      current = next.toRealPath();
    }
    return require(current, allowed);
  }

  /**
   * The real path {@code path} leads to; for a path that does not exist (yet), the real path of its nearest existing
   * ancestor with the missing rest appended.
   */
  static Path realOrNearest(Path path) throws IOException {
    Path absolute = path.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing.getParent() != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(absolute));
    } catch (NoSuchFileException e) {
      throw new IOException(existing + " is a link to nothing", e);
    }
  }

  static Path require(Path real, Predicate<Path> allowed) throws OutsideException {
    if (!allowed.test(real)) {
      throw new OutsideException("leads to " + real);
    }
    return real;
  }
}
