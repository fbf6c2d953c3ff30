package io.outpost.store;

import java.util.Set;

/**
 * Whiteboard service: register one to hear about committed changes. Called on the store's notification thread after
 * commit; implementations hand work to their own executor and return at once.
 */
public interface StoreListener {

  /** Pods (by store key) that were created, changed or removed. */
  default void podsChanged(Set<String> keys) {}

  /** The upstream outbox has new entries. */
  default void outboxChanged() {}
}
