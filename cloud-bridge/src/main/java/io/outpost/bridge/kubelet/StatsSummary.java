package io.outpost.bridge.kubelet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.outpost.protocol.StatsReport;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One edge node's {@code /stats/summary}: the kubelet's Summary API ({@code stats/v1alpha1}) as metrics-server's
 * summary client and {@code kubectl get --raw .../proxy/stats/summary} read it. CPU is given as the cumulative
 * {@code usageCoreNanoSeconds} and, where two reports of the node allow it, as the rate {@code usageNanoCores}
 * between them; memory as {@code workingSetBytes}. Every block carries the {@code time} its figures were sampled on
 * the node (a stale node keeps its old times; nothing is made up).
 */
final class StatsSummary {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StatsSummary() {}

  static byte[] render(String nodeName, EdgeStats.Samples samples) {
    StatsReport report = samples.latest();
    StatsReport previous = samples.previous();
    StatsReport.NodeUsage usage = report.usage();
    ObjectNode root = JSON.createObjectNode();
    ObjectNode node = root.putObject("node");
    node.put("nodeName", nodeName);
    node.putArray("systemContainers");
    if (usage.startTime() != null) {
      node.put("startTime", usage.startTime());
    }
    Long nodeRate = previous == null ? null : rate(previous.usage().cpuCoreNanos(), previous.usage().time(),
        usage.cpuCoreNanos(), usage.time());
    cpu(node, usage.time(), usage.cpuCoreNanos(), nodeRate);
    ObjectNode memory = memory(node, usage.time(), usage.memoryWorkingSetBytes(), usage.memoryUsageBytes());
    if (usage.memoryAvailableBytes() != null) {
      memory.put("availableBytes", usage.memoryAvailableBytes());
    }
    if (usage.networkRxBytes() != null || usage.networkTxBytes() != null) {
      ObjectNode network = node.putObject("network");
      network.put("time", usage.time());
      putIf(network, "rxBytes", usage.networkRxBytes());
      putIf(network, "txBytes", usage.networkTxBytes());
    }
    if (usage.fsUsedBytes() != null || usage.fsCapacityBytes() != null) {
      ObjectNode fs = node.putObject("fs");
      fs.put("time", usage.time());
      putIf(fs, "availableBytes", usage.fsAvailableBytes());
      putIf(fs, "capacityBytes", usage.fsCapacityBytes());
      putIf(fs, "usedBytes", usage.fsUsedBytes());
    }
    Map<String, StatsReport.ContainerUsage> before = previousContainers(previous);
    ArrayNode pods = root.putArray("pods");
    for (StatsReport.PodUsage pod : report.pods() == null ? List.<StatsReport.PodUsage>of() : report.pods()) {
      ObjectNode entry = pods.addObject();
      entry.putObject("podRef").put("name", pod.name()).put("namespace", pod.namespace()).put("uid", pod.uid());
      if (pod.startTime() != null) {
        entry.put("startTime", pod.startTime());
      }
      ArrayNode containers = entry.putArray("containers");
      long podCpu = 0;
      long podMemory = 0;
      Long podRate = 0L;
      for (StatsReport.ContainerUsage c : ResourceMetrics.containers(pod)) {
        ObjectNode container = containers.addObject();
        container.put("name", c.name());
        if (c.startTime() != null) {
          container.put("startTime", c.startTime());
        }
        StatsReport.ContainerUsage earlier = before.get(pod.uid() + "/" + c.name());
        Long rate = earlier == null ? null : rate(earlier.cpuCoreNanos(), earlier.time(), c.cpuCoreNanos(),
            c.time());
        cpu(container, c.time(), c.cpuCoreNanos(), rate);
        memory(container, c.time(), c.memoryWorkingSetBytes(), c.memoryUsageBytes());
        podCpu += c.cpuCoreNanos();
        podMemory += c.memoryWorkingSetBytes();
        podRate = podRate == null || rate == null ? null : podRate + rate;
      }
      if (!containers.isEmpty()) {
        String time = ResourceMetrics.newest(pod);
        cpu(entry, time, podCpu, podRate);
        memory(entry, time, podMemory, null);
      }
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the stats summary", e);
    }
  }

  private static Map<String, StatsReport.ContainerUsage> previousContainers(StatsReport previous) {
    Map<String, StatsReport.ContainerUsage> containers = new HashMap<>();
    if (previous != null && previous.pods() != null) {
      previous.pods().forEach(pod -> ResourceMetrics.containers(pod).forEach(c ->
          containers.put(pod.uid() + "/" + c.name(), c)));
    }
    return containers;
  }

  /** Nanocores between two cumulative samples; null unless time advanced and the counter did not go back. */
  static Long rate(long earlierNanos, String earlierTime, long laterNanos, String laterTime) {
    long window = Duration.between(Instant.parse(earlierTime), Instant.parse(laterTime)).toNanos();
    if (window <= 0 || laterNanos < earlierNanos) {
      return null;
    }
    return (long) ((laterNanos - earlierNanos) * 1e9 / window);
  }

  private static void cpu(ObjectNode parent, String time, long cumulative, Long rate) {
    ObjectNode cpu = parent.putObject("cpu");
    cpu.put("time", time);
    if (rate != null) {
      cpu.put("usageNanoCores", rate);
    }
    cpu.put("usageCoreNanoSeconds", cumulative);
  }

  private static ObjectNode memory(ObjectNode parent, String time, long workingSet, Long usage) {
    ObjectNode memory = parent.putObject("memory");
    memory.put("time", time);
    putIf(memory, "usageBytes", usage);
    memory.put("workingSetBytes", workingSet);
    return memory;
  }

  private static void putIf(ObjectNode node, String field, Long value) {
    if (value != null) {
      node.put(field, value);
    }
  }
}
