package io.outpost.store;

import java.util.Set;

/**
 * Whiteboard service: register one to hear about committed changes. Called on the store's notification thread after
 * commit; implementations hand work to their own executor and return at once.
 */
public interface StoreListener {

  /** Objects (by store key, any kind) that were created, changed or removed. */
  default void objectsChanged(Set<String> keys) {}

  /** The upstream outbox (statuses or events) has new entries. */
  default void outboxChanged() {}
}
