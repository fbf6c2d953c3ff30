package io.outpost.store.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.store.Change;
import io.outpost.store.SyncPosition;

/** Sync-log changes for tests, by position. */
final class Changes {
  private Changes() {}

  static Change put(long epoch, long seq, ObjectRef ref, Object spec) {
    return new Change.Put(new SyncPosition(epoch, seq), ref, spec);
  }

  static Change remove(long epoch, long seq, ObjectRef ref) {
    return new Change.Remove(new SyncPosition(epoch, seq), ref);
  }

  static Change begin(long epoch, long seq) {
    return new Change.ResyncBegin(new SyncPosition(epoch, seq));
  }

  static Change end(long epoch, long seq) {
    return new Change.ResyncEnd(new SyncPosition(epoch, seq));
  }
}
