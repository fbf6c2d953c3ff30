package io.outpost.sync.impl;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * At most one resync in flight. A new request is only issued when none is pending or the pending one timed out, so a
 * burst of gaps costs one digest, not one per message. Confined to the sync executor.
 */
final class ResyncTracker {
  private final Clock clock;
  private final Duration timeout;
  private String pendingId;
  private Instant pendingSince;
  private boolean inAnswer;
  private long objectsInAnswer;
  private Instant lastCompletedAt;
  private long lastObjects;

  ResyncTracker(Clock clock, Duration timeout) {
    this.clock = clock;
    this.timeout = timeout;
  }

  /** A new correlation id if a request should be sent now, else null. */
  String begin() {
    Instant now = clock.instant();
    if (pendingId != null && now.isBefore(pendingSince.plus(timeout))) {
      return null;
    }
    pendingId = UUID.randomUUID().toString();
    pendingSince = now;
    inAnswer = false;
    return pendingId;
  }

  boolean isPending(String correlationId) {
    return correlationId != null && correlationId.equals(pendingId);
  }

  boolean hasPending() {
    return pendingId != null;
  }

  /** Forgets a pending request, e.g. when the connection drops before the answer arrived. */
  void abandon() {
    pendingId = null;
    inAnswer = false;
  }

  void answerStarted(String correlationId) {
    if (correlationId.equals(pendingId)) {
      inAnswer = true;
      objectsInAnswer = 0;
    }
  }

  void objectApplied() {
    if (inAnswer) {
      objectsInAnswer++;
    }
  }

  /** True if this ended the pending resync. */
  boolean answerEnded(String correlationId) {
    if (!correlationId.equals(pendingId)) {
      return false;
    }
    lastCompletedAt = clock.instant();
    lastObjects = objectsInAnswer;
    pendingId = null;
    inAnswer = false;
    return true;
  }

  Instant lastCompletedAt() {
    return lastCompletedAt;
  }

  long lastObjects() {
    return lastObjects;
  }
}
