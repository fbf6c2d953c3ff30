package io.outpost.store.impl;

import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.StoreConfig;

/**
 * The version of the store's on-disk layout, kept in {@code meta} under {@value #KEY}. Version 1 (releases before
 * the key existed) stored the wire codec's messages; version {@value #CURRENT} is the store's own encoding
 * ({@link StoreCodec}). Opening checks it before anything is written: a newer version is refused untouched, an
 * older one is migrated in one transaction ({@link V1Migration}).
 */
final class Schema {
  static final int CURRENT = 2;
  static final String KEY = "schemaVersion";

  private Schema() {}

  /** The schema version of the store in {@code env}: 1 if it has data but no version, CURRENT if it is empty. */
  static long version(Environment env) {
    return env.computeInReadonlyTransaction(txn -> {
      if (!env.storeExists("meta", txn)) {
        return (long) (env.getAllStoreNames(txn).isEmpty() ? CURRENT : 1);
      }
      Store meta = env.openStore("meta", StoreConfig.WITHOUT_DUPLICATES, txn);
      var value = meta.get(txn, StringBinding.stringToEntry(KEY));
      return value == null ? 1L : LongBinding.entryToLong(value);
    });
  }

  /** Refuses a store written by a newer release, with what to do about it. */
  static void requireReadable(long version, java.nio.file.Path directory) {
    if (version > CURRENT) {
      throw new IllegalStateException("The edge store at " + directory + " has schema version " + version
          + ", newer than this release reads (" + CURRENT + "): it was written by a newer Outpost. It was not"
          + " opened or changed; run that release again, or restore a backup taken before the upgrade");
    }
  }
}
