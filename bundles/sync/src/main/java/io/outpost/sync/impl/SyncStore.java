package io.outpost.sync.impl;

import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.Outbox;
import io.outpost.store.SyncLog;
import io.outpost.store.SyncPosition;
import java.util.List;

/** The views of the edge store the sync uses: the sync log it applies to, and the three outboxes it delivers. */
record SyncStore(SyncLog log, Outbox<PodStatusReport> podStatuses, Outbox<DeviceStatusReport> deviceStatuses,
    Outbox<EventReport> events) {

  SyncPosition position() {
    return log.position();
  }

  List<ObjectRef> held() {
    return log.held();
  }

  /** Offers the newest status of every pod and device again; returns how many. */
  int requeueStatuses() {
    return podStatuses.requeue() + deviceStatuses.requeue();
  }

  /** Pod and device statuses waiting. */
  int statusDepth() {
    return podStatuses.depth() + deviceStatuses.depth();
  }
}
