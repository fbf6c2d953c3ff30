package io.outpost.sync.impl;

/**
 * An eviction threshold as the kubelet's {@code --eviction-hard} states it: an absolute quantity ({@code 100Mi}) or a
 * share of the resource's capacity ({@code 10%}). A signal is under pressure while what is available is less than
 * {@link #amount}.
 */
record Threshold(long quantity, double fraction) {
  Threshold {
    if (quantity < 0 || fraction < 0 || fraction > 1) {
      throw new IllegalArgumentException("a threshold must be a non-negative quantity or 0-100%");
    }
  }

  /** {@code 100Mi}, {@code 10%}, or for pids a plain number. */
  static Threshold parse(String text, String what) {
    String value = text.trim();
    if (value.endsWith("%")) {
      double percent;
      try {
        percent = Double.parseDouble(value.substring(0, value.length() - 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(what + ": '" + text + "' is not a percentage", e);
      }
      if (!(percent >= 0 && percent <= 100)) {
        throw new IllegalArgumentException(what + ": '" + text + "' must be between 0% and 100%");
      }
      return new Threshold(0, percent / 100);
    }
    return new Threshold(Quantities.bytes(value, what), 0);
  }

  /** The threshold for a resource of this capacity (a percentage rounds down, as the kubelet's does). */
  long amount(long capacity) {
    return fraction > 0 ? (long) (capacity * fraction) : quantity;
  }

  /** True while {@code available} is below the threshold, as the kubelet compares them. */
  boolean met(long available, long capacity) {
    return available < amount(capacity);
  }
}
