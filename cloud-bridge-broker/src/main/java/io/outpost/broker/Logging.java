package io.outpost.broker;

/** Chooses Outpost's logback configuration before anything logs (HiveMQ's jar carries a logback.xml of its own). */
public final class Logging {
  private Logging() {}

  /** Call first thing in {@code main}: bridge at INFO, HiveMQ, Netty and RocksDB at WARN, to stdout. */
  public static void useOutpostConfiguration() {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "outpost-logback.xml");
    }
  }
}
