package io.outpost.sync.impl;

import io.outpost.store.impl.XodusEdgeStore;

/** The sync's views of a real store, as the component gets them from the store's services. */
final class TestStores {
  private TestStores() {}

  static SyncStore sync(XodusEdgeStore store) {
    return new SyncStore(store, store.podStatuses(), store.deviceStatuses(), store.events());
  }
}
