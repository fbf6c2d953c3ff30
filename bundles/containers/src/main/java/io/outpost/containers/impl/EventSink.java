package io.outpost.containers.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.store.Outbox;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records Kubernetes-style events about pods and their containers (Pulling, Pulled, Created, Started, Killing,
 * BackOff, Failed) in the store's durable event outbox, from which the sync delivers them to the bridge.
 *
 * <p>Repeats are counted as the kubelet's event correlator counts them (client-go {@code tools/record/
 * events_cache.go}, {@code eventLogger.eventObserve}): an event identical to one recorded before — same pod,
 * {@code fieldPath}, type, reason and message ({@code getEventKey}; source and node are this node's) — is recorded
 * again under the first one's id with its count raised and its last timestamp moved, so the bridge updates one
 * Event ({@code x3 over 40s}) instead of writing three. Like the kubelet's, the memory is an LRU of
 * {@value #REMEMBERED} keys ({@code maxLruCacheEntries}) that lives as long as the manager: after a restart a repeat
 * starts a new Event, as it does after a kubelet restart. Not modelled: the correlator's aggregation of similar
 * events with different messages ("(combined from similar events)", after 10 within 10 minutes) and its spam
 * filter. Thread-safe.
 */
final class EventSink {
  private static final Logger LOG = LoggerFactory.getLogger(EventSink.class);
  private static final SecureRandom IDS = new SecureRandom();
  /** client-go's {@code maxLruCacheEntries}. */
  static final int REMEMBERED = 4096;

  private final Outbox<EventReport> store;
  private final String node;
  private final Clock clock;
  /** Correlation key → the event recorded under it last; guarded by itself. */
  private final Map<Key, EventReport> seen = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, EventReport> eldest) {
      return size() > REMEMBERED;
    }
  };

  private record Key(String uid, String fieldPath, String type, String reason, String message) {}

  EventSink(Outbox<EventReport> store, String node, Clock clock) {
    this.store = store;
    this.node = node;
    this.clock = clock;
  }

  /** An event about the whole pod. */
  void normal(ObjectRef pod, String reason, String message) {
    record(pod, null, EventReport.NORMAL, reason, message);
  }

  void warning(ObjectRef pod, String reason, String message) {
    record(pod, null, EventReport.WARNING, reason, message);
  }

  /** An event about one container ({@code fieldPath} as {@link EventReport#containerPath}), or the pod if null. */
  void normal(ObjectRef pod, String reason, String message, String fieldPath) {
    record(pod, fieldPath, EventReport.NORMAL, reason, message);
  }

  void warning(ObjectRef pod, String reason, String message, String fieldPath) {
    record(pod, fieldPath, EventReport.WARNING, reason, message);
  }

  private void record(ObjectRef pod, String fieldPath, String type, String reason, String message) {
    String text = message == null || message.length() <= EventReport.MAX_MESSAGE ? message
        : message.substring(0, EventReport.MAX_MESSAGE - 3) + "...";
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    Key key = new Key(pod.uid(), fieldPath, type, reason, text);
    synchronized (seen) {
      EventReport previous = seen.get(key);
      EventReport event = previous != null ? previous.repeated(previous.count() + 1, now)
          : new EventReport(Codec.VERSION, node, newId(), pod, type, reason, text, 1, now, now, fieldPath);
      seen.put(key, event);
      try {
        store.record(event);
      } catch (RuntimeException e) {
        // An event is worth less than the work that produced it: never let recording one fail a reconcile step.
        LOG.warn("Could not record event {} for {}: {}", reason, pod.key(), e.getMessage());
      }
    }
  }

  private static String newId() {
    byte[] id = new byte[8];
    IDS.nextBytes(id);
    return HexFormat.of().formatHex(id);
  }
}
