package io.outpost.bridge.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** Prometheus counters and gauges of the bridge; thread-safe. Series are named {@code name{label="value",...}}. */
public final class Metrics {
  private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final Map<String, LongSupplier> gauges = new ConcurrentHashMap<>();
  /** Per edge node, the health summary of its last heartbeat (already validated series) and when it came. */
  private final Map<String, Map<String, Double>> edges = new ConcurrentHashMap<>();

  /**
   * Keeps the health summary a node sent with its heartbeat: shown on {@code /metrics} with a {@code node} label,
   * with {@code outpost_edge_heartbeat_timestamp_seconds} so that a silent node's figures are seen to be old.
   */
  public void edge(String node, Map<String, Double> series) {
    Map<String, Double> labelled = new TreeMap<>();
    if (series == null) {
      // A heartbeat without samples: the node's last ones stand (protocol §5.5: absent means unchanged).
      Map<String, Double> before = edges.get(node);
      if (before != null) {
        labelled.putAll(before);
      }
    } else {
      series.forEach((name, value) -> labelled.put(io.outpost.protocol.MetricSeries.withNode(name, node), value));
    }
    labelled.put(io.outpost.protocol.MetricSeries.withNode("outpost_edge_heartbeat_timestamp_seconds", node),
        System.currentTimeMillis() / 1000.0);
    edges.put(node, labelled);
  }

  /** A node that was deleted: its figures leave {@code /metrics} (they would look like a node that went silent). */
  public void forgetEdge(String node) {
    edges.remove(node);
  }

  /** The value of one node's series as last reported, e.g. {@code edgeValue("edge-1", "outpost_edge_connected")}. */
  public Double edgeValue(String node, String series) {
    Map<String, Double> values = edges.get(node);
    return values == null ? null : values.get(io.outpost.protocol.MetricSeries.withNode(series, node));
  }

  public void increment(String name, String... labels) {
    add(name, 1, labels);
  }

  public void add(String name, long amount, String... labels) {
    counters.computeIfAbsent(series(name, labels), k -> new LongAdder()).add(amount);
  }

  public void gauge(String name, LongSupplier value) {
    gauges.put(name, value);
  }

  /** A gauge series with labels, e.g. {@code gauge("outpost_bridge_site_pods", supplier, "site", "site-17")}. */
  public void gauge(String name, LongSupplier value, String... labels) {
    gauges.put(series(name, labels), value);
  }

  /** Takes a labelled gauge series off {@code /metrics} (a site that is gone). */
  public void removeGauge(String name, String... labels) {
    gauges.remove(series(name, labels));
  }

  /** The current value of one series, e.g. {@code get("outpost_bridge_rejected_total", "reason", "malformed")}. */
  public long get(String name, String... labels) {
    String key = series(name, labels);
    LongAdder adder = counters.get(key);
    if (adder != null) {
      return adder.sum();
    }
    LongSupplier gauge = gauges.get(key);
    return gauge == null ? 0 : gauge.getAsLong();
  }

  /** Prometheus text exposition format 0.0.4. */
  public String render() {
    Map<String, Long> sorted = new TreeMap<>();
    counters.forEach((k, v) -> sorted.put(k, v.sum()));
    gauges.forEach((k, v) -> sorted.put(k, v.getAsLong()));
    StringBuilder text = new StringBuilder();
    String lastName = "";
    for (Map.Entry<String, Long> entry : sorted.entrySet()) {
      String name = entry.getKey().contains("{") ? entry.getKey().substring(0, entry.getKey().indexOf('{'))
          : entry.getKey();
      if (!name.equals(lastName)) {
        text.append("# TYPE ").append(name).append(name.endsWith("_total") ? " counter\n" : " gauge\n");
        lastName = name;
      }
      text.append(entry.getKey()).append(' ').append(entry.getValue()).append('\n');
    }
    Map<String, Double> edgeSeries = new TreeMap<>();
    edges.values().forEach(edgeSeries::putAll);
    text.append(io.outpost.protocol.MetricSeries.render(edgeSeries));
    return text.toString();
  }

  static String series(String name, String... labels) {
    if (labels.length == 0) {
      return name;
    }
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name/value pairs");
    }
    StringBuilder key = new StringBuilder(name).append('{');
    for (int i = 0; i < labels.length; i += 2) {
      if (i > 0) {
        key.append(',');
      }
      key.append(labels[i]).append("=\"").append(labels[i + 1].replace("\\", "\\\\").replace("\"", "\\\""))
          .append('"');
    }
    return key.append('}').toString();
  }
}
