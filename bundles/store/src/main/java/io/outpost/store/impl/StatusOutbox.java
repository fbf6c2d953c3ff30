package io.outpost.store.impl;

import io.outpost.protocol.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

/**
 * A coalesced status outbox inside the edge store's transactions: {@code lastStatus} (uid → last recorded status)
 * and {@code outbox} (uid → version + status not yet delivered); only the newest status of an object waits, under a
 * durable, increasing version. One for pods, one for devices.
 */
final class StatusOutbox<T extends Message> {
  /** A waiting status: its object's uid, its version and the status. */
  record Pending<T>(String uid, long version, T report) {}

  private final Store lastStatus;
  private final Store outbox;
  private final Records records;
  private final Class<T> type;
  private final String counter;

  StatusOutbox(Store lastStatus, Store outbox, Records records, Class<T> type, String counter) {
    this.lastStatus = lastStatus;
    this.outbox = outbox;
    this.records = records;
    this.type = type;
    this.counter = counter;
  }

  /** Records the status unless it equals the last one; true if it was recorded (and queued). */
  boolean record(Transaction txn, String uid, byte[] encoded) {
    ByteIterable key = StringBinding.stringToEntry(uid);
    ByteIterable previous = lastStatus.get(txn, key);
    if (previous != null && Arrays.equals(Records.bytes(previous), encoded)) {
      return false;
    }
    lastStatus.put(txn, key, new ArrayByteIterable(encoded));
    enqueue(txn, key, encoded);
    return true;
  }

  /** Queues the encoded status under the next version, replacing what waited for that pod. */
  private void enqueue(Transaction txn, ByteIterable key, byte[] encoded) {
    long version = records.readLong(txn, counter) + 1;
    records.writeLong(txn, counter, version);
    outbox.put(txn, key, new ArrayByteIterable(ByteBuffer.allocate(8 + encoded.length)
        .putLong(version).put(encoded).array()));
  }

  Optional<T> last(Transaction txn, String uid) {
    return Optional.ofNullable(lastStatus.get(txn, StringBinding.stringToEntry(uid)))
        .map(value -> records.decode(value, type));
  }

  /** Queues the last status of every pod whose status is not waiting already; returns how many. */
  int requeue(Transaction txn) {
    int added = 0;
    try (Cursor cursor = lastStatus.openCursor(txn)) {
      while (cursor.getNext()) {
        if (outbox.get(txn, cursor.getKey()) == null) {
          enqueue(txn, cursor.getKey(), Records.bytes(cursor.getValue()));
          added++;
        }
      }
    }
    return added;
  }

  /** Waiting statuses, oldest version first, at most {@code max}. */
  List<Pending<T>> pending(Transaction txn, int max) {
    List<Pending<T>> pending = new ArrayList<>();
    try (Cursor cursor = outbox.openCursor(txn)) {
      while (cursor.getNext()) {
        ByteBuffer value = ByteBuffer.wrap(Records.bytes(cursor.getValue()));
        long version = value.getLong();
        byte[] payload = new byte[value.remaining()];
        value.get(payload);
        pending.add(new Pending<>(StringBinding.entryToString(cursor.getKey()), version,
            records.decode(payload, type)));
      }
    }
    pending.sort(Comparator.comparingLong(Pending::version));
    return pending.size() > max ? List.copyOf(pending.subList(0, max)) : pending;
  }

  /** Removes the waiting status if it is still the one delivered (a newer one stays). */
  void delivered(Transaction txn, String uid, long version) {
    ByteIterable key = StringBinding.stringToEntry(uid);
    ByteIterable value = outbox.get(txn, key);
    if (value != null && ByteBuffer.wrap(Records.bytes(value)).getLong() == version) {
      outbox.delete(txn, key);
    }
  }

  int depth(Transaction txn) {
    return (int) outbox.count(txn);
  }

  void forget(Transaction txn, String uid) {
    ByteIterable key = StringBinding.stringToEntry(uid);
    lastStatus.delete(txn, key);
    outbox.delete(txn, key);
  }
}
