package io.outpost.sync;

/** What the edge's link to the cloud is doing; for console commands and health checks. */
public interface SyncService {

  SyncState state();

  /** Sends a digest of the store to the bridge now; the bridge answers with the difference. */
  void requestResync(String reason);

  /**
   * Joins this node to the bridge at {@code url} with a one-time {@code token}, trusting the bridge by its CA's
   * {@code sha256:} fingerprint; stores the identity and reconnects with it. Returns a description of the identity;
   * throws {@link IllegalStateException} with the bridge's reason if refused.
   */
  String join(String url, String token, String caFingerprint);
}
