package io.outpost.containers.impl;

import io.outpost.protocol.EventReport;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.DesiredState;
import io.outpost.store.Outbox;

/** The views of the edge store the container manager uses: the desired state, and the outboxes it reports to. */
interface PodStore {
  DesiredState desired();

  Outbox<PodStatusReport> statuses();

  Outbox<EventReport> events();

  static PodStore of(DesiredState desired, Outbox<PodStatusReport> statuses, Outbox<EventReport> events) {
    record Views(DesiredState desired, Outbox<PodStatusReport> statuses, Outbox<EventReport> events)
        implements PodStore {}
    return new Views(desired, statuses, events);
  }
}
