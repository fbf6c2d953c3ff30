package io.outpost.metrics.impl;

import io.outpost.metrics.MetricSource;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bundles updated without a refresh. {@code bundle:update} alone leaves the bundles that import an updated bundle's
 * packages wired to its old revision until the framework is refreshed; they can then miss the services of the new
 * revision (the {@code outpost:*} commands answer "Command not found", a component waits for a service that is
 * there). The node counts such bundles ({@code outpost_edge_bundles_pending_refresh}) and, when the same ones are
 * still pending at two checks in a row (30 s apart: a {@code bundle:update -r} refreshes within seconds), logs a
 * WARN naming them and the fix, {@code bundle:refresh}; once refreshed, an INFO.
 */
@Component(service = MetricSource.class, immediate = true)
public final class PendingRefresh implements MetricSource {
  private static final Logger LOG = LoggerFactory.getLogger(PendingRefresh.class);
  static final String METRIC = "outpost_edge_bundles_pending_refresh";

  private final FrameworkWiring wiring;
  private final ScheduledExecutorService executor;
  private final Watch watch = new Watch();

  @Activate
  public PendingRefresh(BundleContext context) {
    wiring = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
    executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "outpost-pending-refresh");
      thread.setDaemon(true);
      return thread;
    });
    executor.scheduleWithFixedDelay(this::check, 30, 30, TimeUnit.SECONDS);
  }

  @Deactivate
  void deactivate() {
    executor.shutdownNow();
  }

  private void check() {
    String message = watch.observe(names(wiring.getRemovalPendingBundles()));
    if (message != null) {
      if (message.startsWith(Watch.PENDING)) {
        LOG.warn(message);
      } else {
        LOG.info(message);
      }
    }
  }

  @Override
  public Map<String, Double> metrics() {
    return Map.of(METRIC, (double) wiring.getRemovalPendingBundles().size());
  }

  static Set<String> names(Collection<Bundle> bundles) {
    Set<String> names = new TreeSet<>();
    bundles.forEach(b -> names.add(b.getSymbolicName() + " (" + b.getBundleId() + ")"));
    return names;
  }

  /** When to say what: the same pending set at two checks in a row is worth a WARN, its end an INFO. */
  static final class Watch {
    static final String PENDING = "Bundles updated without a refresh";
    private Set<String> previous = Set.of();
    private Set<String> warned = Set.of();

    /** The message for this observation, or null if there is nothing new to say. */
    synchronized String observe(Set<String> pending) {
      String message = null;
      if (!pending.isEmpty() && pending.equals(previous) && !pending.equals(warned)) {
        message = PENDING + " keep their old revision wired to the bundles that import them: " + pending
            + ". Those may miss the updated bundles' services (e.g. outpost:* commands 'not found'). Run"
            + " bundle:refresh (docs/operations.md, \"Updating a bundle live\"); update with bundle:update -r";
        warned = pending;
      } else if (pending.isEmpty() && !warned.isEmpty()) {
        message = "Bundles refreshed: no updated bundle is waiting for a refresh any more";
        warned = Set.of();
      }
      previous = pending;
      return message;
    }
  }
}
