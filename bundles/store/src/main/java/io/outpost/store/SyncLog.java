package io.outpost.store;

import io.outpost.protocol.ObjectRef;
import java.util.List;

/**
 * The sync's side of the store: the ordered log of changes to the desired state and where in the cloud's stream the
 * node is. Each call is one transaction: the sequence check, the object change and the new position commit together
 * or not at all, and a call that returns has committed to disk.
 */
public interface SyncLog {

  /** Applies one change if it is the next in sequence (see {@link ApplyResult.Outcome} for what else can happen). */
  ApplyResult apply(Change change);

  /**
   * Applies changes in order in one transaction (one fsync): each is checked against the position the previous one
   * left, exactly as if applied one by one.
   */
  List<ApplyResult> applyAll(List<Change> changes);

  /** The bridge incarnation and sequence number of the last change applied. */
  SyncPosition position();

  /**
   * The digest of what the store holds: one reference (with resourceVersion) per object, leaving out objects the
   * cloud deleted during a resync that has not ended yet (they are removed at its end).
   */
  List<ObjectRef> held();
}
