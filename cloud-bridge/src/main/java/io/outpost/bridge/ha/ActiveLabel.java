package io.outpost.bridge.ha;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks the bridge's own pod {@code outpost.io/bridge-active=true} while it is the active replica, so that the
 * kubelet API Service (selecting that label) sends the API server only to the replica that relays streams. The pod
 * is the leader identity (the manifest sets it to the pod's name) in the leader-election namespace. A replica clears
 * the mark when it starts (a restarted pod keeps its labels) and when it stops; a crashed one is not ready, so its
 * stale mark routes nothing.
 */
final class ActiveLabel {
  static final String LABEL = "outpost.io/bridge-active";
  private static final Logger LOG = LoggerFactory.getLogger(ActiveLabel.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String pod;

  ActiveLabel(KubernetesClient client, String namespace, String pod) {
    this.client = client;
    this.namespace = namespace;
    this.pod = pod;
  }

  void set(boolean active) {
    try {
      if (client.pods().inNamespace(namespace).withName(pod).get() == null) {
        LOG.warn("Cannot mark the active bridge: no pod {}/{} (OUTPOST_LEADER_IDENTITY must be the pod's name)",
            namespace, pod);
        return;
      }
      client.pods().inNamespace(namespace).withName(pod).edit(p -> active
          ? new PodBuilder(p).editMetadata().addToLabels(LABEL, "true").endMetadata().build()
          : new PodBuilder(p).editMetadata().removeFromLabels(LABEL).endMetadata().build());
    } catch (KubernetesClientException e) {
      LOG.warn("Cannot {} the label {} on pod {}/{}: {} (the bridge needs get/patch on pods in its namespace)",
          active ? "set" : "clear", LABEL, namespace, pod, e.getMessage());
    }
  }
}
