package io.outpost.store.impl;

import io.outpost.protocol.EventReport;
import io.outpost.store.PendingEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

/**
 * The bounded event outbox inside the edge store's transactions: append-only ({@code sequence → event}), repeats
 * of the newest entry merged into it, the oldest dropped beyond {@code maxEvents} and counted durably. A repeat is
 * either the same event again with a higher count (same id: the edge's correlator counts repeats itself, as the
 * kubelet's does) — it replaces the entry — or an identical event under a new id (count added, as before).
 */
final class EventOutbox {
  private static final String EVENT_COUNTER = "eventCounter";
  private static final String EVENTS_DROPPED = "eventsDropped";

  private final Store events;
  private final Records records;
  private final int maxEvents;

  EventOutbox(Store events, Records records, int maxEvents) {
    this.events = events;
    this.records = records;
    this.maxEvents = maxEvents;
  }

  /** Appends (or merges into the newest entry); returns how many events were dropped (0 or 1). */
  int record(Transaction txn, EventReport event) {
    try (Cursor cursor = events.openCursor(txn)) {
      if (cursor.getLast()) {
        EventReport last = records.decode(cursor.getValue(), EventReport.class);
        if (last.id().equals(event.id())) {
          EventReport newer = event.count() >= last.count() ? event : last;
          events.put(txn, cursor.getKey(), records.encode(newer));
          return 0;
        }
        if (sameEvent(last, event)) {
          events.put(txn, cursor.getKey(), records.encode(last.repeated(last.count() + event.count(),
              event.lastTimestamp())));
          return 0;
        }
      }
    }
    long sequence = records.readLong(txn, EVENT_COUNTER) + 1;
    records.writeLong(txn, EVENT_COUNTER, sequence);
    events.put(txn, LongBinding.longToCompressedEntry(sequence), records.encode(event));
    int dropped = 0;
    while (events.count(txn) > maxEvents) {
      try (Cursor cursor = events.openCursor(txn)) {
        if (!cursor.getNext()) {
          break;
        }
        cursor.deleteCurrent();
        dropped++;
      }
    }
    if (dropped > 0) {
      records.writeLong(txn, EVENTS_DROPPED, records.readLong(txn, EVENTS_DROPPED) + dropped);
    }
    return dropped;
  }

  private static boolean sameEvent(EventReport a, EventReport b) {
    return a.ref().uid().equals(b.ref().uid()) && a.type().equals(b.type()) && a.reason().equals(b.reason())
        && Objects.equals(a.message(), b.message()) && Objects.equals(a.fieldPath(), b.fieldPath());
  }

  List<PendingEvent> pending(Transaction txn, int max) {
    List<PendingEvent> pending = new ArrayList<>();
    try (Cursor cursor = events.openCursor(txn)) {
      while (pending.size() < max && cursor.getNext()) {
        pending.add(new PendingEvent(LongBinding.compressedEntryToLong(cursor.getKey()),
            records.decode(cursor.getValue(), EventReport.class)));
      }
    }
    return pending;
  }

  /** Removes a delivered event unless it was merged with a repeat since it was read. */
  void delivered(Transaction txn, PendingEvent delivered) {
    ByteIterable key = LongBinding.longToCompressedEntry(delivered.sequence());
    ByteIterable value = events.get(txn, key);
    if (value != null && records.decode(value, EventReport.class).equals(delivered.event())) {
      events.delete(txn, key);
    }
  }

  int depth(Transaction txn) {
    return (int) events.count(txn);
  }

  long dropped(Transaction txn) {
    return records.readLong(txn, EVENTS_DROPPED);
  }
}
