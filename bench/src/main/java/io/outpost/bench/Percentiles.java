package io.outpost.bench;

import java.util.List;

/** Nearest-rank percentiles of a sorted sample, as every benchmark reports them. */
final class Percentiles {
  private Percentiles() {}

  /** The {@code p}-th percentile (nearest rank) of {@code sorted}, which must be sorted ascending and not empty. */
  static double of(List<Double> sorted, int p) {
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
  }
}
