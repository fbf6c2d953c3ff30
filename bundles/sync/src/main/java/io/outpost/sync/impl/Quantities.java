package io.outpost.sync.impl;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities as the node's configuration spells them ({@code 100Mi}, {@code 1Gi}, {@code 250m},
 * {@code 2}) and as the heartbeat writes them ({@code 8167056Ki}, {@code 3900m}).
 */
final class Quantities {
  private static final Pattern QUANTITY = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?");
  private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(
      Map.entry("", BigDecimal.ONE), Map.entry("m", new BigDecimal("0.001")),
      Map.entry("k", BigDecimal.TEN.pow(3)), Map.entry("M", BigDecimal.TEN.pow(6)),
      Map.entry("G", BigDecimal.TEN.pow(9)), Map.entry("T", BigDecimal.TEN.pow(12)),
      Map.entry("P", BigDecimal.TEN.pow(15)), Map.entry("E", BigDecimal.TEN.pow(18)),
      Map.entry("Ki", BigDecimal.valueOf(2).pow(10)), Map.entry("Mi", BigDecimal.valueOf(2).pow(20)),
      Map.entry("Gi", BigDecimal.valueOf(2).pow(30)), Map.entry("Ti", BigDecimal.valueOf(2).pow(40)),
      Map.entry("Pi", BigDecimal.valueOf(2).pow(50)), Map.entry("Ei", BigDecimal.valueOf(2).pow(60)));

  private Quantities() {}

  /** The quantity's value in base units (bytes, cores), or an exception naming {@code what}. */
  static BigDecimal parse(String text, String what) {
    Matcher matcher = QUANTITY.matcher(text == null ? "" : text.trim());
    if (!matcher.matches()) {
      throw new IllegalArgumentException(what + ": '" + text + "' is not a quantity such as 100Mi, 1Gi, 250m or 2");
    }
    String suffix = matcher.group(2) == null ? "" : matcher.group(2);
    return new BigDecimal(matcher.group(1)).multiply(SUFFIXES.get(suffix));
  }

  /** A whole number of bytes (rounded up, as Kubernetes rounds a fractional byte). */
  static long bytes(String text, String what) {
    return parse(text, what).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  /** Thousandths of a CPU. */
  static long milliCpu(String text, String what) {
    return parse(text, what).movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  /** Bytes as the kubelet writes them: {@code <n>Ki} when whole kibibytes, plain bytes otherwise. */
  static String formatBytes(long bytes) {
    return bytes % 1024 == 0 ? (bytes / 1024) + "Ki" : Long.toString(bytes);
  }

  /** Thousandths of a CPU as the kubelet writes them: whole CPUs plainly, {@code <n>m} otherwise. */
  static String formatMilliCpu(long milli) {
    return milli % 1000 == 0 ? Long.toString(milli / 1000) : milli + "m";
  }
}
