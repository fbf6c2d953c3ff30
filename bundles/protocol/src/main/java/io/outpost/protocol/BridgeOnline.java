package io.outpost.protocol;

/**
 * Published retained on {@link Topics#BRIDGE_ONLINE} each time the bridge has (re)subscribed. An edge that sees a
 * new {@code sessionId} sends a resync request at once: anything sent while the bridge was away may be lost.
 */
public record BridgeOnline(int v, long epoch, String sessionId, String since) implements Message {

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(sessionId, "sessionId");
    if (epoch <= 0) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "epoch must be positive");
    }
  }
}
