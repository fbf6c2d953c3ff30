package io.outpost.containers.impl;

import io.outpost.containers.ResourceUsage;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's own figures from {@code /proc}, as the kubelet reports them for the node: CPU time of all cores since
 * boot ({@code /proc/stat}: user, nice, system, irq, softirq and steal; not idle or iowait), memory in use and its
 * working set ({@code /proc/meminfo}: total minus free, minus {@code Inactive(file)}), bytes on the interface of the
 * default route ({@code /proc/net/route}, {@code /proc/net/dev}) and the filesystem holding the pods' volumes.
 * A figure that cannot be read is left out (null); CPU and memory are required.
 */
final class NodeUsageProbe {
  /** {@code USER_HZ}: the unit of {@code /proc/stat}, 100 on every Linux architecture Outpost runs on. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private final Path proc;
  private final Path nodefs;

  NodeUsageProbe(Path proc, Path nodefs) {
    this.proc = proc;
    this.nodefs = nodefs;
  }

  /** @throws IllegalStateException if CPU or memory cannot be read */
  ResourceUsage.NodeUsage sample(Instant now) {
    long cpuNanos;
    Instant boot = null;
    Map<String, Long> memory;
    try {
      List<String> stat = Files.readAllLines(proc.resolve("stat"));
      String[] cpu = stat.get(0).trim().split("\\s+");
      if (!"cpu".equals(cpu[0]) || cpu.length < 8) {
        throw new IllegalStateException("unexpected first line of " + proc.resolve("stat") + ": " + stat.get(0));
      }
      long ticks = Long.parseLong(cpu[1]) + Long.parseLong(cpu[2]) + Long.parseLong(cpu[3]) + Long.parseLong(cpu[6])
          + Long.parseLong(cpu[7]) + (cpu.length > 8 ? Long.parseLong(cpu[8]) : 0);
      cpuNanos = ticks * NANOS_PER_TICK;
      for (String line : stat) {
        if (line.startsWith("btime ")) {
          boot = Instant.ofEpochSecond(Long.parseLong(line.substring(6).trim()));
        }
      }
      memory = meminfo(Files.readAllLines(proc.resolve("meminfo")));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read the node's CPU and memory from " + proc + ": " + e, e);
    }
    Long total = memory.get("MemTotal");
    Long free = memory.get("MemFree");
    if (total == null || free == null) {
      throw new IllegalStateException(proc.resolve("meminfo") + " has no MemTotal or MemFree");
    }
    long usage = total - free;
    long workingSet = Math.max(0, usage - memory.getOrDefault("Inactive(file)", 0L));
    long[] network = network();
    Long used = null;
    Long capacity = null;
    Long available = null;
    try {
      FileStore store = Files.getFileStore(existing(nodefs));
      capacity = store.getTotalSpace();
      available = store.getUsableSpace();
      used = capacity - store.getUnallocatedSpace();
    } catch (IOException | RuntimeException e) {
      // no filesystem figures: left out
    }
    return new ResourceUsage.NodeUsage(now, boot, cpuNanos, workingSet, usage, memory.get("MemAvailable"), used,
        capacity, available, network == null ? null : network[0], network == null ? null : network[1]);
  }

  /** {@code /proc/meminfo} in bytes by key. */
  static Map<String, Long> meminfo(List<String> lines) {
    Map<String, Long> values = new HashMap<>();
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        String[] value = line.substring(colon + 1).trim().split("\\s+");
        try {
          long number = Long.parseLong(value[0]);
          values.put(line.substring(0, colon), value.length > 1 && "kB".equals(value[1]) ? number * 1024 : number);
        } catch (NumberFormatException e) {
          // not a number: not a figure we read
        }
      }
    }
    return values;
  }

  /** Received and sent bytes of the default route's interface; null if there is none or it cannot be read. */
  private long[] network() {
    try {
      String device = null;
      for (String line : Files.readAllLines(proc.resolve("net/route"))) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length > 2 && "00000000".equals(fields[1])) {
          device = fields[0];
          break;
        }
      }
      if (device == null) {
        return null;
      }
      for (String line : Files.readAllLines(proc.resolve("net/dev"))) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equals(device)) {
          String[] fields = line.substring(colon + 1).trim().split("\\s+");
          return new long[] {Long.parseLong(fields[0]), Long.parseLong(fields[8])};
        }
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Path existing(Path path) {
    Path at = path.toAbsolutePath();
    while (at != null && !Files.exists(at)) {
      at = at.getParent();
    }
    return at == null ? Path.of("/") : at;
  }
}
