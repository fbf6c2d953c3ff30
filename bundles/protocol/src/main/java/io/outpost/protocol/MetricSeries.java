package io.outpost.protocol;

import java.util.regex.Pattern;

/**
 * Names of metric series as Prometheus writes them: {@code name} or {@code name{label="value",...}}. An edge node
 * sends a summary of its health in its heartbeat ({@link NodeReport#metrics()}) and the bridge shows it on its own
 * {@code /metrics} with a {@code node} label added; both ends accept only names of this strict shape, so a node
 * cannot inject lines, other nodes' labels or anything else into the bridge's output.
 */
public final class MetricSeries {
  /** Edge series names start with this. */
  public static final String PREFIX = "outpost_edge_";
  /** Label names start with a letter: {@code __}-names are Prometheus's own. */
  private static final String LABEL = "[a-z][a-z0-9_]{0,31}=\"[-a-zA-Z0-9_.:/]{0,63}\"";
  private static final Pattern LABEL_NAME = Pattern.compile("[{,]([a-z][a-z0-9_]*)=");
  private static final Pattern SERIES = Pattern.compile(
      "outpost_edge_[a-z0-9_]{1,64}(\\{(?!node=)" + LABEL + "(,(?!node=)" + LABEL + "){0,3}\\})?");
  /** At most this many series in one heartbeat. */
  public static final int MAX = 128;

  private MetricSeries() {}

  /**
   * Whether {@code series} has the strict shape, with distinct label names (Prometheus refuses a whole scrape with a
   * repeated label: one node's bad series would blank every node's).
   */
  public static boolean valid(String series) {
    if (series == null || !SERIES.matcher(series).matches()) {
      return false;
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    java.util.regex.Matcher label = LABEL_NAME.matcher(series);
    while (label.find()) {
      if (!names.add(label.group(1))) {
        return false;
      }
    }
    return true;
  }

  /** {@code name{label="value",...}}; label values outside the allowed characters are replaced by '_'. */
  public static String of(String name, String... labels) {
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name/value pairs");
    }
    if (labels.length == 0) {
      return name;
    }
    StringBuilder series = new StringBuilder(name).append('{');
    for (int i = 0; i < labels.length; i += 2) {
      String value = labels[i + 1].replaceAll("[^-a-zA-Z0-9_.:/]", "_");
      series.append(i == 0 ? "" : ",").append(labels[i]).append("=\"")
          .append(value.length() > 63 ? value.substring(0, 63) : value).append('"');
    }
    return series.append('}').toString();
  }

  /**
   * Prometheus text format 0.0.4 of {@code series}: the series of one name together, names in the order they first
   * appear, one {@code # TYPE} line per name, {@code counter} for names ending in {@code _total}, {@code gauge}
   * otherwise; whole numbers without a fraction.
   */
  public static String render(java.util.Map<String, Double> series) {
    java.util.Map<String, StringBuilder> families = new java.util.LinkedHashMap<>();
    for (java.util.Map.Entry<String, Double> entry : series.entrySet()) {
      int brace = entry.getKey().indexOf('{');
      String name = brace < 0 ? entry.getKey() : entry.getKey().substring(0, brace);
      StringBuilder family = families.computeIfAbsent(name, n -> new StringBuilder("# TYPE ").append(n)
          .append(n.endsWith("_total") ? " counter\n" : " gauge\n"));
      double value = entry.getValue();
      family.append(entry.getKey()).append(' ').append(value == Math.rint(value) && Math.abs(value) < 1e15
          ? Long.toString((long) value) : Double.toString(value)).append('\n');
    }
    StringBuilder text = new StringBuilder();
    families.values().forEach(text::append);
    return text.toString();
  }

  /** The series with {@code node="<node>"} as its first label (the node name is a valid label value). */
  public static String withNode(String series, String node) {
    int brace = series.indexOf('{');
    return brace < 0 ? series + "{node=\"" + node + "\"}"
        : series.substring(0, brace) + "{node=\"" + node + "\"," + series.substring(brace + 1);
  }
}
