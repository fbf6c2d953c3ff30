package io.outpost.bridge.rollout;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.bridge.metrics.Metrics;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
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

  private final KubernetesClient client;
  private final Metrics metrics;
  private final Clock clock;
  /** Per GatewayRollout: the uid, generation and reason last warned about. */
  private final Map<String, String> warned = new ConcurrentHashMap<>();

  RolloutEvents(KubernetesClient client, Metrics metrics, Clock clock) {
    this.client = client;
    this.metrics = metrics;
    this.clock = clock;
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
    String name = owner.getMetadata().getName();
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    byte[] id = new byte[8];
    ThreadLocalRandom.current().nextBytes(id);
    try {
      client.v1().events().inNamespace(NAMESPACE).resource(new EventBuilder()
          .withNewMetadata().withName((name.length() > 236 ? name.substring(0, 236) : name) + "."
              + HexFormat.of().formatHex(id)).withNamespace(NAMESPACE).endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(GatewayRollouts.GROUP + "/"
              + GatewayRollouts.VERSION).withKind(GatewayRollouts.KIND).withName(name)
              .withUid(owner.getMetadata().getUid()).withResourceVersion(owner.getMetadata().getResourceVersion())
              .build())
          .withType(type).withReason(reason).withMessage(message.length() > 1024 ? message.substring(0, 1024)
              : message)
          .withCount(1).withFirstTimestamp(now).withLastTimestamp(now)
          .withSource(new EventSource(COMPONENT, null)).withReportingComponent(COMPONENT)
          .build()).create();
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "events");
    } catch (KubernetesClientException e) {
      LOG.warn("Event {} on GatewayRollout {} not written: {}", reason, name, e.getMessage());
    }
  }
}
