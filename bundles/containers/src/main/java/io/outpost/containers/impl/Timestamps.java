package io.outpost.containers.impl;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** Engine timestamps to RFC 3339 (UTC, whole seconds, as Kubernetes writes them). */
final class Timestamps {
  private Timestamps() {}

  /** Null for null, blank, unparseable or the engine's zero time ({@code 0001-01-01T00:00:00Z}). */
  static String rfc3339(String engineTime) {
    Instant instant = parse(engineTime);
    return instant == null ? null : instant.toString();
  }

  static Instant parse(String engineTime) {
    Instant instant = exact(engineTime);
    return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS);
  }

  /** At the engine's full precision (Podman: nanoseconds); null as for {@link #rfc3339}. */
  static Instant exact(String engineTime) {
    if (engineTime == null || engineTime.isBlank()) {
      return null;
    }
    try {
      Instant instant = OffsetDateTime.parse(engineTime.trim()).toInstant();
      return instant.getEpochSecond() <= 0 ? null : instant;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
