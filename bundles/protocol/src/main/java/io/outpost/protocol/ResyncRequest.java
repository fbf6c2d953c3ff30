package io.outpost.protocol;

import java.util.List;

/**
 * Sent by the edge on {@code up/resync} on every (re)connect and whenever it detects a gap: the digest of what it
 * holds. The bridge answers on {@code down} with SYNC_BEGIN, the difference (UPSERT/DELETE), then SYNC_END, all
 * carrying this request's correlation id on the markers.
 */
public record ResyncRequest(
    int v, String node, String correlationId, long epoch, long lastSeq, String reason, List<ObjectRef> held)
    implements Message {

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(correlationId, "correlationId");
    Validation.require(held, "held");
    for (ObjectRef ref : held) {
      Validation.require(ref, "held[]");
      ref.validate();
    }
  }
}
