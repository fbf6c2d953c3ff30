package io.outpost.store.impl;

import java.util.Arrays;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

/** The counters and flags every part of the edge store keeps in its {@code meta} store. */
final class Records {
  private final Store meta;

  Records(Store meta) {
    this.meta = meta;
  }

  long readLong(Transaction txn, String key) {
    ByteIterable value = meta.get(txn, StringBinding.stringToEntry(key));
    return value == null ? 0 : LongBinding.entryToLong(value);
  }

  boolean has(Transaction txn, String key) {
    return meta.get(txn, StringBinding.stringToEntry(key)) != null;
  }

  void writeLong(Transaction txn, String key, long value) {
    meta.put(txn, StringBinding.stringToEntry(key), LongBinding.longToEntry(value));
  }

  static byte[] bytes(ByteIterable iterable) {
    return Arrays.copyOf(iterable.getBytesUnsafe(), iterable.getLength());
  }
}
