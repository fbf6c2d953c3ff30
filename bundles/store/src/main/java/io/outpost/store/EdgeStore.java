package io.outpost.store;

import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import java.util.List;

/**
 * The durable state of one edge node. Every method is one transaction; a method that returns has committed to disk,
 * so whatever it acknowledged survives a crash.
 */
public interface EdgeStore {

  /**
   * Applies one downstream message in one transaction: the sequence check, the object change and the new sync
   * position commit together or not at all.
   */
  ApplyResult apply(Downstream message);

  SyncPosition position();

  /** Every pod the cloud wants on this node, including pods being deleted gracefully. */
  List<StoredPod> pods();

  /** The digest of what the store holds: one reference (with resourceVersion) per object. */
  List<ObjectRef> held();

  /**
   * Records the newest status of a pod for upstream delivery. Coalesced: a newer status replaces an undelivered
   * older one; a status equal to the last recorded one is ignored. Returns true if the outbox changed.
   */
  boolean recordStatus(PodStatusReport report);

  /** Undelivered statuses, oldest first, at most {@code max}. */
  List<PendingStatus> pendingStatuses(int max);

  /** Removes a status from the outbox if it is still the version that was delivered. */
  void statusDelivered(String uid, long version);

  int outboxDepth();

  /** Forgets the recorded and pending status of a pod the node no longer holds. */
  void forgetStatus(String uid);
}
