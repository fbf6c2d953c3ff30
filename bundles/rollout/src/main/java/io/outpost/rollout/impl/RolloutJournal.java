package io.outpost.rollout.impl;

import io.outpost.sync.ArtifactChannel.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Properties;

/**
 * The node's record of its last gateway target and what became of it ({@code rollout.properties}), so that after a
 * restart — also while cut off — the node neither installs a target again that it already installed, refused or
 * rolled back, nor forgets to report it. Written to a temporary file, forced, then renamed over the old one: a crash
 * leaves the old record or the new one, never half of either.
 */
final class RolloutJournal {
  private final Path file;

  RolloutJournal(Path file) {
    this.file = file;
  }

  /** The last progress recorded, if any. */
  Optional<Progress> last() {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      properties.load(in);
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty(); // unreadable: as if never recorded (the target is checked and installed again)
    }
    String sha = properties.getProperty("sha256");
    String state = properties.getProperty("state");
    if (sha == null || state == null) {
      return Optional.empty();
    }
    return Optional.of(new Progress(properties.getProperty("rollout"), properties.getProperty("name"),
        properties.getProperty("version"), sha, state, properties.getProperty("reason"), 0, 0));
  }

  void record(Progress progress) {
    Properties properties = new Properties();
    put(properties, "rollout", progress.rollout());
    put(properties, "name", progress.name());
    put(properties, "version", progress.version());
    put(properties, "sha256", progress.sha256());
    put(properties, "state", progress.state());
    put(properties, "reason", progress.reason());
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      try (OutputStream out = Files.newOutputStream(temporary)) {
        properties.store(out, "Outpost gateway rollout: the last target and its outcome");
      }
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      try {
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the rollout outcome in " + file, e);
    }
  }

  private static void put(Properties properties, String key, String value) {
    if (value != null) {
      properties.setProperty(key, value);
    }
  }
}
