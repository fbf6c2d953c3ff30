package io.outpost.sync.impl;

import io.outpost.metrics.MetricSource;
import io.outpost.protocol.NodeAllocatable;
import io.outpost.protocol.stream.PodStreams;
import io.outpost.metrics.MetricSources;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.Outbox;
import io.outpost.store.SyncLog;
import io.outpost.store.StoreListener;
import io.outpost.sync.SyncService;
import io.outpost.sync.SyncState;
import io.outpost.protocol.MetricSeries;
import java.util.LinkedHashMap;
import java.util.Map;
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
@Component(service = {SyncService.class, StoreListener.class, MetricSource.class, NodeAllocatable.class},
    immediate = true,
    configurationPid = "io.outpost.node", configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SyncConfig.class)
public final class EdgeSyncComponent implements SyncService, StoreListener, MetricSource, NodeAllocatable {
  private final ScheduledExecutorService executor;
  private final EdgeSync sync;

  /**
   * Every other part of the node that reports on its health (this component's own metrics are added directly: a
   * separate component reading this one's state and being read by it would be a circular reference): a summary
   * goes with each heartbeat.
   */
  @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
      target = "(!(component.name=io.outpost.sync.impl.EdgeSyncComponent))")
  volatile List<MetricSource> sources;

  /** The container manager's streams (kubectl logs/exec/port-forward), while it runs. */
  @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
  volatile PodStreams podStreams;

  @Activate
  public EdgeSyncComponent(SyncConfig config, @Reference(name = "syncLog") SyncLog log,
      @Reference(name = "podStatuses", target = "(" + Outbox.NAME + "=" + Outbox.POD_STATUS + ")")
      Outbox<PodStatusReport> podStatuses,
      @Reference(name = "deviceStatuses", target = "(" + Outbox.NAME + "=" + Outbox.DEVICE_STATUS + ")")
      Outbox<DeviceStatusReport> deviceStatuses,
      @Reference(name = "events", target = "(" + Outbox.NAME + "=" + Outbox.EVENT + ")") Outbox<EventReport> events,
      BundleContext context) {
    SyncStore store = new SyncStore(log, podStatuses, deviceStatuses, events);
    Settings settings = Settings.from(config);
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-sync"));
    this.sync = new EdgeSync(settings, store, executor, context.getBundle().getVersion().toString(),
        () -> MetricSources.summary(withOwn(sources)), () -> podStreams);
    sync.start();
  }

  @Deactivate
  void deactivate() throws InterruptedException {
    sync.close();
    executor.shutdownNow();
    executor.awaitTermination(10, TimeUnit.SECONDS);
  }

  private List<MetricSource> withOwn(List<MetricSource> others) {
    List<MetricSource> all = new java.util.ArrayList<>(others == null ? List.of() : others);
    all.add(this);
    return all;
  }

  /** The link to the cloud as metrics: connected, sync position, outbox depths, drops, rejections, last resync. */
  @Override
  public Map<String, Double> metrics() {
    SyncState state = state();
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("outpost_edge_connected", state.connected() ? 1.0 : 0.0);
    metrics.put("outpost_edge_sync_seq", (double) state.seq());
    metrics.put(MetricSeries.of("outpost_edge_outbox_depth", "kind", "status"), (double) state.outboxDepth());
    metrics.put(MetricSeries.of("outpost_edge_outbox_depth", "kind", "event"), (double) state.eventDepth());
    metrics.put("outpost_edge_events_dropped_total", (double) state.eventsDropped());
    metrics.put("outpost_edge_stream_sessions", (double) sync.openStreams());
    state.rejected().forEach((reason, count) ->
        metrics.put(MetricSeries.of("outpost_edge_rejected_total", "reason", reason), (double) count));
    if (state.lastResyncAt() != null) {
      metrics.put("outpost_edge_last_resync_timestamp_seconds", state.lastResyncAt().toEpochMilli() / 1000.0);
    }
    return metrics;
  }

  /** The allocatable this node's heartbeats report: the container manager admits new pods against it. */
  @Override
  public Map<String, String> allocatable() {
    return sync.allocatable();
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
