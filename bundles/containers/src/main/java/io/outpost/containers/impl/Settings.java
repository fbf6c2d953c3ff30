package io.outpost.containers.impl;

import java.time.Duration;

/** The validated configuration of the container manager. */
record Settings(String nodeName, String engineHost, Duration resyncInterval, int podWorkers) {

  Settings(String nodeName, String engineHost, Duration resyncInterval) {
    this(nodeName, engineHost, resyncInterval, 4);
  }

  Settings {
    require(nodeName, "node.name");
    require(engineHost, "engine.host");
    if (resyncInterval == null || resyncInterval.isNegative() || resyncInterval.isZero()) {
      throw new IllegalArgumentException("resync.interval.seconds must be positive, got " + resyncInterval);
    }
    if (podWorkers < 1 || podWorkers > 64) {
      throw new IllegalArgumentException("pod.workers must be between 1 and 64, got " + podWorkers);
    }
  }

  static Settings from(ContainersConfig config) {
    return new Settings(trim(config.node_name()), trim(config.engine_host()),
        Duration.ofSeconds(config.resync_interval_seconds()), config.pod_workers());
  }

  private static String trim(String value) {
    return value == null ? null : value.trim();
  }

  private static void require(String value, String key) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(key + " is required (configuration PID io.outpost.node)");
    }
  }
}
