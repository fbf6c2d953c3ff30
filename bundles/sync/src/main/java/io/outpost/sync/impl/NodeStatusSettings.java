package io.outpost.sync.impl;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * What the node's capacity, allocatable and pressure conditions are computed with, in the kubelet's terms:
 * {@code eviction.hard} (the kubelet's {@code --eviction-hard}), {@code system.reserved} and {@code kube.reserved}
 * ({@code --system-reserved}, {@code --kube-reserved}) and {@code eviction.pressure.transition.period.seconds}
 * ({@code --eviction-pressure-transition-period}), plus where nodefs and imagefs are.
 *
 * @param thresholds the hard eviction thresholds by signal (a signal without one never causes pressure)
 * @param reservedMilliCpu CPU kept from pods (system + kube reserved)
 * @param reservedMemory memory bytes kept from pods
 * @param reservedStorage ephemeral-storage bytes kept from pods
 * @param transitionPeriod how long a pressure condition stays True after its signal was last over the threshold
 * @param nodefs the directory whose filesystem holds pod data ({@code volumes.dir})
 * @param imagefs the container engine's storage directory, or null if not measured
 */
record NodeStatusSettings(Map<Signal, Threshold> thresholds, long reservedMilliCpu, long reservedMemory,
    long reservedStorage, Duration transitionPeriod, Path nodefs, Path imagefs) {

  /** The kubelet's eviction signals that Outpost measures. */
  enum Signal {
    MEMORY_AVAILABLE("memory.available"),
    NODEFS_AVAILABLE("nodefs.available"),
    IMAGEFS_AVAILABLE("imagefs.available"),
    PID_AVAILABLE("pid.available");

    final String key;

    Signal(String key) {
      this.key = key;
    }
  }

  /**
   * The kubelet's default hard eviction thresholds on Linux ({@code pkg/kubelet/eviction/defaults_linux.go}) without
   * the two inode signals, which Outpost cannot measure from Java.
   */
  static final String DEFAULT_EVICTION_HARD = "memory.available<100Mi,nodefs.available<10%,imagefs.available<15%";
  /** The kubelet's default {@code --eviction-pressure-transition-period}. */
  static final int DEFAULT_TRANSITION_SECONDS = 300;
  /** Podman's (and Buildah's, CRI-O's) default storage root. */
  static final String DEFAULT_IMAGEFS = "/var/lib/containers/storage";

  NodeStatusSettings {
    thresholds = Map.copyOf(thresholds);
    if (reservedMilliCpu < 0 || reservedMemory < 0 || reservedStorage < 0) {
      throw new IllegalArgumentException("reserved amounts must not be negative");
    }
    if (transitionPeriod == null || transitionPeriod.isNegative()) {
      throw new IllegalArgumentException("eviction.pressure.transition.period.seconds must not be negative");
    }
    if (nodefs == null) {
      throw new IllegalArgumentException("the nodefs directory (volumes.dir) is required");
    }
  }

  /** The kubelet's defaults, with nodefs at {@code volumesDir} and imagefs at Podman's storage root. */
  static NodeStatusSettings defaults(Path volumesDir) {
    return from(DEFAULT_EVICTION_HARD, "", "", DEFAULT_TRANSITION_SECONDS, volumesDir, DEFAULT_IMAGEFS);
  }

  /** Parses the configuration; an error names the key and the value. */
  static NodeStatusSettings from(String evictionHard, String systemReserved, String kubeReserved,
      int transitionSeconds, Path volumesDir, String imagefsDir) {
    if (transitionSeconds < 0) {
      throw new IllegalArgumentException("eviction.pressure.transition.period.seconds must not be negative, got "
          + transitionSeconds);
    }
    long[] reserved = new long[3];
    addReserved(reserved, systemReserved, "system.reserved");
    addReserved(reserved, kubeReserved, "kube.reserved");
    Path imagefs = imagefsDir == null || imagefsDir.isBlank() ? null : Path.of(imagefsDir.trim());
    if (imagefs != null && !imagefs.isAbsolute()) {
      throw new IllegalArgumentException("imagefs.dir must be an absolute path, got " + imagefsDir);
    }
    return new NodeStatusSettings(thresholds(evictionHard), reserved[0], reserved[1], reserved[2],
        Duration.ofSeconds(transitionSeconds), volumesDir, imagefs);
  }

  private static Map<Signal, Threshold> thresholds(String evictionHard) {
    Map<Signal, Threshold> result = new EnumMap<>(Signal.class);
    for (String entry : entries(evictionHard)) {
      int lt = entry.indexOf('<');
      if (lt < 0) {
        throw new IllegalArgumentException("eviction.hard: '" + entry + "' must look like signal<quantity, e.g."
            + " memory.available<100Mi or nodefs.available<10%");
      }
      String name = entry.substring(0, lt).trim();
      Signal signal = null;
      for (Signal candidate : Signal.values()) {
        if (candidate.key.equals(name)) {
          signal = candidate;
        }
      }
      if (signal == null) {
        throw new IllegalArgumentException("eviction.hard: signal '" + name + "' is not measured by Outpost (it"
            + " measures memory.available, nodefs.available, imagefs.available and pid.available; inode signals"
            + " cannot be read from Java)");
      }
      if (result.put(signal, Threshold.parse(entry.substring(lt + 1), "eviction.hard " + name)) != null) {
        throw new IllegalArgumentException("eviction.hard: " + name + " is given twice");
      }
    }
    return result;
  }

  private static void addReserved(long[] reserved, String text, String key) {
    for (String entry : entries(text)) {
      int eq = entry.indexOf('=');
      String name = eq < 0 ? entry : entry.substring(0, eq).trim();
      String value = eq < 0 ? "" : entry.substring(eq + 1);
      switch (name) {
        case "cpu" -> reserved[0] += Quantities.milliCpu(value, key + " cpu");
        case "memory" -> reserved[1] += Quantities.bytes(value, key + " memory");
        case "ephemeral-storage" -> reserved[2] += Quantities.bytes(value, key + " ephemeral-storage");
        default -> throw new IllegalArgumentException(key + ": '" + entry + "' must be cpu=…, memory=… or"
            + " ephemeral-storage=…");
      }
    }
  }

  private static String[] entries(String text) {
    return text == null || text.isBlank() ? new String[0] : text.trim().split("\\s*,\\s*");
  }
}
