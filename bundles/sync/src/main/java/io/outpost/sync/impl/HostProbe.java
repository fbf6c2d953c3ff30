package io.outpost.sync.impl;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the host's figures for the heartbeat: memory from {@code /proc/meminfo}, tasks from {@code /proc/loadavg}
 * and the pid limits from {@code /proc/sys/kernel}, and the filesystems of nodefs and imagefs through
 * {@link FileStore} (statfs). Cheap enough for every heartbeat. Used on the sync thread only.
 */
final class HostProbe {
  private static final Logger LOG = LoggerFactory.getLogger(HostProbe.class);

  private final Path proc;
  private final Path nodefs;
  private final Path imagefs;
  /** Whether imagefs could be read last time (a change is logged once). */
  private Boolean imagefsReadable;

  /** Probes this host's {@code /proc}. */
  HostProbe(Path nodefs, Path imagefs) {
    this(Path.of("/proc"), nodefs, imagefs);
  }

  HostProbe(Path proc, Path nodefs, Path imagefs) {
    this.proc = proc;
    this.nodefs = nodefs;
    this.imagefs = imagefs;
  }

  HostMeasurements measure() {
    String meminfo = read("meminfo").orElse("");
    long[] fsNode = space(nodefs, true);
    long[] fsImage = imagefs == null ? new long[] {HostMeasurements.UNKNOWN, HostMeasurements.UNKNOWN}
        : space(imagefs, false);
    if (imagefs != null) {
      boolean readable = fsImage[0] >= 0;
      if (imagefsReadable == null || imagefsReadable != readable) {
        if (readable) {
          LOG.info("imagefs is the filesystem of {}", imagefs);
        } else {
          LOG.warn("imagefs.dir {} cannot be read (missing, or not accessible to this user): DiskPressure follows"
              + " nodefs ({}) only", imagefs, nodefs);
        }
        imagefsReadable = readable;
      }
    }
    return new HostMeasurements(Runtime.getRuntime().availableProcessors(), kibibytes(meminfo, "MemTotal:"),
        kibibytes(meminfo, "MemAvailable:"), fsNode[0], fsNode[1], fsImage[0], fsImage[1], tasks(), pidMax());
  }

  /**
   * Capacity and available bytes of the filesystem that holds {@code dir}; with {@code orParent}, of its nearest
   * existing parent while it does not exist (volumes.dir is made with the first pod, on its parent's filesystem).
   */
  static long[] space(Path dir, boolean orParent) {
    Path existing = dir.toAbsolutePath();
    while (orParent && existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.exists(existing)) {
      return new long[] {HostMeasurements.UNKNOWN, HostMeasurements.UNKNOWN};
    }
    try {
      FileStore store = Files.getFileStore(existing);
      return new long[] {store.getTotalSpace(), store.getUsableSpace()};
    } catch (IOException | SecurityException e) {
      return new long[] {HostMeasurements.UNKNOWN, HostMeasurements.UNKNOWN};
    }
  }

  private static long kibibytes(String meminfo, String field) {
    return meminfo.lines().filter(l -> l.startsWith(field)).findFirst()
        .map(l -> l.replaceAll("[^0-9]", "")).filter(s -> !s.isEmpty())
        .map(s -> Long.parseLong(s) * 1024).orElse(HostMeasurements.UNKNOWN);
  }

  /** The fourth field of loadavg, {@code running/total}: total is the number of tasks, threads included. */
  private long tasks() {
    return read("loadavg").map(text -> text.split("\\s+")).filter(f -> f.length >= 4 && f[3].contains("/"))
        .map(f -> number(f[3].substring(f[3].indexOf('/') + 1))).orElse(HostMeasurements.UNKNOWN);
  }

  private long pidMax() {
    long pidMax = read("sys/kernel/pid_max").map(HostProbe::number).orElse(HostMeasurements.UNKNOWN);
    long threadsMax = read("sys/kernel/threads-max").map(HostProbe::number).orElse(HostMeasurements.UNKNOWN);
    if (pidMax < 0 || threadsMax < 0) {
      return Math.max(pidMax, threadsMax);
    }
    return Math.min(pidMax, threadsMax);
  }

  private static long number(String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      return HostMeasurements.UNKNOWN;
    }
  }

  private Optional<String> read(String file) {
    try {
      return Optional.of(Files.readString(proc.resolve(file)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
