package io.outpost.bridge;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.protocol.StatsReport;
import io.outpost.testing.Podman;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Real usage figures for a test that plays an edge node: containers on the real Podman (labelled with this run's own
 * label and removed by {@link #close()}), sampled with {@code podman stats} as the edge's engine reports them (CPU time
 * since the container started; memory in use, which Podman 4.3 gives without a breakdown, as the working set), and the
 * host's own {@code /proc} for the node (CPU time of all cores since boot; memory in use minus inactive file pages).
 */
final class EngineFigures implements AutoCloseable {
  static final String LABEL = "io.outpost.test.hpa";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String run = UUID.randomUUID().toString();

  /** Starts a container of the test image running {@code command}; returns its id. */
  String start(String... command) {
    List<String> args = new java.util.ArrayList<>(List.of("run", "-d", "--label", LABEL + "=" + run,
        Podman.TEST_IMAGE));
    args.addAll(List.of(command));
    return Podman.cli(args.toArray(String[]::new)).trim();
  }

  /** When the container started, as the engine says. */
  static Instant startedAt(String id) {
    // Go's time, formatted as RFC 3339 with nanoseconds
    return java.time.OffsetDateTime.parse(Podman.cli("inspect", "--format",
        "{{.State.StartedAt.UTC.Format \"2006-01-02T15:04:05.999999999Z07:00\"}}", id).trim()).toInstant();
  }

  /** One container's figures: the time they were read (the middle of the command), CPU nanoseconds, memory bytes. */
  record Sample(Instant time, long cpuNanos, long memoryBytes) {}

  /** {@code podman stats --no-stream --format json}: cpu_time a Go duration, mem_usage "1.085MB / 25.28GB" (SI). */
  static Sample sample(String id) {
    Instant before = Instant.now();
    String out = Podman.cli("stats", "--no-stream", "--format", "json", id);
    Instant after = Instant.now();
    JsonNode stats;
    try {
      stats = JSON.readTree(out).get(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Instant time = before.plusNanos(java.time.Duration.between(before, after).toNanos() / 2)
        .truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    return new Sample(time, io.outpost.testing.PodmanStats.cpuNanos(stats.get("cpu_time").asText()),
        (long) io.outpost.testing.PodmanStats.memoryBytes(stats.get("mem_usage").asText()));
  }

  /** The host as a node: CPU time of all cores since boot (ns), boot time, memory in use minus inactive files. */
  static StatsReport.NodeUsage host(Instant time) {
    try {
      List<String> stat = Files.readAllLines(Path.of("/proc/stat"));
      String[] cpu = stat.get(0).trim().split("\\s+"); // cpu user nice system idle iowait irq softirq steal ...
      long busyTicks = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busyTicks += Long.parseLong(cpu[i]);
      }
      long boot = stat.stream().filter(l -> l.startsWith("btime ")).mapToLong(l -> Long.parseLong(l.substring(6)))
          .findFirst().orElseThrow();
      java.util.Map<String, Long> memory = new java.util.HashMap<>();
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        String[] parts = line.split(":\\s+");
        memory.put(parts[0], Long.parseLong(parts[1].replace(" kB", "").trim()) * 1024);
      }
      long used = memory.get("MemTotal") - memory.get("MemFree");
      long workingSet = used - memory.get("Inactive(file)");
      // USER_HZ is 100 on Linux: one tick is 10 ms.
      return new StatsReport.NodeUsage(time.toString(), Instant.ofEpochSecond(boot).toString(),
          busyTicks * 10_000_000L, workingSet, used, memory.get("MemAvailable"), null, null, null, null, null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    Podman.removeContainersLabelled(LABEL, run);
  }
}
