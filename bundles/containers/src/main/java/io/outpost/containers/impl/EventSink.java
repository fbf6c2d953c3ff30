package io.outpost.containers.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.store.EdgeStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records Kubernetes-style events about pods (Pulling, Pulled, Created, Started, Killing, BackOff, Failed) in the
 * store's durable event outbox, from which the sync delivers them to the bridge. Thread-safe.
 */
final class EventSink {
  private static final Logger LOG = LoggerFactory.getLogger(EventSink.class);
  private static final SecureRandom IDS = new SecureRandom();

  private final EdgeStore store;
  private final String node;
  private final Clock clock;

  EventSink(EdgeStore store, String node, Clock clock) {
    this.store = store;
    this.node = node;
    this.clock = clock;
  }

  void normal(ObjectRef pod, String reason, String message) {
    record(pod, EventReport.NORMAL, reason, message);
  }

  void warning(ObjectRef pod, String reason, String message) {
    record(pod, EventReport.WARNING, reason, message);
  }

  private void record(ObjectRef pod, String type, String reason, String message) {
    String text = message == null || message.length() <= EventReport.MAX_MESSAGE ? message
        : message.substring(0, EventReport.MAX_MESSAGE - 3) + "...";
    String now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    byte[] id = new byte[8];
    IDS.nextBytes(id);
    try {
      store.recordEvent(new EventReport(Codec.VERSION, node, HexFormat.of().formatHex(id), pod, type, reason, text,
          1, now, now));
    } catch (RuntimeException e) {
      // An event is worth less than the work that produced it: never let recording one fail a reconcile step.
      LOG.warn("Could not record event {} for {}: {}", reason, pod.key(), e.getMessage());
    }
  }
}
