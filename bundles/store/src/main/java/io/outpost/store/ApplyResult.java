package io.outpost.store;

/** What {@link SyncLog#apply} did with a message, and why. */
public record ApplyResult(Outcome outcome, SyncPosition position, String detail) {

  public enum Outcome {
    /** The message changed the store and advanced the sequence. */
    APPLIED(true),
    /** A resync began: the sequence base was reset to the marker's sequence number. */
    SYNC_STARTED(true),
    /** A resync ended. */
    SYNC_ENDED(true),
    /** The object in the message is older than the one held: the sequence advanced, the object did not change. */
    STALE(true),
    /** The sequence number was already applied. Nothing changed. */
    DUPLICATE(false),
    /** From an older bridge incarnation than the one the store follows. Nothing changed. */
    OLD_EPOCH(false),
    /** The sequence skips numbers, or a new bridge incarnation started: the node must resync. Nothing changed. */
    GAP(false);

    private final boolean advanced;

    Outcome(boolean advanced) {
      this.advanced = advanced;
    }

    /** True if the message was consumed in sequence and may be acknowledged as applied. */
    public boolean advanced() {
      return advanced;
    }
  }
}
