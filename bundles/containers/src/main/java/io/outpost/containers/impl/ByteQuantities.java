package io.outpost.containers.impl;

/** Byte counts written as Kubernetes' {@code Quantity.String()} writes them, for messages the kubelet writes. */
final class ByteQuantities {
  private static final String[] BINARY = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  private static final String[] DECIMAL = {"k", "M", "G", "T", "P", "E"};

  private ByteQuantities() {}

  /** As a {@code BinarySI} quantity prints: the largest binary suffix that divides it, else plain. */
  static String binary(long bytes) {
    String suffixed = bytes > 0 ? suffixed(bytes, 1024, BINARY) : null;
    return suffixed == null ? Long.toString(bytes) : suffixed;
  }

  /**
   * The largest binary suffix that divides it, else the largest decimal one, else plain: the canonical form of what
   * a pod wrote as {@code 64Mi}, {@code 1G} or {@code 1500} (the wire carries bytes; a limit written {@code 2048}
   * prints as {@code 2Ki}, where Kubernetes keeps {@code 2048}).
   */
  static String decimalOrBinary(long bytes) {
    if (bytes <= 0) {
      return Long.toString(bytes);
    }
    String binary = suffixed(bytes, 1024, BINARY);
    if (binary != null) {
      return binary;
    }
    String decimal = suffixed(bytes, 1000, DECIMAL);
    return decimal != null ? decimal : Long.toString(bytes);
  }

  private static String suffixed(long bytes, long base, String[] suffixes) {
    long value = bytes;
    int exponent = -1;
    while (value % base == 0 && exponent + 1 < suffixes.length) {
      value /= base;
      exponent++;
    }
    return exponent < 0 ? null : value + suffixes[exponent];
  }
}
