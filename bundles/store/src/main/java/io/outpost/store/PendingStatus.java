package io.outpost.store;

import io.outpost.protocol.PodStatusReport;

/** A status waiting in the outbox; {@code version} identifies it for {@link EdgeStore#statusDelivered}. */
public record PendingStatus(String uid, long version, PodStatusReport report) {}
