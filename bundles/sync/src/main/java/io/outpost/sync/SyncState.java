package io.outpost.sync;

import java.time.Instant;
import java.util.Map;

/**
 * A snapshot of the sync state. {@code lastResyncAt} and {@code lastResyncObjects} describe the last completed resync
 * (null/0 before the first); {@code outboxDepth} counts undelivered pod and device statuses, {@code eventDepth} undelivered events
 * and {@code eventsDropped} events dropped because the event outbox was full; {@code rejected} counts refused downstream messages by reason.
 * {@code problem} says why the node is not connected — a refused configuration (it then never connects), or the
 * reason of the last failed attempt — and is null while connected.
 */
public record SyncState(
    String node,
    String broker,
    boolean connected,
    long epoch,
    long seq,
    int outboxDepth,
    int eventDepth,
    long eventsDropped,
    Instant lastResyncAt,
    long lastResyncObjects,
    Map<String, Long> rejected,
    Map<String, Long> outcomes,
    String problem) {}
