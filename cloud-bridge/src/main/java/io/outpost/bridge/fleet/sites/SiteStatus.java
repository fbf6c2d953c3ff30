package io.outpost.bridge.fleet.sites;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.bridge.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Summarises every site each {@link SiteSettings#statusInterval()} on its own thread ({@code outpost-bridge-sites}),
 * from the informer caches: on every replica into the metrics
 * {@code outpost_bridge_site_nodes{site,ready="true"|"false"}}, {@code outpost_bridge_site_pods{site}} and
 * {@code outpost_bridge_site_last_contact_seconds{site}} (seconds since any node of the site was heard from, at
 * scrape time; -1 if never), and, on the active replica only, into the {@link SiteObjects Site objects}. A site's
 * series leave {@code /metrics} with its last Node. {@code outpost_bridge_site_passes_total} counts the passes.
 */
public final class SiteStatus implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SiteStatus.class);

  private final Supplier<? extends Collection<Node>> nodes;
  private final Function<String, List<Pod>> podsOn;
  private final String siteLabel;
  private final LastContacts contacts;
  private final Metrics metrics;
  private final SiteObjects objects;
  private final BooleanSupplier active;
  private final Clock clock;
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-bridge-sites"));
  private volatile Map<String, SiteSummary> current = Map.of();
  private final Set<String> shown = new HashSet<>();

  /** {@code objects}: null when Site objects are not written ({@code OUTPOST_SITE_OBJECTS=false}). */
  public SiteStatus(Supplier<? extends Collection<Node>> nodes, Function<String, List<Pod>> podsOn, String siteLabel,
      LastContacts contacts, Metrics metrics, SiteObjects objects, BooleanSupplier active, Clock clock) {
    this.nodes = nodes;
    this.podsOn = podsOn;
    this.siteLabel = siteLabel;
    this.contacts = contacts;
    this.metrics = metrics;
    this.objects = objects;
    this.active = active;
    this.clock = clock;
  }

  /** Starts the passes, the first at once. */
  public void start(Duration interval) {
    executor.scheduleWithFixedDelay(this::pass, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The sites as the last pass summarised them. */
  public Map<String, SiteSummary> summaries() {
    return current;
  }

  /** One pass; a failure is logged and the next pass runs as planned. */
  void pass() {
    try {
      Map<String, SiteSummary> summaries = SiteSummary.of(nodes.get(), siteLabel, podsOn, contacts);
      current = summaries;
      show(summaries.keySet());
      if (objects != null && active.getAsBoolean()) {
        objects.sync(summaries, clock.instant());
      }
      metrics.increment("outpost_bridge_site_passes_total");
    } catch (RuntimeException e) {
      LOG.warn("Summarising the sites failed; trying again in the next pass", e);
    }
  }

  /** Registers the series of new sites and removes those of sites that are gone. */
  private void show(Set<String> sites) {
    for (String site : sites) {
      if (shown.add(site)) {
        metrics.gauge("outpost_bridge_site_nodes", () -> value(site, s -> s.nodesReady()), "site", site, "ready",
            "true");
        metrics.gauge("outpost_bridge_site_nodes", () -> value(site, s -> s.nodesTotal() - s.nodesReady()), "site",
            site, "ready", "false");
        metrics.gauge("outpost_bridge_site_pods", () -> value(site, SiteSummary::pods), "site", site);
        metrics.gauge("outpost_bridge_site_last_contact_seconds", () -> value(site, s -> s.lastContact() == null
            ? -1 : Math.max(0, Duration.between(s.lastContact(), clock.instant()).toSeconds())), "site", site);
      }
    }
    for (String site : Set.copyOf(shown)) {
      if (!sites.contains(site)) {
        shown.remove(site);
        metrics.removeGauge("outpost_bridge_site_nodes", "site", site, "ready", "true");
        metrics.removeGauge("outpost_bridge_site_nodes", "site", site, "ready", "false");
        metrics.removeGauge("outpost_bridge_site_pods", "site", site);
        metrics.removeGauge("outpost_bridge_site_last_contact_seconds", "site", site);
      }
    }
  }

  private long value(String site, java.util.function.ToLongFunction<SiteSummary> figure) {
    SiteSummary summary = current.get(site);
    return summary == null ? 0 : figure.applyAsLong(summary);
  }

  /** Idempotent. */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
