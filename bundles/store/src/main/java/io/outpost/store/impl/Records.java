package io.outpost.store.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Message;
import io.outpost.protocol.ProtocolException;
import java.util.Arrays;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

/** What every part of the edge store shares: the codec of stored messages and the counters in {@code meta}. */
final class Records {
  private final Codec codec;
  private final Store meta;

  Records(Codec codec, Store meta) {
    this.codec = codec;
    this.meta = meta;
  }

  ByteIterable encode(Message message) {
    return new ArrayByteIterable(codec.encode(message));
  }

  /** Only messages this store encoded itself are ever written, so an undecodable one is damage, not bad input. */
  <T extends Message> T decode(ByteIterable value, Class<T> type) {
    return decode(bytes(value), type);
  }

  <T extends Message> T decode(byte[] payload, Class<T> type) {
    try {
      return codec.decode(payload, type);
    } catch (ProtocolException e) {
      throw new IllegalStateException("edge store holds an undecodable " + type.getSimpleName() + ": "
          + e.getMessage(), e);
    }
  }

  long readLong(Transaction txn, String key) {
    ByteIterable value = meta.get(txn, StringBinding.stringToEntry(key));
    return value == null ? 0 : LongBinding.entryToLong(value);
  }

  void writeLong(Transaction txn, String key, long value) {
    meta.put(txn, StringBinding.stringToEntry(key), LongBinding.longToEntry(value));
  }

  static byte[] bytes(ByteIterable iterable) {
    return Arrays.copyOf(iterable.getBytesUnsafe(), iterable.getLength());
  }
}
