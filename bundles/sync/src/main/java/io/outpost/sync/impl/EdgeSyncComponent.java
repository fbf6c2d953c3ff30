package io.outpost.sync.impl;

import io.outpost.identity.NodeCredentials;
import java.time.Clock;
import io.outpost.metrics.MetricSource;
import io.outpost.containers.NodeAllocatable;
import io.outpost.containers.PodStreams;
import io.outpost.containers.ResourceUsage;
import io.outpost.metrics.MetricSources;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.Outbox;
import io.outpost.store.SyncLog;
import io.outpost.store.StoreListener;
import io.outpost.sync.ArtifactChannel;
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
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge node's sync service. Configured by {@code io.outpost.sync} (its own keys) and {@code io.outpost.node}
 * (node-wide keys, which win: see {@link #PID}). A configuration change is applied live ({@link #modified}): if it
 * changes a setting of the sync, the old connection closes and a new one opens with the new settings; a change of
 * any other component's key (the container manager's, the store's) leaves the link alone.
 */
@Component(service = {SyncService.class, StoreListener.class, MetricSource.class, NodeAllocatable.class,
    ArtifactChannel.class},
    immediate = true,
    configurationPid = {EdgeSyncComponent.PID, "io.outpost.node"}, configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class EdgeSyncComponent implements SyncService, StoreListener, MetricSource, NodeAllocatable,
    ArtifactChannel {
  /** The sync's own configuration PID; the node-wide {@code io.outpost.node} is read after it and wins. */
  static final String PID = "io.outpost.sync";
  private static final Logger LOG = LoggerFactory.getLogger(EdgeSyncComponent.class);

  private final ScheduledExecutorService executor;
  private final SyncStore store;
  /** This node's credentials (the identity bundle's service): enrollment and renewal. */
  private final NodeCredentials credentials;
  private final String agentVersion;
  /** Kept across link restarts: a rollout agent's listener outlives a reconfiguration. */
  private final EdgeArtifacts artifacts = new EdgeArtifacts(Clock.systemUTC());
  /** The link and everything on it, for the current settings; replaced (under this lock) when they change. */
  private volatile EdgeSync sync;
  private Settings settings;

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

  /** The container manager's resource usage, while it runs: sent every {@code stats.interval.seconds}. */
  @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
  volatile ResourceUsage resourceUsage;

  @Activate
  public EdgeSyncComponent(SyncConfig config, @Reference(name = "syncLog") SyncLog log,
      @Reference(name = "podStatuses", target = "(" + Outbox.NAME + "=" + Outbox.POD_STATUS + ")")
      Outbox<PodStatusReport> podStatuses,
      @Reference(name = "deviceStatuses", target = "(" + Outbox.NAME + "=" + Outbox.DEVICE_STATUS + ")")
      Outbox<DeviceStatusReport> deviceStatuses,
      @Reference(name = "events", target = "(" + Outbox.NAME + "=" + Outbox.EVENT + ")") Outbox<EventReport> events,
      @Reference(name = "credentials") NodeCredentials credentials, BundleContext context) {
    this(config, new SyncStore(log, podStatuses, deviceStatuses, events), credentials,
        context.getBundle().getVersion().toString());
  }

  /** With the given credentials; null: credentials of its own, kept where the configuration says (tests). */
  EdgeSyncComponent(SyncConfig config, SyncStore store, NodeCredentials credentials, String agentVersion) {
    this.settings = Settings.from(config);
    this.store = store;
    this.credentials = credentials;
    this.agentVersion = agentVersion;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-sync"));
    this.sync = newSync(settings);
    sync.start();
  }

  private EdgeSync newSync(Settings with) {
    return new EdgeSync(with, store, executor, agentVersion, () -> MetricSources.summary(withOwn(sources)),
        () -> podStreams, credentials != null ? credentials : NodeCredentials.of(with.enrollment(), Clock.systemUTC()),
        () -> resourceUsage, artifacts);
  }

  @Override
  public boolean request(String sha256, int chunkSize, java.util.List<Integer> indices) {
    return artifacts.request(sha256, chunkSize, indices);
  }

  @Override
  public void report(Progress progress) {
    artifacts.report(progress);
  }

  @Override
  public AutoCloseable listen(Listener listener) {
    return artifacts.listen(listener);
  }

  /**
   * A changed configuration ({@code io.outpost.sync} or {@code io.outpost.node}). Every key of the sync applies live:
   * if the sync's settings changed, the link closes and opens again with them (the store and the rest of the node
   * stay as they are). A change that leaves them as they are — another component's key — does nothing, so the link
   * stays up. An invalid value is refused with a logged reason and the link keeps its previous settings.
   */
  @Modified
  void modified(SyncConfig config) {
    reconfigure(config);
  }

  /** {@link #modified}: true if the link was restarted with new settings. */
  synchronized boolean reconfigure(SyncConfig config) {
    Settings next;
    try {
      next = Settings.from(config);
    } catch (IllegalArgumentException e) {
      LOG.error("Configuration change refused, the link keeps its previous settings: {}", e.getMessage());
      return false;
    }
    if (next.equals(settings)) {
      LOG.debug("Configuration changed, but no setting of the sync: the link stays as it is");
      return false;
    }
    LOG.info("Sync settings changed: reconnecting to {} as {}", next.brokerUrl(), next.node());
    sync.close();
    settings = next;
    sync = newSync(next);
    sync.start();
    return true;
  }

  @Deactivate
  synchronized void deactivate() throws InterruptedException {
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
    metrics.put("outpost_edge_stats_sent_total", (double) sync.statsSent());
    metrics.put("outpost_edge_stats_skipped_total", (double) sync.statsSkipped());
    metrics.put("outpost_edge_artifact_chunks_refused_total", (double) artifacts.refused());
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
