package io.outpost.store.impl;

import io.outpost.store.OutboxEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

/**
 * A coalescing outbox: {@code last} (object uid → last recorded report) and {@code waiting} (uid → version + report
 * not yet delivered); only the newest report of an object waits, under a durable, increasing version kept in
 * {@code meta} under {@code counter}. Pod statuses and device statuses are each one.
 */
final class CoalescingLog<T> implements OutboxLog<T> {
  private final Store last;
  private final Store waiting;
  private final Records records;
  private final StoreCodec codec;
  private final Class<T> type;
  private final Function<T, String> keyOf;
  private final String counter;

  CoalescingLog(Store last, Store waiting, Records records, StoreCodec codec, Class<T> type,
      Function<T, String> keyOf, String counter) {
    this.last = last;
    this.waiting = waiting;
    this.records = records;
    this.codec = codec;
    this.type = type;
    this.keyOf = keyOf;
    this.counter = counter;
  }

  @Override
  public boolean record(Transaction txn, T report) {
    byte[] encoded = codec.encode(report);
    ByteIterable key = StringBinding.stringToEntry(keyOf.apply(report));
    ByteIterable previous = last.get(txn, key);
    if (previous != null && Arrays.equals(Records.bytes(previous), encoded)) {
      return false;
    }
    last.put(txn, key, new ArrayByteIterable(encoded));
    enqueue(txn, key, encoded);
    return true;
  }

  /** Queues the encoded report under the next version, replacing what waited for that object. */
  private void enqueue(Transaction txn, ByteIterable key, byte[] encoded) {
    long version = records.readLong(txn, counter) + 1;
    records.writeLong(txn, counter, version);
    waiting.put(txn, key, versioned(version, encoded));
  }

  static ArrayByteIterable versioned(long version, byte[] encoded) {
    return new ArrayByteIterable(ByteBuffer.allocate(8 + encoded.length).putLong(version).put(encoded).array());
  }

  @Override
  public Optional<T> last(Transaction txn, String key) {
    return Optional.ofNullable(last.get(txn, StringBinding.stringToEntry(key)))
        .map(value -> codec.decode(Records.bytes(value), type));
  }

  @Override
  public int requeue(Transaction txn) {
    int added = 0;
    try (Cursor cursor = last.openCursor(txn)) {
      while (cursor.getNext()) {
        if (waiting.get(txn, cursor.getKey()) == null) {
          enqueue(txn, cursor.getKey(), Records.bytes(cursor.getValue()));
          added++;
        }
      }
    }
    return added;
  }

  @Override
  public List<OutboxEntry<T>> pending(Transaction txn, int max) {
    List<OutboxEntry<T>> pending = new ArrayList<>();
    try (Cursor cursor = waiting.openCursor(txn)) {
      while (cursor.getNext()) {
        ByteBuffer value = ByteBuffer.wrap(Records.bytes(cursor.getValue()));
        long version = value.getLong();
        byte[] payload = new byte[value.remaining()];
        value.get(payload);
        pending.add(new OutboxEntry<>(StringBinding.entryToString(cursor.getKey()), version,
            codec.decode(payload, type)));
      }
    }
    pending.sort(Comparator.comparingLong(OutboxEntry::version));
    return pending.size() > max ? List.copyOf(pending.subList(0, max)) : pending;
  }

  @Override
  public void delivered(Transaction txn, OutboxEntry<T> entry) {
    ByteIterable key = StringBinding.stringToEntry(entry.key());
    ByteIterable value = waiting.get(txn, key);
    if (value != null && ByteBuffer.wrap(Records.bytes(value)).getLong() == entry.version()) {
      waiting.delete(txn, key);
    }
  }

  @Override
  public int depth(Transaction txn) {
    return (int) waiting.count(txn);
  }

  @Override
  public long dropped(Transaction txn) {
    return 0;
  }

  @Override
  public void forget(Transaction txn, String key) {
    ByteIterable entry = StringBinding.stringToEntry(key);
    last.delete(txn, entry);
    waiting.delete(txn, entry);
  }
}
