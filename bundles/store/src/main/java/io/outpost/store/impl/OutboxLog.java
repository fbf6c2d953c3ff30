package io.outpost.store.impl;

import io.outpost.store.OutboxEntry;
import java.util.List;
import java.util.Optional;
import jetbrains.exodus.env.Transaction;

/** How an outbox keeps its entries inside the store's transactions: coalescing by object, or appending. */
interface OutboxLog<T> {
  boolean record(Transaction txn, T report);

  List<OutboxEntry<T>> pending(Transaction txn, int max);

  void delivered(Transaction txn, OutboxEntry<T> entry);

  int depth(Transaction txn);

  long dropped(Transaction txn);

  Optional<T> last(Transaction txn, String key);

  void forget(Transaction txn, String key);

  int requeue(Transaction txn);
}
