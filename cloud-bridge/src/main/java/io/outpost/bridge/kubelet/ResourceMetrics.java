package io.outpost.bridge.kubelet;

import io.outpost.protocol.StatsReport;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * One edge node's {@code /metrics/resource}: the kubelet's resource metrics in Prometheus text format 0.0.4, with the
 * names, labels and millisecond sample timestamps that metrics-server (0.6 and later) parses. Every sample carries
 * the time the node took it, never the time of the scrape: a node whose last report is stale shows its last
 * figures with their old timestamps (metrics-server keeps no point twice) and {@code scrape_error 1}, never zeros.
 */
final class ResourceMetrics {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private ResourceMetrics() {}

  /** The text for {@code samples}; {@code stale}: the newest report is older than the staleness limit. */
  static String render(EdgeStats.Samples samples, boolean stale) {
    StatsReport report = samples.latest();
    StringBuilder text = new StringBuilder(4096);
    List<StatsReport.PodUsage> pods = report.pods() == null ? List.of() : report.pods();
    family(text, "container_cpu_usage_seconds_total", "counter",
        "Cumulative cpu time consumed by the container in core-seconds");
    pods.forEach(pod -> containers(pod).forEach(c -> line(text, "container_cpu_usage_seconds_total",
        containerLabels(pod, c), seconds(c.cpuCoreNanos()), c.time())));
    family(text, "container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes");
    pods.forEach(pod -> containers(pod).forEach(c -> line(text, "container_memory_working_set_bytes",
        containerLabels(pod, c), Long.toString(c.memoryWorkingSetBytes()), c.time())));
    family(text, "container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds");
    pods.forEach(pod -> containers(pod).stream().filter(c -> c.startTime() != null).forEach(c -> line(text,
        "container_start_time_seconds", containerLabels(pod, c), epochSeconds(c.startTime()), c.time())));
    family(text, "node_cpu_usage_seconds_total", "counter",
        "Cumulative cpu time consumed by the node in core-seconds");
    line(text, "node_cpu_usage_seconds_total", "", seconds(report.usage().cpuCoreNanos()), report.usage().time());
    family(text, "node_memory_working_set_bytes", "gauge", "Current working set of the node in bytes");
    line(text, "node_memory_working_set_bytes", "", Long.toString(report.usage().memoryWorkingSetBytes()),
        report.usage().time());
    family(text, "pod_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the pod in core-seconds");
    pods.stream().filter(pod -> !containers(pod).isEmpty()).forEach(pod -> line(text, "pod_cpu_usage_seconds_total",
        podLabels(pod), seconds(containers(pod).stream().mapToLong(StatsReport.ContainerUsage::cpuCoreNanos).sum()),
        newest(pod)));
    family(text, "pod_memory_working_set_bytes", "gauge", "Current working set of the pod in bytes");
    pods.stream().filter(pod -> !containers(pod).isEmpty()).forEach(pod -> line(text, "pod_memory_working_set_bytes",
        podLabels(pod), Long.toString(containers(pod).stream()
            .mapToLong(StatsReport.ContainerUsage::memoryWorkingSetBytes).sum()), newest(pod)));
    family(text, "resource_scrape_error", "gauge",
        "1 if there was an error while getting container metrics, 0 otherwise");
    text.append("resource_scrape_error ").append(stale ? 1 : 0).append('\n');
    family(text, "scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise");
    text.append("scrape_error ").append(stale ? 1 : 0).append('\n');
    return text.toString();
  }

  static List<StatsReport.ContainerUsage> containers(StatsReport.PodUsage pod) {
    return pod.containers() == null ? List.of() : pod.containers();
  }

  /** The newest sample time of a pod's containers: a pod's figures are as new as its newest container's. */
  static String newest(StatsReport.PodUsage pod) {
    return containers(pod).stream().map(StatsReport.ContainerUsage::time).max(
        (a, b) -> Instant.parse(a).compareTo(Instant.parse(b))).orElseThrow();
  }

  private static void family(StringBuilder text, String name, String type, String help) {
    text.append("# HELP ").append(name).append(" [STABLE] ").append(help).append('\n')
        .append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  /** Label values are DNS names (validated by StatsReport): nothing to escape. */
  private static String containerLabels(StatsReport.PodUsage pod, StatsReport.ContainerUsage container) {
    return "{container=\"" + container.name() + "\",namespace=\"" + pod.namespace() + "\",pod=\"" + pod.name()
        + "\"}";
  }

  private static String podLabels(StatsReport.PodUsage pod) {
    return "{namespace=\"" + pod.namespace() + "\",pod=\"" + pod.name() + "\"}";
  }

  private static void line(StringBuilder text, String name, String labels, String value, String time) {
    text.append(name).append(labels).append(' ').append(value).append(' ')
        .append(Instant.parse(time).toEpochMilli()).append('\n');
  }

  /** Core-nanoseconds as core-seconds, exactly (no binary rounding): {@code 26.507433}. */
  static String seconds(long nanos) {
    return BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
  }

  private static String epochSeconds(String time) {
    Instant instant = Instant.parse(time);
    return BigDecimal.valueOf(instant.getEpochSecond()).add(BigDecimal.valueOf(instant.getNano(), 9))
        .stripTrailingZeros().toPlainString();
  }
}
