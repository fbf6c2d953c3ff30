package io.outpost.containers.impl;

import java.time.Instant;
import java.util.Map;

/**
 * What the manager needs to know about one engine container, taken from the engine's inspect data. Timestamps are
 * RFC 3339 in UTC with second precision, or null when the engine reports none.
 *
 * @param status the engine's state name (created, running, paused, restarting, exited, dead, ...)
 * @param started when the engine last started the container, at the engine's full precision (null if never): tells
 *     one run of a container from the next, which keeps its id
 * @param stopSignal the signal the engine stops the container with ({@code Config.StopSignal}: the create request's,
 *     else the image's {@code STOPSIGNAL}; a name or a number as the engine reports it), null if it reports none
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
    String ip,
    Instant started,
    String stopSignal) {

  /** A container whose stop signal is not known (the engine's default). */
  EngineContainer(String id, String name, Map<String, String> labels, String status, boolean running,
      Integer exitCode, boolean oomKilled, String error, String createdAt, String startedAt, String finishedAt,
      String imageId, String ip, Instant started) {
    this(id, name, labels, status, running, exitCode, oomKilled, error, createdAt, startedAt, finishedAt, imageId, ip,
        started, null);
  }

  /** A container whose start is known at second precision only ({@link #startedAt}). */
  EngineContainer(String id, String name, Map<String, String> labels, String status, boolean running,
      Integer exitCode, boolean oomKilled, String error, String createdAt, String startedAt, String finishedAt,
      String imageId, String ip) {
    this(id, name, labels, status, running, exitCode, oomKilled, error, createdAt, startedAt, finishedAt, imageId, ip,
        Timestamps.parse(startedAt));
  }

  String label(String key) {
    return labels == null ? null : labels.get(key);
  }

  /** Created but never started: the engine has no start time for it. */
  boolean neverStarted() {
    return !running && startedAt == null && ("created".equals(status) || "configured".equals(status)
        || "initialized".equals(status));
  }
}
