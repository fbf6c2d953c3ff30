package io.outpost.metrics.impl;

import io.outpost.metrics.MetricSource;
import io.outpost.protocol.MetricSeries;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/** The gateway process: heap and non-heap in use, resident set size (Linux), threads, uptime. */
@Component(service = MetricSource.class)
public final class JvmMetrics implements MetricSource {
  private static final Path STATUS = Path.of("/proc/self/status");

  @Override
  public Map<String, Double> metrics() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put(MetricSeries.of("outpost_edge_jvm_memory_used_bytes", "area", "heap"),
        (double) memory.getHeapMemoryUsage().getUsed());
    metrics.put(MetricSeries.of("outpost_edge_jvm_memory_used_bytes", "area", "nonheap"),
        (double) memory.getNonHeapMemoryUsage().getUsed());
    long rss = residentBytes();
    if (rss >= 0) {
      metrics.put("outpost_edge_process_resident_memory_bytes", (double) rss);
    }
    metrics.put("outpost_edge_jvm_threads", (double) ManagementFactory.getThreadMXBean().getThreadCount());
    metrics.put("outpost_edge_uptime_seconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
    return metrics;
  }

  /** VmRSS from /proc/self/status, in bytes; -1 where there is none (not Linux). */
  static long residentBytes() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
