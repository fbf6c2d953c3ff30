package io.outpost.sync.impl;

import io.outpost.metrics.MetricSource;
import io.outpost.protocol.MetricSeries;
import io.outpost.sync.SyncService;
import io.outpost.sync.SyncState;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The link to the cloud as metrics: connected, sync position, outbox depths, drops, rejections, last resync. */
@Component(service = MetricSource.class)
public final class SyncMetrics implements MetricSource {
  private final SyncService sync;

  @Activate
  public SyncMetrics(@Reference SyncService sync) {
    this.sync = sync;
  }

  @Override
  public Map<String, Double> metrics() {
    SyncState state = sync.state();
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("outpost_edge_connected", state.connected() ? 1.0 : 0.0);
    metrics.put("outpost_edge_sync_seq", (double) state.seq());
    metrics.put(MetricSeries.of("outpost_edge_outbox_depth", "kind", "status"), (double) state.outboxDepth());
    metrics.put(MetricSeries.of("outpost_edge_outbox_depth", "kind", "event"), (double) state.eventDepth());
    metrics.put("outpost_edge_events_dropped_total", (double) state.eventsDropped());
    state.rejected().forEach((reason, count) ->
        metrics.put(MetricSeries.of("outpost_edge_rejected_total", "reason", reason), (double) count));
    if (state.lastResyncAt() != null) {
      metrics.put("outpost_edge_last_resync_timestamp_seconds", state.lastResyncAt().toEpochMilli() / 1000.0);
    }
    return metrics;
  }
}
