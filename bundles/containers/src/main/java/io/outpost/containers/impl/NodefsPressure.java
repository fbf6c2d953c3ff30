package io.outpost.containers.impl;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kubelet's {@code nodefs.available} hard eviction signal on the filesystem of {@code volumes.dir}, where pod
 * volumes live: under pressure while what is available (statfs {@code f_bavail}, as the sync measures it for the
 * {@code DiskPressure} condition) is below the threshold of {@code eviction.hard} — the same setting the sync reads,
 * so the condition and the evictions agree. Unlike the condition, evictions follow the signal itself, without the
 * pressure transition period, as on a kubelet.
 *
 * @param quantity the threshold in bytes, when given as a quantity ({@code 1Gi})
 * @param fraction the threshold as a share of the capacity ({@code 10%} = 0.1), else 0
 */
record NodefsPressure(long quantity, double fraction) {
  static final String SIGNAL = "nodefs.available";

  /** What {@link #observe} found: the threshold in bytes and what is available, if under pressure. */
  record Observation(long threshold, long available) {
    /** The kubelet's {@code nodeLowMessageFmt} and {@code thresholdMetMessageFmt}. */
    String message() {
      return "The node was low on resource: ephemeral-storage. Threshold quantity: "
          + ByteQuantities.binary(threshold) + ", available: " + ByteQuantities.binary(available) + ". ";
    }
  }

  NodefsPressure {
    if (quantity < 0 || !(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("eviction.hard: " + SIGNAL + " must be a non-negative quantity or 0-100%");
    }
  }

  /**
   * The {@code nodefs.available} threshold of an {@code eviction.hard} value ({@code signal<quantity} or
   * {@code signal<percent}, comma-separated), or null if it sets none (then the node evicts nothing for disk
   * pressure, as a kubelet without that threshold).
   */
  static NodefsPressure parse(String evictionHard) {
    if (evictionHard == null || evictionHard.isBlank()) {
      return null;
    }
    for (String entry : evictionHard.split(",")) {
      String[] parts = entry.trim().split("<", 2);
      if (parts.length != 2 || !SIGNAL.equals(parts[0].trim())) {
        continue; // other signals are the sync's business (it refuses malformed ones)
      }
      String value = parts[1].trim();
      if (value.endsWith("%")) {
        try {
          return new NodefsPressure(0, Double.parseDouble(value.substring(0, value.length() - 1)) / 100);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("eviction.hard: '" + value + "' is not a percentage", e);
        }
      }
      Long bytes = PodAdmission.amount(value, 0);
      if (bytes == null) {
        throw new IllegalArgumentException("eviction.hard: '" + value + "' is not a quantity such as 1Gi or 10%");
      }
      return new NodefsPressure(bytes, 0);
    }
    return null;
  }

  /**
   * Measures the filesystem of {@code dir} (of its nearest existing parent before the first pod creates it); the
   * observation if it is under pressure, else null.
   */
  Observation observe(Path dir) throws IOException {
    Path existing = dir.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return null;
    }
    FileStore store = Files.getFileStore(existing);
    long capacity = store.getTotalSpace();
    long available = store.getUsableSpace();
    long threshold = fraction > 0 ? (long) (capacity * fraction) : quantity;
    return available < threshold ? new Observation(threshold, available) : null;
  }
}
