package io.outpost.store.impl;

import io.outpost.protocol.EventReport;
import java.util.Objects;

/**
 * When an event repeats the newest waiting one: the same event again with a higher count (same id: the edge's
 * correlator counts repeats itself, as the kubelet's does) replaces it; an identical event under a new id adds its
 * count to it.
 */
final class EventRepeats implements AppendLog.Merge<EventReport> {

  @Override
  public EventReport merge(EventReport newest, EventReport event) {
    if (newest.id().equals(event.id())) {
      return event.count() >= newest.count() ? event : newest;
    }
    if (sameEvent(newest, event)) {
      return newest.repeated(newest.count() + event.count(), event.lastTimestamp());
    }
    return null;
  }

  private static boolean sameEvent(EventReport a, EventReport b) {
    return a.ref().uid().equals(b.ref().uid()) && a.type().equals(b.type()) && a.reason().equals(b.reason())
        && Objects.equals(a.message(), b.message()) && Objects.equals(a.fieldPath(), b.fieldPath());
  }
}
