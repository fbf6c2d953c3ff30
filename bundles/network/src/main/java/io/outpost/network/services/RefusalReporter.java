package io.outpost.network.services;

import io.outpost.network.services.Plan.Refusal;
import io.outpost.protocol.Codec;
import io.outpost.protocol.EventReport;
import io.outpost.store.Outbox;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells about refused Services once per refusal, not at every rendering: a Service newly refused (or refused for
 * another reason) is logged, counted and gets a Warning Event {@value #REASON} on the Service (kind Service, as
 * {@code kubectl describe service} shows it), recorded in the store's event outbox; a Service that is programmed
 * again is logged. Used on the proxy's thread only.
 */
final class RefusalReporter {
  private static final Logger LOG = LoggerFactory.getLogger(RefusalReporter.class);
  static final String REASON = "FailedToProgramService";
  private static final SecureRandom IDS = new SecureRandom();

  private final Outbox<EventReport> events;
  private final String node;
  private final Clock clock;
  /** Store key → the reason last reported. */
  private final Map<String, String> reported = new HashMap<>();
  private final AtomicLong refusals = new AtomicLong();
  private volatile int current;

  RefusalReporter(Outbox<EventReport> events, String node, Clock clock) {
    this.events = events;
    this.node = node;
    this.clock = clock;
  }

  void report(Map<String, Refusal> refused) {
    reported.keySet().removeIf(key -> {
      if (!refused.containsKey(key)) {
        LOG.info("Service {} is no longer refused", key);
        return true;
      }
      return false;
    });
    refused.forEach((key, refusal) -> {
      if (!refusal.reason().equals(reported.get(key))) {
        reported.put(key, refusal.reason());
        refusals.incrementAndGet();
        LOG.warn("Service {} refused, its other rules and the other Services stay in force: {}", key,
            refusal.reason());
        record(refusal);
      }
    });
    current = reported.size();
  }

  private void record(Refusal refusal) {
    String message = "Service forwarding on node " + node + " refused this Service: " + refusal.reason();
    if (message.length() > EventReport.MAX_MESSAGE) {
      message = message.substring(0, EventReport.MAX_MESSAGE - 3) + "...";
    }
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    byte[] id = new byte[8];
    IDS.nextBytes(id);
    try {
      events.record(new EventReport(Codec.VERSION, node, HexFormat.of().formatHex(id), refusal.service(),
          EventReport.WARNING, REASON, message, 1, now, now));
    } catch (RuntimeException e) {
      LOG.warn("Could not record the event for refused Service {}: {}", refusal.service().key(), e.getMessage());
    }
  }

  /** Refusals reported since the start (a Service refused again for another reason counts again). */
  long total() {
    return refusals.get();
  }

  /** Services refused now. */
  int current() {
    return current;
  }
}
