package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * One container's resource figures from the engine: {@code GET /containers/{id}/stats?stream=false&one-shot=true}
 * (Docker Engine API, served by Podman 4.3 too). CPU is {@code cpu_stats.cpu_usage.total_usage} (nanoseconds,
 * cumulative), memory {@code memory_stats.usage}. The working set is usage minus inactive file pages: Docker gives
 * them in {@code memory_stats.stats} ({@code inactive_file} on cgroup v2, {@code total_inactive_file} on v1); Podman
 * 4.3 gives no breakdown, so they are read from the container's own cgroup ({@code memory.stat}) through the
 * container's process, found by {@code State.Pid}, when the engine runs on this host; else the working set is the
 * usage (an overestimate by the page cache, never an underestimate).
 *
 * @param read when the engine sampled
 * @param cpuNanos CPU time since the container started
 * @param memoryUsage memory usage as the engine reports it
 * @param inactiveFile inactive file pages, null if not known
 */
record EngineStats(Instant read, long cpuNanos, long memoryUsage, Long inactiveFile) {

  /** Usage minus inactive file pages, as the kubelet computes the working set (never negative). */
  long workingSet() {
    return inactiveFile == null ? memoryUsage : Math.max(0, memoryUsage - inactiveFile);
  }

  /** The figures in one stats answer; empty if it has no CPU or memory figures (a container that is not running). */
  static Optional<EngineStats> parse(JsonNode stats, Instant fallbackTime) {
    JsonNode cpu = stats.path("cpu_stats").path("cpu_usage").path("total_usage");
    JsonNode memory = stats.path("memory_stats");
    if (!cpu.canConvertToLong() || !memory.path("usage").canConvertToLong()) {
      return Optional.empty();
    }
    Instant read = fallbackTime;
    String text = InspectedContainers.text(stats, "read");
    if (text != null) {
      try {
        Instant parsed = Instant.parse(text);
        read = parsed.getEpochSecond() > 0 ? parsed : fallbackTime;
      } catch (DateTimeParseException e) {
        read = fallbackTime;
      }
    }
    JsonNode breakdown = memory.path("stats");
    Long inactive = null;
    for (String key : List.of("inactive_file", "total_inactive_file")) {
      if (breakdown.path(key).canConvertToLong()) {
        inactive = breakdown.path(key).asLong();
        break;
      }
    }
    return Optional.of(new EngineStats(read, cpu.asLong(), memory.path("usage").asLong(), inactive));
  }

  /** These figures with inactive file pages from the cgroup of process {@code pid}, if not known and readable. */
  EngineStats withCgroupOf(long pid, Path proc, Path cgroupRoot) {
    if (inactiveFile != null || pid <= 0) {
      return this;
    }
    Long inactive = cgroupInactiveFile(pid, proc, cgroupRoot);
    return inactive == null ? this : new EngineStats(read, cpuNanos, memoryUsage, inactive);
  }

  /**
   * Inactive file pages of the memory cgroup of {@code pid}: cgroup v1 {@code memory/<path>/memory.stat}
   * ({@code total_inactive_file}), else v2 {@code <path>/memory.stat} ({@code inactive_file}); null if unreadable.
   */
  static Long cgroupInactiveFile(long pid, Path proc, Path cgroupRoot) {
    List<String> lines;
    try {
      lines = Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("cgroup"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
    for (String line : lines) {
      String[] parts = line.split(":", 3);
      if (parts.length == 3 && List.of(parts[1].split(",")).contains("memory")) {
        Long found = statValue(cgroupRoot.resolve("memory").resolve(relative(parts[2])).resolve("memory.stat"),
            "total_inactive_file");
        if (found != null) {
          return found;
        }
      }
    }
    for (String line : lines) {
      String[] parts = line.split(":", 3);
      if (parts.length == 3 && "0".equals(parts[0]) && parts[1].isEmpty()) {
        Long found = statValue(cgroupRoot.resolve(relative(parts[2])).resolve("memory.stat"), "inactive_file");
        if (found == null) {
          found = statValue(cgroupRoot.resolve("unified").resolve(relative(parts[2])).resolve("memory.stat"),
              "inactive_file");
        }
        return found;
      }
    }
    return null;
  }

  /** The cgroup path below the hierarchy's root; one with {@code ..} (never written by the kernel) reads nothing. */
  private static String relative(String path) {
    String relative = path.replaceFirst("^/+", "");
    return relative.contains("..") ? "/dev/null/none" : relative;
  }

  private static Long statValue(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(key + " ")) {
          return Long.parseLong(line.substring(key.length() + 1).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return null;
  }
}
