package io.outpost.sync.impl;

import io.outpost.protocol.Downstream;
import io.outpost.store.Change;
import io.outpost.store.SyncPosition;

/**
 * The sync boundary, downstream: a validated wire message becomes the store's change. The envelope (protocol
 * version, correlation id, the body field per kind) stays here; the store gets a position, a ref and a spec.
 */
final class WireChanges {
  private WireChanges() {}

  /** The change a message asks for; DIGEST_MISMATCH is a control message and never reaches the store. */
  static Change of(Downstream message) {
    SyncPosition at = new SyncPosition(message.epoch(), message.seq());
    return switch (message.op()) {
      case UPSERT -> new Change.Put(at, message.ref(), spec(message));
      case DELETE -> new Change.Remove(at, message.ref());
      case SYNC_BEGIN -> new Change.ResyncBegin(at);
      case SYNC_END -> new Change.ResyncEnd(at);
      case DIGEST_MISMATCH -> throw new IllegalArgumentException("DIGEST_MISMATCH changes nothing in the store");
    };
  }

  private static Object spec(Downstream message) {
    return switch (message.ref().kind()) {
      case Downstream.KIND_POD -> message.pod();
      case Downstream.KIND_CONFIG_MAP -> message.configMap();
      case Downstream.KIND_SECRET -> message.secret();
      case Downstream.KIND_NODE -> message.node();
      case Downstream.KIND_DEVICE -> message.device();
      case Downstream.KIND_DEVICE_MODEL -> message.deviceModel();
      case Downstream.KIND_SERVICE_ACCOUNT_TOKEN -> message.serviceAccountTokens();
      case Downstream.KIND_SERVICE -> message.service();
      case Downstream.KIND_ENDPOINT_SLICE -> message.endpointSlice();
      case Downstream.KIND_SITE_NETWORK -> message.siteNetwork();
      default -> throw new IllegalArgumentException("unsupported kind " + message.ref().kind());
    };
  }
}
