package io.outpost.containers.impl;

import io.outpost.containers.EngineStatus;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the node knows of its container engine: reachable or not since when (from the passes' lists), and its version,
 * asked once per connection. Logs each change once (not at every pass). Written from the manager's thread, read
 * from any ({@code outpost:status}, the node's metrics).
 */
final class EngineHealth {
  private static final Logger LOG = LoggerFactory.getLogger(EngineHealth.class);

  private final ContainerEngine engine;
  private final String host;
  private final Duration retry;
  private final Clock clock;
  private volatile EngineStatus status;

  EngineHealth(ContainerEngine engine, String host, Duration retry, Clock clock) {
    this.engine = engine;
    this.host = host;
    this.retry = retry;
    this.clock = clock;
    this.status = new EngineStatus(host, false, null, clock.instant());
  }

  EngineStatus status() {
    return status;
  }

  /** A pass could list the engine's containers. */
  void reachable() {
    if (!status.reachable()) {
      LOG.info("Container engine at {} is reachable", host);
      status = new EngineStatus(host, true, null, clock.instant());
    }
  }

  /** The engine's version, once per connection, when the pass's pods have had their turn. */
  void askVersion() {
    EngineStatus current = status;
    if (!current.reachable() || current.message() != null) {
      return;
    }
    try {
      String version = engine.version();
      LOG.info("Container engine at {} is version {}", host, version);
      status = new EngineStatus(current.host(), true, version, current.since());
    } catch (EngineException e) {
      // The next pass lists again and records the engine as unreachable if it is.
      LOG.debug("Asking the engine version failed: {}", e.getMessage());
    }
  }

  /** A pass could not list the engine's containers. */
  void unreachable(String message) {
    EngineStatus previous = status;
    if (previous.reachable() || previous.message() == null) {
      LOG.warn("Container engine at {} is unreachable, retrying every {} s: {}", host, retry.toSeconds(), message);
      status = new EngineStatus(host, false, message, clock.instant());
    }
  }
}
