package io.outpost.sync.impl;

import io.outpost.metrics.MetricSource;
import io.outpost.metrics.MetricSources;
import io.outpost.store.EdgeStore;
import io.outpost.store.StoreListener;
import io.outpost.sync.SyncService;
import io.outpost.sync.SyncState;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The edge node's sync service. A configuration change (e.g. {@code config:edit io.outpost.node}) re-activates the
 * component: the old connection closes and a new one opens with the new settings, without restarting Karaf.
 */
@Component(service = {SyncService.class, StoreListener.class}, immediate = true, configurationPid = "io.outpost.node",
    configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SyncConfig.class)
public final class EdgeSyncComponent implements SyncService, StoreListener {
  private final ScheduledExecutorService executor;
  private final EdgeSync sync;

  /** Every part of the node that reports on its health: a summary goes with each heartbeat. */
  @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
  volatile List<MetricSource> sources;

  @Activate
  public EdgeSyncComponent(SyncConfig config, @Reference EdgeStore store, BundleContext context) {
    Settings settings = Settings.from(config);
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-sync"));
    this.sync = new EdgeSync(settings, store, executor, context.getBundle().getVersion().toString(),
        () -> MetricSources.summary(sources));
    sync.start();
  }

  @Deactivate
  void deactivate() throws InterruptedException {
    sync.close();
    executor.shutdownNow();
    executor.awaitTermination(10, TimeUnit.SECONDS);
  }

  @Override
  public SyncState state() {
    return sync.state();
  }

  @Override
  public String join(String url, String token, String caFingerprint) {
    return sync.join(url, token, caFingerprint);
  }

  @Override
  public void requestResync(String reason) {
    sync.requestResync(reason);
  }

  @Override
  public void outboxChanged() {
    sync.outboxChanged();
  }
}
