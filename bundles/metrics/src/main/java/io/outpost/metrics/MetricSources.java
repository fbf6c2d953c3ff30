package io.outpost.metrics;

import io.outpost.protocol.MetricSeries;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Collects the series of several sources, as the endpoint and the heartbeat do. */
public final class MetricSources {
  private static final Logger LOG = LoggerFactory.getLogger(MetricSources.class);

  private MetricSources() {}

  /**
   * Every valid series of every source, sorted by name; a source that fails, a malformed name or a value that is
   * not a finite number is left out (logged), the rest is kept.
   */
  public static Map<String, Double> collect(Collection<MetricSource> sources) {
    Map<String, Double> all = new TreeMap<>();
    if (sources == null) {
      return all;
    }
    for (MetricSource source : sources) {
      try {
        source.metrics().forEach((series, value) -> {
          if (MetricSeries.valid(series) && value != null && !value.isNaN() && !value.isInfinite()) {
            all.put(series, value);
          } else {
            LOG.debug("Metric {} of {} left out: not a valid series or value", series, source.getClass().getName());
          }
        });
      } catch (RuntimeException e) {
        LOG.warn("Metric source {} failed", source.getClass().getName(), e);
      }
    }
    return all;
  }

  /** {@link #collect}, at most {@link MetricSeries#MAX} series (the first by name): what a heartbeat carries. */
  public static Map<String, Double> summary(Collection<MetricSource> sources) {
    Map<String, Double> all = collect(sources);
    if (all.size() <= MetricSeries.MAX) {
      return all;
    }
    Map<String, Double> first = new TreeMap<>();
    for (Map.Entry<String, Double> entry : all.entrySet()) {
      if (first.size() == MetricSeries.MAX) {
        break;
      }
      first.put(entry.getKey(), entry.getValue());
    }
    return first;
  }
}
