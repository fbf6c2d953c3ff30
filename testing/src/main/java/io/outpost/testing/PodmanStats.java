package io.outpost.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The figures of {@code podman stats --no-stream --format json} as tests compare them with Outpost's: {@code cpu_time}
 * is a Go duration ({@code 1m2.5s}, {@code 350.1ms}, {@code 12µs}), {@code mem_usage} a decimal (SI) size followed by
 * the limit ({@code "1.085MB / 25.28GB"}).
 */
public final class PodmanStats {
  private static final Pattern DURATION = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:([\\d.]+)s)?"
      + "(?:([\\d.]+)ms)?(?:([\\d.]+)µs)?");
  private static final Pattern SIZE = Pattern.compile("([\\d.]+)([kMG]?B)");

  private PodmanStats() {}

  /** Nanoseconds of a {@code cpu_time} value. */
  public static long cpuNanos(String cpuTime) {
    Matcher cpu = DURATION.matcher(cpuTime);
    if (!cpu.matches()) {
      throw new IllegalArgumentException("cpu_time is not a Go duration: " + cpuTime);
    }
    double seconds = (cpu.group(1) == null ? 0 : Long.parseLong(cpu.group(1)) * 3600)
        + (cpu.group(2) == null ? 0 : Long.parseLong(cpu.group(2)) * 60)
        + (cpu.group(3) == null ? 0 : Double.parseDouble(cpu.group(3)))
        + (cpu.group(4) == null ? 0 : Double.parseDouble(cpu.group(4)) / 1e3)
        + (cpu.group(5) == null ? 0 : Double.parseDouble(cpu.group(5)) / 1e6);
    return (long) (seconds * 1e9);
  }

  /** Bytes in use of a {@code mem_usage} value (the part before the slash). */
  public static double memoryBytes(String memUsage) {
    Matcher memory = SIZE.matcher(memUsage.split("/")[0].trim());
    if (!memory.matches()) {
      throw new IllegalArgumentException("mem_usage is not a size: " + memUsage);
    }
    double factor = switch (memory.group(2)) {
      case "kB" -> 1e3;
      case "MB" -> 1e6;
      case "GB" -> 1e9;
      default -> 1;
    };
    return Double.parseDouble(memory.group(1)) * factor;
  }
}
