package io.outpost.sync;

/** What the edge's link to the cloud is doing; for console commands and health checks. */
public interface SyncService {

  SyncState state();

  /** Sends a digest of the store to the bridge now; the bridge answers with the difference. */
  void requestResync(String reason);
}
