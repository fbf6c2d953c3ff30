package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.bridge.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node Leases in {@code kube-node-lease}, renewed in one paced loop instead of on every heartbeat: a Lease is
 * written when a node is first seen, then at most once per renew interval and only if a heartbeat arrived since
 * the last renewal (a silent node's Lease expires: Kubernetes sees the truth), oldest renewal first, capped at a
 * number of writes per second shared with nothing else. Each renewal is one PUT carrying the Lease this bridge
 * last wrote (no GET); a conflict costs one GET and one retry. {@link #tick} runs on one thread.
 */
final class LeaseRenewer {
  static final String NAMESPACE = "kube-node-lease";
  private static final Logger LOG = LoggerFactory.getLogger(LeaseRenewer.class);

  private final KubernetesClient client;
  private final Metrics metrics;
  private final Clock clock;
  private final int durationSeconds;
  private final Duration renewInterval;
  private final int writesPerSecond;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private Instant lastBehindWarning = Instant.EPOCH;

  private static final class Entry {
    final String node;
    volatile String nodeUid;
    volatile Instant lastHeartbeat;
    volatile Instant lastRenewal;
    Lease written;

    Entry(String node) {
      this.node = node;
    }
  }

  LeaseRenewer(KubernetesClient client, Metrics metrics, Clock clock, int durationSeconds, Duration renewInterval,
      int writesPerSecond) {
    this.client = client;
    this.metrics = metrics;
    this.clock = clock;
    this.durationSeconds = durationSeconds;
    this.renewInterval = renewInterval;
    this.writesPerSecond = writesPerSecond;
    metrics.gauge("outpost_bridge_leases_due", this::due);
  }

  /** A heartbeat from the node (any thread). Returns true if its Lease has never been written by this bridge. */
  boolean heartbeat(String node, String nodeUid) {
    Entry entry = entries.computeIfAbsent(node, Entry::new);
    entry.nodeUid = nodeUid;
    entry.lastHeartbeat = clock.instant();
    return entry.lastRenewal == null;
  }

  /** Forgets a node whose Node object is gone. */
  void forget(String node) {
    entries.remove(node);
  }

  private long due() {
    Instant now = clock.instant();
    return entries.values().stream().filter(e -> isDue(e, now)).count();
  }

  private boolean isDue(Entry entry, Instant now) {
    Instant heartbeat = entry.lastHeartbeat;
    return heartbeat != null && (entry.lastRenewal == null
        || (heartbeat.isAfter(entry.lastRenewal) && !now.isBefore(entry.lastRenewal.plus(renewInterval))));
  }

  /** One round: renews the due Leases, oldest renewal first, at most {@code writesPerSecond × period}. */
  void tick(Duration period) {
    Instant now = clock.instant();
    List<Entry> due = new ArrayList<>();
    for (Entry entry : entries.values()) {
      if (isDue(entry, now)) {
        due.add(entry);
      }
    }
    due.sort(Comparator.comparing((Entry e) -> e.lastRenewal == null ? Instant.EPOCH : e.lastRenewal));
    long budget = Math.max(1, writesPerSecond * Math.max(1, period.toMillis()) / 1000);
    int written = 0;
    for (Entry entry : due) {
      if (written >= budget) {
        if (now.isAfter(lastBehindWarning.plusSeconds(60))) {
          lastBehindWarning = now;
          LOG.warn("Lease renewals are falling behind: {} due, {} writes/s allowed; raise "
              + "OUTPOST_KUBE_WRITES_PER_SECOND or OUTPOST_LEASE_DURATION_SECONDS", due.size(), writesPerSecond);
        }
        metrics.increment("outpost_bridge_lease_renewals_deferred_total");
        break;
      }
      try {
        renew(entry, now);
        written++;
      } catch (KubernetesClientException e) {
        metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
        LOG.warn("Renewing the Lease of {} failed: {} {}", entry.node, e.getCode(), e.getMessage());
      }
    }
  }

  /** Renews one node's Lease now (first sight of a node, so that it is Ready at once). */
  void renewNow(String node) {
    Entry entry = entries.get(node);
    if (entry != null) {
      renew(entry, clock.instant());
    }
  }

  /** One entry is renewed by one thread at a time (the paced loop, or a heartbeat's first sight). */
  private void renew(Entry entry, Instant now) {
    synchronized (entry) {
      renewLocked(entry, now, false);
    }
  }

  private void renewLocked(Entry entry, Instant now, boolean retry) {
    ZonedDateTime renewTime = ZonedDateTime.ofInstant(now, ZoneOffset.UTC);
    Lease lease = entry.written;
    if (lease == null) {
      lease = client.leases().inNamespace(NAMESPACE).withName(entry.node).get();
    }
    if (lease == null) {
      entry.written = client.leases().inNamespace(NAMESPACE).resource(new LeaseBuilder()
          .withNewMetadata().withName(entry.node).withNamespace(NAMESPACE)
          .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node")
              .withName(entry.node).withUid(entry.nodeUid).build())
          .endMetadata()
          .withNewSpec().withHolderIdentity(entry.node).withLeaseDurationSeconds(durationSeconds)
          .withRenewTime(renewTime).endSpec().build()).create();
    } else {
      try {
        entry.written = update(lease, entry.node, renewTime);
      } catch (KubernetesClientException e) {
        entry.written = null; // changed or removed by someone else: read it once and retry, once
        if (retry || (e.getCode() != 409 && e.getCode() != 404)) {
          throw e;
        }
        renewLocked(entry, now, true);
        return;
      }
    }
    entry.lastRenewal = now;
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "leases");
  }

  private Lease update(Lease lease, String node, ZonedDateTime renewTime) {
    return client.leases().inNamespace(NAMESPACE).resource(new LeaseBuilder(lease).editSpec()
        .withHolderIdentity(node).withLeaseDurationSeconds(durationSeconds).withRenewTime(renewTime)
        .endSpec().build()).update();
  }
}
