package io.outpost.store;

/** The bridge incarnation ({@code epoch}) whose stream the store follows and the last sequence number applied. */
public record SyncPosition(long epoch, long seq) {
  public static final SyncPosition NONE = new SyncPosition(0, 0);
}
