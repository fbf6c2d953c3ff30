package io.outpost.sync.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.ApplyResult;
import io.outpost.store.EdgeStore;
import io.outpost.store.PendingStatus;
import io.outpost.store.StoredPod;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.XodusEdgeStore;
import java.nio.file.Path;
import java.util.List;

/** The real Xodus store, outside OSGi. */
final class TestStore implements EdgeStore, AutoCloseable {
  private final XodusEdgeStore store;

  TestStore(Path dir) {
    store = new XodusEdgeStore(dir, new Codec());
  }

  @Override public ApplyResult apply(Downstream message) {
    return store.apply(message).result();
  }

  @Override public SyncPosition position() {
    return store.position();
  }

  @Override public List<StoredPod> pods() {
    return store.pods();
  }

  @Override public List<ObjectRef> held() {
    return store.held();
  }

  @Override public boolean recordStatus(PodStatusReport report) {
    return store.recordStatus(report);
  }

  @Override public List<PendingStatus> pendingStatuses(int max) {
    return store.pendingStatuses(max);
  }

  @Override public void statusDelivered(String uid, long version) {
    store.statusDelivered(uid, version);
  }

  @Override public int outboxDepth() {
    return store.outboxDepth();
  }

  @Override public void forgetStatus(String uid) {
    store.forgetStatus(uid);
  }

  @Override public void close() {
    store.close();
  }
}
