package io.outpost.bridge.fleet;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.bridge.kube.ControllerEvents;
import io.outpost.bridge.metrics.Metrics;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events on a SiteWorkload, as {@code kubectl describe siteworkload} shows them: Normal when a site's copy is created
 * or deleted, Warning when the spec cannot be stamped — once per spec generation and reason (a reconcile repeated for
 * other reasons says nothing new), counted in {@code outpost_bridge_fleet_invalid_specs_total{reason}}. An Event that
 * cannot be written is logged, never retried: the condition in the status says the same.
 */
final class FleetEvents {
  static final String COMPONENT = "outpost-fleet-controller";
  private static final Logger LOG = LoggerFactory.getLogger(FleetEvents.class);

  private final ControllerEvents events;
  private final Metrics metrics;
  /** Per SiteWorkload (namespace/name): the uid, generation and reason last warned about. */
  private final Map<String, String> warned = new ConcurrentHashMap<>();

  FleetEvents(KubernetesClient client, Metrics metrics, Clock clock) {
    this.events = new ControllerEvents(client, COMPONENT, SiteWorkloads.GROUP + "/" + SiteWorkloads.VERSION,
        SiteWorkloads.KIND, clock);
    this.metrics = metrics;
  }

  /** The spec cannot be stamped: logged, counted and reported once per generation and reason. */
  void invalid(HasMetadata owner, String reason, String message) {
    String key = owner.getMetadata().getNamespace() + "/" + owner.getMetadata().getName();
    String mark = owner.getMetadata().getUid() + "/" + owner.getMetadata().getGeneration() + "/" + reason;
    if (mark.equals(warned.put(key, mark))) {
      return;
    }
    metrics.increment("outpost_bridge_fleet_invalid_specs_total", "reason", reason);
    LOG.warn("SiteWorkload {}: not stamped ({}): {}", key, reason, message);
    write(owner, "Warning", reason, message);
  }

  /** The spec is valid (again): a later invalid spec is reported anew. */
  void valid(HasMetadata owner) {
    warned.remove(owner.getMetadata().getNamespace() + "/" + owner.getMetadata().getName());
  }

  void forget(String key) {
    warned.remove(key);
  }

  void normal(HasMetadata owner, String reason, String message) {
    write(owner, "Normal", reason, message);
  }

  private void write(HasMetadata owner, String type, String reason, String message) {
    if (events.write(owner, type, reason, message)) {
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "events");
    }
  }
}
