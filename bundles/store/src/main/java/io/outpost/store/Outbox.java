package io.outpost.store;

import java.util.List;
import java.util.Optional;

/**
 * Reports waiting for upstream delivery, durably: pod statuses, device statuses and events are each one of these
 * (OSGi services told apart by {@link #NAME}). A status outbox coalesces by object: only the newest report of an
 * object waits, and the last one recorded is kept after delivery. The event outbox appends, merges a repeat of the
 * newest entry into it, and keeps at most a configured number, dropping (and counting) the oldest. Every call is one
 * transaction; {@link StoreListener#outboxChanged} is told after a {@link #record} that changed it.
 */
public interface Outbox<T> {
  /** Service property naming which outbox a service is: {@link #POD_STATUS}, {@link #DEVICE_STATUS}, {@link #EVENT}. */
  String NAME = "outpost.outbox";
  String POD_STATUS = "pod-status";
  String DEVICE_STATUS = "device-status";
  String EVENT = "event";

  /** Records a report for delivery; true if the outbox changed (a status equal to the last one changes nothing). */
  boolean record(T report);

  /** Undelivered entries, oldest first, at most {@code max}. */
  List<OutboxEntry<T>> pending(int max);

  /** Removes a delivered entry, unless a newer report replaced it (or a repeat merged into it) since it was read. */
  void delivered(OutboxEntry<T> entry);

  /** How many entries wait. */
  int depth();

  /** Entries dropped because the outbox was full, over the life of the store (0 for a coalescing outbox). */
  long dropped();

  /**
   * The last report recorded for an object ({@code key}: its uid), delivered or not, so that a restarted node
   * continues from it; empty for the event outbox.
   */
  Optional<T> last(String key);

  /** Forgets the recorded and waiting report of an object the node no longer holds. */
  void forget(String key);

  /**
   * Puts the last report of every object back in the outbox (unless one waits already), for a bridge that may not
   * have received what was delivered before; returns how many were added (0 for the event outbox).
   */
  int requeue();
}
