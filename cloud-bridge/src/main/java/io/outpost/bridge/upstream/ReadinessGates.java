package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.bridge.metrics.Metrics;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a controller changes the condition a pod's readiness gate names, the kubelet computes {@code Ready} again;
 * for edge pods the bridge does ({@link PodStatusWriter#recheckReadiness}), on the node's upstream queue so that it
 * is ordered with the node's own status reports.
 */
final class ReadinessGates {
  private static final Logger LOG = LoggerFactory.getLogger(ReadinessGates.class);

  private ReadinessGates() {}

  /** True if the pod has readiness gates and the status of one of their conditions changed. */
  static boolean changed(Pod before, Pod after) {
    List<PodReadinessGate> gates = after.getSpec() == null ? null : after.getSpec().getReadinessGates();
    if (gates == null || gates.isEmpty()) {
      return false;
    }
    return gates.stream().map(PodReadinessGate::getConditionType)
        .anyMatch(type -> !Objects.equals(status(before, type), status(after, type)));
  }

  private static String status(Pod pod, String type) {
    if (pod == null || pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return null;
    }
    return pod.getStatus().getConditions().stream().filter(c -> c != null && type.equals(c.getType()))
        .map(PodCondition::getStatus).findFirst().orElse(null);
  }

  /** Rechecks {@code pod} (the newest the cache holds, or null if it is gone); a refused write is counted. */
  static void recheck(PodStatusWriter writer, Metrics metrics, Pod pod) {
    if (pod == null) {
      return;
    }
    try {
      writer.recheckReadiness(pod);
    } catch (KubernetesClientException e) {
      metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
      LOG.warn("Ready of pod {}/{} not rechecked: {} {}", pod.getMetadata().getNamespace(),
          pod.getMetadata().getName(), e.getCode(), e.getMessage());
    }
  }
}
