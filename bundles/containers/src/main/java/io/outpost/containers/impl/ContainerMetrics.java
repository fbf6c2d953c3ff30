package io.outpost.containers.impl;

import io.outpost.containers.ContainerManager;
import io.outpost.containers.PodRuntime;
import io.outpost.metrics.MetricSource;
import io.outpost.protocol.MetricSeries;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Pods by phase, pods backing off after failures (pull, create, start), pods the node evicted (an emptyDir over its
 * sizeLimit) and still holds, and whether the engine answers.
 */
@Component(service = MetricSource.class)
public final class ContainerMetrics implements MetricSource {
  private static final List<String> PHASES = List.of("Pending", "Running", "Succeeded", "Failed", "Unknown");
  private final ContainerManager manager;

  @Activate
  public ContainerMetrics(@Reference ContainerManager manager) {
    this.manager = manager;
  }

  @Override
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    Map<String, Double> byPhase = new LinkedHashMap<>();
    PHASES.forEach(phase -> byPhase.put(phase, 0.0));
    int failing = 0;
    int evicted = 0;
    for (PodRuntime pod : manager.pods()) {
      if (pod.status() != null && Evictions.isEviction(pod.status())) {
        evicted++;
      }
      String phase = pod.status() == null ? "Pending" : pod.status().phase();
      byPhase.merge(PHASES.contains(phase) ? phase : "Unknown", 1.0, Double::sum);
      if (pod.failedAttempts() > 0) {
        failing++;
      }
    }
    byPhase.forEach((phase, count) -> metrics.put(MetricSeries.of("outpost_edge_pods", "phase", phase), count));
    metrics.put("outpost_edge_pods_failing", (double) failing);
    metrics.put("outpost_edge_pods_evicted", (double) evicted);
    metrics.put("outpost_edge_engine_up", manager.engine().reachable() ? 1.0 : 0.0);
    return metrics;
  }
}
