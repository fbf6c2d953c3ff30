package io.outpost.store.impl;

import io.outpost.store.OutboxEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

/**
 * An appending, bounded outbox: {@code entries} (sequence → revision + report), a repeat of the newest entry merged
 * into it (its revision raised, so it is delivered again), the oldest dropped beyond {@code max} and counted durably.
 * The event outbox is one.
 */
final class AppendLog<T> implements OutboxLog<T> {

  /** Merges a report into the newest entry if it repeats it; null if it is a different one. */
  interface Merge<T> {
    T merge(T newest, T incoming);
  }

  private final Store entries;
  private final Records records;
  private final StoreCodec codec;
  private final Class<T> type;
  private final Merge<T> merge;
  private final int max;
  private final String counter;
  private final String droppedCounter;

  AppendLog(Store entries, Records records, StoreCodec codec, Class<T> type, Merge<T> merge, int max,
      String counter, String droppedCounter) {
    this.entries = entries;
    this.records = records;
    this.codec = codec;
    this.type = type;
    this.merge = merge;
    this.max = max;
    this.counter = counter;
    this.droppedCounter = droppedCounter;
  }

  @Override
  public boolean record(Transaction txn, T report) {
    try (Cursor cursor = entries.openCursor(txn)) {
      if (cursor.getLast()) {
        OutboxEntry<T> newest = entry(cursor.getKey(), cursor.getValue());
        T merged = merge.merge(newest.report(), report);
        if (merged != null) {
          if (merged.equals(newest.report())) {
            return false;
          }
          entries.put(txn, cursor.getKey(), CoalescingLog.versioned(newest.version() + 1, codec.encode(merged)));
          return true;
        }
      }
    }
    long sequence = records.readLong(txn, counter) + 1;
    records.writeLong(txn, counter, sequence);
    entries.put(txn, LongBinding.longToCompressedEntry(sequence), CoalescingLog.versioned(1, codec.encode(report)));
    int dropped = 0;
    while (entries.count(txn) > max) {
      try (Cursor cursor = entries.openCursor(txn)) {
        if (!cursor.getNext()) {
          break;
        }
        cursor.deleteCurrent();
        dropped++;
      }
    }
    if (dropped > 0) {
      records.writeLong(txn, droppedCounter, records.readLong(txn, droppedCounter) + dropped);
    }
    return true;
  }

  private OutboxEntry<T> entry(ByteIterable key, ByteIterable value) {
    ByteBuffer buffer = ByteBuffer.wrap(Records.bytes(value));
    long revision = buffer.getLong();
    byte[] payload = new byte[buffer.remaining()];
    buffer.get(payload);
    return new OutboxEntry<>(Long.toString(LongBinding.compressedEntryToLong(key)), revision,
        codec.decode(payload, type));
  }

  @Override
  public List<OutboxEntry<T>> pending(Transaction txn, int limit) {
    List<OutboxEntry<T>> pending = new ArrayList<>();
    try (Cursor cursor = entries.openCursor(txn)) {
      while (pending.size() < limit && cursor.getNext()) {
        pending.add(entry(cursor.getKey(), cursor.getValue()));
      }
    }
    return pending;
  }

  /** Removes a delivered entry unless a repeat was merged into it since it was read. */
  @Override
  public void delivered(Transaction txn, OutboxEntry<T> delivered) {
    ByteIterable key = LongBinding.longToCompressedEntry(Long.parseLong(delivered.key()));
    ByteIterable value = entries.get(txn, key);
    if (value != null && ByteBuffer.wrap(Records.bytes(value)).getLong() == delivered.version()) {
      entries.delete(txn, key);
    }
  }

  @Override
  public int depth(Transaction txn) {
    return (int) entries.count(txn);
  }

  @Override
  public long dropped(Transaction txn) {
    return records.readLong(txn, droppedCounter);
  }

  @Override
  public Optional<T> last(Transaction txn, String key) {
    return Optional.empty();
  }

  @Override
  public void forget(Transaction txn, String key) {
    // Events are about what happened; they are delivered even for an object that is gone.
  }

  @Override
  public int requeue(Transaction txn) {
    return 0;
  }
}
