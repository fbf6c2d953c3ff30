package io.outpost.store;

import io.outpost.protocol.EventReport;

/** An event waiting in the outbox; {@code sequence} orders it and names it for {@link EdgeStore#eventDelivered}. */
public record PendingEvent(long sequence, EventReport event) {}
