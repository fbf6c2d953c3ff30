package io.outpost.store.impl;

import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.StoreConfig;
import jetbrains.exodus.env.Transaction;

/**
 * The named Xodus stores of one edge store: {@code objects} (store key → object), {@code meta} (schema version, sync
 * position, resync flag, counters), {@code pendingDeletes} (keys whose removal waits for the end of a resync),
 * {@code lastStatus}/{@code outbox} and {@code lastDeviceStatus}/{@code deviceOutbox} (the coalescing pod and device
 * status outboxes), {@code events} (the appending event outbox).
 */
record Stores(Store objects, Store meta, Store pendingDeletes, Store lastStatus, Store statusOutbox,
    Store lastDeviceStatus, Store deviceOutbox, Store events) {

  static Stores open(Environment env, Transaction txn) {
    return new Stores(
        open(env, "objects", txn), open(env, "meta", txn), open(env, "pendingDeletes", txn),
        open(env, "lastStatus", txn), open(env, "outbox", txn),
        open(env, "lastDeviceStatus", txn), open(env, "deviceOutbox", txn), open(env, "events", txn));
  }

  private static Store open(Environment env, String name, Transaction txn) {
    return env.openStore(name, StoreConfig.WITHOUT_DUPLICATES, txn);
  }
}
