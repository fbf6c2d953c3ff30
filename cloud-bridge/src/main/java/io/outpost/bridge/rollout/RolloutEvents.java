package io.outpost.bridge.rollout;

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
 * Events on a GatewayRollout, as {@code kubectl describe gwr} shows them (in the {@value #NAMESPACE} namespace, as for
 * every cluster-scoped object): Normal CanaryAssigned, NodeAssigned, NodeUpdated and RolloutSucceeded, Warning
 * NodeFailed, RolloutFailed and InvalidSpec — the caller reports each transition once; an invalid spec is reported
 * once per spec generation and reason, counted in {@code outpost_bridge_rollout_invalid_specs_total{reason}}. An Event
 * that cannot be written is logged, never retried: the status says the same.
 */
final class RolloutEvents {
  static final String COMPONENT = "outpost-rollout-controller";
  static final String NAMESPACE = "default";
  private static final Logger LOG = LoggerFactory.getLogger(RolloutEvents.class);

  private final ControllerEvents events;
  private final Metrics metrics;
  /** Per GatewayRollout: the uid, generation and reason last warned about. */
  private final Map<String, String> warned = new ConcurrentHashMap<>();

  RolloutEvents(KubernetesClient client, Metrics metrics, Clock clock) {
    this.events = new ControllerEvents(client, COMPONENT, GatewayRollouts.GROUP + "/" + GatewayRollouts.VERSION,
        GatewayRollouts.KIND, clock);
    this.metrics = metrics;
  }

  /** The spec cannot be acted on: logged, counted and reported once per generation and reason. */
  void invalid(HasMetadata owner, String reason, String message) {
    String name = owner.getMetadata().getName();
    String mark = owner.getMetadata().getUid() + "/" + owner.getMetadata().getGeneration() + "/" + reason;
    if (mark.equals(warned.put(name, mark))) {
      return;
    }
    metrics.increment("outpost_bridge_rollout_invalid_specs_total", "reason", reason);
    LOG.warn("GatewayRollout {}: nothing assigned, invalid spec ({}): {}", name, reason, message);
    write(owner, "Warning", "InvalidSpec", message);
  }

  /** The spec is valid (again): a later invalid spec is reported anew. */
  void valid(HasMetadata owner) {
    warned.remove(owner.getMetadata().getName());
  }

  void forget(String name) {
    warned.remove(name);
  }

  void normal(HasMetadata owner, String reason, String message) {
    write(owner, "Normal", reason, message);
  }

  void warning(HasMetadata owner, String reason, String message) {
    write(owner, "Warning", reason, message);
  }

  private void write(HasMetadata owner, String type, String reason, String message) {
    if (events.write(owner, type, reason, message)) {
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "events");
    }
  }
}
