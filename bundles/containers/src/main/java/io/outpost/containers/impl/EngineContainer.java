package io.outpost.containers.impl;

import java.util.Map;

/**
 * What the manager needs to know about one engine container, taken from the engine's inspect data. Timestamps are
 * RFC 3339 in UTC with second precision, or null when the engine reports none.
 *
 * @param status the engine's state name (created, running, paused, restarting, exited, dead, ...)
 */
record EngineContainer(
    String id,
    String name,
    Map<String, String> labels,
    String status,
    boolean running,
    Integer exitCode,
    boolean oomKilled,
    String error,
    String createdAt,
    String startedAt,
    String finishedAt,
    String imageId,
    String ip) {

  String label(String key) {
    return labels == null ? null : labels.get(key);
  }

  /** Created but never started: the engine has no start time for it. */
  boolean neverStarted() {
    return !running && startedAt == null && ("created".equals(status) || "configured".equals(status)
        || "initialized".equals(status));
  }
}
